//! Both training steps on the CPU engine, as gradients (Adam is applied by the caller).

use super::act::Act;
use super::{critic, generator, Real};
use crate::model::ModelShape;
use crate::train::step::CriticStats;

/// `n` samples of `[seq, vocab]` rows (row-major `[n, seq, vocab]`) in the critic's layout.
pub fn pack<T: Real>(ms: &ModelShape, rows: &[T], n: usize) -> Act<T> {
    let s = critic::input_shape(ms, n);
    assert_eq!(rows.len(), n * s.l * s.c, "rows size");
    let mut a = Act::zeros(s);
    for b in 0..n {
        for t in 0..s.l {
            let src = (b * s.l + t) * s.c;
            a.row_mut(s.row(b, t))
                .copy_from_slice(&rows[src..src + s.c]);
        }
    }
    a
}

/// The data rows of `a` as row-major `[n, seq, channels]`.
pub fn unpack<T: Real>(a: &Act<T>) -> Vec<T> {
    let s = a.s;
    let mut v = Vec::with_capacity(s.n * s.l * s.c);
    for b in 0..s.n {
        for t in 0..s.l {
            v.extend_from_slice(a.row(s.row(b, t)));
        }
    }
    v
}

/// Zero gradients for parameters `p`.
fn zeros_like<T: Real>(p: &[&[T]]) -> Vec<Vec<T>> {
    p.iter().map(|v| vec![T::zero(); v.len()]).collect()
}

/// The generator's softmax rows for noise `z` (`[n, noise]`), row-major `[n, seq, vocab]`.
pub fn generate<T: Real>(ms: &ModelShape, gen: &[&[T]], z: &[T], n: usize) -> Vec<T> {
    unpack(&generator::forward(ms, gen, z, n).probs)
}

/// The critic step's loss terms and parameter gradient for `real` and `fake` rows (both
/// row-major `[n, seq, vocab]`) and one interpolation weight per sample: the gradient of
/// `mean D(fake) − mean D(real) + λ·mean (‖∇ₓD(x̂)‖ − 1)²`, `x̂ = real + α(fake − real)`.
/// Calls [`super::keep_freed_memory`] (a process-wide allocator setting) first.
pub fn critic_grads<T: Real>(
    ms: &ModelShape,
    critic_p: &[&[T]],
    real: &[T],
    fake: &[T],
    alpha: &[T],
    lambda: f64,
    eps: f64,
) -> (CriticStats, Vec<Vec<T>>) {
    super::keep_freed_memory();
    let n = alpha.len();
    let len = ms.seq_len * ms.vocab;
    assert_eq!(real.len(), n * len);
    assert_eq!(fake.len(), n * len);
    // Two batches: real and fake together (the score terms), and the interpolates.
    let both: Vec<T> = real.iter().chain(fake).copied().collect();
    let mut hat = real.to_vec();
    for (b, &a) in alpha.iter().enumerate() {
        let r = b * len..(b + 1) * len;
        for (h, &f) in hat[r.clone()].iter_mut().zip(&fake[r]) {
            *h = *h + a * (f - *h);
        }
    }
    let pass = critic::forward(ms, critic_p, pack(ms, &both, 2 * n), true);
    let mut grads = zeros_like(critic_p);
    let inv = T::one() / T::of(n as f64);
    let coef: Vec<T> = (0..2 * n).map(|b| if b < n { -inv } else { inv }).collect();
    critic::backward(ms, critic_p, &pass, &coef, Some(&mut grads), false);
    let hat_pass = critic::forward(ms, critic_p, pack(ms, &hat, n), false);
    let gp = critic::penalty(ms, critic_p, &hat_pass, lambda, eps, &mut grads);
    let mean = |r: std::ops::Range<usize>| {
        pass.scores[r]
            .iter()
            .map(|v| v.to_f64().unwrap())
            .sum::<f64>()
            / n as f64
    };
    let (d_real, d_fake) = (mean(0..n), mean(n..2 * n));
    let gp = gp.to_f64().unwrap();
    let stats = CriticStats {
        loss: d_fake - d_real + lambda * gp,
        wasserstein: d_real - d_fake,
        gp,
    };
    (stats, grads)
}

/// The generator step's loss `−mean D(G(z))` and the generator's parameter gradient.
/// Calls [`super::keep_freed_memory`] (a process-wide allocator setting) first.
pub fn generator_grads<T: Real>(
    ms: &ModelShape,
    gen_p: &[&[T]],
    critic_p: &[&[T]],
    z: &[T],
    n: usize,
) -> (f64, Vec<Vec<T>>) {
    super::keep_freed_memory();
    let gpass = generator::forward(ms, gen_p, z, n);
    let cpass = critic::forward(ms, critic_p, gpass.probs.clone(), true);
    let coef = vec![-T::one() / T::of(n as f64); n];
    let dx = critic::backward(ms, critic_p, &cpass, &coef, None, true)
        .expect("input gradient requested");
    let mut grads = zeros_like(gen_p);
    generator::backward(ms, gen_p, &gpass, &dx, &mut grads);
    let loss = -cpass
        .scores
        .iter()
        .map(|v| v.to_f64().unwrap())
        .sum::<f64>()
        / n as f64;
    (loss, grads)
}
