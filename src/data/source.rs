//! Input files: plain or gzip (`.gz`), hashed and counted as they are read.

use super::meta::SourceInfo;
use super::text::{read_lines, Encoding, InvalidPolicy, LineSink, ReadStats};
use anyhow::{Context, Result};
use sha2::Digest;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Hashes and counts the raw bytes of a file as they are read, and advances a progress bar.
struct Hashing<R> {
    inner: R,
    hasher: sha2::Sha256,
    bytes: u64,
    progress: indicatif::ProgressBar,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

impl<R: Read> Hashing<R> {
    /// Reads the rest of the file (so the hash covers all of it) and returns its info.
    fn finish(&mut self, path: &Path, lines_read: u64) -> Result<SourceInfo> {
        std::io::copy(self, &mut std::io::sink())
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(SourceInfo {
            path: path.display().to_string(),
            bytes: self.bytes,
            sha256: crate::util::hex(&std::mem::take(&mut self.hasher).finalize()),
            lines_read,
        })
    }
}

/// Whether `path` is read through gzip (its name ends in `.gz`).
pub fn is_gzip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

/// Reads the lines of one input file into `sink` (when `read` is true; otherwise only hashes
/// it) and returns its [`SourceInfo`] with the whole file's size and SHA-256.
pub fn read_source<S: LineSink>(
    path: &Path,
    enc: Encoding,
    invalid: InvalidPolicy,
    sink: &mut S,
    read: bool,
    progress: &indicatif::ProgressBar,
) -> Result<(SourceInfo, ReadStats)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut raw = Hashing {
        inner: file,
        hasher: sha2::Sha256::new(),
        bytes: 0,
        progress: progress.clone(),
    };
    let mut stats = ReadStats::default();
    if read {
        let name = path.display().to_string();
        if is_gzip(path) {
            let label = format!("{name} (decompressed)");
            let mut gz = flate2::read::MultiGzDecoder::new(&mut raw);
            stats = read_lines(&mut gz, &label, enc, invalid, sink)?;
        } else {
            stats = read_lines(&mut raw, &name, enc, invalid, sink)?;
        }
    }
    let info = raw.finish(path, stats.lines)?;
    Ok((info, stats))
}
