//! Statistics of a set of rows (samples, or real held-out lines) against a corpus:
//! JS per order and mode, precision, coverage, distinct-n, unique ratio, verbatim copies,
//! per-position entropy and the length histogram.

use super::corpus::{count_all, sample_grams, CorpusTable};
use super::divergence::{compare, compare_grams, JsReport, OrderStats, PerOrder};
use super::ngrams::{NgramTable, MAX_N};
use crate::data::{IdRows, PAD};
use crate::util::hash_ids;
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// What eval knows about the reference corpus: n-gram tables of orders 1..=max_n over its
/// padded rows, its length histogram, its per-position entropy and the hashes of its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusStats {
    /// Symbols per row.
    pub seq_len: usize,
    /// Number of rows.
    pub rows: u64,
    /// Tables of orders 1..=max_n (index 0 = order 1).
    pub tables: Vec<CorpusTable>,
    /// `lengths[l]` = rows whose text has `l` symbols, `l` in `0..=seq_len`.
    pub lengths: Vec<u64>,
    /// Entropy in bits of the id at each position of the padded rows (PAD counts as a symbol).
    pub position_entropy: Vec<f64>,
    /// [`crate::util::hash_ids`] of every row's text, sorted and deduplicated (the
    /// verbatim-copy check looks sample texts up here).
    pub line_hashes: Vec<u64>,
}

impl CorpusStats {
    /// Counts everything for `rows`; `max_n` must be in `1..=6`, and rows must have PAD only
    /// after their text (as prepared rows do).
    pub fn build(rows: &IdRows, max_n: usize) -> Result<CorpusStats> {
        check_max_n(max_n)?;
        // The tables on one side, the per-row statistics on the other (in parallel when
        // the rayon pool has more than one thread).
        let tables = || count_all(rows, max_n);
        let per_row = || {
            let lengths = length_histogram(rows);
            (lengths, (position_entropy(rows), line_hashes(rows)))
        };
        let (tables, (lengths, (position_entropy, line_hashes))) =
            if rows.ids.len() >= crate::eval::corpus::PARALLEL_FROM {
                rayon::join(tables, per_row)
            } else {
                (tables(), per_row())
            };
        Ok(CorpusStats {
            seq_len: rows.seq_len,
            rows: rows.rows() as u64,
            tables: tables?,
            lengths,
            position_entropy,
            line_hashes,
        })
    }

    /// Highest order counted.
    pub fn max_n(&self) -> usize {
        self.tables.len()
    }

    /// The table of order `n` (1-based), if counted.
    pub fn table(&self, n: usize) -> Option<&CorpusTable> {
        n.checked_sub(1).and_then(|i| self.tables.get(i))
    }

    /// Whether some row's text equals `text` (up to a 64-bit hash collision, probability
    /// about rows × 2⁻⁶⁴).
    pub fn has_line(&self, text: &[u16]) -> bool {
        self.line_hashes.binary_search(&hash_ids(text)).is_ok()
    }
}

/// Sorted, deduplicated [`hash_ids`] of the rows' texts.
pub fn line_hashes(rows: &IdRows) -> Vec<u64> {
    let mut h: Vec<u64> = (0..rows.rows())
        .map(|r| hash_ids(rows.text_row(r)))
        .collect();
    h.sort_unstable();
    h.dedup();
    h
}

/// Refuses an n-gram order outside `1..=6`.
pub fn check_max_n(max_n: usize) -> Result<()> {
    if !(1..=MAX_N).contains(&max_n) {
        bail!("--max-n must be between 1 and {MAX_N} (got {max_n})");
    }
    Ok(())
}

/// Unpadded id sequences → fixed rows of `seq_len`: each sequence ends at its first PAD (if any)
/// and is cut to `seq_len`, then right-padded with PAD.
pub fn pad_rows(seqs: &[Vec<u16>], seq_len: usize) -> IdRows {
    let cut: Vec<&[u16]> = seqs
        .iter()
        .map(|s| {
            let end = s.iter().position(|&t| t == PAD).unwrap_or(s.len());
            &s[..end.min(seq_len)]
        })
        .collect();
    IdRows::from_sequences(seq_len.max(1), &cut)
}

/// JS divergence of `samples` (unpadded id sequences, cut to the reference's seq_len here)
/// against `reference`, orders `1..=min(max_n, reference.max_n())`, both modes.
/// Fast enough for training-time evaluation (a few milliseconds for 640 samples).
pub fn js_report(samples: &[Vec<u16>], reference: &CorpusStats, max_n: usize) -> JsReport {
    let rows = pad_rows(samples, reference.seq_len);
    JsReport::from_orders(&compare_orders(&rows, reference, max_n))
}

/// [`js_report`] for fixed-length rows (e.g. [`floor_rows`] of a split): each row's text
/// (without its trailing PAD) is one sample.
pub fn js_report_rows(rows: &IdRows, reference: &CorpusStats, max_n: usize) -> JsReport {
    let seqs: Vec<Vec<u16>> = (0..rows.rows())
        .map(|r| rows.text_row(r).to_vec())
        .collect();
    js_report(&seqs, reference, max_n)
}

fn compare_orders(rows: &IdRows, reference: &CorpusStats, max_n: usize) -> Vec<OrderStats> {
    let top = max_n.min(reference.max_n());
    if top == 0 {
        return Vec::new();
    }
    if let Some(grams) = sample_grams(rows, &reference.tables, top) {
        return grams
            .iter()
            .zip(&reference.tables)
            .map(|(g, t)| compare_grams(g, t))
            .collect();
    }
    (1..=top)
        .map(|n| compare(&NgramTable::from_rows(rows, n), &reference.tables[n - 1]))
        .collect()
}

