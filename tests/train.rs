//! Training: the critic step's behaviour, exact resume, checkpoint safety, refusals.

use burn::backend::{Autodiff, Flex};
use burn::tensor::{Tensor, TensorData};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use textwgan::data::IdRows;
use textwgan::model::{critic, ModelShape, Net, NetKind};
use textwgan::rng::Rng;
use textwgan::train::adam::{Adam, AdamConfig};
use textwgan::train::checkpoint::{self, Checkpoint};
use textwgan::train::step::{critic_step_on, interpolate};
use textwgan::train::{train, Outcome, TrainConfig, TrainData};

type B = Flex;
type A = Autodiff<Flex>;

const TEXT: &str = "the cat sat on the mat. a dog ran to the park! we saw it all; \
    then the rain came, and the sun went down over the hills near the old town.";

/// Rows of 12 symbols cut from a small text (ids 2.. by first appearance; 0 is PAD).
fn data(rows: usize) -> TrainData {
    let chars: Vec<char> = TEXT.chars().collect();
    let mut symbols: Vec<char> = Vec::new();
    for &c in &chars {
        if !symbols.contains(&c) {
            symbols.push(c);
        }
    }
    let id = |c: char| symbols.iter().position(|&s| s == c).unwrap() as u16 + 2;
    let mut seqs = Vec::new();
    for r in 0..rows {
        let start = (r * 7) % (chars.len() - 12);
        let len = 6 + r % 7;
        seqs.push(
            chars[start..start + len]
                .iter()
                .map(|&c| id(c))
                .collect::<Vec<u16>>(),
        );
    }
    TrainData {
        train: IdRows::from_sequences(12, &seqs),
        holdout: IdRows::from_sequences(12, &seqs[..4]),
        vocab_size: symbols.len() + 2,
        dataset_hash: "test-hash".into(),
        tokenizer_json: format!("{{\"symbols\": {:?}}}", symbols.iter().collect::<String>()),
    }
}

fn config(iters: u64) -> TrainConfig {
    TrainConfig::parse(
        &format!(
            "[model]\nwidth = 8\nblocks = 1\nnoise = 4\n\
             [train]\nbatch_size = 4\niters = {iters}\nn_critic = 2\nlr_critic = 1e-3\nlr_generator = 1e-3\n\
             [log]\nlog_every = 2\ncheckpoint_every = 5\nkeep_checkpoints = 2\n"
        ),
        "test",
    )
    .unwrap()
}

fn run(dir: &Path, cfg: &TrainConfig, d: &TrainData, resume: bool) -> anyhow::Result<Outcome> {
    train::<A>(
        d,
        cfg,
        dir,
        resume,
        &Default::default(),
        &AtomicBool::new(false),
    )
}

/// Every tensor byte of the newest checkpoint (weights, Adam moments) and its iteration.
fn newest(dir: &Path) -> (u64, Vec<u8>, u64) {
    let (it, p) = checkpoint::list(&dir.join("checkpoints")).unwrap()[0].clone();
    let bytes = std::fs::read(&p).unwrap();
    let len = bytes.len() as u64;
    (it, bytes, len)
}

fn weights(dir: &Path) -> Vec<Vec<f32>> {
    let (_, p) = checkpoint::list(&dir.join("checkpoints")).unwrap()[0].clone();
    let ck = Checkpoint::read(&p).unwrap();
    let st = ck.state::<B>(&Default::default()).unwrap();
    st.gen
        .params
        .iter()
        .chain(&st.critic.params)
        .chain(&st.adam_critic.m)
        .chain(&st.adam_gen.v)
        .map(|t| t.to_data().to_vec::<f32>().unwrap())
        .collect()
}

