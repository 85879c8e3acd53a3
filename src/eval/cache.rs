//! The corpus n-gram cache: `DIR/ngrams.cache` beside a prepared dataset.
//!
//! The file is a sequence of little-endian 64-bit words, so it is read into one `Vec<u64>`
//! and its arrays are used as they are (no per-element decoding):
//!
//! | words | field |
//! | --- | --- |
//! | 1 | magic `TWGNGC02` |
//! | 1 each | format version (2), seq_len, max_n, bits per id, key words (1 = `u64` keys, 2 = `u128`), rows |
//! | 1 | [`crate::util::xxh64`] of `train.ids` as it was when the tables were counted |
//! | 1 + ⌈len/8⌉ | length of the dataset hash in bytes, then its UTF-8, zero-padded |
//! | 4 per order | distinct, total, clean total, clean distinct (orders 1..=max_n) |
//! | per order | keys (key words × distinct; a `u128` as low word, high word), then counts (distinct) |
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
use anyhow::{bail, Context, Result};
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
    let wide = stats
        .tables
        .iter()
        .any(|t| matches!(t.keys(), Keys::Wide(_)));
    let bits = match stats.tables.first() {
        Some(t) if !wide => t.bits() as u64,
        _ => 16,
    };
    let mut w: Vec<u64> = vec![
        magic_word(),
        VERSION,
        stats.seq_len as u64,
        stats.max_n() as u64,
        bits,
        if wide { 2 } else { 1 },
        stats.rows,
        key.train_check,
        key.dataset_hash.len() as u64,
    ];
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
        w.extend_from_slice(t.counts());
    }
    w.extend_from_slice(&stats.lengths);
    w.extend(stats.position_entropy.iter().map(|e| e.to_bits()));
    w.push(stats.line_hashes.len() as u64);
    w.extend_from_slice(&stats.line_hashes);
    w.push(checksum(&w));
    le_bytes(&w).into_owned()
}

