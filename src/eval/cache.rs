//! The corpus n-gram cache: `DIR/ngrams.cache` beside a prepared dataset.
//!
//! The file is a sequence of little-endian 64-bit words; each array is read straight into its
//! own `Vec` and used as it is (no per-element decoding), hashing the bytes on the way:
//!
//! | words | field |
//! | --- | --- |
//! | 1 | magic `TWGNGC02` |
//! | 1 each | format version (2), seq_len, max_n, bits per id, key words (1 = `u64` keys, 2 = `u128`), rows |
//! | 1 | [`crate::util::xxh64`] of `train.ids` as it was when the tables were counted |
//! | 1 + ⌈len/8⌉ | length of the dataset hash in bytes, then its UTF-8, zero-padded |
//! | 4 per order | distinct, total, clean total, clean distinct (orders 1..=max_n) |
//! | per order | keys (key words × distinct; a `u128` as low word, high word), then counts (`u32` each, zero-padded to a whole word) |
//! | seq_len + 1 | length histogram |
//! | seq_len | per-position entropy (`f64` bits) |
//! | 1 + count | number of line hashes, then the sorted line hashes ([`crate::util::hash_ids`]) |
//! | 1 | xxh64 of all the bytes before it |
//!
//! A cache is used only if the checksum, magic, version, dataset hash, `train.ids` checksum and
//! seq_len all match, it has the requested orders and its arrays are consistent (sizes, keys
//! increasing, counts summing to the totals); otherwise it is rebuilt (never trusted).

use super::corpus::{CorpusTable, Keys};
use super::ngrams::MAX_N;
use super::stats::CorpusStats;
use crate::data::IdRows;
use crate::util::Xxh64;
use anyhow::{bail, Context, Result};
use std::io::Read;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"TWGNGC02";
const VERSION: u64 = 2;

/// File name of the cache inside a dataset directory.
pub const CACHE_FILE: &str = "ngrams.cache";

/// What a cache must belong to: the dataset hash from `meta.json`, the checksum of
/// `train.ids` as it is now ([`crate::data::DatasetHead::train_checksum`]) and seq_len.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheKey {
    /// `dataset_hash` of `meta.json`.
    pub dataset_hash: String,
    /// xxh64 of the `train.ids` file.
    pub train_check: u64,
    /// Symbols per row.
    pub seq_len: usize,
}

fn magic_word() -> u64 {
    u64::from_le_bytes(*MAGIC)
}

/// The words as little-endian bytes (a view on little-endian machines).
fn le_bytes(words: &[u64]) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: u64 has no padding and no invalid bit patterns, u8 has alignment 1, and the
        // view covers exactly the `8 * words.len()` initialised bytes of `words`, borrowed.
        let b = unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), words.len() * 8) };
        std::borrow::Cow::Borrowed(b)
    }
    #[cfg(not(target_endian = "little"))]
    {
        std::borrow::Cow::Owned(words.iter().flat_map(|w| w.to_le_bytes()).collect())
    }
}

fn checksum(words: &[u64]) -> u64 {
    crate::util::xxh64(&le_bytes(words), 0)
}

/// Serialises `stats` for the dataset described by `key`.
pub fn encode(stats: &CorpusStats, key: &CacheKey) -> Vec<u8> {
    le_bytes(&encode_words(stats, key)).into_owned()
}

