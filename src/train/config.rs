//! Training configuration: one TOML file per experiment, every hyperparameter in it.
//!
//! Unknown keys and bad values are errors that name the key. The sizes that come from the
//! dataset (vocabulary, sequence length) are not in the file; the run directory keeps the
//! resolved configuration (`RUN/config.toml`).

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The networks' sizes that the config sets (the rest come from the dataset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Channels of the residual trunk (paper: 512).
    pub width: usize,
    /// Residual blocks in each network (paper: 5).
    pub blocks: usize,
    /// Size of the generator's noise (paper: 128).
    #[serde(default = "default_noise")]
    pub noise: usize,
    /// Convolution kernel (paper: 5).
    #[serde(default = "default_kernel")]
    pub kernel: usize,
    /// Scale of each residual branch (paper: 0.3).
    #[serde(default = "default_residual_scale")]
    pub residual_scale: f64,
}

/// The optimisation: WGAN-GP with Adam for both networks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimConfig {
    /// Samples per batch (paper: 64).
    pub batch_size: usize,
    /// Total iterations to reach; one iteration = `n_critic` critic steps + 1 generator step.
    pub iters: u64,
    /// Critic steps per generator step (paper: 10).
    #[serde(default = "default_n_critic")]
    pub n_critic: usize,
    /// Weight λ of the gradient penalty (paper: 10).
    #[serde(default = "default_lambda")]
    pub lambda_gp: f64,
    /// Added under the square root of the gradient norm so that a zero gradient stays finite.
    #[serde(default = "default_gp_eps")]
    pub gp_eps: f64,
    /// Adam learning rate of the critic (paper: 1e-4).
    #[serde(default = "default_lr")]
    pub lr_critic: f64,
    /// Adam learning rate of the generator (paper: 1e-4).
    #[serde(default = "default_lr")]
    pub lr_generator: f64,
    /// Adam β₁ (paper: 0.5).
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    /// Adam β₂ (paper: 0.9).
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    /// Adam ε (paper: 1e-8; burn's own default differs).
    #[serde(default = "default_adam_eps")]
    pub adam_eps: f64,
    /// Seed of every random choice of the run (initialisation, data order, noise, α).
    #[serde(default = "default_seed")]
    pub seed: u64,
}

/// Logging, checkpoints and evaluation during training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// Iterations between rows of `RUN/metrics.jsonl`.
    #[serde(default = "default_log_every")]
    pub log_every: u64,
    /// Iterations between checkpoints (0: only by time and at the end).
    #[serde(default)]
    pub checkpoint_every: u64,
    /// Seconds of wall time after which a checkpoint is written at the next iteration.
    #[serde(default = "default_checkpoint_seconds")]
    pub checkpoint_seconds: f64,
    /// Checkpoints kept (the newest ones).
    #[serde(default = "default_keep")]
    pub keep_checkpoints: usize,
    /// Iterations between evaluations on argmax samples (0: never; also at iteration 0).
    #[serde(default)]
    pub eval_every: u64,
    /// Argmax samples per evaluation (paper: 640).
    #[serde(default = "default_eval_samples")]
    pub eval_samples: usize,
    /// Highest n-gram order of the evaluation during training.
    #[serde(default = "default_eval_max_n")]
    pub eval_max_n: usize,
}

/// A whole experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Network sizes.
    pub model: ModelConfig,
    /// Optimisation.
    pub train: OptimConfig,
    /// Logging, checkpoints, evaluation.
    #[serde(default)]
    pub log: LogConfig,
}

fn default_noise() -> usize {
    128
}
fn default_kernel() -> usize {
    5
}
fn default_residual_scale() -> f64 {
    0.3
}
fn default_n_critic() -> usize {
    10
}
fn default_lambda() -> f64 {
    10.0
}
fn default_gp_eps() -> f64 {
    1e-12
}
fn default_lr() -> f64 {
    1e-4
}
fn default_beta1() -> f64 {
    0.5
}
fn default_beta2() -> f64 {
    0.9
}
fn default_adam_eps() -> f64 {
    1e-8
}
fn default_seed() -> u64 {
    1
}
fn default_log_every() -> u64 {
    10
}
fn default_checkpoint_seconds() -> f64 {
    60.0
}
fn default_keep() -> usize {
    3
}
fn default_eval_samples() -> usize {
    640
}
fn default_eval_max_n() -> usize {
    4
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            log_every: default_log_every(),
            checkpoint_every: 0,
            checkpoint_seconds: default_checkpoint_seconds(),
            keep_checkpoints: default_keep(),
            eval_every: 0,
            eval_samples: default_eval_samples(),
            eval_max_n: default_eval_max_n(),
        }
    }
}