#[test]
fn resume_is_bit_exact_and_checkpoints_do_not_grow() {
    let d = data(24);
    let straight = tempfile::tempdir().unwrap();
    assert_eq!(
        run(straight.path(), &config(20), &d, false).unwrap(),
        Outcome::Finished { iteration: 20 }
    );
    let split = tempfile::tempdir().unwrap();
    run(split.path(), &config(10), &d, false).unwrap();
    let size10 = newest(split.path()).2;
    run(split.path(), &config(15), &d, true).unwrap();
    run(split.path(), &config(20), &d, true).unwrap();
    let (it, bytes, size20) = newest(split.path());
    assert_eq!(it, 20);
    // Only the JSON header's digits may differ (wall time); no state accumulates.
    assert!(
        size10.abs_diff(size20) < 64,
        "checkpoint size {size10} → {size20}"
    );
    let (tensors, _) = textwgan::train::safetensors::deserialize(&bytes).unwrap();
    let cfg = config(20);
    let per_net = |k| textwgan::train::run::model_shape(&cfg, &d).layout(k).len();
    assert_eq!(
        tensors.len(),
        3 * (per_net(NetKind::Generator) + per_net(NetKind::Critic))
    );
    assert_eq!(weights(straight.path()), weights(split.path()));
    // Each logged iteration once, in order: every 2nd, and the end of each session (15).
    let rows = textwgan::train::metrics::read_rows(&split.path().join("metrics.jsonl")).unwrap();
    let iters: Vec<u64> = rows.iter().map(|r| r["iter"].as_u64().unwrap()).collect();
    assert_eq!(iters, vec![2, 4, 6, 8, 10, 12, 14, 15, 16, 18, 20]);
    // Only the newest two checkpoints are kept.
    assert_eq!(
        checkpoint::list(&split.path().join("checkpoints"))
            .unwrap()
            .len(),
        2
    );
    // Resuming a finished run does nothing and says so.
    assert_eq!(
        run(split.path(), &config(20), &d, true).unwrap(),
        Outcome::AlreadyDone { iteration: 20 }
    );
}

#[test]
fn restored_state_equals_saved_state() {
    let d = data(24);
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &config(5), &d, false).unwrap();
    let (_, p) = checkpoint::list(&dir.path().join("checkpoints")).unwrap()[0].clone();
    let ck = Checkpoint::read(&p).unwrap();
    let st = ck.state::<B>(&Default::default()).unwrap();
    let again = checkpoint::to_bytes(&st, &ck.info);
    assert_eq!(again, std::fs::read(&p).unwrap());
    assert_eq!((st.adam_critic.t, st.adam_gen.t), (10, 5));
}

#[test]
fn damaged_newest_checkpoint_falls_back_to_the_previous_one() {
    let d = data(24);
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &config(10), &d, false).unwrap();
    let list = checkpoint::list(&dir.path().join("checkpoints")).unwrap();
    assert_eq!(list.iter().map(|x| x.0).collect::<Vec<_>>(), vec![10, 5]);
    let mut bytes = std::fs::read(&list[0].1).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x40; // one flipped bit in the weights
    std::fs::write(&list[0].1, &bytes).unwrap();
    let e = Checkpoint::read(&list[0].1).err().unwrap();
    assert!(format!("{e:#}").contains("corrupted"), "{e:#}");
    let (p, ck) = checkpoint::newest_valid(&dir.path().join("checkpoints"))
        .unwrap()
        .unwrap();
    assert_eq!((p, ck.iteration()), (list[1].1.clone(), 5));
    // Altered metadata (the iteration in the state record) is refused too.
    let good = std::fs::read(&list[1].1).unwrap();
    // The state record is a JSON string inside the header, so its quotes are escaped.
    let key = b"iteration\\\":5";
    let at = good.windows(key.len()).position(|w| w == key).unwrap();
    let mut edited = good.clone();
    edited[at + key.len() - 1] = b'9';
    let elsewhere = tempfile::tempdir().unwrap();
    let bad = elsewhere.path().join("edited.safetensors");
    std::fs::write(&bad, &edited).unwrap();
    let e = Checkpoint::read(&bad).err().unwrap();
    assert!(format!("{e:#}").contains("corrupted"), "{e:#}");
    // A truncated file is refused too.
    std::fs::write(&list[0].1, &bytes[..n / 2]).unwrap();
    assert!(Checkpoint::read(&list[0].1).is_err());
    // Resume continues from iteration 5 and reaches the target.
    assert_eq!(
        run(dir.path(), &config(12), &d, true).unwrap(),
        Outcome::Finished { iteration: 12 }
    );
}

