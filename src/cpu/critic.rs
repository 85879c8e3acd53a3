//! The critic on the CPU engine: forward with its stash, the backward of the score terms,
//! and the exact gradient penalty (the input-gradient chain of [`crate::model::critic`] and
//! its own backward, written out).

use super::act::{
    conv, conv_t, mask_in_place, masked_broadcast, scaled_broadcast, weight_grad, weighted_sum,
    Act, Shape,
};
use super::trunk::{self, add_to, block, Top, Trunk};
use super::Real;
use crate::model::ModelShape;

/// A forward pass: the input rows, the trunk's stash and one score per sample.
pub struct Pass<T> {
    /// The input (`vocab` channels).
    pub x: Act<T>,
    /// Per-block ReLU outputs and the trunk output (the last block's input for a pass
    /// without scores, see [`forward`]).
    pub trunk: Trunk<T>,
    /// `D(x_b)`.
    pub scores: Vec<T>,
}

/// The layout of a critic input of `n` samples.
pub fn input_shape(ms: &ModelShape, n: usize) -> Shape {
    Shape {
        n,
        l: ms.seq_len,
        c: ms.vocab,
    }
}

/// The output layer's weight `[seq·width, 1]` as one sample of width channels.
fn fc_as_sample<T: Real>(ms: &ModelShape, p: &[&[T]]) -> Act<T> {
    let s = Shape {
        n: 1,
        l: ms.seq_len,
        c: ms.width,
    };
    Act {
        s,
        d: p[block(ms.blocks)].to_vec(),
    }
}

/// Scores of every sample of `x`, keeping what the backward passes need. Without `scores`
/// (a penalty pass, which needs only the ReLU masks), the last conv and the scores are
/// skipped and `scores` is empty.
pub fn forward<T: Real>(ms: &ModelShape, p: &[&[T]], x: Act<T>, scores: bool) -> Pass<T> {
    let h0 = conv(x.view(), p[0], ms.width, 1, Some(p[1]));
    let tr = trunk::forward(ms, p, h0, !scores);
    if !scores {
        return Pass {
            x,
            trunk: tr,
            scores: Vec::new(),
        };
    }
    let last = block(ms.blocks);
    let (wfc, bfc) = (&p[last], p[last + 1][0]);
    let s = tr.h.s;
    let mut scores = vec![bfc; s.n];
    for t in 0..s.l {
        let wt = &wfc[t * s.c..(t + 1) * s.c];
        for (b, sc) in scores.iter_mut().enumerate() {
            let h = tr.h.row(s.row(b, t));
            *sc += h.iter().zip(wt).map(|(&a, &w)| a * w).sum::<T>();
        }
    }
    Pass {
        x,
        trunk: tr,
        scores,
    }
}

/// Backward of `Σ_b coef[b]·D(x_b)` over the samples of `pass`. With `grads`, adds the
/// parameter gradients; with `want_input`, returns the gradient with respect to the input.
pub fn backward<T: Real>(
    ms: &ModelShape,
    p: &[&[T]],
    pass: &Pass<T>,
    coef: &[T],
    mut grads: Option<&mut [Vec<T>]>,
    want_input: bool,
) -> Option<Act<T>> {
    assert_eq!(coef.len(), pass.x.s.n);
    let last = block(ms.blocks);
    if let Some(g) = grads.as_deref_mut() {
        let hc = weighted_sum(pass.trunk.h.view(), coef);
        add_to(&mut g[last], &hc.d);
        g[last + 1][0] += coef.iter().copied().sum::<T>();
    }
    let top = Top::Rank1 {
        one: fc_as_sample(ms, p),
        coef: coef.to_vec(),
    };
    let dh0 = trunk::backward(ms, p, &pass.trunk, top, grads.as_deref_mut());
    if let Some(g) = grads {
        weight_grad(&mut g[0], pass.x.view(), dh0.view(), 1);
        add_to(&mut g[1], &dh0.col_sums());
    }
    want_input.then(|| conv_t(dh0.view(), p[0], ms.vocab, 1))
}

/// `x ← s·x ⊙ [m > 0]` in one pass.
fn scale_masked<T: Real>(x: &mut Act<T>, s: T, m: super::act::View<T>) {
    assert_eq!(x.s, m.s);
    super::act::zip_apply(&mut x.d, m.d, |v, g| {
        *v = if g > T::zero() { s * *v } else { T::zero() };
    });
}

