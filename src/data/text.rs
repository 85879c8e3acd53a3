//! Reading corpus text: encodings, line endings, BOM, invalid bytes, streaming.
//!
//! Policies (see `docs/prepare.md`):
//! - Line terminators are exactly those of Python's `str.splitlines`: `\n`, `\r\n` (one
//!   terminator), a lone `\r`, `\x0B` (VT), `\x0C` (FF), `\x1C`, `\x1D`, `\x1E`, U+0085 (NEL),
//!   U+2028 and U+2029. No terminator ever reaches a [`LineSink`]. The end of the input ends the
//!   last line (a missing final newline loses nothing); a terminator at the very end does not
//!   start another (empty) line.
//! - A UTF-8 byte order mark at the start of the input is dropped (UTF-8 mode only). An input
//!   that starts with a UTF-16 byte order mark is refused.
//! - Every other character, tab and other control characters included, is text.
//! - Invalid UTF-8 is handled by [`InvalidPolicy`].
//!
//! The reader works on large chunks and hands out borrowed `&str` pieces, so a line is never
//! copied into its own `String`, and a very long line is delivered in several pieces instead of
//! being held in memory whole.

use anyhow::{bail, Result};
use std::io::{ErrorKind, Read};

/// Size of one read from the input.
const CHUNK: usize = 1 << 20;

/// How input bytes become characters.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
pub enum Encoding {
    /// UTF-8 (a leading byte order mark is dropped).
    #[default]
    #[serde(rename = "utf-8")]
    #[value(name = "utf-8")]
    Utf8,
    /// ISO-8859-1: every byte is the character with that code point (never invalid).
    #[serde(rename = "latin1")]
    #[value(name = "latin1")]
    Latin1,
}

/// What to do with a line that contains bytes that are not valid UTF-8.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum InvalidPolicy {
    /// Stop with an error naming the file, line and byte offset.
    #[default]
    Error,
    /// Drop the whole line (counted as invalid).
    SkipLine,
    /// Replace each invalid sequence by U+FFFD (the line is kept and counted as invalid).
    Replace,
}

/// Receives the lines of an input, piece by piece.
pub trait LineSink {
    /// More text of the current line (never contains a line terminator; may be empty).
    fn text(&mut self, s: &str);
    /// The current line is complete. Return `false` to stop reading.
    fn end_line(&mut self) -> bool;
    /// The current line is dropped (invalid bytes under [`InvalidPolicy::SkipLine`]): forget
    /// the text received for it. No `end_line` follows for this line.
    fn discard_line(&mut self);
}

/// What [`read_lines`] saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Lines seen (empty and invalid ones included).
    pub lines: u64,
    /// Lines that contained invalid UTF-8 (dropped or repaired, by policy).
    pub invalid_lines: u64,
    /// Bytes of (decompressed) input consumed.
    pub bytes: u64,
    /// Whether the sink asked to stop before the end of the input.
    pub stopped: bool,
}

/// Where a line terminator candidate was found in a buffer.
enum Scan {
    /// A terminator of `len` bytes at `at`.
    Found { at: usize, len: usize },
    /// Bytes from `at` may start a terminator, but the buffer ends before we can tell.
    NeedMore { at: usize },
    /// No terminator in the buffer.
    None,
}

/// Bytes that end a line on their own or may start a multi-byte terminator.
fn candidate_table(enc: Encoding) -> [bool; 256] {
    let mut t = [false; 256];
    for b in [b'\n', 0x0B, 0x0C, b'\r', 0x1C, 0x1D, 0x1E] {
        t[b as usize] = true;
    }
    match enc {
        Encoding::Utf8 => {
            t[0xC2] = true; // U+0085 = C2 85
            t[0xE2] = true; // U+2028 = E2 80 A8, U+2029 = E2 80 A9
        }
        Encoding::Latin1 => t[0x85] = true,
    }
    t
}

