//! Collecting kept lines as code points, applying the empty-line, long-line and
//! `--max-lines` policies as the text streams in.

use super::options::LongPolicy;
use super::text::LineSink;

/// Kept lines, stored flat: line `i` is `syms[starts[i]..starts[i + 1]]`.
pub(crate) struct Collector {
    seq_len: usize,
    long: LongPolicy,
    max_lines: Option<u64>,
    /// Symbols seen in the current line (capped at `seq_len + 1` unless chunking).
    cur: usize,
    /// Code points of all kept lines (and of the current one, at the end).
    pub syms: Vec<u32>,
    /// Start offsets into `syms`; always one more than the number of kept lines.
    pub starts: Vec<usize>,
    /// Empty lines seen.
    pub empty: u64,
    /// Lines cut to `seq_len`.
    pub cut: u64,
    /// Lines split into several rows.
    pub chunked: u64,
    /// Long lines dropped.
    pub skipped_long: u64,
}

impl Collector {
    pub fn new(seq_len: usize, long: LongPolicy, max_lines: Option<u64>) -> Collector {
        Collector {
            seq_len,
            long,
            max_lines,
            cur: 0,
            syms: Vec::new(),
            starts: vec![0],
            empty: 0,
            cut: 0,
            chunked: 0,
            skipped_long: 0,
        }
    }

    /// Number of kept lines.
    pub fn kept(&self) -> usize {
        self.starts.len() - 1
    }

    /// Kept line `i` as code points.
    pub fn line(&self, i: usize) -> &[u32] {
        &self.syms[self.starts[i]..self.starts[i + 1]]
    }

    /// Whether the `--max-lines` cap has been reached.
    pub fn full(&self) -> bool {
        self.max_lines.is_some_and(|m| self.kept() as u64 >= m)
    }

    fn drop_current(&mut self) {
        let start = self.starts[self.starts.len() - 1];
        self.syms.truncate(start);
        self.cur = 0;
    }
}

impl LineSink for Collector {
    fn text(&mut self, s: &str) {
        if self.long == LongPolicy::Chunk {
            let before = self.syms.len();
            self.syms.extend(s.chars().map(|c| c as u32));
            self.cur += self.syms.len() - before;
            return;
        }
        if self.cur > self.seq_len {
            return;
        }
        for c in s.chars() {
            if self.cur == self.seq_len {
                self.cur += 1; // one more symbol: the line is long
                return;
            }
            self.syms.push(c as u32);
            self.cur += 1;
        }
    }

    fn end_line(&mut self) -> bool {
        let n = self.cur;
        if n == 0 {
            self.empty += 1;
            return true;
        }
        if n > self.seq_len {
            match self.long {
                LongPolicy::Cut => self.cut += 1,
                LongPolicy::Chunk => self.chunked += 1,
                LongPolicy::Skip => {
                    self.skipped_long += 1;
                    self.drop_current();
                    return true;
                }
            }
        }
        self.cur = 0;
        self.starts.push(self.syms.len());
        !self.full()
    }

    fn discard_line(&mut self) {
        self.drop_current();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(c: &mut Collector, pieces: &[&str]) -> bool {
        for p in pieces {
            c.text(p);
        }
        c.end_line()
    }

    fn chars(s: &str) -> Vec<u32> {
        s.chars().map(|c| c as u32).collect()
    }

    #[test]
    fn cut_counts_symbols_not_bytes_across_pieces() {
        let mut c = Collector::new(3, LongPolicy::Cut, None);
        feed(&mut c, &["é", "😀ab", "cd"]);
        feed(&mut c, &["abc"]);
        feed(&mut c, &["", ""]);
        assert_eq!(c.line(0), chars("é😀a"));
        assert_eq!(c.line(1), chars("abc"));
        assert_eq!((c.kept(), c.cut, c.empty), (2, 1, 1));
    }

    #[test]
    fn chunk_keeps_everything_and_skip_drops_long_lines() {
        let mut c = Collector::new(2, LongPolicy::Chunk, None);
        feed(&mut c, &["abcde"]);
        feed(&mut c, &["xy"]);
        assert_eq!((c.line(0), c.chunked), (&chars("abcde")[..], 1));
        let mut s = Collector::new(2, LongPolicy::Skip, None);
        feed(&mut s, &["abc"]);
        feed(&mut s, &["xy"]);
        s.text("partial");
        s.discard_line();
        feed(&mut s, &["q"]);
        assert_eq!((s.kept(), s.skipped_long), (2, 1));
        assert_eq!((s.line(0), s.line(1)), (&chars("xy")[..], &chars("q")[..]));
    }

    #[test]
    fn max_lines_counts_kept_lines_only() {
        let mut c = Collector::new(4, LongPolicy::Skip, Some(2));
        assert!(feed(&mut c, &[""]));
        assert!(feed(&mut c, &["toolong"]));
        assert!(feed(&mut c, &["a"]));
        assert!(!feed(&mut c, &["b"]));
        assert_eq!(c.kept(), 2);
    }
}