/// The penalty `λ·mean_b (‖∇ₓD(x_b)‖ − 1)²` over the samples of `pass`, with slopes
/// `sqrt(Σ g² + eps)`; adds its exact parameter gradient to `grads` and returns the
/// unscaled `mean (slope − 1)²`.
pub fn penalty<T: Real>(
    ms: &ModelShape,
    p: &[&[T]],
    pass: &Pass<T>,
    lambda: f64,
    eps: f64,
    grads: &mut [Vec<T>],
) -> T {
    let (w, k, s) = (ms.width, ms.kernel, T::of(ms.residual_scale));
    let n = pass.x.s.n;
    let nb = ms.blocks;
    let tr = &pass.trunk;
    let (a, u): (Vec<_>, Vec<_>) = (0..nb).map(|b| (tr.a[b].view(), tr.u[b].view())).unzip();
    // The input-gradient chain: δ_N = W_fc (one sample), then per block, last first,
    // ê = C₂ᵀ(δ) ⊙ m_u, δ ← δ + s·(C₁ᵀ(ê) ⊙ m_a); g = δ₀·W_inᵀ.
    let mut deltas: Vec<Act<T>> = vec![fc_as_sample(ms, p)];
    let mut es: Vec<Act<T>> = Vec::new();
    for b in (0..nb).rev() {
        let d = deltas.last().unwrap();
        let e = conv_t(d.view(), p[block(b) + 2], w, k);
        let e = if d.s.n == 1 {
            masked_broadcast(&e, u[b])
        } else {
            let mut e = e;
            mask_in_place(&mut e, u[b]);
            e
        };
        let mut f = conv_t(e.view(), p[block(b)], w, k);
        mask_in_place(&mut f, a[b]);
        let mut next = if d.s.n == 1 {
            scaled_broadcast(d, &vec![T::one(); n])
        } else {
            d.clone()
        };
        next.axpy(s, f.view());
        deltas.push(next);
        es.push(e);
    }
    deltas.reverse(); // deltas[b] = δ_b, deltas[nb] = W_fc
    es.reverse(); // es[b] = ê of block b
    if nb == 0 {
        deltas[0] = scaled_broadcast(&deltas[0], &vec![T::one(); n]);
    }
    let mut g = conv_t(deltas[0].view(), p[0], ms.vocab, 1);
    // Slopes and the penalty; then Ḡ = ∂(λ·GP)/∂g in place of g.
    let gs = g.s;
    let mut sq = vec![T::zero(); n];
    for t in 0..gs.l {
        for (b, q) in sq.iter_mut().enumerate() {
            *q += g.row(gs.row(b, t)).iter().map(|&v| v * v).sum::<T>();
        }
    }
    let mut gp = T::zero();
    let mut f = vec![T::zero(); n];
    for (b, &q) in sq.iter().enumerate() {
        let slope = (q + T::of(eps)).sqrt();
        gp += (slope - T::one()) * (slope - T::one());
        f[b] = T::of(lambda) * T::of(2.0) * (slope - T::one()) / (T::of(n as f64) * slope);
    }
    for t in 0..gs.l {
        for (b, &fb) in f.iter().enumerate() {
            for v in g.row_mut(gs.row(b, t)) {
                *v *= fb;
            }
        }
    }
    let gp = gp / T::of(n as f64);
    // Backward of the chain.
    weight_grad(&mut grads[0], g.view(), deltas[0].view(), 1);
    let mut dbar = conv(g.view(), p[0], w, 1, None); // δ̄₀
    for b in 0..nb {
        let i = block(b);
        let mut fbar = dbar.clone();
        scale_masked(&mut fbar, s, a[b]);
        weight_grad(&mut grads[i], fbar.view(), es[b].view(), k);
        let mut ebar = conv(fbar.view(), p[i], w, k, None);
        mask_in_place(&mut ebar, u[b]);
        if b + 1 < nb {
            weight_grad(&mut grads[i + 2], ebar.view(), deltas[b + 1].view(), k);
            let back = conv(ebar.view(), p[i + 2], w, k, None);
            dbar.axpy(T::one(), back.view());
        } else {
            // δ_N is one sample shared by all: sum over samples first.
            let esum = ebar.sum_samples();
            weight_grad(&mut grads[i + 2], esum.view(), deltas[nb].view(), k);
            let back = conv(esum.view(), p[i + 2], w, k, None);
            let mut d1 = dbar.sum_samples();
            d1.axpy(T::one(), back.view());
            dbar = d1;
        }
    }
    if nb == 0 {
        dbar = dbar.sum_samples();
    }
    let last = block(nb);
    add_to(&mut grads[last], &dbar.d);
    gp
}