fn scan(buf: &[u8], table: &[bool; 256], enc: Encoding, eof: bool) -> Scan {
    let mut from = 0;
    while let Some(off) = buf[from..].iter().position(|&b| table[b as usize]) {
        let at = from + off;
        let rest = &buf[at..];
        let need = |n: usize| rest.len() < n && !eof;
        match rest[0] {
            b'\r' => {
                if need(2) {
                    return Scan::NeedMore { at };
                }
                let len = if rest.get(1) == Some(&b'\n') { 2 } else { 1 };
                return Scan::Found { at, len };
            }
            0xC2 if enc == Encoding::Utf8 => {
                if need(2) {
                    return Scan::NeedMore { at };
                }
                if rest.get(1) == Some(&0x85) {
                    return Scan::Found { at, len: 2 };
                }
            }
            0xE2 if enc == Encoding::Utf8 => {
                if need(3) {
                    return Scan::NeedMore { at };
                }
                if rest.get(1) == Some(&0x80) && matches!(rest.get(2), Some(0xA8 | 0xA9)) {
                    return Scan::Found { at, len: 3 };
                }
            }
            _ => return Scan::Found { at, len: 1 },
        }
        from = at + 1;
    }
    Scan::None
}

/// Line-by-line decoding state for one input.
struct Decoder<'a, S: LineSink> {
    name: &'a str,
    enc: Encoding,
    invalid: InvalidPolicy,
    sink: &'a mut S,
    stats: ReadStats,
    /// The current line has (or had) content or started: it will count as a line.
    line_open: bool,
    /// The current line hit invalid bytes.
    line_bad: bool,
    latin1: String,
}

impl<S: LineSink> Decoder<'_, S> {
    /// Hands `bytes` (part of the current line, starting at stream offset `offset`) to the
    /// sink. Returns how many bytes were consumed: all of them, except an incomplete UTF-8
    /// character at the end when `line_done` is false (it is completed by the next read).
    fn piece(&mut self, bytes: &[u8], offset: u64, line_done: bool) -> Result<usize> {
        if !bytes.is_empty() {
            self.line_open = true;
        }
        if self.line_bad && self.invalid == InvalidPolicy::SkipLine {
            return Ok(bytes.len());
        }
        if self.enc == Encoding::Latin1 {
            self.latin1.clear();
            self.latin1.extend(bytes.iter().map(|&b| b as char));
            self.sink.text(&self.latin1);
            return Ok(bytes.len());
        }
        let mut done = 0;
        loop {
            let rest = &bytes[done..];
            match std::str::from_utf8(rest) {
                Ok(s) => {
                    self.sink.text(s);
                    return Ok(bytes.len());
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    let good = std::str::from_utf8(&rest[..valid]).unwrap_or_default();
                    let bad_len = match e.error_len() {
                        None if !line_done => {
                            self.sink.text(good);
                            return Ok(done + valid);
                        }
                        None => rest.len() - valid,
                        Some(n) => n,
                    };
                    let at = offset + (done + valid) as u64;
                    self.bad_bytes(&rest[valid..valid + bad_len], at)?;
                    if self.invalid == InvalidPolicy::SkipLine {
                        return Ok(bytes.len());
                    }
                    self.sink.text(good);
                    self.sink.text("\u{FFFD}");
                    done += valid + bad_len;
                }
            }
        }
    }

    fn bad_bytes(&mut self, bad: &[u8], at: u64) -> Result<()> {
        let line = self.stats.lines + 1;
        match self.invalid {
            InvalidPolicy::Error => {
                let hex: Vec<String> = bad.iter().map(|b| format!("0x{b:02X}")).collect();
                bail!(
                    "{}: line {line}, byte offset {at}: invalid UTF-8 ({}); nothing was written. \
                     Use --invalid skip-line to drop such lines, --invalid replace to replace \
                     bad bytes by U+FFFD, or --encoding latin1 if the file is Latin-1",
                    self.name,
                    hex.join(" ")
                );
            }
            InvalidPolicy::SkipLine => {
                if !self.line_bad {
                    self.sink.discard_line();
                }
            }
            InvalidPolicy::Replace => {}
        }
        self.line_bad = true;
        Ok(())
    }

    /// Ends the current line. Returns `false` when the sink asks to stop.
    fn end_line(&mut self) -> bool {
        self.stats.lines += 1;
        let bad = std::mem::take(&mut self.line_bad);
        self.line_open = false;
        if bad {
            self.stats.invalid_lines += 1;
            if self.invalid == InvalidPolicy::SkipLine {
                return true;
            }
        }
        self.sink.end_line()
    }
}

