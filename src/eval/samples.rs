//! Reading a samples file: one sample per line, UTF-8, encoded with the dataset's vocabulary.

use crate::data::{Vocab, UNK};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Samples read from a text file, as id sequences cut to seq_len.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Samples {
    /// One id sequence per line (at most seq_len ids; no PAD).
    pub seqs: Vec<Vec<u16>>,
    /// Lines longer than seq_len symbols (cut).
    pub cut: u64,
    /// Symbols not in the vocabulary (encoded as UNK), counted before cutting.
    pub unk: u64,
    /// Symbols read, before cutting.
    pub symbols: u64,
}

/// Reads the samples file at `path` (see [`parse_samples`]).
pub fn read_samples(path: &Path, vocab: &Vocab, seq_len: usize) -> Result<Samples> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read samples file {}", path.display()))?;
    parse_samples(&bytes, &path.display().to_string(), vocab, seq_len)
}

/// Parses samples: lines end at `\n` (a `\r` before it is dropped; a missing final newline
/// loses nothing; a leading byte order mark is skipped). An empty line is a sample of length 0.
/// Characters outside the vocabulary become UNK (so U+FFFD, as `sample` writes UNK, re-encodes
/// to UNK). Lines longer than `seq_len` symbols are cut and counted in [`Samples::cut`].
/// Invalid UTF-8 is an error naming the line and byte offset; a file without any line is an error.
pub fn parse_samples(bytes: &[u8], name: &str, vocab: &Vocab, seq_len: usize) -> Result<Samples> {
    let start = if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let body = &bytes[start..];
    if body.is_empty() {
        bail!("samples file {name} is empty: expected one sample per line");
    }
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let mut out = Samples {
        seqs: Vec::new(),
        cut: 0,
        unk: 0,
        symbols: 0,
    };
    let mut offset = start;
    for (i, raw) in body.split(|&b| b == b'\n').enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(line).map_err(|e| {
            anyhow::anyhow!(
                "samples file {name}, line {}: invalid UTF-8 at byte offset {} \
                 (byte {} of the line); samples must be UTF-8 text, one per line",
                i + 1,
                offset + e.valid_up_to(),
                e.valid_up_to()
            )
        })?;
        let mut seq = Vec::with_capacity(seq_len);
        let mut len = 0u64;
        for c in text.chars() {
            let id = vocab.id(c);
            out.unk += (id == UNK) as u64;
            len += 1;
            if seq.len() < seq_len {
                seq.push(id);
            }
        }
        out.symbols += len;
        out.cut += (len > seq_len as u64) as u64;
        out.seqs.push(seq);
        offset += raw.len() + 1;
    }
    Ok(out)
}
