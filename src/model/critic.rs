//! The critic, its input-gradient written as differentiable ops, and the gradient penalty.
//!
//! Forward: `h₀ = x·W_in + b_in`, `hₖ = hₖ₋₁ + s·C₂(relu(C₁(relu(hₖ₋₁))))`,
//! `D = flatten(h_N)·W_fc + b_fc`. The input-gradient of `Σ_b D(x_b)` is (see
//! `../shared/design/gradient-penalty.md`): `δ_N = W_fc` seen as `[seq, width]`;
//! `δₖ₋₁ = δₖ + s·m₀ ⊙ C₁ᵀ(m₁ ⊙ C₂ᵀ(δₖ))` with the ReLU masks `m₀ = [hₖ₋₁ > 0]`,
//! `m₁ = [C₁(relu(hₖ₋₁)) > 0]`; `g = δ₀·W_inᵀ`. Written with the critic's own (tracked)
//! weights, one ordinary backward of a loss on `g` gives the exact parameter gradient.

use super::layers::{conv, conv_transpose, dense, trunk};
use super::params::{Net, NetKind};
use burn::tensor::{activation::relu, backend::AutodiffBackend, backend::Backend, Tensor};

/// Critic scores `[n, 1]` of inputs `x` (`[n, seq_len, vocab]`, one-hot or softmax rows).
pub fn forward<B: Backend>(net: &Net<B>, x: Tensor<B, 3>) -> Tensor<B, 2> {
    debug_assert_eq!(net.kind, NetKind::Critic);
    let s = &net.shape;
    let n = x.dims()[0];
    let h = trunk(net, embed(net, x));
    let last = net.last();
    dense(
        h.reshape([n, s.seq_len * s.width]),
        net.p(last),
        net.p(last + 1),
    )
}

/// The first layer (a kernel-1 convolution): `[n, seq, vocab]` → `[n, seq, width]`.
fn embed<B: Backend>(net: &Net<B>, x: Tensor<B, 3>) -> Tensor<B, 3> {
    let [n, l, v] = x.dims();
    dense(x.reshape([n * l, v]), net.p(0), net.p(1)).reshape([n, l, net.shape.width])
}

/// The ReLU masks (0/1 floats) of a forward pass, per block: `pre[k] = [hₖ₋₁ > 0]` and
/// `mid[k] = [C₁(relu(hₖ₋₁)) > 0]`, each `[n, seq, width]`.
#[derive(Debug, Clone)]
pub struct Masks<B: Backend> {
    /// Mask of the block input's ReLU, per block.
    pub pre: Vec<Tensor<B, 3>>,
    /// Mask of the inner ReLU, per block.
    pub mid: Vec<Tensor<B, 3>>,
}

impl<B: Backend> Masks<B> {
    /// The same masks on another backend.
    pub fn map<B2: Backend>(self, f: impl Fn(Tensor<B, 3>) -> Tensor<B2, 3>) -> Masks<B2> {
        Masks {
            pre: self.pre.into_iter().map(&f).collect(),
            mid: self.mid.into_iter().map(&f).collect(),
        }
    }
}

/// Runs the critic on `x` and records its ReLU masks (the score itself is not needed).
pub fn masks<B: Backend>(net: &Net<B>, x: Tensor<B, 3>) -> Masks<B> {
    let s = &net.shape;
    let mut h = embed(net, x);
    let (mut pre, mut mid) = (Vec::new(), Vec::new());
    for b in 0..s.blocks {
        let i = net.block(b);
        pre.push(h.clone().greater_elem(0.0).float());
        let a1 = conv(relu(h.clone()), net.p(i), Some(net.p(i + 1)), s.kernel);
        mid.push(a1.clone().greater_elem(0.0).float());
        let a2 = conv(relu(a1), net.p(i + 2), Some(net.p(i + 3)), s.kernel);
        h = h + a2.mul_scalar(s.residual_scale);
    }
    Masks { pre, mid }
}

/// The masks of a forward pass on the inner backend (no graph), lifted as constants.
pub fn masks_untracked<A: AutodiffBackend>(net: &Net<A>, x: Tensor<A, 3>) -> Masks<A> {
    let inner = net.map(|t| t.inner());
    masks(&inner, x.inner()).map(Tensor::from_inner)
}

/// `∇ₓ Σ_b D(x_b)` for the `n` inputs whose ReLU `masks` are given: `[n, seq, vocab]`.
/// Built from the critic's weights with ordinary ops, so it is differentiable in them.
pub fn input_gradient<B: Backend>(net: &Net<B>, masks: &Masks<B>, n: usize) -> Tensor<B, 3> {
    let s = &net.shape;
    let (l, w, k) = (s.seq_len, s.width, s.kernel);
    // δ_N: the output layer's weight as [1, seq, width], shared by every sample.
    let mut delta = net.p(net.last()).reshape([1, l, w]);
    for b in (0..s.blocks).rev() {
        let i = net.block(b);
        let t = conv_transpose(delta.clone(), net.p(i + 2), k) * masks.mid[b].clone();
        let t = conv_transpose(t, net.p(i), k) * masks.pre[b].clone();
        delta = delta + t.mul_scalar(s.residual_scale);
    }
    let [d0, _, _] = delta.dims();
    let g = delta
        .reshape([d0 * l, w])
        .matmul(net.p(0).transpose())
        .reshape([d0, l, s.vocab]);
    if d0 == n {
        g
    } else {
        g.expand([n, l, s.vocab])
    }
}

/// Per-sample gradient norms `sqrt(Σ g² + eps)` (`[n]`), finite at a zero gradient.
pub fn slopes<B: Backend>(g: Tensor<B, 3>, eps: f64) -> Tensor<B, 1> {
    let [n, l, v] = g.dims();
    g.reshape([n, l * v])
        .powi_scalar(2)
        .sum_dim(1)
        .add_scalar(eps)
        .sqrt()
        .reshape([n])
}

/// The gradient penalty `mean_b (slope_b − 1)²` (a one-element tensor).
pub fn gradient_penalty<B: Backend>(g: Tensor<B, 3>, eps: f64) -> Tensor<B, 1> {
    slopes(g, eps).sub_scalar(1.0).powi_scalar(2).mean()
}
