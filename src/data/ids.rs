//! The id files `train.ids` and `holdout.ids`.
//!
//! Layout (all integers little-endian), 56 header bytes then the payload:
//!
//! | bytes | field |
//! | --- | --- |
//! | 0..8 | magic `TWGNIDS\0` |
//! | 8..12 | format version (u32, currently 1) |
//! | 12..16 | `seq_len` (u32, ≥ 1) |
//! | 16..24 | `rows` (u64) |
//! | 24..56 | SHA-256 of the payload |
//! | 56.. | `rows × seq_len` ids, u16 each, row-major, PAD-filled |

use super::dataset::IdRows;
use anyhow::{bail, Context, Result};
use sha2::Digest;
use std::path::Path;

/// The first 8 bytes of every id file.
pub const MAGIC: &[u8; 8] = b"TWGNIDS\0";
/// The id file format version this build writes and reads.
pub const VERSION: u32 = 1;
/// Size of the header in bytes.
pub const HEADER_LEN: usize = 56;

/// The ids as little-endian bytes: a borrowed view on little-endian machines, a copy otherwise.
fn le_bytes(ids: &[u16]) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: u16 has no padding and no invalid bit patterns, u8 has alignment 1, and the
        // view covers exactly the `2 * ids.len()` initialised bytes of `ids`, borrowed from it.
        let bytes = unsafe { std::slice::from_raw_parts(ids.as_ptr().cast::<u8>(), ids.len() * 2) };
        std::borrow::Cow::Borrowed(bytes)
    }
    #[cfg(not(target_endian = "little"))]
    {
        std::borrow::Cow::Owned(ids.iter().flat_map(|id| id.to_le_bytes()).collect())
    }
}

/// SHA-256 (hex) of the payload of `rows`: the checksum stored in the id-file header and in
/// `meta.json`.
pub fn ids_sha256(rows: &IdRows) -> String {
    crate::util::hex(&sha2::Sha256::digest(le_bytes(&rows.ids)))
}

/// The complete bytes of an id file for `rows`.
pub fn encode_ids(rows: &IdRows) -> Result<Vec<u8>> {
    encode_ids_inner(rows, None)
}

/// Like [`encode_ids`] with the payload checksum already known (hex, from [`ids_sha256`]),
/// so a large payload is hashed once.
pub(crate) fn encode_ids_with_sum(rows: &IdRows, sha256_hex: &str) -> Result<Vec<u8>> {
    let mut sum = [0u8; 32];
    for (i, b) in sum.iter_mut().enumerate() {
        let pair = sha256_hex.get(2 * i..2 * i + 2).unwrap_or("");
        *b = u8::from_str_radix(pair, 16).context("bad checksum text")?;
    }
    encode_ids_inner(rows, Some(sum))
}

fn encode_ids_inner(rows: &IdRows, sum: Option<[u8; 32]>) -> Result<Vec<u8>> {
    let seq_len = u32::try_from(rows.seq_len).context("seq_len does not fit the id file")?;
    let mut out = Vec::with_capacity(HEADER_LEN + rows.ids.len() * 2);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&seq_len.to_le_bytes());
    out.extend_from_slice(&(rows.rows() as u64).to_le_bytes());
    out.resize(HEADER_LEN, 0);
    out.extend_from_slice(&le_bytes(&rows.ids));
    let sum = sum.unwrap_or_else(|| sha2::Sha256::digest(&out[HEADER_LEN..]).into());
    out[24..HEADER_LEN].copy_from_slice(&sum);
    Ok(out)
}

/// Writes `rows` to `path` atomically (see [`crate::util::write_atomic`]).
pub fn write_ids(path: &Path, rows: &IdRows) -> Result<()> {
    crate::util::write_atomic(path, &encode_ids(rows)?)
}

/// Reads an id file, verifying magic, version, shape and checksum; returns the rows and the
/// payload checksum (hex).
pub fn read_ids_checked(path: &Path) -> Result<(IdRows, String)> {
    read_ids_file(path)?.with_context(|| {
        format!(
            "{} is not a valid id file; re-run `textwgan prepare` to rebuild the dataset",
            path.display()
        )
    })
}

/// Reads an id file written by [`write_ids`]. A file that is truncated, padded, altered or
/// of another format is refused with a message naming it and saying to re-run prepare.
pub fn read_ids(path: &Path) -> Result<IdRows> {
    Ok(read_ids_checked(path)?.0)
}

