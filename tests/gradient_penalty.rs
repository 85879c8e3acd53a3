//! Proofs that the hand-written input-gradient and the gradient penalty are exact.
//! Everything here runs in f64 on the CPU backend (f32 finite differences are useless).

use burn::backend::{Autodiff, Flex};
use burn::tensor::{DType, Tensor, TensorData};
use textwgan::model::{critic, layers, ModelShape, Net, NetKind};
use textwgan::rng::Rng;

type B = Flex;
type A = Autodiff<Flex>;
const EPS: f64 = 1e-12;

fn device() -> burn::backend::flex::FlexDevice {
    let d = Default::default();
    // Once per process and device; later calls report "already initialised", which is fine
    // because every test in this binary wants f64.
    let _ = burn::tensor::set_default_dtypes::<B>(&d, DType::F64, DType::I64);
    d
}

fn vec64<Bk: burn::tensor::backend::Backend, const D: usize>(t: Tensor<Bk, D>) -> Vec<f64> {
    t.into_data().convert::<f64>().to_vec::<f64>().unwrap()
}

fn tensor<const D: usize>(v: Vec<f64>, shape: [usize; D]) -> Tensor<A, D> {
    Tensor::from_data(TensorData::new(v, shape), &device())
}

fn shape(vocab: usize, seq_len: usize, width: usize, blocks: usize, kernel: usize) -> ModelShape {
    ModelShape {
        vocab,
        seq_len,
        width,
        blocks,
        noise: 4,
        kernel,
        residual_scale: 0.3,
    }
}

/// A critic with weights scaled up so that the ReLUs are well mixed.
fn random_critic(s: &ModelShape, seed: u64, scale: f64) -> Net<A> {
    let mut rng = Rng::new(seed);
    let net = Net::<A>::init(NetKind::Critic, s, &mut rng, &device());
    net.map(|t| t.mul_scalar(scale))
}

/// Random points between one-hot rows and softmax-like rows.
fn random_inputs(s: &ModelShape, n: usize, seed: u64) -> Tensor<A, 3> {
    let mut rng = Rng::new(seed);
    let v: Vec<f64> = (0..n * s.seq_len * s.vocab)
        .map(|_| rng.uniform())
        .collect();
    tensor(v, [n, s.seq_len, s.vocab])
}

/// burn's own first-order gradient of Σ D(x) with respect to x (independent of our code).
fn autodiff_input_gradient(net: &Net<A>, x: Tensor<A, 3>) -> Tensor<B, 3> {
    let net = net.map(|t| Tensor::from_inner(t.inner()));
    let x = Tensor::<A, 3>::from_inner(x.inner()).require_grad();
    let grads = critic::forward(&net, x.clone()).sum().backward();
    x.grad(&grads).unwrap()
}

fn ours_input_gradient(net: &Net<A>, x: Tensor<A, 3>) -> Tensor<B, 3> {
    let n = x.dims()[0];
    let m = critic::masks_untracked(net, x);
    critic::input_gradient(net, &m, n).inner()
}

