//! The generator on the CPU engine: noise → softmax rows, with its backward.

use super::act::{conv, weight_grad, Act, Shape};
use super::gemm::{gemm, Mat};
use super::trunk::{self, add_to, block, Flipped, Top, Trunk};
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

/// The transposed weights a step needs.
pub fn flipped<T: Real>(ms: &ModelShape, p: &[&[T]]) -> Flipped<T> {
    Flipped::new(ms, p, block(ms.blocks), ms.width, ms.vocab)
}

/// The generator's output for noise `z` (`n × noise`, row-major).
pub fn forward<T: Real>(ms: &ModelShape, p: &[&[T]], z: &[T], n: usize) -> Pass<T> {
    let (l, w, v) = (ms.seq_len, ms.width, ms.vocab);
    assert_eq!(z.len(), n * ms.noise);
    let s = Shape {
        n,
        l,
        p: (ms.kernel - 1) / 2,
        c: w,
    };
    // fc: each sample's l·w outputs are its l rows, contiguous in the buffer.
    let mut h = Act::zeros(s);
    gemm(
        &mut h.d[s.p * w..],
        (l + s.p) * w,
        Mat::dense(z, n, ms.noise),
        Mat::dense(p[0], ms.noise, l * w),
        false,
    );
    for b in 0..n {
        let r = s.row(b, 0) * w;
        add_to(&mut h.d[r..r + l * w], p[1]);
    }
    let tr = trunk::forward(ms, p, h);
    let last = block(ms.blocks);
    let mut probs = conv(tr.h.view(), p[last], v, 1, Some(p[last + 1]));
    Act::<T>::for_rows(probs.s, |r| {
        let row = &mut probs.d[r * v..(r + 1) * v];
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
    flip: &Flipped<T>,
    pass: &Pass<T>,
    dprobs: &Act<T>,
    grads: &mut [Vec<T>],
) {
    let (l, w, v) = (ms.seq_len, ms.width, ms.vocab);
    let s = pass.probs.s;
    assert_eq!(dprobs.s, s);
    // softmax backward: dlogit = p ⊙ (dp − Σ p·dp)
    let mut dlogit = Act::zeros(s);
    Act::<T>::for_rows(s, |r| {
        let (pr, dp) = (pass.probs.row(r), dprobs.row(r));
        let dot: T = pr.iter().zip(dp).map(|(&a, &b)| a * b).sum();
        for ((o, &a), &b) in dlogit.d[r * v..(r + 1) * v].iter_mut().zip(pr).zip(dp) {
            *o = a * (b - dot);
        }
    });
    let last = block(ms.blocks);
    weight_grad(&mut grads[last], pass.trunk.h.view(), dlogit.view(), 1);
    add_to(&mut grads[last + 1], &dlogit.col_sums());
    let dh = conv(dlogit.view(), &flip.dense, w, 1, None);
    let n = s.n;
    let dh0 = trunk::backward(ms, flip, &pass.trunk, 0, n, Top::Full(dh), Some(grads));
    let hs = dh0.s;
    let rows = Mat {
        d: &dh0.d[hs.p * w..],
        rows: n,
        cols: l * w,
        rs: (l + hs.p) * w,
        cs: 1,
    };
    gemm(
        &mut grads[0],
        l * w,
        Mat::dense(&pass.z, n, ms.noise).t(),
        rows,
        true,
    );
    for b in 0..n {
        let r = hs.row(b, 0) * w;
        add_to(&mut grads[1], &dh0.d[r..r + l * w]);
    }
}
