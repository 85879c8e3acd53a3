//! Dataset files: `meta.json`, `tokenizer.json`, `train.ids`, `holdout.ids`.

use super::vocab::PAD;

/// Fixed-length rows of symbol ids, row-major, PAD-filled after the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRows {
    /// Symbols per row.
    pub seq_len: usize,
    /// `rows × seq_len` ids.
    pub ids: Vec<u16>,
}

impl IdRows {
    /// Rows from a flat id buffer; panics unless `ids.len()` is a multiple of `seq_len`.
    pub fn new(seq_len: usize, ids: Vec<u16>) -> IdRows {
        assert!(
            seq_len > 0 && ids.len().is_multiple_of(seq_len),
            "ragged id rows"
        );
        IdRows { seq_len, ids }
    }

    /// Rows from variable-length id sequences, each cut to `seq_len` and PAD-filled.
    pub fn from_sequences<S: AsRef<[u16]>>(seq_len: usize, seqs: &[S]) -> IdRows {
        let mut ids = vec![PAD; seqs.len() * seq_len];
        for (r, s) in seqs.iter().enumerate() {
            let s = s.as_ref();
            let n = s.len().min(seq_len);
            ids[r * seq_len..r * seq_len + n].copy_from_slice(&s[..n]);
        }
        IdRows { seq_len, ids }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.ids.len() / self.seq_len
    }

    /// Row `i` (all `seq_len` ids, padding included).
    pub fn row(&self, i: usize) -> &[u16] {
        &self.ids[i * self.seq_len..(i + 1) * self.seq_len]
    }

    /// Row `i` without its trailing padding.
    pub fn text_row(&self, i: usize) -> &[u16] {
        let r = self.row(i);
        let end = r.iter().rposition(|&t| t != PAD).map_or(0, |p| p + 1);
        &r[..end]
    }
}

/// CONTRACT: `Dataset::open(dir: &Path) -> anyhow::Result<Dataset>` verifies every file;
/// fields `dir`, `meta`, `vocab`, `train: IdRows`, `holdout: IdRows`;
/// `Dataset::hash(&self) -> &str` identifies the dataset content (ids and vocabulary).
pub struct Dataset {}
