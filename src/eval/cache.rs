//! The corpus n-gram cache: `DIR/ngrams.cache` beside a prepared dataset.
//!
//! Layout (little endian): magic `TWGNGC01`, format version (u32), seq_len (u32), max_n (u32),
//! rows (u64), the dataset hash (u32 length + UTF-8), then per order n = 1..=max_n the number of
//! distinct n-grams (u64), their keys (2·n bytes each, see [`super::ngrams::pack`]) and counts
//! (u64 each), then the length histogram (seq_len + 1 × u64) and the per-position entropy
//! (seq_len × f64), and finally the SHA-256 of everything before it (32 bytes).
//!
//! A cache is used only if the checksum, magic, version, dataset hash and seq_len all match and
//! it has the requested orders; otherwise it is rebuilt from the training split (never trusted).

use super::ngrams::{NgramTable, MAX_N};
use super::stats::CorpusStats;
use crate::data::IdRows;
use anyhow::{bail, Context, Result};
use sha2::Digest;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"TWGNGC01";
const VERSION: u32 = 1;

/// File name of the cache inside a dataset directory.
pub const CACHE_FILE: &str = "ngrams.cache";

/// Serialises `stats` for the dataset with content hash `dataset_hash`.
pub fn encode(stats: &CorpusStats, dataset_hash: &str) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&VERSION.to_le_bytes());
    b.extend_from_slice(&(stats.seq_len as u32).to_le_bytes());
    b.extend_from_slice(&(stats.max_n() as u32).to_le_bytes());
    b.extend_from_slice(&stats.rows.to_le_bytes());
    b.extend_from_slice(&(dataset_hash.len() as u32).to_le_bytes());
    b.extend_from_slice(dataset_hash.as_bytes());
    for t in &stats.tables {
        let w = 2 * t.n();
        b.extend_from_slice(&(t.distinct() as u64).to_le_bytes());
        for &k in t.keys() {
            b.extend_from_slice(&k.to_le_bytes()[..w]);
        }
        for &c in t.counts() {
            b.extend_from_slice(&c.to_le_bytes());
        }
    }
    for &l in &stats.lengths {
        b.extend_from_slice(&l.to_le_bytes());
    }
    for &e in &stats.position_entropy {
        b.extend_from_slice(&e.to_le_bytes());
    }
    let sum = sha2::Sha256::digest(&b);
    b.extend_from_slice(&sum);
    b
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            bail!("truncated at byte {}", self.at);
        };
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into()?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into()?))
    }
}

/// Parses a cache, checking it is intact and belongs to `dataset_hash` with `seq_len` and at least
/// `max_n` orders. The error says why it cannot be used (the caller then rebuilds it).
pub fn decode(
    bytes: &[u8],
    dataset_hash: &str,
    seq_len: usize,
    max_n: usize,
) -> Result<CorpusStats> {
    if bytes.len() < MAGIC.len() + 32 || &bytes[..8] != MAGIC {
        bail!("not an n-gram cache (bad magic)");
    }
    let (body, sum) = bytes.split_at(bytes.len() - 32);
    if sha2::Sha256::digest(body).as_slice() != sum {
        bail!("checksum mismatch (corrupted)");
    }
    let mut r = Reader { b: body, at: 8 };
    let version = r.u32()?;
    if version != VERSION {
        bail!("format version {version}, expected {VERSION}");
    }
    let cached_len = r.u32()? as usize;
    let cached_n = r.u32()? as usize;
    let rows = r.u64()?;
    let hash_len = r.u32()? as usize;
    let hash = std::str::from_utf8(r.take(hash_len)?).unwrap_or("");
    if hash != dataset_hash {
        bail!("made for another dataset (hash {hash})");
    }
    if cached_len != seq_len {
        bail!("seq_len {cached_len}, dataset has {seq_len}");
    }
    if cached_n < max_n || cached_n > MAX_N {
        bail!("has orders up to {cached_n}, {max_n} needed");
    }
    let mut tables = Vec::with_capacity(cached_n);
    for n in 1..=cached_n {
        let distinct = usize::try_from(r.u64()?)?;
        let w = 2 * n;
        let kb = r.take(distinct.checked_mul(w).context("size overflow")?)?;
        let keys: Vec<u128> = kb
            .chunks_exact(w)
            .map(|c| {
                let mut a = [0u8; 16];
                a[..w].copy_from_slice(c);
                u128::from_le_bytes(a)
            })
            .collect();
        let cb = r.take(distinct.checked_mul(8).context("size overflow")?)?;
        let counts: Vec<u64> = cb
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        let t = NgramTable::from_sorted(n, keys, counts);
        if !t.is_well_formed() {
            bail!("order-{n} table is malformed");
        }
        tables.push(t);
    }
    let mut lengths = Vec::with_capacity(seq_len + 1);
    for _ in 0..=seq_len {
        lengths.push(r.u64()?);
    }
    let mut position_entropy = Vec::with_capacity(seq_len);
    for _ in 0..seq_len {
        position_entropy.push(f64::from_le_bytes(r.take(8)?.try_into()?));
    }
    if r.at != body.len() {
        bail!("{} unexpected trailing bytes", body.len() - r.at);
    }
    tables.truncate(max_n);
    Ok(CorpusStats {
        seq_len,
        rows,
        tables,
        lengths,
        position_entropy,
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

/// Reads the cache at `path` if it is valid for `dataset_hash`, the rows' seq_len and `max_n`;
/// otherwise counts `train` (all 6 orders, so later calls can use any `max_n`) and writes the
/// cache atomically. A failure to write is reported in the status, not an error.
pub fn load_or_build(
    path: &Path,
    dataset_hash: &str,
    train: &IdRows,
    max_n: usize,
) -> Result<(CorpusStats, CacheStatus)> {
    let why = match std::fs::read(path) {
        Ok(bytes) => match decode(&bytes, dataset_hash, train.seq_len, max_n) {
            Ok(stats) => return Ok((stats, CacheStatus::Hit)),
            Err(e) => Some(format!("{e:#}")),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(format!("cannot read it: {e}")),
    };
    let mut stats = CorpusStats::build(train, MAX_N)?;
    let status = match crate::util::write_atomic(path, &encode(&stats, dataset_hash)) {
        Err(e) => CacheStatus::Unwritable(format!("{e:#}")),
        Ok(()) => match why {
            None => CacheStatus::Built,
            Some(w) => CacheStatus::Rebuilt(w),
        },
    };
    stats.tables.truncate(max_n);
    Ok((stats, status))
}
