//! Jensen–Shannon divergence (in bits) between a sample set's and a reference's n-gram
//! distributions, in the two modes, `reference` (padded rows) and `clean` (text only).

use super::corpus::{gallop, narrow_is_clean, CorpusTable, Grams};
use super::ngrams::{has_pad, NgramTable};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per-order values, keyed by n (serialised as "1", "2", …); `None` (JSON `null`) when a side
/// has no n-grams of that order.
pub type PerOrder<T> = BTreeMap<usize, T>;

/// One JS term for probabilities `p` and `q` of the same n-gram:
/// `½·p·log2(2p/(p+q)) + ½·q·log2(2q/(p+q))`, with `0·log 0 = 0`.
pub fn js_term(p: f64, q: f64) -> f64 {
    let m = p + q;
    let half = |x: f64| {
        if x > 0.0 {
            0.5 * x * (2.0 * x / m).log2()
        } else {
            0.0
        }
    };
    half(p) + half(q)
}

/// JS divergence in bits from the sample side's distinct n-grams only.
///
/// `pairs` yields `(c, r)`: the sample count of each distinct sample n-gram and the reference
/// count of the same n-gram (0 if absent); `c_total`/`r_total` are the two totals. An n-gram the
/// samples lack contributes `½·q`, so those terms sum to `½·(1 − Σ q over sample n-grams)` and
/// the reference never has to be scanned. `None` if either side is empty. Result in `[0, 1]`.
pub fn js_from_pairs(
    pairs: impl Iterator<Item = (u64, u64)>,
    c_total: u64,
    r_total: u64,
) -> Option<f64> {
    if c_total == 0 || r_total == 0 {
        return None;
    }
    let (ct, rt) = (c_total as f64, r_total as f64);
    let mut sum = 0.0;
    let mut q_seen = 0.0;
    for (c, r) in pairs {
        let (p, q) = (c as f64 / ct, r as f64 / rt);
        sum += js_term(p, q);
        q_seen += q;
    }
    let js = sum + 0.5 * (1.0 - q_seen).max(0.0);
    Some(js.clamp(0.0, 1.0))
}

/// What one sample table and one reference table give for one order, in both modes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrderStats {
    /// JS in the `reference` mode (all windows of padded rows).
    pub js_reference: Option<f64>,
    /// JS in the `clean` mode (PAD-free n-grams only).
    pub js_clean: Option<f64>,
    /// Sample n-gram occurrences, `reference` mode.
    pub count_reference: u64,
    /// Sample n-gram occurrences, `clean` mode.
    pub count_clean: u64,
    /// Distinct PAD-free sample n-grams.
    pub distinct_clean: usize,
    /// Clean sample occurrences whose n-gram occurs in the reference.
    pub matched_clean: u64,
    /// Clean reference occurrences whose n-gram occurs in the samples.
    pub covered_clean: u64,
    /// Clean reference total.
    pub reference_clean_total: u64,
}

/// Compares a sample table with a reference table of the same order.
pub fn compare(samples: &NgramTable, reference: &CorpusTable) -> OrderStats {
    let n = samples.n();
    let r = reference.counts_of_sorted(samples.keys());
    let clean = samples.keys().iter().map(|&k| !has_pad(k, n));
    let totals = (samples.total(), samples.clean_total());
    order_stats(samples.counts(), &r, clean, totals, reference)
}

/// [`compare`] for sample n-grams in the reference's narrow packing (same values, same
/// summation order: narrow keys sort like sample-table keys).
pub(crate) fn compare_grams(g: &Grams, reference: &CorpusTable) -> OrderStats {
    let b = reference.bits();
    let r = match reference.narrow_keys() {
        Some(keys) => gallop(keys, reference.counts(), g.keys.iter().map(|&k| Some(k))),
        None => vec![0; g.keys.len()],
    };
    let counts: Vec<u64> = g.counts.iter().map(|&c| c as u64).collect();
    let clean = g.keys.iter().map(|&k| narrow_is_clean(k, b));
    order_stats(&counts, &r, clean, (g.totals.0, g.totals.1), reference)
}

/// The statistics from sample counts `c`, reference counts `r` of the same n-grams, which of
/// them are PAD-free, and the sample totals (all, clean).
fn order_stats(
    c: &[u64],
    r: &[u64],
    clean: impl Iterator<Item = bool>,
    totals: (u64, u64),
    reference: &CorpusTable,
) -> OrderStats {
    let all = c.iter().copied().zip(r.iter().copied());
    let js_reference = js_from_pairs(all.clone(), totals.0, reference.total());
    let clean: Vec<(u64, u64)> = all.zip(clean).filter(|p| p.1).map(|p| p.0).collect();
    let js_clean = js_from_pairs(clean.iter().copied(), totals.1, reference.clean_total());
    OrderStats {
        js_reference,
        js_clean,
        count_reference: totals.0,
        count_clean: totals.1,
        distinct_clean: clean.len(),
        matched_clean: clean.iter().filter(|p| p.1 > 0).map(|p| p.0).sum(),
        covered_clean: clean.iter().map(|p| p.1).sum(),
        reference_clean_total: reference.clean_total(),
    }
}

/// Sample n-gram occurrence counts per order in both modes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JsCounts {
    /// Occurrences over padded rows.
    pub reference: PerOrder<u64>,
    /// Occurrences over the unpadded text.
    pub clean: PerOrder<u64>,
}

/// JS divergence per order in both modes, with the sample n-gram counts behind them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JsReport {
    /// `reference` mode (the paper's): padded rows, PAD-containing n-grams included.
    pub reference: PerOrder<Option<f64>>,
    /// `clean` mode: unpadded text; `None` when the samples have no n-gram of that order.
    pub clean: PerOrder<Option<f64>>,
    /// Sample n-gram counts (0 where the value is `None`).
    pub counts: JsCounts,
}

impl JsReport {
    /// Gathers per-order comparisons (index 0 = order 1).
    pub fn from_orders(orders: &[OrderStats]) -> JsReport {
        let mut rep = JsReport::default();
        for (i, o) in orders.iter().enumerate() {
            let n = i + 1;
            rep.reference.insert(n, o.js_reference);
            rep.clean.insert(n, o.js_clean);
            rep.counts.reference.insert(n, o.count_reference);
            rep.counts.clean.insert(n, o.count_clean);
        }
        rep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disjoint_supports_give_one_bit_and_equal_ones_zero() {
        assert_eq!(js_from_pairs([(1, 0), (1, 0)].into_iter(), 2, 2), Some(1.0));
        let js = js_from_pairs([(3, 3), (1, 1)].into_iter(), 4, 4).unwrap();
        assert!(js.abs() < 1e-15, "{js}");
        assert_eq!(js_from_pairs(std::iter::empty(), 0, 5), None);
    }

    #[test]
    fn closed_form_two_point_example() {
        // P = (1, 0), Q = (½, ½): JS = ½·log2(4/3) + ¼·log2(2/3)·... computed term by term:
        // key a: p=1, q=½, m=¾ → ½·1·log2(4/3) + ½·½·log2(2/3); key b: ½·½.
        let want = 0.5 * (4.0f64 / 3.0).log2() + 0.25 * (2.0f64 / 3.0).log2() + 0.25;
        let got = js_from_pairs([(1, 1)].into_iter(), 1, 2).unwrap();
        assert!((got - want).abs() < 1e-12, "{got} {want}");
    }
}