#[test]
fn refuses_other_dataset_other_config_and_existing_run() {
    let d = data(24);
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &config(5), &d, false).unwrap();
    let e = run(dir.path(), &config(5), &d, false).unwrap_err();
    assert!(format!("{e:#}").contains("--resume"), "{e:#}");
    let mut other = d.clone();
    other.dataset_hash = "another".into();
    let e = run(dir.path(), &config(8), &other, true).unwrap_err();
    assert!(format!("{e:#}").contains("another dataset"), "{e:#}");
    let mut cfg = config(8);
    cfg.train.lr_critic = 5e-4;
    let e = run(dir.path(), &cfg, &d, true).unwrap_err();
    assert!(format!("{e:#}").contains("lr_critic"), "{e:#}");
    // What sample, plot and report write into a run does not make it foreign.
    for f in ["samples.txt", "curves.png", "report.html"] {
        std::fs::write(dir.path().join(f), "x").unwrap();
    }
    assert_eq!(
        run(dir.path(), &config(7), &d, true).unwrap(),
        Outcome::Finished { iteration: 7 }
    );
    // A directory that is not a run is refused (nothing is written into it).
    let foreign = tempfile::tempdir().unwrap();
    std::fs::write(foreign.path().join("notes.txt"), "mine").unwrap();
    let e = run(foreign.path(), &config(5), &d, false).unwrap_err();
    assert!(format!("{e:#}").contains("not a textwgan run"), "{e:#}");
    assert_eq!(std::fs::read_dir(foreign.path()).unwrap().count(), 1);
    let mut cfg = config(8);
    cfg.train.batch_size = 100;
    let e = run(tempfile::tempdir().unwrap().path(), &cfg, &d, false).unwrap_err();
    assert!(format!("{e:#}").contains("fewer than one batch"), "{e:#}");
}

#[test]
fn a_non_finite_loss_stops_with_the_iteration_and_keeps_the_checkpoint() {
    let d = data(24);
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &config(5), &d, false).unwrap();
    let mut cfg = config(400);
    cfg.train.lr_critic = 1e30;
    cfg.train.lr_generator = 1e30;
    // Same config otherwise; a fresh run so resume checks do not interfere.
    let dir2 = tempfile::tempdir().unwrap();
    let e = run(dir2.path(), &cfg, &d, false).unwrap_err();
    let msg = format!("{e:#}");
    assert!(msg.contains("non-finite at iteration"), "{msg}");
    for (_, p) in checkpoint::list(&dir2.path().join("checkpoints")).unwrap() {
        Checkpoint::read(&p).unwrap();
    }
}

fn small_critic(seed: u64) -> (Net<B>, ModelShape) {
    let s = ModelShape {
        vocab: 6,
        seq_len: 5,
        width: 8,
        blocks: 1,
        noise: 4,
        kernel: 5,
        residual_scale: 0.3,
    };
    let net = Net::<B>::init(
        NetKind::Critic,
        &s,
        &mut Rng::new(seed),
        &Default::default(),
    );
    (net, s)
}

fn rand3(rng: &mut Rng, shape: [usize; 3]) -> Tensor<B, 3> {
    let v: Vec<f32> = (0..shape.iter().product())
        .map(|_| rng.uniform() as f32)
        .collect();
    Tensor::from_data(TensorData::new(v, shape), &Default::default())
}

/// Adam with a large ε, so that a first step is close to `lr·g` (linear in the gradient)
/// and float rounding in the gradient stays small in the update.
fn adam(net: &Net<B>) -> Adam<B> {
    let c = AdamConfig {
        lr: 1e-3,
        beta1: 0.5,
        beta2: 0.9,
        eps: 1.0,
    };
    Adam::new(c, &net.params)
}

