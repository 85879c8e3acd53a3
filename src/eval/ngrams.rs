//! N-gram counting with packed integer keys.
//!
//! An n-gram of symbol ids (n ≤ [`MAX_N`]) is packed into one `u128`, 16 bits per id, the first
//! symbol in the highest lane, so sorting keys sorts n-grams lexicographically and any vocabulary
//! (ids up to `u16::MAX`) fits. Each order has its own table, so keys of different orders never mix.
//! Counting is sort + run-length encoding: fast, exact, deterministic.

use crate::data::{IdRows, PAD};

/// Largest supported n-gram order.
pub const MAX_N: usize = 6;

/// Packs `gram` (at most [`MAX_N`] ids) into a key, first id in the highest lane.
pub fn pack(gram: &[u16]) -> u128 {
    debug_assert!(gram.len() <= MAX_N);
    gram.iter().fold(0u128, |k, &s| (k << 16) | s as u128)
}

/// The ids of an order-`n` key, in order (inverse of [`pack`]).
pub fn unpack(key: u128, n: usize) -> Vec<u16> {
    (0..n).map(|i| (key >> (16 * (n - 1 - i))) as u16).collect()
}

/// Whether an order-`n` key contains [`PAD`] (id 0) in any lane.
pub fn has_pad(key: u128, n: usize) -> bool {
    (0..n).any(|i| (key >> (16 * i)) as u16 == PAD)
}

/// Appends the keys of all order-`n` windows of `row` to `out`.
pub fn push_windows(row: &[u16], n: usize, out: &mut Vec<u128>) {
    if n == 0 || row.len() < n {
        return;
    }
    let mask: u128 = if n >= 8 {
        u128::MAX
    } else {
        (1u128 << (16 * n)) - 1
    };
    let mut key = pack(&row[..n - 1]);
    for &s in &row[n - 1..] {
        key = ((key << 16) | s as u128) & mask;
        out.push(key);
    }
}

/// Counts of the distinct n-grams of one order: sorted keys with their counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NgramTable {
    n: usize,
    keys: Vec<u128>,
    counts: Vec<u64>,
    total: u64,
    clean_total: u64,
}

impl NgramTable {
    /// A table of order `n` from unsorted keys (one per occurrence).
    pub fn from_keys(n: usize, mut keys: Vec<u128>) -> NgramTable {
        keys.sort_unstable();
        let mut counts = Vec::new();
        let mut w = 0usize;
        let mut i = 0usize;
        while i < keys.len() {
            let k = keys[i];
            let mut j = i + 1;
            while j < keys.len() && keys[j] == k {
                j += 1;
            }
            keys[w] = k;
            counts.push((j - i) as u64);
            w += 1;
            i = j;
        }
        keys.truncate(w);
        keys.shrink_to_fit();
        NgramTable::from_sorted(n, keys, counts)
    }

    /// A table from distinct keys in increasing order with their (positive) counts.
    /// Callers guarantee the order; [`NgramTable::is_well_formed`] checks it.
    pub fn from_sorted(n: usize, keys: Vec<u128>, counts: Vec<u64>) -> NgramTable {
        let total = counts.iter().sum();
        let clean_total = keys
            .iter()
            .zip(&counts)
            .filter(|(&k, _)| !has_pad(k, n))
            .map(|(_, &c)| c)
            .sum();
        NgramTable {
            n,
            keys,
            counts,
            total,
            clean_total,
        }
    }

    /// The order-`n` table of fixed-length padded rows (the `reference` mode's n-grams: every
    /// window of every row, PAD-containing ones included). Since PAD only trails the text, the
    /// PAD-free windows are exactly the windows of the unpadded text (the `clean` mode).
    pub fn from_rows(rows: &IdRows, n: usize) -> NgramTable {
        let per_row = (rows.seq_len + 1).saturating_sub(n);
        let mut keys = Vec::with_capacity(rows.rows() * per_row);
        for r in 0..rows.rows() {
            push_windows(rows.row(r), n, &mut keys);
        }
        NgramTable::from_keys(n, keys)
    }

