//! Corpus → dataset: reading messy text, the vocabulary, and the versioned dataset files
//! that `prepare` writes and every other subcommand reads. Policies: `docs/prepare.md`.

mod collect;
pub mod dataset;
pub mod ids;
pub mod meta;
pub mod options;
pub mod outdir;
pub mod prepare;
mod prepare_cli;
pub mod source;
pub mod text;
pub mod tokenizer;
pub mod vocab;

pub use dataset::{Dataset, DatasetHead, IdRows};
pub use meta::Meta;
pub use vocab::{Vocab, PAD, UNK};
