//! The generator: noise `[n, noise]` → softmax over the vocabulary at every position,
//! `[n, seq_len, vocab]`.

use super::layers::{dense, trunk};
use super::params::{Net, NetKind};
use burn::tensor::{activation::softmax, backend::Backend, Tensor};

/// Logits `[n, seq_len, vocab]` of the generator for noise `z` (`[n, noise]`).
pub fn logits<B: Backend>(net: &Net<B>, z: Tensor<B, 2>) -> Tensor<B, 3> {
    debug_assert_eq!(net.kind, NetKind::Generator);
    let s = &net.shape;
    let n = z.dims()[0];
    let h = trunk(
        net,
        dense(z, net.p(0), net.p(1)).reshape([n, s.seq_len, s.width]),
    );
    let last = net.last();
    dense(
        h.reshape([n * s.seq_len, s.width]),
        net.p(last),
        net.p(last + 1),
    )
    .reshape([n, s.seq_len, s.vocab])
}

/// The generator's output: a softmax over the vocabulary at every position.
pub fn forward<B: Backend>(net: &Net<B>, z: Tensor<B, 2>) -> Tensor<B, 3> {
    softmax(logits(net, z), 2)
}
