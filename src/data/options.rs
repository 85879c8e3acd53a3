//! The options of `prepare`, shared by the CLI, the library and `meta.json`.

use super::text::{Encoding, InvalidPolicy};
use anyhow::{bail, Result};

/// What to do with a line longer than `seq_len` symbols.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum LongPolicy {
    /// Keep the first `seq_len` symbols (the paper's behaviour).
    #[default]
    Cut,
    /// Split into consecutive `seq_len` pieces; the last one is PAD-filled.
    Chunk,
    /// Drop the line.
    Skip,
}

/// Every option of `prepare`; `Default` gives the CLI defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PrepareOptions {
    /// Symbols per row.
    pub seq_len: usize,
    /// Number of held-out lines.
    pub holdout: usize,
    /// Seed of the holdout split.
    pub seed: u64,
    /// Vocabulary size cap, PAD and UNK included.
    pub max_vocab: usize,
    /// Minimum training count for a symbol to get its own id.
    pub min_count: u64,
    /// Keep only the first N kept lines (across inputs, in order); reading stops there.
    pub max_lines: Option<u64>,
    /// Policy for lines longer than `seq_len`.
    pub long: LongPolicy,
    /// Policy for invalid UTF-8.
    pub invalid: InvalidPolicy,
    /// Input encoding.
    pub encoding: Encoding,
    /// Fail when the fraction of UNK symbols (training + holdout) exceeds this.
    pub max_unk_rate: f64,
}

/// Kept lines needed beyond the holdout: one default training batch.
pub const MIN_TRAIN_LINES: usize = 64;
/// UNK rate above which `prepare` warns.
pub const WARN_UNK_RATE: f64 = 0.01;
/// Largest accepted `seq_len`.
pub const MAX_SEQ_LEN: usize = 1 << 16;

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions {
            seq_len: 32,
            holdout: 640,
            seed: 0,
            max_vocab: 2048,
            min_count: 1,
            max_lines: None,
            long: LongPolicy::Cut,
            invalid: InvalidPolicy::Error,
            encoding: Encoding::Utf8,
            max_unk_rate: 0.05,
        }
    }
}

impl PrepareOptions {
    /// Refuses option values that cannot work, saying which flag to change.
    pub fn validate(&self) -> Result<()> {
        if self.seq_len == 0 || self.seq_len > MAX_SEQ_LEN {
            bail!(
                "--seq-len must be between 1 and {MAX_SEQ_LEN}, got {}",
                self.seq_len
            );
        }
        if !(3..=u16::MAX as usize).contains(&self.max_vocab) {
            bail!(
                "--max-vocab counts PAD and UNK and must be between 3 and {}, got {}",
                u16::MAX,
                self.max_vocab
            );
        }
        if self.min_count == 0 {
            bail!("--min-count must be at least 1");
        }
        if self.max_lines == Some(0) {
            bail!("--max-lines must be at least 1 (leave it out for no cap)");
        }
        if !(0.0..=1.0).contains(&self.max_unk_rate) {
            bail!(
                "--max-unk-rate must be between 0 and 1, got {}",
                self.max_unk_rate
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_name_their_flag() {
        assert!(PrepareOptions::default().validate().is_ok());
        let d = PrepareOptions::default;
        let bad = [
            (PrepareOptions { seq_len: 0, ..d() }, "--seq-len"),
            (
                PrepareOptions {
                    max_vocab: 2,
                    ..d()
                },
                "--max-vocab",
            ),
            (
                PrepareOptions {
                    max_vocab: 70_000,
                    ..d()
                },
                "--max-vocab",
            ),
            (
                PrepareOptions {
                    min_count: 0,
                    ..d()
                },
                "--min-count",
            ),
            (
                PrepareOptions {
                    max_lines: Some(0),
                    ..d()
                },
                "--max-lines",
            ),
            (
                PrepareOptions {
                    max_unk_rate: f64::NAN,
                    ..d()
                },
                "--max-unk-rate",
            ),
            (
                PrepareOptions {
                    max_unk_rate: 1.5,
                    ..d()
                },
                "--max-unk-rate",
            ),
        ];
        for (o, flag) in bad {
            assert!(o.validate().unwrap_err().to_string().contains(flag));
        }
    }
}
