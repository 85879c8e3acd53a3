//! Corpus → dataset: reading messy text, the vocabulary, and the versioned dataset files
//! that `prepare` writes and every other subcommand reads.

pub mod dataset;
pub mod prepare;
pub mod text;
pub mod vocab;

pub use dataset::{Dataset, IdRows};
pub use vocab::{Vocab, PAD, UNK};