/// [`encode`] as words (written to disk as they are on little-endian machines).
fn encode_words(stats: &CorpusStats, key: &CacheKey) -> Vec<u64> {
    let wide = stats
        .tables
        .iter()
        .any(|t| matches!(t.keys(), Keys::Wide(_)));
    let bits = match stats.tables.first() {
        Some(t) if !wide => t.bits() as u64,
        _ => 16,
    };
    let kw = if wide { 2 } else { 1 };
    let arrays: usize = stats
        .tables
        .iter()
        .map(|t| t.distinct() * kw + t.distinct().div_ceil(2))
        .sum();
    let size = 9
        + key.dataset_hash.len().div_ceil(8)
        + 4 * stats.max_n()
        + arrays
        + 2 * stats.seq_len
        + 3
        + stats.line_hashes.len();
    let mut w: Vec<u64> = Vec::with_capacity(size);
    w.extend([
        magic_word(),
        VERSION,
        stats.seq_len as u64,
        stats.max_n() as u64,
        bits,
        kw as u64,
        stats.rows,
        key.train_check,
        key.dataset_hash.len() as u64,
    ]);
    for c in key.dataset_hash.as_bytes().chunks(8) {
        let mut a = [0u8; 8];
        a[..c.len()].copy_from_slice(c);
        w.push(u64::from_le_bytes(a));
    }
    for t in &stats.tables {
        w.extend([
            t.distinct() as u64,
            t.total(),
            t.clean_total(),
            t.clean_distinct(),
        ]);
    }
    for t in &stats.tables {
        match t.keys() {
            Keys::Narrow(k) if !wide => w.extend_from_slice(k),
            // Tables counted together share a width; widen a narrow one should they not.
            Keys::Narrow(_) => {
                for &x in t.to_table().keys() {
                    w.extend([x as u64, (x >> 64) as u64]);
                }
            }
            Keys::Wide(k) => {
                for &x in k {
                    w.extend([x as u64, (x >> 64) as u64]);
                }
            }
        }
        for pair in t.counts().chunks(2) {
            w.push(pair[0] as u64 | (pair.get(1).copied().unwrap_or(0) as u64) << 32);
        }
    }
    w.extend_from_slice(&stats.lengths);
    w.extend(stats.position_entropy.iter().map(|e| e.to_bits()));
    w.push(stats.line_hashes.len() as u64);
    w.extend_from_slice(&stats.line_hashes);
    w.push(checksum(&w));
    debug_assert_eq!(w.len(), size);
    w
}

/// Reads little-endian arrays from a cache stream of known length, hashing every byte.
struct Reader<R> {
    r: R,
    left: u64,
    hash: Xxh64,
}

impl<R: Read> Reader<R> {
    fn fill(&mut self, bytes: &mut [u8]) -> Result<()> {
        if bytes.len() as u64 > self.left {
            bail!("truncated ({} bytes short)", bytes.len() as u64 - self.left);
        }
        self.r.read_exact(bytes).context("cannot read it")?;
        self.left -= bytes.len() as u64;
        self.hash.update(bytes);
        Ok(())
    }
    fn words(&mut self, n: usize) -> Result<Vec<u64>> {
        let bytes = n.checked_mul(8).filter(|&b| b as u64 <= self.left);
        let Some(bytes) = bytes else {
            bail!("truncated (an array of {n} words does not fit the file)");
        };
        let mut w = vec![0u64; n];
        // SAFETY: u64 has no padding and every bit pattern is valid; the view covers exactly
        // the `8 * n` bytes of `w`, borrowed mutably for this call only.
        let view = unsafe { std::slice::from_raw_parts_mut(w.as_mut_ptr().cast::<u8>(), bytes) };
        self.fill(view)?;
        for x in &mut w {
            *x = u64::from_le(*x);
        }
        Ok(w)
    }
    fn u32s(&mut self, n: usize) -> Result<Vec<u32>> {
        let words = n.div_ceil(2);
        let bytes = words.checked_mul(8).filter(|&b| b as u64 <= self.left);
        let Some(bytes) = bytes else {
            bail!("truncated (an array of {n} counts does not fit the file)");
        };
        let mut c = vec![0u32; 2 * words];
        // SAFETY: as in `words`, for u32 (alignment 4, no padding, all patterns valid).
        let view = unsafe { std::slice::from_raw_parts_mut(c.as_mut_ptr().cast::<u8>(), bytes) };
        self.fill(view)?;
        for x in &mut c {
            *x = u32::from_le(*x);
        }
        if c.len() > n && c[n] != 0 {
            bail!("nonzero padding after the counts");
        }
        c.truncate(n);
        Ok(c)
    }
    fn one(&mut self) -> Result<u64> {
        Ok(self.words(1)?[0])
    }
    fn size(&mut self) -> Result<usize> {
        usize::try_from(self.one()?).context("size overflow")
    }
}