/// Fails unless every ReLU mask of the critic on `x` has both active and inactive units,
/// so that a test exercises every branch of the input-gradient.
fn assert_mixed(net: &Net<A>, x: Tensor<A, 3>) {
    let m = critic::masks_untracked(net, x);
    for (k, mask) in m.pre.iter().chain(&m.mid).enumerate() {
        let v = vec64(mask.clone());
        let on = v.iter().sum::<f64>() / v.len() as f64;
        assert!(
            on > 0.05 && on < 0.95,
            "mask {k} is {on} active: pick another seed"
        );
    }
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn input_gradient_equals_burns_first_order_gradient() {
    // Several architectures: a mismatch between forward and input-gradient fails here.
    let cases = [
        shape(5, 6, 4, 2, 5),
        shape(7, 3, 6, 1, 5),
        shape(4, 8, 3, 3, 3),
        shape(3, 2, 3, 0, 5),
        shape(6, 5, 4, 2, 1),
    ];
    for (c, s) in cases.iter().enumerate() {
        for scale in [1.0, 3.0] {
            let net = random_critic(s, 10 + c as u64, scale);
            let x = random_inputs(s, 3, 20 + c as u64);
            assert_mixed(&net, x.clone());
            let ours = vec64(ours_input_gradient(&net, x.clone()));
            let theirs = vec64(autodiff_input_gradient(&net, x));
            let norm = theirs.iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(norm > 1e-3, "case {c}: degenerate gradient");
            let err = max_abs_diff(&ours, &theirs);
            assert!(err < 1e-12 * norm.max(1.0), "case {c} scale {scale}: {err}");
        }
    }
}

#[test]
fn residual_scale_changes_the_input_gradient() {
    // The input-gradient must follow the architecture: with another residual scale in the
    // forward pass only, burn's gradient differs from ours computed with the original scale.
    let s = shape(5, 6, 4, 2, 5);
    let net = random_critic(&s, 4, 2.0);
    let x = random_inputs(&s, 2, 4);
    assert_mixed(&net, x.clone());
    let ours = vec64(ours_input_gradient(&net, x.clone()));
    let mut other = net.clone();
    other.shape.residual_scale = 0.5;
    let theirs = vec64(autodiff_input_gradient(&other, x));
    let d = max_abs_diff(&ours, &theirs);
    assert!(d > 1e-3, "{d}");
}

/// GP computed only from burn's first-order input-gradient (no code of ours but the forward).
fn reference_gp(net: &Net<A>, x: Tensor<A, 3>) -> f64 {
    let g = vec64(autodiff_input_gradient(net, x.clone()));
    let n = x.dims()[0];
    let per = g.len() / n;
    (0..n)
        .map(|b| {
            let sq: f64 = g[b * per..(b + 1) * per].iter().map(|v| v * v).sum();
            ((sq + EPS).sqrt() - 1.0).powi(2)
        })
        .sum::<f64>()
        / n as f64
}

/// Our GP and its gradient with respect to every parameter, by one ordinary backward.
fn ours_gp_and_grads(net: &Net<A>, x: Tensor<A, 3>) -> (f64, Vec<Vec<f64>>) {
    let net = net.map(|t| Tensor::from_inner(t.inner()).require_grad());
    let n = x.dims()[0];
    let m = critic::masks_untracked(&net, x);
    let gp = critic::gradient_penalty(critic::input_gradient(&net, &m, n), EPS);
    let grads = gp.backward();
    let value = vec64(gp)[0];
    let per_param = net
        .params
        .iter()
        .map(|p| match p.grad(&grads) {
            Some(g) => vec64(g),
            None => vec![0.0; p.dims()[0] * p.dims()[1]],
        })
        .collect();
    (value, per_param)
}

fn with_param(net: &Net<A>, i: usize, j: usize, delta: f64) -> Net<A> {
    let mut out = net.clone();
    let dims = net.params[i].dims();
    let mut v = vec64(net.params[i].clone());
    v[j] += delta;
    out.params[i] = tensor(v, dims);
    out
}

#[test]
fn penalty_parameter_gradient_matches_finite_differences_in_every_layer() {
    let s = shape(5, 6, 4, 2, 5);
    let net = random_critic(&s, 7, 2.0);
    let x = random_inputs(&s, 3, 8);
    assert_mixed(&net, x.clone());
    let (gp, grads) = ours_gp_and_grads(&net, x.clone());
    assert!((gp - reference_gp(&net, x.clone())).abs() < 1e-12);
    assert!(gp > 1e-3, "penalty too small to test: {gp}");
    let layout = s.layout(NetKind::Critic);
    let h = 1e-6;
    let mut rng = Rng::new(99);
    let mut checked = 0;
    for (i, spec) in layout.iter().enumerate() {
        let len = spec.shape[0] * spec.shape[1];
        if spec.name.ends_with("bias") {
            // Biases do not enter the input-gradient: exactly zero, as in autograd.
            assert!(grads[i].iter().all(|&g| g == 0.0), "{}", spec.name);
            continue;
        }
        for _ in 0..4 {
            let j = rng.below(len as u64) as usize;
            let plus = reference_gp(&with_param(&net, i, j, h), x.clone());
            let minus = reference_gp(&with_param(&net, i, j, -h), x.clone());
            let fd = (plus - minus) / (2.0 * h);
            let an = grads[i][j];
            let rel = (fd - an).abs() / an.abs().max(fd.abs()).max(1e-3);
            assert!(
                rel < 2e-6,
                "{}[{j}]: analytic {an} vs fd {fd} (rel {rel})",
                spec.name
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * 6); // inp, 2×2 convs, fc
}

/// A linear critic on seq 2, vocab 3: no blocks, identity embedding, so D(x) = Σ w·x + b.
fn linear_critic(w: [f64; 6]) -> Net<A> {
    let s = shape(3, 2, 3, 0, 5);
    let mut net = Net::<A>::init(NetKind::Critic, &s, &mut Rng::new(1), &device());
    let eye = vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    net.params[0] = tensor(eye, [3, 3]);
    net.params[1] = tensor(vec![0.0; 3], [1, 3]);
    net.params[2] = tensor(w.to_vec(), [6, 1]);
    net.params[3] = tensor(vec![0.0], [1, 1]);
    net
}

fn lambda_gp_of_linear(w: [f64; 6]) -> (f64, Vec<Vec<f64>>) {
    let net = linear_critic(w);
    let x = random_inputs(&net.shape, 4, 5);
    let (gp, grads) = ours_gp_and_grads(&net, x);
    (10.0 * gp, grads)
}

#[test]
fn linear_critic_closed_forms() {
    // One weight 1, the rest 0: ‖∇D‖ = 1, so the penalty vanishes.
    let (lgp, _) = lambda_gp_of_linear([0.0, 0.0, 1.0, 0.0, 0.0, 0.0]);
    assert!(lgp.abs() < 1e-12, "{lgp}");
    // All weights 0: ‖∇D‖ = sqrt(eps), λ·GP = λ(1 − 1e-6)² ≈ λ, with finite gradients.
    let (lgp, grads) = lambda_gp_of_linear([0.0; 6]);
    assert!(
        (lgp - 10.0 * (1.0 - EPS.sqrt()).powi(2)).abs() < 1e-12,
        "{lgp}"
    );
    assert!(grads.iter().flatten().all(|g| g.is_finite()));
    // All weights 0.5: ‖∇D‖ = sqrt(6·0.25), λ·GP = 10(√1.5 − 1)² ≈ 0.5051.
    let (lgp, grads) = lambda_gp_of_linear([0.5; 6]);
    let expected = 10.0 * ((1.5f64 + EPS).sqrt() - 1.0).powi(2);
    assert!(
        (lgp - expected).abs() < 1e-12 && (lgp - 0.5051).abs() < 1e-4,
        "{lgp}"
    );
    // ∂(λ·GP)/∂w_i = λ·2(‖w‖ − 1)·w_i/‖w‖ for the fc weights.
    let norm = (1.5f64 + EPS).sqrt();
    let dw = 10.0 * 2.0 * (norm - 1.0) * 0.5 / norm;
    assert!(
        grads[2].iter().all(|g| (10.0 * g - dw).abs() < 1e-12),
        "{:?} vs {dw}",
        grads[2]
    );
}

#[test]
fn channels_last_conv_equals_burns_conv1d() {
    use burn::tensor::module::conv1d;
    use burn::tensor::ops::ConvOptions;
    let (n, l, c, o, k) = (2, 7, 3, 4, 5);
    let mut rng = Rng::new(11);
    let mut r = |len| -> Vec<f64> { (0..len).map(|_| rng.uniform() - 0.5).collect() };
    let x = r(n * l * c);
    let w = r(k * c * o);
    let b = r(o);
    let ours = layers::conv(
        tensor(x.clone(), [n, l, c]),
        tensor(w.clone(), [k * c, o]),
        Some(tensor(b.clone(), [1, o])),
        k,
    );
    let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
    let paper: Vec<f64> = layers::to_paper_layout(&w32, k, c, o)
        .iter()
        .map(|&v| v as f64)
        .collect();
    // The paper's layout from the exported f32 weights, so compare at f32 precision.
    let theirs = conv1d(
        tensor(x, [n, l, c]).swap_dims(1, 2),
        tensor(paper, [o, c, k]),
        Some(tensor(b, [o])),
        ConvOptions::new([1], [2], [1], 1),
    )
    .swap_dims(1, 2);
    let err = max_abs_diff(&vec64(ours), &vec64(theirs));
    assert!(err < 1e-6, "{err}");
}

#[test]
fn conv_transpose_is_the_input_gradient_of_conv() {
    let (n, l, c, o, k) = (2, 6, 3, 4, 5);
    let mut rng = Rng::new(12);
    let mut r = |len| -> Vec<f64> { (0..len).map(|_| rng.uniform() - 0.5).collect() };
    let (x, w, d) = (r(n * l * c), r(k * c * o), r(n * l * o));
    let xt = tensor(x, [n, l, c]).require_grad();
    let y = layers::conv(xt.clone(), tensor(w.clone(), [k * c, o]), None, k);
    let grads = (y * tensor(d.clone(), [n, l, o])).sum().backward();
    let theirs = vec64(xt.grad(&grads).unwrap());
    let ours = vec64(layers::conv_transpose(
        tensor(d, [n, l, o]),
        tensor(w, [k * c, o]),
        k,
    ));
    assert!(max_abs_diff(&ours, &theirs) < 1e-14);
}
