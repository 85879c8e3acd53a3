//! The networks: a convolutional ResNet generator and critic, laid out channels-last so
//! that every convolution is one large matrix product, and the critic's input-gradient
//! written as ordinary differentiable ops (for the exact gradient penalty).
//!
//! Parameters are plain 2-D tensors held by [`Net`]; the forward functions take a net and
//! its inputs, so the same code runs on any backend, with or without autodiff.

pub mod critic;
pub mod generator;
pub mod layers;
pub mod params;

pub use params::{ModelShape, Net, NetKind, ParamSpec};