    /// The order.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Distinct keys in increasing order.
    pub fn keys(&self) -> &[u128] {
        &self.keys
    }

    /// Counts, parallel to [`NgramTable::keys`].
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Number of occurrences (all windows, PAD-containing ones included).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Number of occurrences of PAD-free n-grams (the `clean` mode's total).
    pub fn clean_total(&self) -> u64 {
        self.clean_total
    }

    /// Number of distinct n-grams.
    pub fn distinct(&self) -> usize {
        self.keys.len()
    }

    /// Number of distinct PAD-free n-grams.
    pub fn clean_distinct(&self) -> usize {
        self.keys.iter().filter(|&&k| !has_pad(k, self.n)).count()
    }

    /// The count of one key (0 when absent).
    pub fn count(&self, key: u128) -> u64 {
        self.keys.binary_search(&key).map_or(0, |i| self.counts[i])
    }

    /// The counts of `queries`, which must be in increasing order (as another table's keys are).
    /// A galloping merge: cost grows with the number of queries, not with the table.
    pub fn counts_of_sorted(&self, queries: &[u128]) -> Vec<u64> {
        let mut out = Vec::with_capacity(queries.len());
        let mut lo = 0usize;
        for &q in queries {
            // Gallop forward from `lo` to bracket `q`, then binary search the bracket.
            let mut step = 1usize;
            let mut hi = lo;
            while hi < self.keys.len() && self.keys[hi] < q {
                lo = hi + 1;
                hi += step;
                step *= 2;
            }
            let hi = hi.min(self.keys.len());
            let i = lo + self.keys[lo..hi].partition_point(|&k| k < q);
            if i < self.keys.len() && self.keys[i] == q {
                out.push(self.counts[i]);
            } else {
                out.push(0);
            }
            lo = i;
        }
        out
    }

    /// Whether the keys strictly increase, every count is positive and every key fits the order.
    pub fn is_well_formed(&self) -> bool {
        let fits = |k: u128| self.n >= 8 || k >> (16 * self.n) == 0;
        self.keys.len() == self.counts.len()
            && self.keys.windows(2).all(|w| w[0] < w[1])
            && self.counts.iter().all(|&c| c > 0)
            && self.keys.iter().all(|&k| fits(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_orders_lexicographically_and_round_trips() {
        assert!(pack(&[2, 9]) < pack(&[3, 0]));
        assert_eq!(unpack(pack(&[7, 0, 65535]), 3), vec![7, 0, 65535]);
        assert!(has_pad(pack(&[5, 0, 4]), 3));
        assert!(!has_pad(pack(&[5, 6, 4]), 3));
    }

    #[test]
    fn windows_and_counts_match_hand_counts() {
        // Row "abab" + PAD as ids 2 3 2 3 0: bigrams ab, ba, ab, b·PAD.
        let rows = IdRows::new(5, vec![2, 3, 2, 3, 0]);
        let t = NgramTable::from_rows(&rows, 2);
        assert_eq!(t.total(), 4);
        assert_eq!(t.clean_total(), 3);
        assert_eq!(t.count(pack(&[2, 3])), 2);
        assert_eq!(t.count(pack(&[3, 2])), 1);
        assert_eq!(t.count(pack(&[3, 0])), 1);
        assert_eq!(t.count(pack(&[0, 0])), 0);
        assert!(t.is_well_formed());
    }

    #[test]
    fn galloping_lookup_agrees_with_binary_search() {
        let keys: Vec<u128> = (0..5000u128).map(|i| i * 7 % 3001).collect();
        let t = NgramTable::from_keys(1, keys);
        let q: Vec<u128> = (0..4000u128).step_by(3).collect();
        let got = t.counts_of_sorted(&q);
        let want: Vec<u64> = q.iter().map(|&k| t.count(k)).collect();
        assert_eq!(got, want);
    }
}
