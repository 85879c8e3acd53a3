//! The eval report: the JSON object (`--json`) and the readable table.

use super::divergence::{JsCounts, PerOrder};
use super::stats::SetStats;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

/// JS values per order in both modes (the shape of `js` and `floor` in the JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JsModes {
    /// Padded rows, PAD-containing n-grams included (the paper's).
    pub reference: PerOrder<Option<f64>>,
    /// Unpadded text only; `null` where a set has no n-gram of that order.
    pub clean: PerOrder<Option<f64>>,
}

/// N-gram occurrence counts of the samples, the floor's real lines and the corpus.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NgramCounts {
    /// The samples.
    pub samples: JsCounts,
    /// The real held-out lines of the floor.
    pub floor: JsCounts,
    /// The reference corpus (training split).
    pub corpus: JsCounts,
}

/// The corpus side's own statistics, for comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CorpusSummary {
    /// Rows of the reference corpus.
    pub rows: u64,
    /// Its length histogram.
    pub lengths: Vec<u64>,
    /// Its per-position entropy in bits.
    pub position_entropy: Vec<f64>,
}

/// The full result of `textwgan eval`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Number of samples.
    pub samples: u64,
    /// Symbols per row (the dataset's).
    pub seq_len: usize,
    /// Highest n-gram order reported.
    pub max_n: usize,
    /// What the samples were compared against (dataset directory or corpus files).
    pub reference_source: String,
    /// Samples longer than seq_len, cut before counting.
    pub cut_samples: u64,
    /// Sample symbols outside the vocabulary (counted as UNK).
    pub unk_symbols: u64,
    /// JS divergence of the samples against the training split.
    pub js: JsModes,
    /// The same statistic for `floor_rows` real held-out lines against the training split.
    pub floor: JsModes,
    /// Number of held-out lines behind `floor` (= samples unless the holdout is smaller).
    pub floor_rows: u64,
    /// N-gram occurrence counts.
    pub ngrams: NgramCounts,
    /// The samples' other statistics (precision, coverage, distinct, …).
    #[serde(flatten)]
    pub stats: SetStats,
    /// The same statistics for the floor's real lines.
    pub real: SetStats,
    /// The corpus's own length histogram and entropy.
    pub corpus: CorpusSummary,
}

fn num(v: Option<f64>, prec: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.prec$}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{:.1}%", 100.0 * x))
}

fn get(m: &PerOrder<Option<f64>>, n: usize) -> Option<f64> {
    m.get(&n).copied().flatten()
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Shares of a length histogram in four quarter-length buckets plus the full length.
fn length_buckets(h: &[u64]) -> Vec<Option<f64>> {
    let total: u64 = h.iter().sum();
    let l = h.len().saturating_sub(1);
    let q = l.div_ceil(4).max(1);
    let mut out = Vec::new();
    let mut lo = 0;
    while lo < l {
        let hi = (lo + q).min(l);
        let s: u64 = h[lo..hi].iter().sum();
        out.push((total > 0).then(|| s as f64 / total as f64));
        lo = hi;
    }
    let full = h.get(l).copied().unwrap_or(0);
    out.push((total > 0).then(|| full as f64 / total as f64));
    out
}

/// The readable table printed without `--json`.
pub fn render(r: &EvalReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "eval: {} samples (seq_len {}) against the training split of {} ({} rows); \
         floor = {} real held-out lines",
        r.samples, r.seq_len, r.reference_source, r.corpus.rows, r.floor_rows
    );
    if r.floor_rows < r.samples {
        let _ = writeln!(
            s,
            "WARNING: the floor has fewer lines ({}) than the samples ({}), so it is not comparable",
            r.floor_rows, r.samples
        );
    }
    if r.cut_samples > 0 || r.unk_symbols > 0 {
        let _ = writeln!(
            s,
            "note: {} samples longer than seq_len were cut; {} symbols outside the vocabulary (UNK)",
            r.cut_samples, r.unk_symbols
        );
    }
    let _ = writeln!(
        s,
        "JS divergence in bits (0 = same distribution, 1 = disjoint); real = floor"
    );
    let _ = writeln!(
        s,
        "{:>2}  {:>9} {:>9}  {:>9} {:>9}  {:>9} {:>9}  {:>9} {:>9}  {:>9} {:>9}",
        "n",
        "JS ref",
        "real",
        "JS clean",
        "real",
        "precision",
        "real",
        "coverage",
        "real",
        "distinct",
        "real"
    );
    for n in 1..=r.max_n {
        let _ = writeln!(
            s,
            "{:>2}  {:>9} {:>9}  {:>9} {:>9}  {:>9} {:>9}  {:>9} {:>9}  {:>9} {:>9}",
            n,
            num(get(&r.js.reference, n), 4),
            num(get(&r.floor.reference, n), 4),
            num(get(&r.js.clean, n), 4),
            num(get(&r.floor.clean, n), 4),
            pct(get(&r.stats.precision, n)),
            pct(get(&r.real.precision, n)),
            pct(get(&r.stats.coverage, n)),
            pct(get(&r.real.coverage, n)),
            pct(get(&r.stats.distinct, n)),
            pct(get(&r.real.distinct, n)),
        );
    }
    let _ = writeln!(
        s,
        "unique samples {} (real {}); verbatim copies of a training line {} = {} (real {})",
        pct(r.stats.unique_ratio),
        pct(r.real.unique_ratio),
        r.stats.verbatim.count,
        pct(r.stats.verbatim.share),
        pct(r.real.verbatim.share)
    );
    let _ = writeln!(
        s,
        "mean per-position entropy (bits): samples {}, real {}, corpus {}",
        num(mean(&r.stats.position_entropy), 3),
        num(mean(&r.real.position_entropy), 3),
        num(mean(&r.corpus.position_entropy), 3)
    );
    let row = |name: &str, h: &[u64]| {
        let cells: Vec<String> = length_buckets(h).into_iter().map(pct).collect();
        format!("  {name:<8} {}", cells.join("  "))
    };
    let _ = writeln!(
        s,
        "lengths: shares in 4 buckets of {} symbols, then exactly {}:",
        r.seq_len.div_ceil(4).max(1),
        r.seq_len
    );
    let _ = writeln!(s, "{}", row("samples", &r.stats.lengths));
    let _ = writeln!(s, "{}", row("real", &r.real.lengths));
    let _ = writeln!(s, "{}", row("corpus", &r.corpus.lengths));
    s
}
