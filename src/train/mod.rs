//! Training: config → state → critic and generator steps → metrics and checkpoints.

pub mod adam;
pub mod batches;
pub mod checkpoint;

pub mod cli;
pub mod config;
pub mod evaluate;
pub mod metrics;
pub mod run;
pub mod safetensors;
pub mod step;

pub use checkpoint::{Checkpoint, RunInfo, TrainState};
pub use config::TrainConfig;
pub use run::{train, Outcome, TrainData};
