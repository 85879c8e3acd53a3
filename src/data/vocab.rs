//! The vocabulary: reserved PAD (0) and UNK (1), then symbols by descending frequency.

use std::collections::HashMap;

/// Id of the padding symbol (never a text character).
pub const PAD: u16 = 0;
/// Id of the unknown symbol (never a text character).
pub const UNK: u16 = 1;
/// Number of reserved ids before the first text symbol.
pub const RESERVED: usize = 2;

/// A character vocabulary: id 0 is PAD, id 1 is UNK, ids 2.. are text symbols
/// (one Unicode scalar value each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocab {
    symbols: Vec<char>,
    index: HashMap<char, u16>,
}

impl Vocab {
    /// A vocabulary whose text symbols get ids 2, 3, … in the given order.
    ///
    /// Panics if a symbol repeats or if there are more than `u16::MAX - 1` symbols;
    /// callers build `symbols` from a deduplicated, capped count table.
    pub fn from_symbols(symbols: Vec<char>) -> Vocab {
        assert!(
            symbols.len() + RESERVED <= u16::MAX as usize,
            "vocabulary too large"
        );
        let mut index = HashMap::with_capacity(symbols.len());
        for (i, &c) in symbols.iter().enumerate() {
            let prev = index.insert(c, (i + RESERVED) as u16);
            assert!(
                prev.is_none(),
                "symbol {c:?} appears twice in the vocabulary"
            );
        }
        Vocab { symbols, index }
    }

    /// Number of ids, PAD and UNK included.
    pub fn len(&self) -> usize {
        self.symbols.len() + RESERVED
    }

    /// Always false: PAD and UNK are always present.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The text symbols in id order (id = index + 2).
    pub fn symbols(&self) -> &[char] {
        &self.symbols
    }

    /// The id of `c`, or [`UNK`] when `c` is not in the vocabulary.
    pub fn id(&self, c: char) -> u16 {
        self.index.get(&c).copied().unwrap_or(UNK)
    }

    /// The character of a text id; `None` for PAD, UNK and ids out of range.
    pub fn symbol(&self, id: u16) -> Option<char> {
        (id as usize)
            .checked_sub(RESERVED)
            .and_then(|i| self.symbols.get(i).copied())
    }

    /// Encodes every character of `s` (no cutting, no padding).
    pub fn encode(&self, s: &str) -> Vec<u16> {
        s.chars().map(|c| self.id(c)).collect()
    }

    /// The vocabulary `prepare` builds from symbol counts: symbols with at least `min_count`
    /// occurrences, by descending count, ties by ascending code point, at most
    /// `max_vocab - 2` of them (PAD and UNK take the first two ids).
    pub fn from_counts<I: IntoIterator<Item = (char, u64)>>(
        counts: I,
        max_vocab: usize,
        min_count: u64,
    ) -> Vocab {
        let mut v: Vec<(char, u64)> = counts
            .into_iter()
            .filter(|&(_, n)| n > 0 && n >= min_count)
            .collect();
        v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let keep = max_vocab
            .saturating_sub(RESERVED)
            .min(u16::MAX as usize - RESERVED);
        v.truncate(keep);
        Vocab::from_symbols(v.into_iter().map(|(c, _)| c).collect())
    }

    /// SHA-256 (lowercase hex) of the canonical form: the ASCII bytes `textwgan-vocab-v1\n`
    /// followed by the code point of each text symbol, in id order, as 4 little-endian bytes.
    pub fn hash(&self) -> String {
        let mut bytes = b"textwgan-vocab-v1\n".to_vec();
        for &c in &self.symbols {
            bytes.extend_from_slice(&(c as u32).to_le_bytes());
        }
        crate::util::sha256_hex(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_counts_orders_by_count_then_code_point_and_caps() {
        let counts = [('b', 5), ('a', 5), ('z', 9), ('`', 1), ('q', 0), ('c', 2)];
        let v = Vocab::from_counts(counts, 100, 1);
        assert_eq!(v.symbols(), ['z', 'a', 'b', 'c', '`']);
        assert_eq!((v.id('z'), v.id('`'), v.id('q')), (2, 6, UNK));
        let v = Vocab::from_counts(counts, 4, 1);
        assert_eq!(v.symbols(), ['z', 'a']);
        assert_eq!(v.len(), 4);
        let v = Vocab::from_counts(counts, 100, 3);
        assert_eq!(v.symbols(), ['z', 'a', 'b']);
    }

    #[test]
    fn hash_is_of_the_documented_canonical_form() {
        let v = Vocab::from_symbols(vec!['a', 'é']);
        let mut bytes = b"textwgan-vocab-v1\n".to_vec();
        bytes.extend_from_slice(&[0x61, 0, 0, 0, 0xE9, 0, 0, 0]);
        assert_eq!(v.hash(), crate::util::sha256_hex(&bytes));
        assert_ne!(v.hash(), Vocab::from_symbols(vec!['é', 'a']).hash());
    }
}