/// Checks an id-file header against the payload size; returns (seq_len, rows).
fn parse_header(h: &[u8], payload_len: u64) -> Result<(usize, u64)> {
    if h.len() < HEADER_LEN {
        bail!(
            "only {} bytes, shorter than the {HEADER_LEN}-byte header",
            h.len()
        );
    }
    if &h[..8] != MAGIC {
        bail!("wrong magic bytes (not a textwgan id file)");
    }
    let u32_at = |i: usize| u32::from_le_bytes(h[i..i + 4].try_into().unwrap_or_default());
    let version = u32_at(8);
    if version != VERSION {
        bail!("format version {version}; this build reads version {VERSION}");
    }
    let seq_len = u32_at(12) as usize;
    let rows = u64::from_le_bytes(h[16..24].try_into().unwrap_or_default());
    if seq_len == 0 {
        bail!("header says seq_len 0");
    }
    let want = usize::try_from(rows)
        .ok()
        .and_then(|r| r.checked_mul(seq_len))
        .and_then(|n| n.checked_mul(2));
    if want.map(|w| w as u64) != Some(payload_len) {
        bail!(
            "truncated or padded: the header says {rows} rows × {seq_len} ids but the file \
             holds {payload_len} payload bytes"
        );
    }
    Ok((seq_len, rows))
}

/// Checks the payload checksum and builds the rows from the ids (already in host order).
fn finish_ids(header: &[u8], seq_len: usize, ids: Vec<u16>) -> Result<(IdRows, String)> {
    let sum = sha2::Sha256::digest(le_bytes(&ids));
    if sum[..] != header[24..56] {
        bail!("checksum mismatch: the ids were altered or corrupted");
    }
    Ok((IdRows::new(seq_len, ids), crate::util::hex(&sum)))
}

#[cfg(test)]
fn decode_ids(bytes: &[u8]) -> Result<(IdRows, String)> {
    let (seq_len, _) = parse_header(bytes, bytes.len().saturating_sub(HEADER_LEN) as u64)?;
    let ids = bytes[HEADER_LEN..]
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    finish_ids(bytes, seq_len, ids)
}

/// Reads an id file straight into the id buffer (no intermediate byte copy).
fn read_ids_file(path: &Path) -> Result<std::result::Result<(IdRows, String), anyhow::Error>> {
    use std::io::Read;
    let cannot = || {
        format!(
            "cannot read {} (re-run `textwgan prepare` to rebuild the dataset)",
            path.display()
        )
    };
    let mut f = std::fs::File::open(path).with_context(cannot)?;
    let len = f.metadata().with_context(cannot)?.len();
    let mut header = [0u8; HEADER_LEN];
    let got = (len as usize).min(HEADER_LEN);
    f.read_exact(&mut header[..got]).with_context(cannot)?;
    let (seq_len, rows) = match parse_header(&header[..got], len.saturating_sub(HEADER_LEN as u64))
    {
        Ok(x) => x,
        Err(e) => return Ok(Err(e)),
    };
    let mut ids = vec![0u16; rows as usize * seq_len];
    // SAFETY: u16 has no padding and every bit pattern is valid; the view covers exactly the
    // `2 * ids.len()` bytes of `ids`, borrowed mutably for this read only.
    let view =
        unsafe { std::slice::from_raw_parts_mut(ids.as_mut_ptr().cast::<u8>(), ids.len() * 2) };
    f.read_exact(view).with_context(cannot)?;
    for id in &mut ids {
        *id = u16::from_le(*id);
    }
    Ok(finish_ids(&header, seq_len, ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_is_as_documented() {
        let rows = IdRows::new(2, vec![1, 258, 3, 0]);
        let b = encode_ids(&rows).unwrap();
        assert_eq!(&b[..8], b"TWGNIDS\0");
        assert_eq!(&b[8..24], &[1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[56..], &[1, 0, 2, 1, 3, 0, 0, 0]);
        let sum = crate::util::sha256_hex(&[1, 0, 2, 1, 3, 0, 0, 0]);
        assert_eq!(crate::util::hex(&b[24..56]), sum);
        assert_eq!(encode_ids_with_sum(&rows, &sum).unwrap(), b);
        assert_eq!(ids_sha256(&rows), sum);
        assert_eq!(decode_ids(&b).unwrap(), (rows, sum));
    }

    #[test]
    fn damaged_files_are_refused() {
        let b = encode_ids(&IdRows::new(3, vec![5; 12])).unwrap();
        let mut flipped = b.clone();
        flipped[60] ^= 1;
        let mut shape = b.clone();
        shape[16] = 3;
        let cases = [
            (b[..b.len() - 2].to_vec(), "truncated"),
            ([&b[..], &[0, 0]].concat(), "padded"),
            (flipped, "checksum"),
            (shape, "truncated or padded"),
            (b[..20].to_vec(), "header"),
            ([b"XX", &b[2..]].concat(), "magic"),
        ];
        for (bytes, want) in cases {
            let e = decode_ids(&bytes).unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
        }
        let empty = encode_ids(&IdRows::new(4, vec![])).unwrap();
        assert_eq!(decode_ids(&empty).unwrap().0.rows(), 0);
    }
}