/// Reads `reader` to the end (or until the sink stops), handing every line to `sink`.
///
/// `name` is used in error messages (e.g. the file name). Errors: invalid UTF-8 under
/// [`InvalidPolicy::Error`] (naming line and byte offset), a UTF-16 input, and read errors.
pub fn read_lines<R: Read, S: LineSink>(
    mut reader: R,
    name: &str,
    enc: Encoding,
    invalid: InvalidPolicy,
    sink: &mut S,
) -> Result<ReadStats> {
    let table = candidate_table(enc);
    let mut dec = Decoder {
        name,
        enc,
        invalid,
        sink,
        stats: ReadStats::default(),
        line_open: false,
        line_bad: false,
        latin1: String::new(),
    };
    let mut buf = vec![0u8; CHUNK + 8];
    let mut len = 0; // valid bytes in buf
    let mut base = 0u64; // stream offset of buf[0]
    let mut eof = false;
    let mut first = true;
    loop {
        // Fill the buffer (at least a little; a short read is fine).
        while !eof && len < buf.len() {
            match reader.read(&mut buf[len..]) {
                Ok(0) => eof = true,
                Ok(n) => {
                    len += n;
                    if !first || len >= 3 {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(anyhow::Error::new(e).context(format!("{name}: cannot read"))),
            }
        }
        let mut pos = 0;
        if first {
            first = false;
            if enc == Encoding::Utf8 {
                if buf[..len].starts_with(&[0xEF, 0xBB, 0xBF]) {
                    pos = 3;
                } else if buf[..len].starts_with(&[0xFF, 0xFE])
                    || buf[..len].starts_with(&[0xFE, 0xFF])
                {
                    bail!(
                        "{name}: starts with a UTF-16 byte order mark; convert it to UTF-8 first \
                         (e.g. `iconv -f UTF-16 -t UTF-8`)"
                    );
                }
            }
        }
        let stop_at = loop {
            match scan(&buf[pos..len], &table, enc, eof) {
                Scan::Found { at, len: tl } => {
                    dec.piece(&buf[pos..pos + at], base + pos as u64, true)?;
                    pos += at + tl;
                    if !dec.end_line() {
                        dec.stats.bytes = base + pos as u64;
                        dec.stats.stopped = true;
                        return Ok(dec.stats);
                    }
                }
                Scan::NeedMore { at } => break pos + at,
                Scan::None => break len,
            }
        };
        if eof {
            let rest = &buf[pos..len];
            dec.piece(rest, base + pos as u64, true)?;
            if dec.line_open && !dec.end_line() {
                dec.stats.stopped = true;
            }
            dec.stats.bytes = base + len as u64;
            return Ok(dec.stats);
        }
        // Hand over the partial line now (memory does not grow with line length), keeping
        // only an incomplete character or terminator for the next read.
        let used = dec.piece(&buf[pos..stop_at], base + pos as u64, false)?;
        let keep_from = pos + used;
        buf.copy_within(keep_from..len, 0);
        base += keep_from as u64;
        len -= keep_from;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects whole lines as strings.
    #[derive(Default)]
    struct Lines {
        cur: String,
        out: Vec<String>,
        max: Option<usize>,
    }

    impl LineSink for Lines {
        fn text(&mut self, s: &str) {
            self.cur.push_str(s);
        }
        fn end_line(&mut self) -> bool {
            self.out.push(std::mem::take(&mut self.cur));
            self.max.is_none_or(|m| self.out.len() < m)
        }
        fn discard_line(&mut self) {
            self.cur.clear();
        }
    }

    fn lines(bytes: &[u8], enc: Encoding, inv: InvalidPolicy) -> Result<(Vec<String>, ReadStats)> {
        let mut sink = Lines::default();
        let st = read_lines(bytes, "t.txt", enc, inv, &mut sink)?;
        Ok((sink.out, st))
    }

    fn utf8(bytes: &[u8]) -> Vec<String> {
        lines(bytes, Encoding::Utf8, InvalidPolicy::Error)
            .unwrap()
            .0
    }

    #[test]
    fn every_terminator_ends_a_line_and_none_is_kept() {
        let input = "a\nb\r\nc\rd\x0Be\x0Cf\x1Cg\x1Dh\x1Ei\u{85}j\u{2028}k\u{2029}l";
        let want: Vec<&str> = "abcdefghijkl".split("").filter(|s| !s.is_empty()).collect();
        assert_eq!(utf8(input.as_bytes()), want);
    }

    #[test]
    fn final_newline_optional_and_empty_lines_are_lines() {
        assert_eq!(utf8(b"x\ny"), ["x", "y"]);
        assert_eq!(utf8(b"x\ny\n"), ["x", "y"]);
        assert_eq!(utf8(b"x\n\n\r\n"), ["x", "", ""]);
        assert!(utf8(b"").is_empty());
        assert_eq!(utf8(b"\r\r\n"), ["", ""]);
    }

    #[test]
    fn bom_dropped_tab_and_near_terminators_kept() {
        // U+2027 (E2 80 A7) and U+00A0 (C2 A0) look like terminator prefixes but are text.
        let s = "\u{FEFF}a\tb\u{2027}c\u{A0}d\u{FEFF}";
        assert_eq!(utf8(s.as_bytes()), ["a\tb\u{2027}c\u{A0}d\u{FEFF}"]);
        let e = lines(
            &[0xFF, 0xFE, b'a', 0],
            Encoding::Utf8,
            InvalidPolicy::Replace,
        );
        assert!(e.unwrap_err().to_string().contains("UTF-16"));
    }

    #[test]
    fn invalid_utf8_error_names_line_and_offset() {
        let err = lines(b"ok\nab\xFFc\n", Encoding::Utf8, InvalidPolicy::Error).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("t.txt: line 2, byte offset 5"), "{msg}");
        assert!(
            msg.contains("0xFF") && msg.contains("--invalid skip-line"),
            "{msg}"
        );
    }

    #[test]
    fn invalid_skip_and_replace() {
        let input = b"ok\nab\xFFc\xC3\nend\xE2\x82";
        let (l, st) = lines(input, Encoding::Utf8, InvalidPolicy::SkipLine).unwrap();
        assert_eq!(l, ["ok"]);
        assert_eq!((st.lines, st.invalid_lines), (3, 2));
        let (l, st) = lines(input, Encoding::Utf8, InvalidPolicy::Replace).unwrap();
        assert_eq!(l, ["ok", "ab\u{FFFD}c\u{FFFD}", "end\u{FFFD}"]);
        assert_eq!(st.invalid_lines, 2);
        // Same result as the standard library's lossy decoding, line by line.
        assert_eq!(l[1], String::from_utf8_lossy(b"ab\xFFc\xC3"));
    }

    #[test]
    fn latin1_maps_bytes_to_code_points() {
        let (l, _) = lines(
            b"caf\xE9\x85x\xC2\xA0",
            Encoding::Latin1,
            InvalidPolicy::Error,
        )
        .unwrap();
        assert_eq!(l, ["caf\u{E9}", "x\u{C2}\u{A0}"]);
    }

    /// A reader that returns one byte per call, to split everything across reads.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || out.is_empty() {
                return Ok(0);
            }
            out[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }

    #[test]
    fn pieces_split_across_reads_give_the_same_lines() {
        let input = "\u{FEFF}é\r\nß€\u{2028}x\r😀\u{85}y\n".as_bytes();
        let mut sink = Lines::default();
        read_lines(
            Trickle(input),
            "t",
            Encoding::Utf8,
            InvalidPolicy::Error,
            &mut sink,
        )
        .unwrap();
        assert_eq!(sink.out, utf8(input));
        assert_eq!(sink.out, ["é", "ß€", "x", "😀", "y"]);
    }

    #[test]
    fn long_line_across_chunks_and_stop_request() {
        let mut input = "é".repeat(CHUNK); // 2 MiB, a character split at every chunk edge
        input.push_str("\nnext\nlast");
        assert_eq!(
            utf8(input.as_bytes()),
            [&"é".repeat(CHUNK)[..], "next", "last"]
        );
        let mut sink = Lines {
            max: Some(2),
            ..Default::default()
        };
        let st = read_lines(
            input.as_bytes(),
            "t",
            Encoding::Utf8,
            InvalidPolicy::Error,
            &mut sink,
        )
        .unwrap();
        assert!(st.stopped);
        assert_eq!(sink.out.len(), 2);
        assert_eq!(st.bytes, (2 * CHUNK + 6) as u64);
    }
}