/// Parses cache bytes (see [`decode_from`]).
pub fn decode(bytes: &[u8], key: &CacheKey, max_n: usize) -> Result<CorpusStats> {
    decode_from(bytes, bytes.len() as u64, key, max_n)
}

/// Parses a cache of `len` bytes from `r`, checking it is intact and belongs to `key` with at
/// least `max_n` orders. The error says why it cannot be used (the caller then rebuilds it).
pub fn decode_from(r: impl Read, len: u64, key: &CacheKey, max_n: usize) -> Result<CorpusStats> {
    if !len.is_multiple_of(8) || len < 16 {
        bail!("truncated ({len} bytes, not a whole number of words)");
    }
    let mut r = Reader {
        r,
        left: len - 8,
        hash: Xxh64::new(0),
    };
    if r.one()? != magic_word() {
        bail!("not an n-gram cache (bad magic)");
    }
    let head = r.words(8)?;
    let [version, cached_len, cached_n, bits, key_words, rows, train_check, hash_len] = head[..]
    else {
        bail!("truncated header")
    };
    let hash_len = usize::try_from(hash_len).context("size overflow")?;
    let hash_words = r.words(hash_len.div_ceil(8))?;
    let cached_n = usize::try_from(cached_n)
        .ok()
        .filter(|&n| (1..=MAX_N).contains(&n))
        .context("bad number of orders")?;
    let key_words = usize::try_from(key_words)
        .ok()
        .filter(|&k| k == 1 || k == 2)
        .context("bad key width")?;
    let cached_len = usize::try_from(cached_len).context("size overflow")?;
    let mut heads = Vec::with_capacity(cached_n);
    for _ in 0..cached_n {
        let h = r.words(4)?;
        heads.push((usize::try_from(h[0])?, (h[1], h[2], h[3])));
    }
    let mut parts = Vec::with_capacity(cached_n);
    for &(distinct, totals) in &heads {
        let kw = r.words(distinct.checked_mul(key_words).context("size overflow")?)?;
        let counts = r.u32s(distinct)?;
        parts.push((kw, counts, totals));
    }
    let lengths = r.words(cached_len.checked_add(1).context("size overflow")?)?;
    let entropy = r.words(cached_len)?;
    let nh = r.size()?;
    let line_hashes = r.words(nh)?;
    if r.left != 0 {
        bail!("{} unexpected trailing bytes", r.left);
    }
    let want = r.hash.finish();
    let mut sum = [0u8; 8];
    r.r.read_exact(&mut sum).context("cannot read it")?;
    if u64::from_le_bytes(sum) != want {
        bail!("checksum mismatch (corrupted)");
    }
    // Intact: now check what it belongs to and that its arrays are consistent.
    if version != VERSION {
        bail!("format version {version}, expected {VERSION}");
    }
    let hash_bytes: Vec<u8> = hash_words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let hash = std::str::from_utf8(&hash_bytes[..hash_len]).unwrap_or("");
    if hash != key.dataset_hash {
        bail!("made for another dataset (hash {hash})");
    }
    if train_check != key.train_check {
        bail!("train.ids changed since the cache was made");
    }
    if cached_len != key.seq_len {
        bail!("seq_len {cached_len}, dataset has {}", key.seq_len);
    }
    if cached_n < max_n {
        bail!("has orders up to {cached_n}, {max_n} needed");
    }
    let bits_ok = key_words == 1 && (1..=17).contains(&bits) && bits as usize * cached_n <= 64;
    if !(bits_ok || (key_words == 2 && bits == 16)) {
        bail!("bad key layout ({bits} bits, {key_words} words)");
    }
    let bits = bits as u32;
    let mut tables = Vec::with_capacity(max_n);
    for (i, (kw, counts, totals)) in parts.into_iter().take(max_n).enumerate() {
        let n = i + 1;
        let keys = if key_words == 1 {
            let used = bits as usize * n;
            let limit = if used == 64 {
                u64::MAX
            } else {
                (1u64 << used) - 1
            };
            let ok = kw.windows(2).all(|p| p[0] < p[1]) && kw.last().is_none_or(|&k| k <= limit);
            if !ok {
                bail!("order-{n} keys are malformed");
            }
            Keys::Narrow(kw)
        } else {
            let k: Vec<u128> = kw
                .chunks_exact(2)
                .map(|p| p[0] as u128 | (p[1] as u128) << 64)
                .collect();
            if !k.windows(2).all(|p| p[0] < p[1]) {
                bail!("order-{n} keys are malformed");
            }
            Keys::Wide(k)
        };
        let sum: u64 = counts.iter().map(|&c| c as u64).sum();
        if sum != totals.0 || counts.contains(&0) || totals.1 > totals.0 {
            bail!("order-{n} counts do not match their total");
        }
        tables.push(CorpusTable::from_parts(n, bits, keys, counts, totals));
    }
    if lengths.iter().sum::<u64>() != rows {
        bail!("the length histogram does not match the row count");
    }
    Ok(CorpusStats {
        seq_len: key.seq_len,
        rows,
        tables,
        lengths,
        position_entropy: entropy.into_iter().map(f64::from_bits).collect(),
        line_hashes,
    })
}

