//! Times the WGAN-GP training step: critic step, generator step and a full iteration
//! (n_critic + 1), medians after warm-up, with the achieved GFLOP/s.
//!
//!     cargo bench --bench step -- [--engine cpu|burn] [--width 512] [--blocks 5] [--seq-len 32] [--vocab 100]
//!                                 [--batch 64] [--reps 5] [--warmup 2] [--threads 2]
//!
//! Prints one JSON object per configuration on stdout.

use burn::backend::{Autodiff, Flex};
use std::time::Instant;
use textwgan::model::{ModelShape, Net, NetKind};
use textwgan::rng::Rng;
use textwgan::train::adam::{Adam, AdamConfig};
use textwgan::train::step::{alphas, critic_step_with, generator_step_with, noise, Engine};

type A = Autodiff<Flex>;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

/// CPU seconds (user + system, all threads) this process has used so far.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime and stime are the 12th
    // and 13th, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    if f.len() > 12 {
        (f[11] + f[12]) / 100.0
    } else {
        0.0
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Multiply-adds ×2 of the forward passes and backward passes of one step (matrix products
/// only; element-wise work is negligible), in GFLOP.
fn gflop(s: &ModelShape, n: usize) -> (f64, f64) {
    let (l, w, v, k) = (
        s.seq_len as f64,
        s.width as f64,
        s.vocab as f64,
        s.kernel as f64,
    );
    let n = n as f64;
    let blocks = s.blocks as f64;
    let trunk = 2.0 * blocks * 2.0 * n * l * k * w * w; // forward of the residual convs
    let critic_fwd = trunk + 2.0 * n * l * v * w + 2.0 * n * l * w;
    let gen_fwd = trunk + 2.0 * n * s.noise as f64 * l * w + 2.0 * n * l * w * v;
    // Critic step: G forward (no grad), D forward on real+fake (×2) with backward (×2 more),
    // a mask forward on x̂, the input-gradient (≈ one forward) and its backward (≈ 2×).
    let critic = gen_fwd + 2.0 * critic_fwd * 3.0 + critic_fwd + critic_fwd * 3.0;
    // Generator step: G forward + backward, D forward + input backward (no weight grads).
    let generator = gen_fwd * 3.0 + critic_fwd * 2.0;
    (critic / 1e9, generator / 1e9)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads = arg(&args, "--threads", 2);
    textwgan::device::set_threads(Some(threads));
    let shape = ModelShape {
        vocab: arg(&args, "--vocab", 100),
        seq_len: arg(&args, "--seq-len", 32),
        width: arg(&args, "--width", 512),
        blocks: arg(&args, "--blocks", 5),
        noise: 128,
        kernel: 5,
        residual_scale: 0.3,
    };
    let n = arg(&args, "--batch", 64);
    let reps = arg(&args, "--reps", 5);
    let warmup = arg(&args, "--warmup", 2);
    let n_critic = arg(&args, "--n-critic", 10);
    let engine = match args
        .iter()
        .position(|a| a == "--engine")
        .and_then(|i| args.get(i + 1))
    {
        Some(e) if e == "burn" => Engine::Burn,
        Some(e) if e == "cpu" => Engine::Cpu,
        None => Engine::Cpu,
        Some(e) => panic!("--engine must be cpu or burn, not {e}"),
    };
    let dev = Default::default();
    let mut rng = Rng::new(1);
    let gen = Net::<Flex>::init(NetKind::Generator, &shape, &mut rng, &dev);
    let mut gen_mut = gen.clone();
    let mut critic = Net::<Flex>::init(NetKind::Critic, &shape, &mut rng, &dev);
    let c = AdamConfig {
        lr: 1e-4,
        beta1: 0.5,
        beta2: 0.9,
        eps: 1e-8,
    };
    let mut ad = Adam::new(c, &critic.params);
    let mut ag = Adam::new(c, &gen.params);
    let (mut tc, mut tg, mut cc, mut cg) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in 0..warmup + reps {
        let ids: Vec<usize> = (0..n * shape.seq_len)
            .map(|_| rng.below(shape.vocab as u64) as usize)
            .collect();
        let mut v = vec![0f32; n * shape.seq_len * shape.vocab];
        for (i, &id) in ids.iter().enumerate() {
            v[i * shape.vocab + id] = 1.0;
        }
        let real = burn::tensor::Tensor::from_data(
            burn::tensor::TensorData::new(v, [n, shape.seq_len, shape.vocab]),
            &dev,
        );
        let z = noise::<Flex>(&mut rng, n, shape.noise, &dev);
        let a = alphas::<Flex>(&mut rng, n, &dev);
        let (t0, c0) = (Instant::now(), cpu_seconds());
        critic_step_with::<A>(
            engine,
            &gen_mut,
            &mut critic,
            &mut ad,
            real,
            z,
            a,
            10.0,
            1e-12,
        );
        let t1 = t0.elapsed().as_secs_f64();
        let c1 = cpu_seconds() - c0;
        let z = noise::<Flex>(&mut rng, n, shape.noise, &dev);
        let (t0, c0) = (Instant::now(), cpu_seconds());
        generator_step_with::<A>(engine, &mut gen_mut, &critic, &mut ag, z);
        let t2 = t0.elapsed().as_secs_f64();
        let c2 = cpu_seconds() - c0;
        eprintln!("rep {r}: critic {t1:.3} s ({c1:.2} CPU s), generator {t2:.3} s ({c2:.2} CPU s)");
        if r >= warmup {
            tc.push(t1);
            cc.push(c1);
            cg.push(c2);
            tg.push(t2);
        }
    }
    let (mc, mg) = (median(tc), median(tg));
    let (fc, fg) = gflop(&shape, n);
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.to_string())
        })
        .unwrap_or_default();
    println!(
        "{}",
        serde_json::json!({
            "engine": format!("{engine:?}").to_lowercase(), "threads": threads, "width": shape.width, "blocks": shape.blocks,
            "seq_len": shape.seq_len, "vocab": shape.vocab, "batch": n, "n_critic": n_critic,
            "median_critic_step_s": mc, "median_generator_step_s": mg,
            "median_iteration_s": n_critic as f64 * mc + mg,
            "median_critic_cpu_s": median(cc), "median_generator_cpu_s": median(cg),
            "critic_gflop": fc, "generator_gflop": fg,
            "critic_gflops_per_s": fc / mc, "generator_gflops_per_s": fg / mg,
            "peak_rss": rss.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
        })
    );
}
