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
}
