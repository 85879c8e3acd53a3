//! `textwgan eval`: n-gram statistics of samples against a corpus, with the real-text floor.
//!
//! Definitions are in `docs/eval.md`. The core works on in-memory [`IdRows`]: build a
//! [`CorpusStats`] from the training split once (or load it from the cache), then call
//! [`js_report`] (fast, for training) or [`evaluate`] (the full report).

pub mod cache;
pub mod cli;
pub mod corpus;
pub mod divergence;
pub mod ngrams;
pub mod report;
pub mod samples;
pub mod stats;

pub use cli::{load_reference, run, EvalArgs, Reference};
pub use corpus::CorpusTable;
pub use divergence::{JsCounts, JsReport, PerOrder};
pub use ngrams::{NgramTable, MAX_N};
pub use report::{render, EvalReport};
pub use samples::{parse_samples, read_samples, Samples};
pub use stats::{
    floor_rows, js_report, js_report_rows, pad_rows, set_report, CorpusStats, SetReport, SetStats,
};

use crate::data::IdRows;
use report::{CorpusSummary, JsModes, NgramCounts};

fn modes(js: &JsReport) -> JsModes {
    JsModes {
        reference: js.reference.clone(),
        clean: js.clean.clone(),
    }
}

fn corpus_counts(stats: &CorpusStats, max_n: usize) -> JsCounts {
    let mut c = JsCounts::default();
    for t in stats.tables.iter().take(max_n) {
        c.reference.insert(t.n(), t.total());
        c.clean.insert(t.n(), t.clean_total());
    }
    c
}

/// The full report for `samples` against `reference` (the training split's statistics), with
/// the floor from `holdout` (see [`floor_rows`]). `max_n` is capped at `reference.max_n()`.
/// `reference_source` names the reference in the report.
pub fn evaluate(
    samples: &Samples,
    holdout: &IdRows,
    reference: &CorpusStats,
    max_n: usize,
    reference_source: &str,
) -> EvalReport {
    let max_n = max_n.min(reference.max_n());
    let rows = pad_rows(&samples.seqs, reference.seq_len);
    let floor = floor_rows(holdout, rows.rows());
    let s = set_report(&rows, reference, max_n);
    let f = set_report(&floor, reference, max_n);
    EvalReport {
        samples: s.rows,
        seq_len: reference.seq_len,
        max_n,
        reference_source: reference_source.to_string(),
        cut_samples: samples.cut,
        unk_symbols: samples.unk,
        js: modes(&s.js),
        floor: modes(&f.js),
        floor_rows: f.rows,
        ngrams: NgramCounts {
            samples: s.js.counts.clone(),
            floor: f.js.counts.clone(),
            corpus: corpus_counts(reference, max_n),
        },
        stats: s.stats,
        real: f.stats,
        corpus: CorpusSummary {
            rows: reference.rows,
            lengths: reference.lengths.clone(),
            position_entropy: reference.position_entropy.clone(),
        },
    }
}
