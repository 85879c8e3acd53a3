//! The generator on the CPU engine: noise → softmax rows, with its backward.

use super::act::{conv, conv_t, weight_grad, Act, Shape};
use super::gemm::{gemm, Mat};
use super::trunk::{self, add_to, block, Top, Trunk};
use super::Real;
use crate::model::ModelShape;

/// A forward pass: the noise, the trunk's stash and the softmax rows.
pub struct Pass<T> {
    /// The noise `[n, noise]`.
    pub z: Vec<T>,
    /// Per-block ReLU outputs and the trunk output.
    pub trunk: Trunk<T>,
    /// The softmax over the vocabulary at every position (`vocab` channels).
    pub probs: Act<T>,
}

/// The generator's output for noise `z` (`n × noise`, row-major).
pub fn forward<T: Real>(ms: &ModelShape, p: &[&[T]], z: &[T], n: usize) -> Pass<T> {
    let (l, w, v) = (ms.seq_len, ms.width, ms.vocab);
    assert_eq!(z.len(), n * ms.noise);
    let s = Shape { n, l, c: w };
    // fc: position t's outputs (columns t·w..(t+1)·w) are the n rows of block t.
    let mut h = Act::zeros(s);
    for t in 0..l {
        let wt = Mat {
            d: &p[0][t * w..],
            rows: ms.noise,
            cols: w,
            rs: l * w,
            cs: 1,
        };
        gemm(
            &mut h.d[t * n * w..],
            w,
            Mat::dense(z, n, ms.noise),
            wt,
            false,
        );
        let bias = &p[1][t * w..(t + 1) * w];
        for b in 0..n {
            add_to(h.row_mut(s.row(b, t)), bias);
        }
    }
    let tr = trunk::forward(ms, p, h, false);
    let last = block(ms.blocks);
    let mut probs = conv(tr.h.view(), p[last], v, 1, Some(p[last + 1]));
    probs.d.chunks_exact_mut(v).for_each(|row| {
        let m = row.iter().copied().fold(T::neg_infinity(), T::max);
        let mut sum = T::zero();
        for x in row.iter_mut() {
            *x = (*x - m).exp();
            sum += *x;
        }
        for x in row.iter_mut() {
            *x = *x / sum;
        }
    });
    Pass {
        z: z.to_vec(),
        trunk: tr,
        probs,
    }
}

/// Adds to `grads` the parameter gradient of a loss whose gradient with respect to the
/// softmax rows of `pass` is `dprobs`.
pub fn backward<T: Real>(
    ms: &ModelShape,
    p: &[&[T]],
    pass: &Pass<T>,
    dprobs: &Act<T>,
    grads: &mut [Vec<T>],
) {
    let (l, w, v) = (ms.seq_len, ms.width, ms.vocab);
    let s = pass.probs.s;
    assert_eq!(dprobs.s, s);
    // softmax backward: dlogit = p ⊙ (dp − Σ p·dp)
    let mut dlogit = Act::zeros(s);
    for (r, o) in dlogit.d.chunks_exact_mut(v).enumerate() {
        let (pr, dp) = (pass.probs.row(r), dprobs.row(r));
        let dot: T = pr.iter().zip(dp).map(|(&a, &b)| a * b).sum();
        for ((o, &a), &b) in o.iter_mut().zip(pr).zip(dp) {
            *o = a * (b - dot);
        }
    }
    let last = block(ms.blocks);
    weight_grad(&mut grads[last], pass.trunk.h.view(), dlogit.view(), 1);
    add_to(&mut grads[last + 1], &dlogit.col_sums());
    let dh = conv_t(dlogit.view(), p[last], w, 1);
    let n = s.n;
    let dh0 = trunk::backward(ms, p, &pass.trunk, Top::Full(dh), Some(grads));
    for t in 0..l {
        let rows = Mat::dense(&dh0.d[t * n * w..], n, w);
        let zt = Mat::dense(&pass.z, n, ms.noise).t();
        gemm(&mut grads[0][t * w..], l * w, zt, rows, true);
        let db = &mut grads[1][t * w..(t + 1) * w];
        for b in 0..n {
            add_to(db, dh0.row(dh0.s.row(b, t)));
        }
    }
}
