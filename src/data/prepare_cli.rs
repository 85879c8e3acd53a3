//! The `prepare` command line: arguments, summary and warnings.

use super::options::{LongPolicy, PrepareOptions, WARN_UNK_RATE};
use super::prepare::{build, write, Prepared};
use super::text::{Encoding, InvalidPolicy};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::Instant;

const POLICIES: &str = "\
Policies (details: docs/prepare.md):
  - A symbol is one Unicode scalar value; --seq-len counts symbols, so rows are always whole
    characters. No normalization: a combining mark is its own symbol, and cutting can
    separate it from its base.
  - Lines end at \\n, \\r\\n, \\r, VT, FF, \\x1C-\\x1E, U+0085, U+2028 and U+2029 (as Python's
    str.splitlines); no terminator reaches the vocabulary. A missing final newline loses
    nothing. A leading UTF-8 byte order mark is dropped; UTF-16 input is refused. Tab and
    every other character are ordinary symbols.
  - Empty lines are skipped and counted; whitespace-only lines are text and kept.
  - Vocabulary: id 0 = PAD, id 1 = UNK (never text); the other ids go to the symbols of the
    training split by descending count, ties by code point. Others become UNK.
  - Holdout: a seeded Fisher-Yates shuffle of the kept lines (xoshiro256++, stream
    \"prepare/holdout\"); stable across versions and platforms.
  - Output: DIR/meta.json, DIR/tokenizer.json (a Hugging Face tokenizer), DIR/train.ids and
    DIR/holdout.ids, written atomically.";

/// Arguments of `textwgan prepare`.
#[derive(clap::Args, Debug, Clone)]
#[command(after_long_help = POLICIES)]
pub struct PrepareArgs {
    /// Corpus files, read in order (plain text, or gzip when the name ends in .gz).
    #[arg(required = true, value_name = "CORPUS")]
    pub inputs: Vec<PathBuf>,
    /// The dataset directory to create.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Symbols per row.
    #[arg(long, default_value_t = 32, value_name = "N")]
    pub seq_len: usize,
    /// Number of kept lines held out for evaluation (a seeded random choice).
    #[arg(long, default_value_t = 640, value_name = "N")]
    pub holdout: usize,
    /// Seed of the holdout split.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed: u64,
    /// Vocabulary size cap, PAD and UNK included.
    #[arg(long, default_value_t = 2048, value_name = "K")]
    pub max_vocab: usize,
    /// Symbols seen fewer than C times in the training split become UNK.
    #[arg(long, default_value_t = 1, value_name = "C")]
    pub min_count: u64,
    /// Keep only the first N kept lines (not empty, not skipped), in input order; reading
    /// stops there (later files are hashed, not read).
    #[arg(long, value_name = "N")]
    pub max_lines: Option<u64>,
    /// Lines longer than --seq-len: cut = keep the first seq-len symbols; chunk = split into
    /// consecutive seq-len rows (the last PAD-filled); skip = drop the line.
    #[arg(long, value_enum, default_value_t = LongPolicy::Cut)]
    pub long: LongPolicy,
    /// Invalid UTF-8: error = stop naming file, line and byte offset (nothing is written);
    /// skip-line = drop the line; replace = replace each bad sequence by U+FFFD.
    #[arg(long, value_enum, default_value_t = InvalidPolicy::Error)]
    pub invalid: InvalidPolicy,
    /// Input encoding (latin1: every byte is the character with that code point).
    #[arg(long, value_enum, default_value_t = Encoding::Utf8)]
    pub encoding: Encoding,
    /// Fail when more than this fraction of symbols is UNK (a warning is printed above 0.01).
    #[arg(long, default_value_t = 0.05, value_name = "RATE")]
    pub max_unk_rate: f64,
    /// Replace DIR if it exists (only a dataset directory, i.e. one with a meta.json).
    #[arg(long)]
    pub force: bool,
}

impl PrepareArgs {
    /// The library options these arguments stand for.
    pub fn options(&self) -> PrepareOptions {
        PrepareOptions {
            seq_len: self.seq_len,
            holdout: self.holdout,
            seed: self.seed,
            max_vocab: self.max_vocab,
            min_count: self.min_count,
            max_lines: self.max_lines,
            long: self.long,
            invalid: self.invalid,
            encoding: self.encoding,
            max_unk_rate: self.max_unk_rate,
        }
    }
}

/// Runs `textwgan prepare`: refuses an existing `--out` without `--force` before reading
/// anything, builds, writes atomically, and prints warnings and a summary on stderr.
pub fn run(args: &PrepareArgs) -> Result<()> {
    let opts = args.options();
    opts.validate()?;
    super::outdir::check_replaceable(&args.out, args.force)?;
    let t0 = Instant::now();
    let prepared = build(&args.inputs, &opts)?;
    write(&prepared, &args.out, args.force)?;
    let secs = t0.elapsed().as_secs_f64();
    for w in warnings(&prepared) {
        eprintln!("warning: {w}");
    }
    eprint!("{}", summary(&prepared, &args.out, secs));
    Ok(())
}

/// Warnings worth a user's attention (a high UNK rate).
pub fn warnings(p: &Prepared) -> Vec<String> {
    let c = &p.meta.counts;
    let mut w = Vec::new();
    if c.unk_rate > WARN_UNK_RATE {
        w.push(format!(
            "{:.2}% of the symbols are UNK (above {}%); consider a larger --max-vocab or a \
             smaller --min-count",
            100.0 * c.unk_rate,
            100.0 * WARN_UNK_RATE
        ));
    }
    w
}

/// The human summary printed after a successful `prepare`.
pub fn summary(p: &Prepared, out: &Path, secs: f64) -> String {
    let c = &p.meta.counts;
    let mb = c.text_bytes as f64 / 1e6;
    format!(
        "prepared {} from {} file(s): {mb:.1} MB of text in {secs:.2} s ({:.1} MB/s)\n\
         lines: {} read, {} kept ({} train, {} holdout), {} empty, {} cut, {} chunked, \
         {} skipped as too long, {} invalid\n\
         rows: {} train, {} holdout, {} symbols each\n\
         vocabulary: {} ids (PAD, UNK and {} symbols); UNK rate {:.3}% ({} train, {} holdout)\n\
         held-out lines that also occur in training: {}\n",
        out.display(),
        p.meta.sources.len(),
        mb / secs.max(1e-9),
        c.lines_read,
        c.lines_kept,
        c.lines_train,
        c.lines_holdout,
        c.lines_empty,
        c.lines_cut,
        c.lines_chunked,
        c.lines_skipped_long,
        c.lines_invalid,
        c.rows_train,
        c.rows_holdout,
        p.meta.options.seq_len,
        p.vocab.len(),
        p.vocab.len() - 2,
        100.0 * c.unk_rate,
        c.unk_train,
        c.unk_holdout,
        c.holdout_in_train,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: PrepareArgs,
    }

    #[test]
    fn cli_defaults_are_the_library_defaults_and_flags_map_to_options() {
        let cli = Cli::try_parse_from(["t", "c.txt", "--out", "d"]).unwrap();
        assert_eq!(cli.args.options(), PrepareOptions::default());
        let argv = [
            "t",
            "a",
            "b.gz",
            "--out",
            "d",
            "--seq-len",
            "8",
            "--holdout",
            "3",
            "--seed",
            "9",
            "--max-vocab",
            "50",
            "--min-count",
            "2",
            "--max-lines",
            "7",
            "--long",
            "chunk",
            "--invalid",
            "skip-line",
            "--encoding",
            "latin1",
            "--max-unk-rate",
            "0.5",
        ];
        let o = Cli::try_parse_from(argv).unwrap().args.options();
        let want = PrepareOptions {
            seq_len: 8,
            holdout: 3,
            seed: 9,
            max_vocab: 50,
            min_count: 2,
            max_lines: Some(7),
            long: LongPolicy::Chunk,
            invalid: InvalidPolicy::SkipLine,
            encoding: Encoding::Latin1,
            max_unk_rate: 0.5,
        };
        assert_eq!(o, want);
        assert!(Cli::try_parse_from(["t", "--out", "d"]).is_err());
    }
}
