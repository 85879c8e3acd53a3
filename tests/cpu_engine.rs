//! The CPU engine (src/cpu) against burn's autodiff through the ops of src/model, in f64:
//! the generator's output, the critic step's losses and gradient (penalty included) and the
//! generator step's gradient, over several architectures. burn's path is itself proven exact
//! in tests/gradient_penalty.rs (finite differences, closed forms).

use burn::backend::{Autodiff, Flex};
use burn::tensor::{DType, Tensor, TensorData};
use textwgan::cpu;
use textwgan::model::{generator, ModelShape, Net, NetKind};
use textwgan::rng::Rng;
use textwgan::train::adam::{Adam, AdamConfig};
use textwgan::train::step::{
    critic_grads_on, critic_step_with, generator_grads, generator_step_with, Engine,
};

type B = Flex;
type A = Autodiff<Flex>;

fn device() -> burn::backend::flex::FlexDevice {
    let d = Default::default();
    let _ = burn::tensor::set_default_dtypes::<B>(&d, DType::F64, DType::I64);
    d
}

fn host<const D: usize>(t: &Tensor<B, D>) -> Vec<f64> {
    t.to_data().convert::<f64>().to_vec::<f64>().unwrap()
}

fn tensor<const D: usize>(v: Vec<f64>, shape: [usize; D]) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(v, shape), &device())
}

fn shape(blocks: usize, kernel: usize) -> ModelShape {
    ModelShape {
        vocab: 7,
        seq_len: 6,
        width: 8,
        blocks,
        noise: 5,
        kernel,
        residual_scale: 0.3,
    }
}

/// A net with weights scaled so that the ReLUs are well mixed.
fn net(kind: NetKind, s: &ModelShape, seed: u64, scale: f64) -> Net<B> {
    let mut rng = Rng::new(seed);
    Net::<B>::init(kind, s, &mut rng, &device()).map(|t| t.mul_scalar(scale))
}

fn params(n: &Net<B>) -> Vec<Vec<f64>> {
    n.params.iter().map(host).collect()
}

fn refs(v: &[Vec<f64>]) -> Vec<&[f64]> {
    v.iter().map(|x| x.as_slice()).collect()
}

/// Largest |a − b| over all gradients, relative to the largest |b|.
fn rel_diff(a: &[Vec<f64>], b: &[Tensor<B, 2>]) -> f64 {
    let (mut d, mut m) = (0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let y = host(y);
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(&y) {
            d = d.max((p - q).abs());
            m = m.max(q.abs());
        }
    }
    assert!(m > 0.0, "all-zero reference gradient");
    d / m
}

fn random(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut v = vec![0f32; n];
    rng.fill_normal(&mut v);
    v.into_iter().map(f64::from).collect()
}

fn one_hot(s: &ModelShape, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let mut v = vec![0f64; n * s.seq_len * s.vocab];
    for r in 0..n * s.seq_len {
        v[r * s.vocab + rng.below(s.vocab as u64) as usize] = 1.0;
    }
    v
}

const ARCHS: [(usize, usize); 5] = [(0, 5), (1, 1), (1, 3), (2, 5), (3, 3)];

#[test]
fn generator_output_matches_burn() {
    for (i, &(blocks, k)) in ARCHS.iter().enumerate() {
        let s = shape(blocks, k);
        let g = net(NetKind::Generator, &s, 10 + i as u64, 2.0);
        let n = 3;
        let z = random(n * s.noise, 1);
        let ours = cpu::step::generate(&s, &refs(&params(&g)), &z, n);
        let want = host(&generator::forward(&g, tensor(z, [n, s.noise])));
        let d = ours
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(d < 1e-13, "blocks {blocks} kernel {k}: {d}");
    }
}

#[test]
fn critic_step_gradient_matches_burn_autodiff() {
    for (i, &(blocks, k)) in ARCHS.iter().enumerate() {
        let s = shape(blocks, k);
        let c = net(NetKind::Critic, &s, 20 + i as u64, 3.0);
        let g = net(NetKind::Generator, &s, 30 + i as u64, 2.0);
        let n = 4;
        let real = one_hot(&s, n, 2 + i as u64);
        let z = random(n * s.noise, 3);
        let fake = host(&generator::forward(&g, tensor(z, [n, s.noise])));
        let mut rng = Rng::new(4);
        let alpha: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
        for lambda in [0.0, 10.0] {
            let (st, ours) = cpu::step::critic_grads(
                &s,
                &refs(&params(&c)),
                &real,
                &fake,
                &alpha,
                lambda,
                1e-12,
            );
            let dims = [n, s.seq_len, s.vocab];
            let (want_st, want) = critic_grads_on::<A>(
                &c,
                tensor(real.clone(), dims),
                tensor(fake.clone(), dims),
                tensor(alpha.clone(), [n, 1, 1]),
                lambda,
                1e-12,
            );
            let d = rel_diff(&ours, &want);
            assert!(
                d < 1e-11,
                "blocks {blocks} kernel {k} λ {lambda}: gradient {d}"
            );
            for (a, b) in [
                (st.loss, want_st.loss),
                (st.gp, want_st.gp),
                (st.wasserstein, want_st.wasserstein),
            ] {
                assert!((a - b).abs() < 1e-11 * (1.0 + b.abs()), "{a} vs {b}");
            }
            if lambda > 0.0 {
                assert!(st.gp > 1e-3, "the penalty should be active: {}", st.gp);
            }
        }
    }
}