fn gp_at(net: &Net<B>, x: Tensor<B, 3>) -> f64 {
    let n = x.dims()[0];
    let m = critic::masks(net, x);
    let gp = critic::gradient_penalty(critic::input_gradient(net, &m, n), 1e-12);
    gp.into_data().convert::<f64>().to_vec::<f64>().unwrap()[0]
}

#[test]
fn with_real_equal_to_fake_a_critic_step_lowers_the_penalty() {
    let (mut net, s) = small_critic(3);
    let mut rng = Rng::new(4);
    let real = rand3(&mut rng, [4, s.seq_len, s.vocab]);
    let alpha = rand3(&mut rng, [4, 1, 1]);
    let before = gp_at(&net, real.clone());
    let mut opt = adam(&net);
    let st = critic_step_on::<A>(
        &mut net,
        &mut opt,
        real.clone(),
        real.clone(),
        alpha,
        10.0,
        1e-12,
    );
    assert_eq!(st.wasserstein, 0.0);
    assert!((st.gp - before).abs() < 1e-6 * before.max(1.0));
    let after = gp_at(&net, real);
    assert!(after < before, "{after} !< {before}");
}

#[test]
fn lambda_zero_is_the_plain_wgan_update_and_lambda_changes_it() {
    let (net, s) = small_critic(5);
    let mut rng = Rng::new(6);
    let real = rand3(&mut rng, [4, s.seq_len, s.vocab]);
    let fake = rand3(&mut rng, [4, s.seq_len, s.vocab]);
    let alpha = rand3(&mut rng, [4, 1, 1]);
    let step = |lambda: f64| {
        let mut n = net.clone();
        let mut o = adam(&n);
        critic_step_on::<A>(
            &mut n,
            &mut o,
            real.clone(),
            fake.clone(),
            alpha.clone(),
            lambda,
            1e-12,
        );
        n.params
            .iter()
            .map(|t| t.to_data().to_vec::<f32>().unwrap())
            .collect::<Vec<_>>()
    };
    // Plain WGAN update computed directly with burn's autodiff on the critic's forward only.
    let tracked = net.map(|t| Tensor::<A, 2>::from_inner(t).require_grad());
    let d = |x: &Tensor<B, 3>| critic::forward(&tracked, Tensor::from_inner(x.clone())).mean();
    let grads = (d(&fake) - d(&real)).backward();
    let g: Vec<Tensor<B, 2>> = tracked
        .params
        .iter()
        .map(|p| p.grad(&grads).unwrap())
        .collect();
    let mut plain = net.clone();
    adam(&plain).step(&mut plain.params, g);
    let plain: Vec<Vec<f32>> = plain
        .params
        .iter()
        .map(|t| t.to_data().to_vec::<f32>().unwrap())
        .collect();
    let diff = |a: &[Vec<f32>], b: &[Vec<f32>]| {
        a.iter()
            .flatten()
            .zip(b.iter().flatten())
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    let d0 = diff(&step(0.0), &plain);
    let d10 = diff(&step(10.0), &plain);
    assert!(d0 < 1e-8, "λ = 0 differs from plain WGAN by {d0}");
    assert!(d10 > 1e-6, "λ = 10 equals plain WGAN ({d10})");
}

#[test]
fn alpha_is_one_weight_per_sample() {
    let mut rng = Rng::new(8);
    let real = rand3(&mut rng, [3, 4, 5]);
    let fake = rand3(&mut rng, [3, 4, 5]);
    let alpha = textwgan::train::step::alphas::<B>(&mut rng, 3, &Default::default());
    let a = alpha.to_data().to_vec::<f32>().unwrap();
    let x = interpolate(real.clone(), fake.clone(), alpha)
        .to_data()
        .to_vec::<f32>()
        .unwrap();
    let (r, f) = (
        real.to_data().to_vec::<f32>().unwrap(),
        fake.to_data().to_vec::<f32>().unwrap(),
    );
    for (b, &ab) in a.iter().enumerate() {
        assert!((0.0..1.0).contains(&ab));
        for j in b * 20..(b + 1) * 20 {
            let expect = r[j] + ab * (f[j] - r[j]);
            assert!((x[j] - expect).abs() < 1e-6);
        }
    }
}