/// Reads and parses the cache file at `path`: `Err` (outer) if it cannot be opened.
fn read_cache(path: &Path, key: &CacheKey, max_n: usize) -> std::io::Result<Result<CorpusStats>> {
    let f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    Ok(decode_from(f, len, key, max_n))
}

/// Where the cache of the dataset in `dir` lives.
pub fn cache_path(dir: &Path) -> PathBuf {
    dir.join(CACHE_FILE)
}

/// How [`load_or_build`] obtained the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheStatus {
    /// A valid cache was read.
    Hit,
    /// The cache was missing and has been written.
    Built,
    /// The cache could not be used (the reason) and has been rewritten.
    Rebuilt(String),
    /// The statistics were built but the cache could not be written (the reason).
    Unwritable(String),
}

/// Reads the cache at `path` if it is valid for `key` and `max_n`; otherwise loads the
/// training rows with `train` (called only then), counts them (all 6 orders, so later calls
/// can use any `max_n`) and writes the cache by temp file + rename (not fsynced: a cache torn
/// by a crash fails its checksum and is rebuilt). A failure to write is reported in the
/// status, not an error.
pub fn load_or_build(
    path: &Path,
    key: &CacheKey,
    train: impl FnOnce() -> Result<IdRows>,
    max_n: usize,
) -> Result<(CorpusStats, CacheStatus)> {
    let why = match read_cache(path, key, max_n) {
        Ok(Ok(stats)) => return Ok((stats, CacheStatus::Hit)),
        Ok(Err(e)) => Some(format!("{e:#}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(format!("cannot read it: {e}")),
    };
    let rows = train()?;
    if rows.seq_len != key.seq_len {
        bail!(
            "the training rows have seq_len {}, the dataset {}",
            rows.seq_len,
            key.seq_len
        );
    }
    let mut stats = CorpusStats::build(&rows, MAX_N)?;
    let words = encode_words(&stats, key);
    let status = match crate::util::write_replace(path, &le_bytes(&words), false) {
        Err(e) => CacheStatus::Unwritable(format!("{e:#}")),
        Ok(()) => match why {
            None => CacheStatus::Built,
            Some(w) => CacheStatus::Rebuilt(w),
        },
    };
    stats.tables.truncate(max_n);
    Ok((stats, status))
}