#[test]
fn generator_step_gradient_matches_burn_autodiff() {
    for (i, &(blocks, k)) in ARCHS.iter().enumerate() {
        let s = shape(blocks, k);
        let c = net(NetKind::Critic, &s, 40 + i as u64, 3.0);
        let g = net(NetKind::Generator, &s, 50 + i as u64, 2.0);
        let n = 3;
        let z = random(n * s.noise, 5);
        let (loss, ours) =
            cpu::step::generator_grads(&s, &refs(&params(&g)), &refs(&params(&c)), &z, n);
        let (want_loss, want) = generator_grads::<A>(&g, &c, tensor(z, [n, s.noise]));
        let d = rel_diff(&ours, &want);
        assert!(d < 1e-11, "blocks {blocks} kernel {k}: gradient {d}");
        assert!((loss - want_loss).abs() < 1e-11 * (1.0 + want_loss.abs()));
    }
}

#[test]
fn sizes_that_run_in_parallel_match_too() {
    // Buffers over the element-wise parallel threshold (65 536 values) and products over
    // gemm's (2^21 multiply-adds), so the threaded paths are the ones compared.
    let s = ModelShape {
        vocab: 7,
        seq_len: 32,
        width: 48,
        blocks: 2,
        noise: 5,
        kernel: 5,
        residual_scale: 0.3,
    };
    let c = net(NetKind::Critic, &s, 60, 3.0);
    let g = net(NetKind::Generator, &s, 61, 2.0);
    let n = 64;
    let real = one_hot(&s, n, 62);
    let z = random(n * s.noise, 63);
    let fake = host(&generator::forward(&g, tensor(z.clone(), [n, s.noise])));
    let mut rng = Rng::new(64);
    let alpha: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    let cp = params(&c);
    let grads = || cpu::step::critic_grads(&s, &refs(&cp), &real, &fake, &alpha, 10.0, 1e-12).1;
    let pool = |t| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .unwrap()
    };
    let ours = pool(1).install(grads);
    assert_eq!(
        ours,
        pool(3).install(grads),
        "1 and 3 threads give other bits"
    );
    let dims = [n, s.seq_len, s.vocab];
    let (_, want) = critic_grads_on::<A>(
        &c,
        tensor(real, dims),
        tensor(fake, dims),
        tensor(alpha, [n, 1, 1]),
        10.0,
        1e-12,
    );
    let d = rel_diff(&ours, &want);
    assert!(d < 1e-11, "critic gradient {d}");
    let (_, ours) = cpu::step::generator_grads(&s, &refs(&params(&g)), &refs(&params(&c)), &z, n);
    let (_, want) = generator_grads::<A>(&g, &c, tensor(z, [n, s.noise]));
    let d = rel_diff(&ours, &want);
    assert!(d < 1e-11, "generator gradient {d}");
}

#[test]
fn whole_steps_with_adam_agree_between_engines() {
    // The training loop's entry points (host copies, shared Flex buffers, in-place Adam).
    let s = shape(2, 5);
    let cfg = AdamConfig {
        lr: 1e-3,
        beta1: 0.5,
        beta2: 0.9,
        eps: 1e-8,
    };
    let c0 = net(NetKind::Critic, &s, 70, 3.0);
    let g0 = net(NetKind::Generator, &s, 71, 2.0);
    let n = 4;
    let run = |engine: Engine| {
        let (mut c, mut g) = (c0.clone(), g0.clone());
        let (mut ac, mut ag) = (Adam::new(cfg, &c.params), Adam::new(cfg, &g.params));
        let mut rng = Rng::new(72);
        for step in 0..3 {
            let real = tensor(one_hot(&s, n, 73 + step), [n, s.seq_len, s.vocab]);
            let z = tensor(random(n * s.noise, 80 + step), [n, s.noise]);
            let alpha: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
            let alpha = tensor(alpha, [n, 1, 1]);
            critic_step_with::<A>(engine, &g, &mut c, &mut ac, real, z, alpha, 10.0, 1e-12);
            let z = tensor(random(n * s.noise, 90 + step), [n, s.noise]);
            generator_step_with::<A>(engine, &mut g, &c, &mut ag, z);
        }
        c.params
            .iter()
            .chain(&g.params)
            .chain(&ac.v)
            .chain(&ag.m)
            .map(host)
            .collect::<Vec<Vec<f64>>>()
    };
    let (cpu, burn) = (run(Engine::Cpu), run(Engine::Burn));
    let moved: f64 = cpu[0]
        .iter()
        .zip(&host(&c0.params[0]))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(moved > 1e-4, "the steps should move the weights ({moved})");
    for (i, (a, b)) in cpu.iter().zip(&burn).enumerate() {
        for (x, y) in a.iter().zip(b) {
            assert!(
                (x - y).abs() < 1e-10 * (1.0 + y.abs()),
                "tensor {i}: {x} vs {y}"
            );
        }
    }
}
