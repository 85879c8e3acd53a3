//! Compact corpus n-gram tables, and counting all orders of a corpus with one sort.
//!
//! A corpus table packs each n-gram into `bits` bits per symbol (first symbol in the highest
//! lane, lane value = id), so sorted keys are in lexicographic n-gram order as with
//! [`super::ngrams::pack`]. When `max_n × bits ≤ 64` (82 symbols: 7 bits × 6 = 42) the keys
//! are `u64` ("narrow"); otherwise they are `u128` with 16 bits per id ("wide", the sample
//! tables' packing). Queries come as sample-table keys (16 bits per id) and are repacked.
//!
//! Counting (narrow case): every position of every row gets the code of its `max_n`-symbol
//! window, `id + 1` per lane and 0 for lanes past the row end (below every real symbol). One LSD
//! radix sort of these codes orders all windows; each order-n n-gram is a prefix of a window,
//! so equal n-grams are contiguous and every table comes from run lengths of the one array.

use super::ngrams::{NgramTable, MAX_N};
use crate::data::{IdRows, PAD};
use anyhow::{bail, Context, Result};

/// The keys of a [`CorpusTable`], strictly increasing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keys {
    /// `bits` bits per id in a `u64`.
    Narrow(Vec<u64>),
    /// 16 bits per id in a `u128`.
    Wide(Vec<u128>),
}

/// The distinct n-grams of one order of a corpus, with counts and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusTable {
    n: usize,
    bits: u32,
    keys: Keys,
    counts: Vec<u32>,
    total: u64,
    clean_total: u64,
    clean_distinct: u64,
}

/// Bits per lane needed for the values `0..=max`.
fn bits_for(max: u64) -> u32 {
    (64 - max.leading_zeros()).max(1)
}

/// Totals of one order: occurrences, PAD-free occurrences, distinct PAD-free n-grams.
pub type Totals = (u64, u64, u64);

impl CorpusTable {
    /// A table from its parts, as the cache stores them. `bits` must be 16 for wide keys.
    /// [`CorpusTable::is_well_formed`] checks the parts against each other.
    pub fn from_parts(n: usize, bits: u32, keys: Keys, counts: Vec<u32>, t: Totals) -> Self {
        CorpusTable {
            n,
            bits,
            keys,
            counts,
            total: t.0,
            clean_total: t.1,
            clean_distinct: t.2,
        }
    }

    /// A wide table holding the same n-grams as `t`; `None` if a count exceeds `u32::MAX`.
    pub fn from_table(t: &NgramTable) -> Option<CorpusTable> {
        let clean_distinct = t.clean_distinct() as u64;
        let totals = (t.total(), t.clean_total(), clean_distinct);
        let keys = Keys::Wide(t.keys().to_vec());
        let counts = t.counts().iter().map(|&c| u32::try_from(c).ok());
        let counts = counts.collect::<Option<Vec<u32>>>()?;
        Some(CorpusTable::from_parts(t.n(), 16, keys, counts, totals))
    }

    /// The same n-grams as a sample-style [`NgramTable`] (16 bits per id).
    pub fn to_table(&self) -> NgramTable {
        let keys = match &self.keys {
            Keys::Wide(k) => k.clone(),
            Keys::Narrow(k) => k.iter().map(|&k| self.widen(k)).collect(),
        };
        let counts = self.counts.iter().map(|&c| c as u64).collect();
        NgramTable::from_sorted(self.n, keys, counts)
    }

    fn widen(&self, k: u64) -> u128 {
        let m = (1u64 << self.bits) - 1;
        (0..self.n).fold(0u128, |w, i| {
            let lane = (k >> (self.bits as usize * (self.n - 1 - i))) & m;
            (w << 16) | lane as u128
        })
    }

    /// A sample-table key (16 bits per id) in this table's packing; `None` when an id does
    /// not fit the lanes (then the n-gram cannot occur in the corpus).
    fn narrow(&self, key16: u128) -> Option<u64> {
        let mut k = 0u64;
        for i in (0..self.n).rev() {
            let id = ((key16 >> (16 * i)) & 0xFFFF) as u64;
            if id >> self.bits != 0 {
                return None;
            }
            k = (k << self.bits) | id;
        }
        Some(k)
    }

    /// The order.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Bits per id in the keys.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The keys.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Counts, parallel to the keys.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// Occurrences (all windows of the padded rows).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Occurrences of PAD-free n-grams (the `clean` mode's total).
    pub fn clean_total(&self) -> u64 {
        self.clean_total
    }

