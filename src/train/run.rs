//! The training loop: `n_critic` critic steps and one generator step per iteration,
//! metrics every `log_every`, checkpoints by iteration count, by time, at the end and on
//! Ctrl-C; `resume` continues bit-exactly from the newest valid checkpoint.

use super::adam::Adam;
use super::batches::{Batches, Cursor};
use super::checkpoint::{self, adam_configs, RunInfo, TrainState};
use super::config::TrainConfig;
use super::evaluate::Evaluator;
use super::metrics::MetricsLog;
use super::step::{alphas, critic_step, generator_step, noise, one_hot, CriticStats};
use crate::data::IdRows;
use crate::model::{ModelShape, Net, NetKind};
use crate::rng::Rng;
use anyhow::{bail, ensure, Context, Result};
use burn::tensor::backend::AutodiffBackend;
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What training reads from a dataset.
#[derive(Debug, Clone)]
pub struct TrainData {
    /// Training rows.
    pub train: IdRows,
    /// Held-out rows (evaluation during training).
    pub holdout: IdRows,
    /// Number of ids, PAD and UNK included.
    pub vocab_size: usize,
    /// The dataset's content hash.
    pub dataset_hash: String,
    /// The vocabulary as `tokenizer.json` text.
    pub tokenizer_json: String,
}

/// How a call to [`train`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Reached the target iteration count.
    Finished {
        /// Iterations completed.
        iteration: u64,
    },
    /// The run had already reached the target; nothing was done.
    AlreadyDone {
        /// Iterations completed.
        iteration: u64,
    },
    /// Stopped by the `stop` flag (Ctrl-C) after writing a checkpoint.
    Interrupted {
        /// Iterations completed.
        iteration: u64,
    },
}

/// The model sizes of a config on a dataset.
pub fn model_shape(config: &TrainConfig, data: &TrainData) -> ModelShape {
    let m = &config.model;
    ModelShape {
        vocab: data.vocab_size,
        seq_len: data.train.seq_len,
        width: m.width,
        blocks: m.blocks,
        noise: m.noise,
        kernel: m.kernel,
        residual_scale: m.residual_scale,
    }
}

/// A fresh state: both networks initialised from the seed, zero Adam moments.
pub fn fresh_state<A: AutodiffBackend>(
    config: &TrainConfig,
    shape: &ModelShape,
    device: &A::Device,
) -> TrainState<A::InnerBackend> {
    let seed = config.train.seed;
    let mut init = Rng::derive(seed, "init");
    let gen = Net::init(NetKind::Generator, shape, &mut init, device);
    let critic = Net::init(NetKind::Critic, shape, &mut init, device);
    let (ag, ac) = adam_configs(config);
    TrainState {
        iteration: 0,
        adam_gen: Adam::new(ag, &gen.params),
        adam_critic: Adam::new(ac, &critic.params),
        gen,
        critic,
        rng_noise: Rng::derive(seed, "noise"),
        rng_alpha: Rng::derive(seed, "alpha"),
        cursor: Cursor { epoch: 0, pos: 0 },
        wall_seconds: 0.0,
    }
}