/// Bytes → words (the length must be a multiple of 8).
fn words_of(bytes: &[u8]) -> Result<Vec<u64>> {
    if !bytes.len().is_multiple_of(8) {
        bail!(
            "truncated ({} bytes, not a whole number of words)",
            bytes.len()
        );
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

/// Reads the file at `path` as little-endian words, straight into an aligned buffer.
fn read_words(path: &Path) -> std::io::Result<Result<Vec<u64>>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len % 8 != 0 {
        return Ok(Err(anyhow::anyhow!(
            "truncated ({len} bytes, not a whole number of words)"
        )));
    }
    let mut w = vec![0u64; (len / 8) as usize];
    // SAFETY: as in `le_bytes`, for a mutable view: every byte pattern is a valid u64.
    let bytes = unsafe { std::slice::from_raw_parts_mut(w.as_mut_ptr().cast::<u8>(), w.len() * 8) };
    f.read_exact(bytes)?;
    let mut extra = [0u8; 1];
    if f.read(&mut extra)? != 0 {
        return Ok(Err(anyhow::anyhow!("the file grew while it was read")));
    }
    for x in &mut w {
        *x = u64::from_le(*x);
    }
    Ok(Ok(w))
}

/// Parses cache bytes (see [`decode_words`]).
pub fn decode(bytes: &[u8], key: &CacheKey, max_n: usize) -> Result<CorpusStats> {
    decode_words(&words_of(bytes)?, key, max_n)
}

struct Reader<'a> {
    w: &'a [u64],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u64]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.w.len());
        let Some(end) = end else {
            bail!("truncated at word {}", self.at);
        };
        let s = &self.w[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn one(&mut self) -> Result<u64> {
        Ok(self.take(1)?[0])
    }
    fn size(&mut self) -> Result<usize> {
        usize::try_from(self.one()?).context("size overflow")
    }
}

/// Parses a cache, checking it is intact and belongs to `key` with at least `max_n` orders.
/// The error says why it cannot be used (the caller then rebuilds it).
pub fn decode_words(words: &[u64], key: &CacheKey, max_n: usize) -> Result<CorpusStats> {
    if words.len() < 2 || words[0] != magic_word() {
        bail!("not an n-gram cache (bad magic)");
    }
    let (body, sum) = words.split_at(words.len() - 1);
    if checksum(body) != sum[0] {
        bail!("checksum mismatch (corrupted)");
    }
    let mut r = Reader { w: body, at: 1 };
    let version = r.one()?;
    if version != VERSION {
        bail!("format version {version}, expected {VERSION}");
    }
    let cached_len = r.size()?;
    let cached_n = r.size()?;
    let bits = r.one()?;
    let key_words = r.size()?;
    let rows = r.one()?;
    let train_check = r.one()?;
    let hash_len = r.size()?;
    let hash_words = r.take(hash_len.div_ceil(8))?;
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
    if cached_n < max_n || cached_n > MAX_N {
        bail!("has orders up to {cached_n}, {max_n} needed");
    }
    let bits_ok = key_words == 1 && (1..=17).contains(&bits) && bits as usize * cached_n <= 64;
    if !(bits_ok || (key_words == 2 && bits == 16)) {
        bail!("bad key layout ({bits} bits, {key_words} words)");
    }
    let bits = bits as u32;
    let mut heads = Vec::with_capacity(cached_n);
    for _ in 0..cached_n {
        let h = r.take(4)?;
        heads.push((usize::try_from(h[0])?, (h[1], h[2], h[3])));
    }
    let mut tables = Vec::with_capacity(max_n);
    for (i, &(distinct, totals)) in heads.iter().enumerate() {
        let n = i + 1;
        let kw = r.take(distinct.checked_mul(key_words).context("size overflow")?)?;
        let counts = r.take(distinct)?;
        if n > max_n {
            continue;
        }
        let keys = if key_words == 1 {
            let limit = if bits as usize * n == 64 {
                u64::MAX
            } else {
                (1u64 << (bits as usize * n)) - 1
            };
            let ok = kw.windows(2).all(|p| p[0] < p[1]) && kw.last().is_none_or(|&k| k <= limit);
            if !ok {
                bail!("order-{n} keys are malformed");
            }
            Keys::Narrow(kw.to_vec())
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
        let sum = counts.iter().try_fold(0u64, |s, &c| s.checked_add(c));
        if sum != Some(totals.0) || counts.contains(&0) || totals.1 > totals.0 {
            bail!("order-{n} counts do not match their total");
        }
        tables.push(CorpusTable::from_parts(
            n,
            bits,
            keys,
            counts.to_vec(),
            totals,
        ));
    }
    let lengths = r.take(key.seq_len + 1)?.to_vec();
    let position_entropy = r
        .take(key.seq_len)?
        .iter()
        .map(|&b| f64::from_bits(b))
        .collect();
    let nh = r.size()?;
    let line_hashes = r.take(nh)?.to_vec();
    if r.at != body.len() {
        bail!("{} unexpected trailing words", body.len() - r.at);
    }
    if lengths.iter().sum::<u64>() != rows {
        bail!("the length histogram does not match the row count");
    }
    Ok(CorpusStats {
        seq_len: key.seq_len,
        rows,
        tables,
        lengths,
        position_entropy,
        line_hashes,
    })
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
    let why = match read_words(path) {
        Ok(Ok(words)) => match decode_words(&words, key, max_n) {
            Ok(stats) => return Ok((stats, CacheStatus::Hit)),
            Err(e) => Some(format!("{e:#}")),
        },
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
    let status = match crate::util::write_replace(path, &encode(&stats, key), false) {
        Err(e) => CacheStatus::Unwritable(format!("{e:#}")),
        Ok(()) => match why {
            None => CacheStatus::Built,
            Some(w) => CacheStatus::Rebuilt(w),
        },
    };
    stats.tables.truncate(max_n);
    Ok((stats, status))
}
