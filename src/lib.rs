//! textwgan: Wasserstein GANs with gradient penalty on text and other discrete sequences.
//!
//! Data flows one way: corpus → [`data`] (dataset) → [`model`] → [`train`] (checkpoints)
//! → [`sample`] (text) → [`eval`] (metrics). [`baseline`] gives Markov-chain reference points.

pub mod baseline;
pub mod cpu;
pub mod data;
pub mod device;
pub mod eval;
pub mod model;
pub mod report;
pub mod rng;
pub mod sample;
pub mod train;
pub mod util;
