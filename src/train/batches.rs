//! The data order: a seeded shuffle of the training rows, epoch after epoch. The cursor
//! (epoch, position) is part of the training state, so a resumed run sees the same batches.

use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Where the next batch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Epoch (each epoch has its own shuffle).
    pub epoch: u64,
    /// Position inside the epoch's order.
    pub pos: usize,
}

/// Draws batches of row indices without replacement within an epoch.
#[derive(Debug, Clone)]
pub struct Batches {
    rows: usize,
    seed: u64,
    order: Vec<usize>,
    cursor: Cursor,
}

impl Batches {
    /// Batches over `rows` training rows, ordered by `seed`, starting at `cursor`.
    pub fn new(rows: usize, seed: u64, cursor: Cursor) -> Batches {
        assert!(rows > 0, "no training rows");
        let order = Self::order(rows, seed, cursor.epoch);
        Batches {
            rows,
            seed,
            order,
            cursor,
        }
    }

    fn order(rows: usize, seed: u64, epoch: u64) -> Vec<usize> {
        let mut v: Vec<usize> = (0..rows).collect();
        Rng::derive(seed.wrapping_add(epoch), "data-order").shuffle(&mut v);
        v
    }

    /// The cursor of the next batch.
    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    /// The next `n` row indices; an epoch boundary inside a batch continues in the next
    /// epoch's order.
    pub fn next_batch(&mut self, n: usize) -> Vec<usize> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            if self.cursor.pos == self.rows {
                self.cursor = Cursor {
                    epoch: self.cursor.epoch + 1,
                    pos: 0,
                };
                self.order = Self::order(self.rows, self.seed, self.cursor.epoch);
            }
            out.push(self.order[self.cursor.pos]);
            self.cursor.pos += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_once_per_epoch_and_resume_continues_exactly() {
        let mut b = Batches::new(10, 5, Cursor { epoch: 0, pos: 0 });
        let mut first: Vec<usize> = (0..5).flat_map(|_| b.next_batch(2)).collect();
        first.sort();
        assert_eq!(first, (0..10).collect::<Vec<_>>());
        let a = b.next_batch(3);
        let mut resumed = Batches::new(10, 5, b.cursor());
        let mut straight = b.clone();
        assert_eq!(resumed.next_batch(15), straight.next_batch(15));
        assert_eq!(b.cursor().epoch, 1);
        assert_ne!(a, vec![0, 1, 2]);
    }
}