    /// Distinct n-grams.
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    /// Distinct PAD-free n-grams.
    pub fn clean_distinct(&self) -> u64 {
        self.clean_distinct
    }

    /// The keys if they are narrow (`u64`).
    pub(crate) fn narrow_keys(&self) -> Option<&[u64]> {
        match &self.keys {
            Keys::Narrow(k) => Some(k),
            Keys::Wide(_) => None,
        }
    }

    /// The count of a sample-table key (16 bits per id; 0 when absent).
    pub fn count(&self, key16: u128) -> u64 {
        self.counts_of_sorted(&[key16])[0]
    }

    /// The counts of sample-table keys `queries` (16 bits per id, increasing, as a sample
    /// table's keys are). A galloping merge: cost grows with the queries, not with the table.
    pub fn counts_of_sorted(&self, queries: &[u128]) -> Vec<u64> {
        match &self.keys {
            Keys::Wide(k) => gallop(k, &self.counts, queries.iter().map(|&q| Some(q))),
            Keys::Narrow(k) => gallop(k, &self.counts, queries.iter().map(|&q| self.narrow(q))),
        }
    }

    /// Whether keys strictly increase and fit the order, counts are positive and sum to the
    /// total, and the clean totals are consistent with the keys.
    pub fn is_well_formed(&self) -> bool {
        let t = self.to_table();
        let wide_ok = !matches!(self.keys, Keys::Wide(_)) || self.bits == 16;
        let narrow_ok = self.bits <= 17 && self.bits as usize * self.n <= 64;
        wide_ok
            && narrow_ok
            && t.keys().len() == self.counts.len()
            && t.is_well_formed()
            && t.total() == self.total
            && t.clean_total() == self.clean_total
            && t.clean_distinct() as u64 == self.clean_distinct
    }
}

