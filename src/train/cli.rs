//! `textwgan train`: the command-line layer over [`super::train`].

use super::{train, Outcome, TrainConfig, TrainData};
use crate::data::Dataset;
use crate::device::{set_threads, DeviceChoice};
use anyhow::Result;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Train (or resume) a WGAN-GP on a prepared dataset.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Dataset directory written by `textwgan prepare`.
    #[arg(long)]
    pub data: PathBuf,
    /// Experiment config (TOML), e.g. configs/cpu.toml.
    #[arg(long)]
    pub config: PathBuf,
    /// Run directory: config.toml, metrics.jsonl, checkpoints/.
    #[arg(long)]
    pub out: PathBuf,
    /// Total iterations to reach (overrides train.iters).
    #[arg(long)]
    pub iters: Option<u64>,
    /// Seed of every random choice (overrides train.seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Continue from the newest valid checkpoint in --out.
    #[arg(long)]
    pub resume: bool,
    /// cpu, cuda or cuda:<index> (cuda needs a build with --features cuda).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// CPU worker threads (default: all cores, or RAYON_NUM_THREADS).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// The resolved config of `args`: the file with the flags applied.
pub fn resolve_config(args: &TrainArgs) -> Result<TrainConfig> {
    let mut cfg = TrainConfig::load(&args.config)?;
    if let Some(i) = args.iters {
        cfg.train.iters = i;
    }
    if let Some(s) = args.seed {
        cfg.train.seed = s;
    }
    cfg.validate()?;
    Ok(cfg)
}

/// What training needs from a prepared dataset.
pub fn train_data(ds: &Dataset) -> Result<TrainData> {
    Ok(TrainData {
        train: ds.train.clone(),
        holdout: ds.holdout.clone(),
        vocab_size: ds.vocab.len(),
        dataset_hash: ds.hash().to_string(),
        tokenizer_json: ds.vocab.to_tokenizer_json()?,
    })
}

/// Runs `textwgan train`.
pub fn run(args: &TrainArgs) -> Result<Outcome> {
    let device = DeviceChoice::parse(&args.device)?;
    device.check_available()?;
    let cfg = resolve_config(args)?;
    let ds = Dataset::open(&args.data)?;
    let data = train_data(&ds)?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("second interrupt: exiting without a checkpoint");
            std::process::exit(130);
        }
        eprintln!(
            "interrupt: finishing the iteration and writing a checkpoint (Ctrl-C again to abort)"
        );
    });
    set_threads(args.threads);
    match device {
        DeviceChoice::Cpu => {
            type A = burn::backend::Autodiff<burn::backend::Flex>;
            train::<A>(
                &data,
                &cfg,
                &args.out,
                args.resume,
                &Default::default(),
                &stop,
            )
        }
        #[cfg(feature = "cuda")]
        DeviceChoice::Cuda(index) => {
            type A = burn::backend::Autodiff<burn::backend::Cuda>;
            let dev = burn::backend::cuda::CudaDevice { index };
            train::<A>(&data, &cfg, &args.out, args.resume, &dev, &stop)
        }
        #[cfg(not(feature = "cuda"))]
        DeviceChoice::Cuda(_) => anyhow::bail!("this textwgan was built without CUDA"),
    }
}
