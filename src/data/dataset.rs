//! Dataset files: `meta.json`, `tokenizer.json`, `train.ids`, `holdout.ids`.

use super::meta::{dataset_hash, Meta, FORMAT_VERSION};
use super::vocab::{Vocab, PAD};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

pub use super::ids::{read_ids, write_ids};

/// File names inside a dataset directory.
pub const META_FILE: &str = "meta.json";
/// The vocabulary as a Hugging Face tokenizer.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Training rows.
pub const TRAIN_FILE: &str = "train.ids";
/// Held-out rows.
pub const HOLDOUT_FILE: &str = "holdout.ids";

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

/// A dataset directory written by `prepare`, fully loaded and verified.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The directory it was read from.
    pub dir: PathBuf,
    /// `meta.json`.
    pub meta: Meta,
    /// `tokenizer.json`.
    pub vocab: Vocab,
    /// `train.ids`.
    pub train: IdRows,
    /// `holdout.ids`.
    pub holdout: IdRows,
}

impl Dataset {
    /// Reads and verifies `dir`: meta format version, the vocabulary hash and size, both id
    /// files (header, shape, checksum), that every id is in the vocabulary, that shapes and
    /// checksums match `meta.json`, and the dataset hash.
    pub fn open(dir: &Path) -> Result<Dataset> {
        let redo = "re-run `textwgan prepare` to rebuild it";
        let meta_path = dir.join(META_FILE);
        let text = std::fs::read_to_string(&meta_path).with_context(|| {
            format!(
                "cannot read {} (is {} a prepared dataset?)",
                meta_path.display(),
                dir.display()
            )
        })?;
        let probe: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON; {redo}", meta_path.display()))?;
        if probe["format_version"] != FORMAT_VERSION {
            bail!(
                "{}: dataset format version {} is not {FORMAT_VERSION}, the one this build reads; {redo}",
                meta_path.display(),
                probe["format_version"]
            );
        }
        let meta: Meta = serde_json::from_value(probe)
            .with_context(|| format!("{} is malformed; {redo}", meta_path.display()))?;
        let vocab = Vocab::load(&dir.join(TOKENIZER_FILE))?;
        let bad = |what: String| anyhow::anyhow!("{}: {what}; {redo}", dir.display());
        if vocab.hash() != meta.vocab_hash || vocab.len() != meta.vocab_size {
            return Err(bad(format!("{TOKENIZER_FILE} does not match {META_FILE}")));
        }
        let seq_len = meta.options.seq_len;
        let mut parts = Vec::new();
        for (name, rows, sum) in [
            (TRAIN_FILE, meta.counts.rows_train, &meta.train_sha256),
            (HOLDOUT_FILE, meta.counts.rows_holdout, &meta.holdout_sha256),
        ] {
            let (ids, got) = super::ids::read_ids_checked(&dir.join(name))?;
            if ids.seq_len != seq_len || ids.rows() as u64 != rows || &got != sum {
                return Err(bad(format!("{name} does not match {META_FILE}")));
            }
            if let Some(&id) = ids.ids.iter().find(|&&id| id as usize >= vocab.len()) {
                return Err(bad(format!("{name} holds id {id}, outside the vocabulary")));
            }
            parts.push(ids);
        }
        let want = dataset_hash(
            &meta.vocab_hash,
            seq_len,
            (meta.counts.rows_train, &meta.train_sha256),
            (meta.counts.rows_holdout, &meta.holdout_sha256),
        );
        if want != meta.dataset_hash {
            return Err(bad(format!("dataset_hash in {META_FILE} is wrong")));
        }
        let holdout = parts
            .pop()
            .unwrap_or_else(|| IdRows::new(seq_len, Vec::new()));
        let train = parts
            .pop()
            .unwrap_or_else(|| IdRows::new(seq_len, Vec::new()));
        Ok(Dataset {
            dir: dir.to_path_buf(),
            meta,
            vocab,
            train,
            holdout,
        })
    }

    /// The content hash of the dataset (train ids, holdout ids, vocabulary), as stored in
    /// `meta.json` (`dataset_hash`) and verified by [`Dataset::open`].
    pub fn hash(&self) -> &str {
        &self.meta.dataset_hash
    }

    /// Symbols per row.
    pub fn seq_len(&self) -> usize {
        self.meta.options.seq_len
    }
}