/// `lengths[l]` = rows whose unpadded text has `l` symbols.
pub fn length_histogram(rows: &IdRows) -> Vec<u64> {
    let mut h = vec![0u64; rows.seq_len + 1];
    for r in 0..rows.rows() {
        h[rows.text_row(r).len()] += 1;
    }
    h
}

/// Shannon entropy (bits) of the id at each position over all rows (padded rows; PAD is a
/// symbol, so the length distribution shows up too). 0 for an empty row set.
pub fn position_entropy(rows: &IdRows) -> Vec<f64> {
    let n = rows.rows();
    let ids = rows.ids.iter().copied().max().unwrap_or(0) as usize + 1;
    // counts[t * ids + id]: one pass over the rows.
    let mut counts = vec![0u64; rows.seq_len * ids];
    for r in 0..n {
        for (t, &id) in rows.row(r).iter().enumerate() {
            counts[t * ids + id as usize] += 1;
        }
    }
    counts
        .chunks_exact(ids)
        .map(|c| entropy_of_counts(c, n))
        .collect()
}

/// Entropy of the distribution `counts / total`, summed in id order.
fn entropy_of_counts(counts: &[u64], total: usize) -> f64 {
    let total = total as f64;
    let mut h = 0.0;
    for &c in counts.iter().filter(|&&c| c > 0) {
        let p = c as f64 / total;
        h -= p * p.log2();
    }
    h.max(0.0)
}

/// How many of a set's rows copy a training row verbatim (unpadded texts compared by their
/// 64-bit [`hash_ids`]; see [`CorpusStats::has_line`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Verbatim {
    /// Rows equal to some training row.
    pub count: u64,
    /// `count / rows` (`None` for an empty set).
    pub share: Option<f64>,
}

/// Everything eval reports about one row set (the samples, or the real held-out lines).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetReport {
    /// Number of rows.
    pub rows: u64,
    /// JS divergence against the corpus, both modes.
    pub js: JsReport,
    /// The other statistics.
    pub stats: SetStats,
}

/// The statistics of one row set besides JS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetStats {
    /// Share of the set's clean n-gram occurrences whose n-gram occurs in the corpus.
    pub precision: PerOrder<Option<f64>>,
    /// Share of the corpus's clean n-gram occurrences whose n-gram occurs in the set.
    pub coverage: PerOrder<Option<f64>>,
    /// Distinct clean n-grams / clean n-gram occurrences, in the set.
    pub distinct: PerOrder<Option<f64>>,
    /// Distinct rows / rows.
    pub unique_ratio: Option<f64>,
    /// Rows that copy a training row.
    pub verbatim: Verbatim,
    /// Per-position entropy in bits (see [`position_entropy`]).
    pub position_entropy: Vec<f64>,
    /// Length histogram (see [`length_histogram`]).
    pub lengths: Vec<u64>,
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Computes a [`SetReport`] for `rows` against `reference` (the verbatim-copy check uses the
/// reference's line hashes).
pub fn set_report(rows: &IdRows, reference: &CorpusStats, max_n: usize) -> SetReport {
    let orders = compare_orders(rows, reference, max_n);
    let per = |f: &dyn Fn(&OrderStats) -> Option<f64>| -> PerOrder<Option<f64>> {
        orders
            .iter()
            .enumerate()
            .map(|(i, o)| (i + 1, f(o)))
            .collect()
    };
    let n = rows.rows() as u64;
    let texts: HashSet<&[u16]> = (0..rows.rows()).map(|r| rows.text_row(r)).collect();
    let count = (0..rows.rows())
        .filter(|&r| reference.has_line(rows.text_row(r)))
        .count() as u64;
    let stats = SetStats {
        precision: per(&|o| ratio(o.matched_clean, o.count_clean)),
        coverage: per(&|o| {
            ratio(o.covered_clean, o.reference_clean_total).filter(|_| o.count_clean > 0)
        }),
        distinct: per(&|o| ratio(o.distinct_clean as u64, o.count_clean)),
        unique_ratio: ratio(texts.len() as u64, n),
        verbatim: Verbatim {
            count,
            share: ratio(count, n),
        },
        position_entropy: position_entropy(rows),
        lengths: length_histogram(rows),
    };
    SetReport {
        rows: n,
        js: JsReport::from_orders(&orders),
        stats,
    }
}

/// The real lines the floor is computed on: all of `holdout` when it has at most `n` rows,
/// otherwise a seeded subset of `n` rows (stream "eval-floor", seed 0; kept in holdout order).
pub fn floor_rows(holdout: &IdRows, n: usize) -> IdRows {
    let h = holdout.rows();
    if h <= n {
        return holdout.clone();
    }
    let mut idx: Vec<usize> = (0..h).collect();
    let mut rng = crate::rng::Rng::derive(0, "eval-floor");
    // Partial Fisher–Yates: the first n entries become a uniform random subset.
    for i in 0..n {
        let j = i + rng.below((h - i) as u64) as usize;
        idx.swap(i, j);
    }
    let mut pick = idx[..n].to_vec();
    pick.sort_unstable();
    let mut ids = Vec::with_capacity(n * holdout.seq_len);
    for r in pick {
        ids.extend_from_slice(holdout.row(r));
    }
    IdRows::new(holdout.seq_len, ids)
}
