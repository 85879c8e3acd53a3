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
        let head = DatasetHead::open(dir)?;
        let train = head.load_train()?;
        Ok(Dataset {
            dir: head.dir,
            meta: head.meta,
            vocab: head.vocab,
            train,
            holdout: head.holdout,
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

/// A dataset directory opened without its training split: `meta.json`, the vocabulary and
/// `holdout.ids` are read and verified as by [`Dataset::open`] (and the dataset hash is
/// recomputed from `meta.json`); `train.ids` is read only on demand ([`DatasetHead::load_train`]),
/// or just checksummed ([`DatasetHead::train_checksum`]) when a derived file such as the eval
/// n-gram cache only has to be tied to it.
#[derive(Debug, Clone)]
pub struct DatasetHead {
    /// The directory it was read from.
    pub dir: PathBuf,
    /// `meta.json`.
    pub meta: Meta,
    /// `tokenizer.json`.
    pub vocab: Vocab,
    /// `holdout.ids`.
    pub holdout: IdRows,
}

const REDO: &str = "re-run `textwgan prepare` to rebuild it";

impl DatasetHead {
    /// Reads and verifies `meta.json`, `tokenizer.json` and `holdout.ids` in `dir` (format
    /// version, vocabulary hash and size, the holdout file's header, shape, checksum and ids,
    /// and the dataset hash). `train.ids` is not touched.
    pub fn open(dir: &Path) -> Result<DatasetHead> {
        let meta_path = dir.join(META_FILE);
        let text = std::fs::read_to_string(&meta_path).with_context(|| {
            format!(
                "cannot read {} (is {} a prepared dataset?)",
                meta_path.display(),
                dir.display()
            )
        })?;
        let probe: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON; {REDO}", meta_path.display()))?;
        if probe["format_version"] != FORMAT_VERSION {
            bail!(
                "{}: dataset format version {} is not {FORMAT_VERSION}, the one this build reads; {REDO}",
                meta_path.display(),
                probe["format_version"]
            );
        }
        let meta: Meta = serde_json::from_value(probe)
            .with_context(|| format!("{} is malformed; {REDO}", meta_path.display()))?;
        let vocab = Vocab::load(&dir.join(TOKENIZER_FILE))?;
        if vocab.hash() != meta.vocab_hash || vocab.len() != meta.vocab_size {
            return Err(bad(
                dir,
                format!("{TOKENIZER_FILE} does not match {META_FILE}"),
            ));
        }
        let head = DatasetHead {
            dir: dir.to_path_buf(),
            holdout: IdRows::new(meta.options.seq_len.max(1), Vec::new()),
            meta,
            vocab,
        };
        let holdout = head.load_split(
            HOLDOUT_FILE,
            head.meta.counts.rows_holdout,
            &head.meta.holdout_sha256,
        )?;
        let m = &head.meta;
        let want = dataset_hash(
            &m.vocab_hash,
            m.options.seq_len,
            (m.counts.rows_train, &m.train_sha256),
            (m.counts.rows_holdout, &m.holdout_sha256),
        );
        if want != m.dataset_hash {
            return Err(bad(dir, format!("dataset_hash in {META_FILE} is wrong")));
        }
        Ok(DatasetHead { holdout, ..head })
    }

    fn load_split(&self, name: &str, rows: u64, sum: &str) -> Result<IdRows> {
        let (ids, got) = super::ids::read_ids_checked(&self.dir.join(name))?;
        if ids.seq_len != self.seq_len() || ids.rows() as u64 != rows || got != sum {
            return Err(bad(&self.dir, format!("{name} does not match {META_FILE}")));
        }
        if let Some(&id) = ids.ids.iter().find(|&&id| id as usize >= self.vocab.len()) {
            return Err(bad(
                &self.dir,
                format!("{name} holds id {id}, outside the vocabulary"),
            ));
        }
        Ok(ids)
    }

    /// Reads and verifies `train.ids` (header, shape, SHA-256 against `meta.json`, ids in the
    /// vocabulary), as [`Dataset::open`] does.
    pub fn load_train(&self) -> Result<IdRows> {
        self.load_split(
            TRAIN_FILE,
            self.meta.counts.rows_train,
            &self.meta.train_sha256,
        )
    }

    /// [`crate::util::xxh64`] of the whole `train.ids` file as it is on disk now (header
    /// included, so it also covers the payload SHA-256 stored there): a fast way to tell that
    /// the file is still the one a derived file was built from.
    pub fn train_checksum(&self) -> Result<u64> {
        let path = self.dir.join(TRAIN_FILE);
        crate::util::xxh64_file(&path).context(REDO)
    }

    /// The dataset hash from `meta.json` (verified against its fields by [`DatasetHead::open`]).
    pub fn hash(&self) -> &str {
        &self.meta.dataset_hash
    }

    /// Symbols per row.
    pub fn seq_len(&self) -> usize {
        self.meta.options.seq_len
    }
}

fn bad(dir: &Path, what: String) -> anyhow::Error {
    anyhow::anyhow!("{}: {what}; {REDO}", dir.display())
}
