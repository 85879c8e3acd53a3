//! `meta.json`: what a dataset was made from, how, and hashes that tie the files together.

use super::options::PrepareOptions;

/// The `meta.json` format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// One input file of `prepare`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceInfo {
    /// The path as given on the command line.
    pub path: String,
    /// Size on disk in bytes (compressed size for `.gz`).
    pub bytes: u64,
    /// SHA-256 (hex) of the file as stored on disk.
    pub sha256: String,
    /// Lines read from it (0 when `--max-lines` stopped reading before this file).
    pub lines_read: u64,
}

/// What `prepare` counted.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Bytes of (decompressed) text read.
    pub text_bytes: u64,
    /// Lines read (every line, empty and invalid ones included).
    pub lines_read: u64,
    /// Lines kept (they give at least one row).
    pub lines_kept: u64,
    /// Empty lines (no symbol), skipped.
    pub lines_empty: u64,
    /// Long lines cut to `seq_len` (`--long cut`).
    pub lines_cut: u64,
    /// Long lines split into several rows (`--long chunk`).
    pub lines_chunked: u64,
    /// Long lines dropped (`--long skip`).
    pub lines_skipped_long: u64,
    /// Lines with invalid UTF-8 (dropped with `skip-line`, repaired with `replace`).
    pub lines_invalid: u64,
    /// Kept lines in the training split.
    pub lines_train: u64,
    /// Kept lines in the holdout split.
    pub lines_holdout: u64,
    /// Rows in `train.ids`.
    pub rows_train: u64,
    /// Rows in `holdout.ids`.
    pub rows_holdout: u64,
    /// Held-out lines whose stored symbols equal those of some training line.
    pub holdout_in_train: u64,
    /// Text symbols (PAD excluded) in the training rows.
    pub symbols_train: u64,
    /// Text symbols (PAD excluded) in the holdout rows.
    pub symbols_holdout: u64,
    /// UNK ids among `symbols_train`.
    pub unk_train: u64,
    /// UNK ids among `symbols_holdout`.
    pub unk_holdout: u64,
    /// `(unk_train + unk_holdout) / (symbols_train + symbols_holdout)` (0 when there are none).
    pub unk_rate: f64,
}

/// The content of `meta.json`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    /// [`FORMAT_VERSION`] of the dataset directory.
    pub format_version: u32,
    /// The program that wrote it, e.g. `textwgan 0.1.0`.
    pub created_by: String,
    /// Input files in the order they were read.
    pub sources: Vec<SourceInfo>,
    /// All options.
    pub options: PrepareOptions,
    /// Counts.
    pub counts: Counts,
    /// Number of ids, PAD and UNK included.
    pub vocab_size: usize,
    /// [`crate::data::Vocab::hash`] of `tokenizer.json`.
    pub vocab_hash: String,
    /// Payload SHA-256 of `train.ids`.
    pub train_sha256: String,
    /// Payload SHA-256 of `holdout.ids`.
    pub holdout_sha256: String,
    /// [`dataset_hash`] of the above.
    pub dataset_hash: String,
}

/// The content hash of a dataset: SHA-256 (hex) of the text
/// `textwgan-dataset-v1\n{vocab_hash}\n{seq_len}\n{train rows}\n{train payload sha256}\n`
/// `{holdout rows}\n{holdout payload sha256}\n`.
pub fn dataset_hash(
    vocab_hash: &str,
    seq_len: usize,
    train: (u64, &str),
    holdout: (u64, &str),
) -> String {
    let text = format!(
        "textwgan-dataset-v1\n{vocab_hash}\n{seq_len}\n{}\n{}\n{}\n{}\n",
        train.0, train.1, holdout.0, holdout.1
    );
    crate::util::sha256_hex(text.as_bytes())
}