/// A loss for the terminal: 4 decimals, or scientific notation when very large or small.
fn num(x: f64) -> String {
    if x != 0.0 && !(1e-3..1e5).contains(&x.abs()) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

/// The mean of the critic steps' losses of one iteration.
fn mean_stats(v: &[CriticStats]) -> CriticStats {
    let n = v.len() as f64;
    CriticStats {
        loss: v.iter().map(|s| s.loss).sum::<f64>() / n,
        wasserstein: v.iter().map(|s| s.wasserstein).sum::<f64>() / n,
        gp: v.iter().map(|s| s.gp).sum::<f64>() / n,
    }
}

/// The parts of two configs that must agree for a resume (everything but the target
/// iteration count and the logging section).
fn resume_mismatch(saved: &TrainConfig, given: &TrainConfig) -> Option<String> {
    let mut a = saved.clone();
    a.train.iters = given.train.iters;
    a.log = given.log.clone();
    if a == *given {
        return None;
    }
    let (x, y) = (a.to_toml(), given.to_toml());
    let diff: Vec<String> = x
        .lines()
        .zip(y.lines())
        .filter(|(p, q)| p != q)
        .map(|(p, q)| format!("checkpoint has `{p}`, config has `{q}`"))
        .collect();
    Some(diff.join("; "))
}

/// Refuses a `--out` that exists and holds something other than a textwgan run (so that a
/// mistyped path never fills an unrelated directory).
fn refuse_foreign_dir(run_dir: &Path) -> Result<()> {
    if !run_dir.exists() {
        return Ok(());
    }
    ensure!(
        run_dir.is_dir(),
        "--out {} exists and is not a directory; choose another --out",
        run_dir.display()
    );
    // A run (our config beside our checkpoints) may also hold what the other subcommands
    // write there (samples, plots, the report): it is ours, whatever else is in it.
    if run_dir.join("config.toml").is_file() && run_dir.join("checkpoints").is_dir() {
        return Ok(());
    }
    let known = [
        "config.toml",
        "metrics.jsonl",
        "checkpoints",
        "tokenizer.json",
        "samples",
    ];
    let foreign: Vec<String> = std::fs::read_dir(run_dir)
        .with_context(|| format!("cannot read {}", run_dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !known.contains(&n.as_str()) && !n.starts_with('.'))
        .collect();
    ensure!(
        foreign.is_empty(),
        "--out {} is not a textwgan run directory (it holds {}); choose a new or empty directory",
        run_dir.display(),
        foreign.join(", ")
    );
    Ok(())
}

/// Trains (or resumes) the run in `run_dir` until `config.train.iters` iterations.
/// `stop` is polled after every iteration (set it from a Ctrl-C handler).
pub fn train<A: AutodiffBackend>(
    data: &TrainData,
    config: &TrainConfig,
    run_dir: &Path,
    resume: bool,
    device: &A::Device,
    stop: &AtomicBool,
) -> Result<Outcome> {
    config.validate()?;
    let shape = model_shape(config, data);
    shape.validate()?;
    let bs = config.train.batch_size;
    ensure!(
        data.train.rows() >= bs,
        "the training split has {} rows, fewer than one batch (train.batch_size = {bs}); \
         lower batch_size or prepare a bigger corpus",
        data.train.rows()
    );
    let ck_dir = run_dir.join("checkpoints");
    refuse_foreign_dir(run_dir)?;
    let existing = checkpoint::list(&ck_dir)?;
    if !resume && !existing.is_empty() {
        bail!(
            "{} already holds checkpoints; pass --resume to continue it, or choose another --out",
            run_dir.display()
        );
    }
    let info = RunInfo {
        config: config.clone(),
        shape: shape.clone(),
        dataset_hash: data.dataset_hash.clone(),
        tokenizer_json: data.tokenizer_json.clone(),
    };
    let mut state = match resume
        .then(|| checkpoint::newest_valid(&ck_dir))
        .transpose()?
        .flatten()
    {
        Some((path, ck)) => {
            ensure!(
                ck.info.dataset_hash == data.dataset_hash,
                "checkpoint {} was trained on another dataset (hash {}), not this one ({}); \
                 resume with the dataset it was trained on",
                path.display(),
                ck.info.dataset_hash,
                data.dataset_hash
            );
            ensure!(
                ck.info.tokenizer_json == data.tokenizer_json,
                "checkpoint {} uses another vocabulary than this dataset's tokenizer.json",
                path.display()
            );
            if let Some(d) = resume_mismatch(&ck.info.config, config) {
                bail!(
                    "cannot resume {} with a different config: {d}",
                    path.display()
                );
            }
            eprintln!(
                "resuming from {} (iteration {})",
                path.display(),
                ck.iteration()
            );
            ck.state::<A::InnerBackend>(device)?
        }
        None => {
            if resume {
                eprintln!("no checkpoint in {}: starting a new run", ck_dir.display());
            }
            fresh_state::<A>(config, &shape, device)
        }
    };
    let target = config.train.iters;
    if state.iteration >= target {
        eprintln!(
            "{} is already at iteration {} (target {target}); nothing to do",
            run_dir.display(),
            state.iteration
        );
        return Ok(Outcome::AlreadyDone {
            iteration: state.iteration,
        });
    }
    std::fs::create_dir_all(run_dir)
        .with_context(|| format!("cannot create {}", run_dir.display()))?;
    crate::util::write_atomic(&run_dir.join("config.toml"), config.to_toml().as_bytes())?;
    crate::util::write_atomic(
        &run_dir.join("tokenizer.json"),
        data.tokenizer_json.as_bytes(),
    )?;
    let resumed_at = (state.iteration > 0).then_some(state.iteration);
    let mut metrics = MetricsLog::open(&run_dir.join("metrics.jsonl"), resumed_at)?;
    let log = &config.log;
    let t = &config.train;
    let mut batches = Batches::new(data.train.rows(), t.seed, state.cursor);
    let start = Instant::now();
    let wall0 = state.wall_seconds;
    let mut last_ck = Instant::now();
    let mut last_log = (Instant::now(), state.iteration);
    let pb = crate::util::progress_bar(
        target,
        "{elapsed_precise} [{bar:30}] {pos}/{len} it  eta {eta}  {msg}",
    );
    pb.set_position(state.iteration);
    let plain = !crate::util::stderr_is_terminal();
    let evaluator = if log.eval_every > 0 {
        Some(Evaluator::new(
            data,
            log.eval_samples,
            log.eval_max_n,
            t.seed,
        )?)
    } else {
        None
    };
    if let (Some(ev), 0) = (&evaluator, state.iteration) {
        metrics.append(&ev.floor(&data.train))?;
        metrics.append(&ev.evaluate(&state.gen, 0, run_dir, device)?)?;
    }
    while state.iteration < target {
        let mut stats = Vec::with_capacity(t.n_critic);
        for _ in 0..t.n_critic {
            let rows = batches.next_batch(bs);
            let real = one_hot(&data.train, &rows, shape.vocab, device);
            let z = noise(&mut state.rng_noise, bs, shape.noise, device);
            let alpha = alphas(&mut state.rng_alpha, bs, device);
            stats.push(critic_step::<A>(
                &state.gen,
                &mut state.critic,
                &mut state.adam_critic,
                real,
                z,
                alpha,
                t.lambda_gp,
                t.gp_eps,
            ));
        }
        let z = noise(&mut state.rng_noise, bs, shape.noise, device);
        let gen_loss = generator_step::<A>(&mut state.gen, &state.critic, &mut state.adam_gen, z);
        let s = mean_stats(&stats);
        if !(s.loss.is_finite() && s.gp.is_finite() && gen_loss.is_finite()) {
            let last = checkpoint::list(&ck_dir)?
                .first()
                .map_or("no checkpoint was written yet".to_string(), |(_, p)| {
                    format!("the last good checkpoint is {}", p.display())
                });
            bail!(
                "a loss became non-finite at iteration {} (critic {}, penalty {}, generator {}); \
                 stopped without saving; {last}. Lower the learning rates or check the data",
                state.iteration + 1,
                s.loss,
                s.gp,
                gen_loss
            );
        }
        state.iteration += 1;
        state.cursor = batches.cursor();
        state.wall_seconds = wall0 + start.elapsed().as_secs_f64();
        let it = state.iteration;
        pb.set_position(it);
        if it % log.log_every == 0 || it == target {
            let dt = last_log.0.elapsed().as_secs_f64();
            let ips = (it - last_log.1) as f64 / dt.max(1e-9);
            last_log = (Instant::now(), it);
            let row = json!({
                "kind": "train", "iter": it, "wall_s": state.wall_seconds,
                "critic_loss": s.loss, "wasserstein": s.wasserstein, "gp": s.gp,
                "gen_loss": gen_loss, "it_per_s": ips,
            });
            metrics.append(&row)?;
            let msg = format!(
                "{ips:.2} it/s  W {}  gp {}  D {}  G {}",
                num(s.wasserstein),
                num(s.gp),
                num(s.loss),
                num(gen_loss)
            );
            if plain {
                eprintln!("iter {it}/{target}  {msg}");
            } else {
                pb.set_message(msg);
            }
        }
        if let Some(ev) = &evaluator {
            if it % log.eval_every == 0 {
                metrics.append(&ev.evaluate(&state.gen, it, run_dir, device)?)?;
            }
        }
        let interrupted = stop.load(Ordering::SeqCst);
        let by_count = log.checkpoint_every > 0 && it % log.checkpoint_every == 0;
        let by_time = last_ck.elapsed().as_secs_f64() >= log.checkpoint_seconds;
        if by_count || by_time || it == target || interrupted {
            let path = checkpoint::save(&ck_dir, &state, &info, log.keep_checkpoints)?;
            last_ck = Instant::now();
            if interrupted {
                pb.finish_and_clear();
                eprintln!(
                    "interrupted: checkpoint {} written at iteration {it}; continue with --resume",
                    path.display()
                );
                return Ok(Outcome::Interrupted { iteration: it });
            }
        }
    }
    pb.finish_and_clear();
    eprintln!(
        "trained {} to iteration {} in {:.1} s",
        run_dir.display(),
        state.iteration,
        start.elapsed().as_secs_f64()
    );
    Ok(Outcome::Finished {
        iteration: state.iteration,
    })
}
