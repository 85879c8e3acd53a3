//! The `eval` subcommand: arguments, loading the reference (dataset + cache, or a raw corpus
//! prepared on the fly), and printing the report.

use super::cache::{cache_path, load_or_build, CacheKey, CacheStatus};
use super::samples::read_samples;
use super::stats::{check_max_n, CorpusStats};
use super::{evaluate, render};
use crate::data::prepare::{Encoding, InvalidPolicy};
use crate::data::{prepare, DatasetHead, IdRows, Vocab};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// Arguments of `textwgan eval`.
#[derive(clap::Args, Debug, Clone)]
pub struct EvalArgs {
    /// Samples file: one sample per line, UTF-8 (as `textwgan sample` writes them).
    #[arg(long)]
    pub samples: PathBuf,
    /// A prepared dataset: its training split is the reference, its held-out split the floor.
    /// The corpus n-gram tables are cached in DIR/ngrams.cache (rebuilt when stale).
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "corpus",
        conflicts_with = "corpus"
    )]
    pub data: Option<PathBuf>,
    /// Raw corpus files instead of --data, prepared in memory with `prepare`'s default policies.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub corpus: Vec<PathBuf>,
    /// Highest n-gram order, 1 to 6.
    #[arg(long, default_value_t = 6)]
    pub max_n: usize,
    /// Symbols per row. With --data it must equal the dataset's (a check); with --corpus it is
    /// prepare's --seq-len.
    #[arg(long)]
    pub seq_len: Option<usize>,
    /// With --corpus: what to do with invalid UTF-8 (prepare's --invalid).
    #[arg(long, value_enum, default_value_t = InvalidPolicy::Error)]
    pub invalid: InvalidPolicy,
    /// With --corpus: the corpus encoding (prepare's --encoding).
    #[arg(long, value_enum, default_value_t = Encoding::Utf8)]
    pub encoding: Encoding,
    /// With --corpus: held-out lines kept aside for the floor (prepare's --holdout).
    #[arg(long, default_value_t = 640)]
    pub holdout: usize,
    /// Print one JSON object on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// The reference side of an evaluation.
pub struct Reference {
    /// What it is, for the report.
    pub source: String,
    /// The vocabulary samples are encoded with.
    pub vocab: Vocab,
    /// The held-out split (the floor).
    pub holdout: IdRows,
    /// Statistics of the training split.
    pub stats: CorpusStats,
}

/// Loads the reference named by `args` (dataset with cache, or corpus prepared on the fly).
/// With a valid cache the training split is only checksummed, not loaded.
pub fn load_reference(args: &EvalArgs) -> Result<Reference> {
    check_max_n(args.max_n)?;
    if let Some(dir) = &args.data {
        let ds = DatasetHead::open(dir)?;
        if let Some(l) = args.seq_len {
            if l != ds.seq_len() {
                bail!(
                    "--seq-len {l} differs from the dataset's seq_len {} ({}); drop --seq-len \
                     or evaluate against a dataset prepared with --seq-len {l}",
                    ds.seq_len(),
                    dir.display()
                );
            }
        }
        let path = cache_path(dir);
        let key = CacheKey {
            dataset_hash: ds.hash().to_string(),
            train_check: ds.train_checksum()?,
            seq_len: ds.seq_len(),
        };
        let (stats, status) = load_or_build(&path, &key, || ds.load_train(), args.max_n)?;
        match status {
            CacheStatus::Hit => {}
            CacheStatus::Built => eprintln!("eval: built the n-gram cache {}", path.display()),
            CacheStatus::Rebuilt(why) => eprintln!(
                "eval: the n-gram cache {} could not be used ({why}); rebuilt it",
                path.display()
            ),
            CacheStatus::Unwritable(why) => eprintln!(
                "eval: warning: could not write the n-gram cache {} ({why}); \
                 counted in memory, the next run will count again",
                path.display()
            ),
        }
        return Ok(Reference {
            source: dir.display().to_string(),
            vocab: ds.vocab,
            holdout: ds.holdout,
            stats,
        });
    }
    if args.corpus.is_empty() {
        bail!("give the reference with --data DIR or --corpus FILE...");
    }
    let mut opts = prepare::PrepareOptions::default();
    if let Some(l) = args.seq_len {
        opts.seq_len = l;
    }
    opts.holdout = args.holdout;
    opts.invalid = args.invalid;
    opts.encoding = args.encoding;
    let p = prepare::build(&args.corpus, &opts).context("preparing the --corpus files")?;
    let stats = CorpusStats::build(&p.train, args.max_n)?;
    let names: Vec<String> = args
        .corpus
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    Ok(Reference {
        source: names.join(" "),
        vocab: p.vocab,
        holdout: p.holdout,
        stats,
    })
}

/// Runs `textwgan eval`: the JSON object or the table on stdout, messages on stderr.
pub fn run(args: &EvalArgs) -> Result<()> {
    let reference = load_reference(args)?;
    let seq_len = reference.stats.seq_len;
    let samples = read_samples(&args.samples, &reference.vocab, seq_len)?;
    if samples.cut > 0 {
        eprintln!(
            "eval: warning: {} of {} samples in {} are longer than seq_len {seq_len} and were cut",
            samples.cut,
            samples.seqs.len(),
            args.samples.display()
        );
    }
    let report = evaluate(
        &samples,
        &reference.holdout,
        &reference.stats,
        args.max_n,
        &reference.source,
    );
    if report.floor_rows < report.samples {
        eprintln!(
            "eval: warning: the floor uses only {} held-out lines for {} samples; JS grows as a \
             set shrinks, so the floor is higher than it would be for {} lines and flatters the \
             samples. Evaluate at most {} samples, or prepare with --holdout {} or more",
            report.floor_rows, report.samples, report.samples, report.floor_rows, report.samples
        );
    }
    let out = if args.json {
        serde_json::to_string(&report)? + "\n"
    } else {
        render(&report)
    };
    use std::io::Write;
    std::io::stdout()
        .write_all(out.as_bytes())
        .context("cannot write the report to stdout")?;
    Ok(())
}