impl TrainConfig {
    /// Parses a TOML config; the error names the file and the offending key.
    pub fn parse(text: &str, origin: &str) -> Result<TrainConfig> {
        let cfg: TrainConfig =
            toml::from_str(text).with_context(|| format!("invalid config {origin}"))?;
        cfg.validate()
            .with_context(|| format!("invalid config {origin}"))?;
        Ok(cfg)
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<TrainConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        TrainConfig::parse(&text, &path.display().to_string())
    }

    /// The resolved config as TOML (what `RUN/config.toml` holds).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a config always serialises")
    }

    /// Checks every value; the error names the key and says what is allowed.
    pub fn validate(&self) -> Result<()> {
        let (m, t, l) = (&self.model, &self.train, &self.log);
        let positive = [
            ("model.width", m.width as f64),
            ("model.noise", m.noise as f64),
            ("model.kernel", m.kernel as f64),
            ("train.batch_size", t.batch_size as f64),
            ("train.iters", t.iters as f64),
            ("train.n_critic", t.n_critic as f64),
            ("train.lr_critic", t.lr_critic),
            ("train.lr_generator", t.lr_generator),
            ("train.adam_eps", t.adam_eps),
            ("train.gp_eps", t.gp_eps),
            ("log.log_every", l.log_every as f64),
            ("log.keep_checkpoints", l.keep_checkpoints as f64),
        ];
        for (key, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                bail!("{key} must be a positive number (got {v})");
            }
        }
        if m.kernel % 2 == 0 {
            bail!("model.kernel must be odd (got {})", m.kernel);
        }
        for (key, v) in [("train.beta1", t.beta1), ("train.beta2", t.beta2)] {
            if !(0.0..1.0).contains(&v) {
                bail!("{key} must be in [0, 1) (got {v})");
            }
        }
        if !(t.lambda_gp.is_finite() && t.lambda_gp >= 0.0) {
            bail!("train.lambda_gp must be ≥ 0 (got {})", t.lambda_gp);
        }
        if !m.residual_scale.is_finite() {
            bail!("model.residual_scale must be finite");
        }
        if !(l.checkpoint_seconds.is_finite() && l.checkpoint_seconds > 0.0) {
            bail!("log.checkpoint_seconds must be positive");
        }
        if l.eval_every > 0 && (l.eval_samples == 0 || !(1..=6).contains(&l.eval_max_n)) {
            bail!("log.eval_samples must be positive and log.eval_max_n in 1..=6");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = "[model]\nwidth = 8\nblocks = 1\n[train]\nbatch_size = 4\niters = 3\n";

    #[test]
    fn defaults_are_the_papers() {
        let c = TrainConfig::parse(MIN, "t").unwrap();
        assert_eq!((c.model.noise, c.model.kernel), (128, 5));
        assert_eq!(c.model.residual_scale, 0.3);
        assert_eq!((c.train.n_critic, c.train.lambda_gp), (10, 10.0));
        assert_eq!((c.train.lr_critic, c.train.lr_generator), (1e-4, 1e-4));
        assert_eq!(
            (c.train.beta1, c.train.beta2, c.train.adam_eps),
            (0.5, 0.9, 1e-8)
        );
        let again = TrainConfig::parse(&c.to_toml(), "t").unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let e = TrainConfig::parse(&format!("{MIN}lerning_rate = 1\n"), "x.toml").unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("lerning_rate") && msg.contains("x.toml"),
            "{msg}"
        );
        let bad = MIN.replace("batch_size = 4", "batch_size = 0");
        let msg = format!("{:#}", TrainConfig::parse(&bad, "x").unwrap_err());
        assert!(msg.contains("train.batch_size"), "{msg}");
        let bad = format!("{MIN}beta1 = 1.5\n");
        let msg = format!("{:#}", TrainConfig::parse(&bad, "x").unwrap_err());
        assert!(msg.contains("train.beta1"), "{msg}");
    }
}