/// Looks up `queries` (increasing where `Some`; `None` = absent) in sorted `keys`.
pub(crate) fn gallop<K: Ord + Copy>(
    keys: &[K],
    counts: &[u32],
    queries: impl Iterator<Item = Option<K>>,
) -> Vec<u64> {
    let mut out = Vec::with_capacity(queries.size_hint().0);
    let mut lo = 0usize;
    for q in queries {
        let Some(q) = q else {
            out.push(0);
            continue;
        };
        // Gallop forward from `lo` to bracket `q`, then binary search the bracket.
        let mut step = 1usize;
        let mut hi = lo;
        while hi < keys.len() && keys[hi] < q {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        let hi = hi.min(keys.len());
        let i = lo + keys[lo..hi].partition_point(|&k| k < q);
        out.push(if i < keys.len() && keys[i] == q {
            counts[i] as u64
        } else {
            0
        });
        lo = i;
    }
    out
}

/// Refuses rows with PAD inside their text: `clean` n-grams are the PAD-free windows only if
/// PAD merely trails (as `prepare` and [`super::pad_rows`] write rows).
pub fn check_trailing_pad(rows: &IdRows) -> Result<()> {
    for r in 0..rows.rows() {
        let row = rows.row(r);
        if let Some(p) = row.iter().position(|&t| t == PAD) {
            if let Some(q) = row[p..].iter().position(|&t| t != PAD) {
                bail!(
                    "row {} has PAD at position {p} followed by a symbol at {}: PAD may only \
                     trail the text (re-run `textwgan prepare`)",
                    r + 1,
                    p + q
                );
            }
        }
    }
    Ok(())
}

/// The tables of orders `1..=max_n` of `rows` (see the module docs); `max_n` in `1..=6`.
/// Rows must have PAD only after their text ([`check_trailing_pad`]).
pub fn count_all(rows: &IdRows, max_n: usize) -> Result<Vec<CorpusTable>> {
    if !(1..=MAX_N).contains(&max_n) {
        bail!("n-gram order must be between 1 and {MAX_N} (got {max_n})");
    }
    check_trailing_pad(rows)?;
    if rows.ids.len() > u32::MAX as usize {
        bail!(
            "{} rows × {} symbols are too many to count (at most {} windows)",
            rows.rows(),
            rows.seq_len,
            u32::MAX
        );
    }
    let b = bits_for(max_id(rows) + 1);
    if max_n * b as usize > 64 {
        let wide = (1..=max_n).map(|n| CorpusTable::from_table(&NgramTable::from_rows(rows, n)));
        return wide
            .collect::<Option<Vec<_>>>()
            .context("an n-gram count exceeds u32::MAX");
    }
    Ok(count_narrow(rows, max_n, b)
        .into_iter()
        .enumerate()
        .map(|(i, g)| CorpusTable::from_parts(i + 1, b, Keys::Narrow(g.keys), g.counts, g.totals))
        .collect())
}

fn max_id(rows: &IdRows) -> u64 {
    rows.ids.iter().copied().max().unwrap_or(0) as u64
}

/// Distinct n-grams of one order with narrow keys (the module's packing), from [`count_narrow`].
pub(crate) struct Grams {
    pub keys: Vec<u64>,
    pub counts: Vec<u32>,
    pub totals: Totals,
}

/// Orders `1..=max_n` of `rows` by one sort of window codes, `b` bits per id: needs
/// `max id + 1 < 2^b`, `max_n·b ≤ 64`, PAD only trailing and fewer than 2³² windows.
pub(crate) fn count_narrow(rows: &IdRows, max_n: usize, b: u32) -> Vec<Grams> {
    let codes = sorted_window_codes(rows, max_n, b);
    let (w, bu) = (max_n, b as usize);
    let lane = (1u64 << b) - 1;
    let pad_code = PAD as u64 + 1;
    let mut out: Vec<Grams> = (0..w)
        .map(|_| Grams {
            keys: Vec::new(),
            counts: Vec::new(),
            totals: (0, 0, 0),
        })
        .collect();
    // One pass over the sorted codes closes, at each position, the runs of every order longer
    // than the common prefix (in lanes) with the previous code: runs of order n nest in those
    // of order n − 1.
    let mut start = [0usize; MAX_N];
    let unused = 64 - bu * w;
    let mut ones = [0u64; MAX_N + 1];
    for n in 1..=w {
        ones[n] = (ones[n - 1] << bu) | 1;
    }
    let close = |out: &mut Vec<Grams>, from: usize, i: usize, start: &mut [usize; MAX_N]| {
        for n in from + 1..=w {
            let s = start[n - 1];
            start[n - 1] = i;
            if i == s {
                continue;
            }
            let p = codes[s] >> (bu * (w - n));
            // Lane n−1 is 0 when the n-gram runs past the row end; PAD only trails, so an
            // n-gram holds PAD iff its last symbol is PAD.
            if p & lane == 0 {
                continue;
            }
            let g = &mut out[n - 1];
            let c = (i - s) as u64;
            g.keys.push(p - ones[n]);
            g.counts.push(c as u32);
            g.totals.0 += c;
            if p & lane != pad_code {
                g.totals.1 += c;
                g.totals.2 += 1;
            }
        }
    };
    for i in 1..codes.len() {
        let x = codes[i] ^ codes[i - 1];
        if x != 0 {
            let same = (x.leading_zeros() as usize - unused) / bu;
            close(&mut out, same, i, &mut start);
        }
    }
    close(&mut out, 0, codes.len(), &mut start);
    out
}

/// Calls `f` with the window code of each position of `row`, last position first.
#[inline]
fn for_codes(row: &[u16], w: usize, bu: usize, mut f: impl FnMut(u64)) {
    let mut code = 0u64;
    for &s in row.iter().rev() {
        code = ((s as u64 + 1) << (bu * (w - 1))) | (code >> bu);
        f(code);
    }
}

/// The window code of every position of `rows` (see the module docs), sorted: one counting
/// pass scatters the codes into buckets by their top bits, then each bucket is radix-sorted
/// on its own (so the only scratch memory is one bucket's worth).
fn sorted_window_codes(rows: &IdRows, w: usize, b: u32) -> Vec<u64> {
    let (bu, total_bits) = (b as usize, b * w as u32);
    let top = total_bits.min(8);
    let low = total_bits - top;
    let mut hist = vec![0usize; (1usize << top) + 1];
    for r in 0..rows.rows() {
        for_codes(rows.row(r), w, bu, |c| hist[(c >> low) as usize + 1] += 1);
    }
    for i in 1..hist.len() {
        hist[i] += hist[i - 1];
    }
    let bounds = hist.clone();
    let mut codes = vec![0u64; rows.ids.len()];
    for r in 0..rows.rows() {
        for_codes(rows.row(r), w, bu, |c| {
            let d = (c >> low) as usize;
            codes[hist[d]] = c;
            hist[d] += 1;
        });
    }
    let mut buckets = Vec::with_capacity(bounds.len());
    let mut rest = &mut codes[..];
    for p in bounds.windows(2) {
        let (bucket, tail) = rest.split_at_mut(p[1] - p[0]);
        if bucket.len() > 1 {
            buckets.push(bucket);
        }
        rest = tail;
    }
    let sort_all = |bs: Vec<&mut [u64]>| {
        let biggest = bs.iter().map(|b| b.len()).max().unwrap_or(0);
        let mut tmp = Vec::with_capacity(biggest);
        for b in bs {
            radix_sort_with(b, &mut tmp, low);
        }
    };
    if rows.ids.len() >= PARALLEL_FROM {
        // Two halves of about equal size, one per thread, each with one scratch buffer.
        let mut second = Vec::new();
        let mut sum = 0;
        let half = rows.ids.len() / 2;
        let mut first = Vec::new();
        for b in buckets {
            sum += b.len();
            if sum <= half {
                first.push(b);
            } else {
                second.push(b);
            }
        }
        rayon::join(|| sort_all(first), || sort_all(second));
    } else {
        sort_all(buckets);
    }
    codes
}

/// Row sets with at least this many ids are counted on the rayon thread pool.
pub(crate) const PARALLEL_FROM: usize = 1 << 18;

/// The sample side of a comparison in the reference's narrow packing: orders `1..=max_n` of
/// `rows`, or `None` when the reference is wide or an id of `rows` does not fit its lanes
/// (the caller then uses [`NgramTable`]s).
pub(crate) fn sample_grams(
    rows: &IdRows,
    reference: &[CorpusTable],
    max_n: usize,
) -> Option<Vec<Grams>> {
    let t = reference.first()?;
    let b = t.bits;
    let fits = matches!(t.keys, Keys::Narrow(_))
        && max_n <= reference.len()
        && max_n * b as usize <= 64
        && bits_for(max_id(rows) + 1) <= b
        && rows.ids.len() <= u32::MAX as usize
        && check_trailing_pad(rows).is_ok();
    fits.then(|| count_narrow(rows, max_n, b))
}

/// Whether a narrow key's n-gram is PAD-free (PAD only trails, so: its last id is not PAD).
pub(crate) fn narrow_is_clean(key: u64, bits: u32) -> bool {
    key & ((1u64 << bits) - 1) != PAD as u64
}

/// Sorts `keys`, all below `2^bits`, with an LSD radix sort (digits of at most 11 bits; a
/// digit on which all keys agree is skipped).
pub fn radix_sort(keys: &mut [u64], bits: u32) {
    radix_sort_with(keys, &mut Vec::new(), bits);
}

/// [`radix_sort`] with a reusable scratch buffer.
fn radix_sort_with(keys: &mut [u64], tmp: &mut Vec<u64>, bits: u32) {
    let len = keys.len();
    if len < 2 || bits == 0 {
        return;
    }
    if len < 2048 || len > u32::MAX as usize {
        keys.sort_unstable();
        return;
    }
    let passes = bits.div_ceil(11) as usize;
    let d = bits.div_ceil(passes as u32) as usize;
    let buckets = 1usize << d;
    let mask = (buckets - 1) as u64;
    let mut hist = vec![0u32; passes * buckets];
    for &k in keys.iter() {
        for (p, h) in hist.chunks_exact_mut(buckets).enumerate() {
            h[((k >> (p * d)) & mask) as usize] += 1;
        }
    }
    if tmp.len() < len {
        tmp.resize(len, 0);
    }
    let (mut src, mut dst): (&mut [u64], &mut [u64]) = (keys, &mut tmp[..len]);
    let mut swapped = false;
    for (p, h) in hist.chunks_exact_mut(buckets).enumerate() {
        if h.contains(&(len as u32)) {
            continue;
        }
        let mut sum = 0u32;
        for c in h.iter_mut() {
            let x = *c;
            *c = sum;
            sum += x;
        }
        let shift = p * d;
        for &k in src.iter() {
            let b = ((k >> shift) & mask) as usize;
            dst[h[b] as usize] = k;
            h[b] += 1;
        }
        std::mem::swap(&mut src, &mut dst);
        swapped = !swapped;
    }
    if swapped {
        // The sorted keys are in the scratch buffer (`src` now); copy them back.
        dst.copy_from_slice(src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn random_rows(rng: &mut Rng, rows: usize, seq_len: usize, vocab: u64) -> IdRows {
        let seqs: Vec<Vec<u16>> = (0..rows)
            .map(|_| {
                let l = rng.below(seq_len as u64 + 1) as usize;
                (0..l).map(|_| 1 + rng.below(vocab - 1) as u16).collect()
            })
            .collect();
        IdRows::from_sequences(seq_len, &seqs)
    }

    #[test]
    fn one_sort_counts_equal_the_per_order_tables() {
        let mut rng = Rng::new(5);
        for (rows, seq_len, vocab, max_n) in [
            (300, 9, 5, 6),
            (50, 4, 82, 6),
            (7, 3, 3, 2),
            (3000, 32, 30, 6),
        ] {
            let r = random_rows(&mut rng, rows, seq_len, vocab);
            let tables = count_all(&r, max_n).unwrap();
            assert_eq!(tables.len(), max_n);
            for (i, t) in tables.iter().enumerate() {
                assert!(matches!(t.keys(), Keys::Narrow(_)));
                let simple = NgramTable::from_rows(&r, i + 1);
                assert_eq!(t.to_table(), simple, "order {}", i + 1);
                assert_eq!(t.total(), simple.total());
                assert_eq!(t.clean_total(), simple.clean_total());
                assert_eq!(t.clean_distinct(), simple.clean_distinct() as u64);
                assert!(t.is_well_formed());
            }
        }
    }

    #[test]
    fn the_parallel_path_counts_the_same() {
        let mut rng = Rng::new(11);
        let r = random_rows(&mut rng, PARALLEL_FROM / 32 + 100, 32, 40);
        assert!(r.ids.len() >= PARALLEL_FROM);
        let tables = count_all(&r, 6).unwrap();
        for n in [1, 3, 6] {
            assert_eq!(
                tables[n - 1].to_table(),
                NgramTable::from_rows(&r, n),
                "order {n}"
            );
        }
    }

    #[test]
    fn big_vocabularies_use_wide_keys_and_lookups_agree() {
        let r = IdRows::from_sequences(4, &[vec![2000u16, 3, 2000], vec![3, 2000, 3, 3]]);
        let tables = count_all(&r, 6).unwrap();
        assert!(matches!(tables[0].keys(), Keys::Wide(_)));
        let narrow = count_all(&r, 5).unwrap(); // 11 bits × 5 = 55 ≤ 64
        assert!(matches!(narrow[1].keys(), Keys::Narrow(_)));
        for n in 1..=5 {
            let simple = NgramTable::from_rows(&r, n);
            assert_eq!(tables[n - 1].to_table(), simple);
            assert_eq!(narrow[n - 1].to_table(), simple);
            // Queries: every key of the simple table plus absent ones and ids too big to fit.
            let mut q: Vec<u128> = simple.keys().to_vec();
            q.extend([u128::MAX >> (128 - 16 * n), 1]);
            q.sort_unstable();
            q.dedup();
            let want: Vec<u64> = q.iter().map(|&k| simple.count(k)).collect();
            assert_eq!(narrow[n - 1].counts_of_sorted(&q), want);
            assert_eq!(tables[n - 1].counts_of_sorted(&q), want);
        }
        assert_eq!(narrow[0].count(2000), 3);
        assert_eq!(narrow[0].count(4000), 0);
    }

    #[test]
    fn pad_inside_a_row_is_refused() {
        let r = IdRows::new(4, vec![2, 0, 3, 0]);
        let e = count_all(&r, 2).unwrap_err().to_string();
        assert!(e.contains("row 1") && e.contains("position 1"), "{e}");
        assert!(count_all(&IdRows::new(2, vec![2, 0]), 7).is_err());
    }

    #[test]
    fn radix_sort_sorts() {
        let mut rng = Rng::new(9);
        for (len, bits) in [
            (10_000, 42u32),
            (5000, 64),
            (4096, 3),
            (100, 20),
            (3000, 22),
        ] {
            let mut v: Vec<u64> = (0..len).map(|_| rng.next_u64() >> (64 - bits)).collect();
            let mut want = v.clone();
            want.sort_unstable();
            radix_sort(&mut v, bits);
            assert_eq!(v, want, "len {len} bits {bits}");
        }
    }
}
