//! Checkpoints: one safetensors file per save, `RUN/checkpoints/ckpt-<iteration>.safetensors`,
//! holding both networks' weights (loadable from Python), both Adam states, every RNG state,
//! the data cursor, the iteration, the resolved config, the vocabulary (`tokenizer.json`
//! text) and the dataset's hash. Written atomically; a SHA-256 of the tensor bytes guards
//! against corruption; the newest `keep` files are kept.

use super::adam::{Adam, AdamConfig};
use super::batches::Cursor;
use super::config::TrainConfig;
use super::safetensors::{deserialize, serialize, RawTensor};
use crate::model::{ModelShape, Net, NetKind};
use crate::rng::Rng;
use crate::util::write_atomic;
use anyhow::{bail, ensure, Context, Result};
use burn::tensor::{backend::Backend, DType, Tensor, TensorData};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Version of the checkpoint layout; a reader refuses others.
pub const FORMAT_VERSION: u32 = 1;

/// What identifies a run: its config, sizes, data and vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The resolved config.
    pub config: TrainConfig,
    /// The networks' sizes (vocabulary and sequence length from the dataset).
    pub shape: ModelShape,
    /// Hash of the dataset the run trains on.
    pub dataset_hash: String,
    /// The vocabulary as a Hugging Face `tokenizer.json` text.
    #[serde(skip)]
    pub tokenizer_json: String,
}

/// The complete training state: restoring it continues the run bit-exactly.
#[derive(Debug, Clone)]
pub struct TrainState<B: Backend> {
    /// Iterations completed.
    pub iteration: u64,
    /// Generator parameters.
    pub gen: Net<B>,
    /// Critic parameters.
    pub critic: Net<B>,
    /// The generator's Adam state.
    pub adam_gen: Adam<B>,
    /// The critic's Adam state.
    pub adam_critic: Adam<B>,
    /// Noise for both networks' steps.
    pub rng_noise: Rng,
    /// Interpolation weights of the penalty.
    pub rng_alpha: Rng,
    /// Where the next batch starts.
    pub cursor: Cursor,
    /// Training wall time so far, over all sessions of the run.
    pub wall_seconds: f64,
}

#[derive(Serialize, Deserialize)]
struct Header {
    format_version: u32,
    iteration: u64,
    info: RunInfo,
    adam_gen_t: u64,
    adam_critic_t: u64,
    rng_noise: Rng,
    rng_alpha: Rng,
    cursor: Cursor,
    wall_seconds: f64,
}

/// Adam hyperparameters of both networks from a config: (generator, critic).
pub fn adam_configs(c: &TrainConfig) -> (AdamConfig, AdamConfig) {
    let t = &c.train;
    let make = |lr| AdamConfig {
        lr,
        beta1: t.beta1,
        beta2: t.beta2,
        eps: t.adam_eps,
    };
    (make(t.lr_generator), make(t.lr_critic))
}

fn raw<B: Backend>(t: &Tensor<B, 2>) -> RawTensor {
    let data = t.to_data();
    let dtype = match data.dtype {
        DType::F64 => "F64",
        _ => "F32",
    };
    let data = if dtype == "F32" {
        data.convert::<f32>()
    } else {
        data
    };
    RawTensor {
        dtype: dtype.into(),
        shape: data.shape.to_vec(),
        bytes: data.as_bytes().to_vec(),
    }
}

fn tensor<B: Backend>(r: &RawTensor, device: &B::Device) -> Tensor<B, 2> {
    let dtype = if r.dtype == "F64" {
        DType::F64
    } else {
        DType::F32
    };
    let data = TensorData::from_bytes_vec(r.bytes.clone(), r.shape.clone(), dtype);
    Tensor::from_data(data, device)
}

fn prefixes(kind: NetKind) -> &'static str {
    match kind {
        NetKind::Generator => "generator",
        NetKind::Critic => "critic",
    }
}

/// SHA-256 over the state record, the vocabulary and every tensor's bytes (in file order):
/// any change to the weights, moments, RNG states, cursor, config or vocabulary shows.
fn checksum<'a>(state: &str, tokenizer: &str, tensors: impl Iterator<Item = &'a [u8]>) -> String {
    use sha2::Digest;
    let mut sha = sha2::Sha256::new();
    for part in [state.as_bytes(), tokenizer.as_bytes()] {
        sha.update((part.len() as u64).to_le_bytes());
        sha.update(part);
    }
    for t in tensors {
        sha.update(t);
    }
    crate::util::hex(&sha.finalize())
}

/// The file name of the checkpoint at `iteration`.
pub fn file_name(iteration: u64) -> String {
    format!("ckpt-{iteration:08}.safetensors")
}

/// Serialises a state (the bytes of a checkpoint file).
pub fn to_bytes<B: Backend>(state: &TrainState<B>, info: &RunInfo) -> Vec<u8> {
    let mut tensors = Vec::new();
    for (net, adam) in [
        (&state.gen, &state.adam_gen),
        (&state.critic, &state.adam_critic),
    ] {
        let p = prefixes(net.kind);
        for (i, spec) in net.shape.layout(net.kind).iter().enumerate() {
            tensors.push((format!("{p}.{}", spec.name), raw(&net.params[i])));
            tensors.push((format!("adam.{p}.m.{}", spec.name), raw(&adam.m[i])));
            tensors.push((format!("adam.{p}.v.{}", spec.name), raw(&adam.v[i])));
        }
    }
    let header = Header {
        format_version: FORMAT_VERSION,
        iteration: state.iteration,
        info: info.clone(),
        adam_gen_t: state.adam_gen.t,
        adam_critic_t: state.adam_critic.t,
        rng_noise: state.rng_noise.clone(),
        rng_alpha: state.rng_alpha.clone(),
        cursor: state.cursor,
        wall_seconds: state.wall_seconds,
    };
    let state = serde_json::to_string(&header).expect("json");
    let digest = checksum(
        &state,
        &info.tokenizer_json,
        tensors.iter().map(|(_, t)| &t.bytes[..]),
    );
    let meta = BTreeMap::from([
        ("format".to_string(), "textwgan-checkpoint".to_string()),
        ("textwgan".to_string(), state),
        ("tokenizer".to_string(), info.tokenizer_json.clone()),
        ("sha256".to_string(), digest),
    ]);
    serialize(&tensors, &meta)
}

/// Writes a checkpoint atomically into `dir` and removes all but the newest `keep`.
pub fn save<B: Backend>(
    dir: &Path,
    state: &TrainState<B>,
    info: &RunInfo,
    keep: usize,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(file_name(state.iteration));
    write_atomic(&path, &to_bytes(state, info))?;
    for (_, old) in list(dir)?.into_iter().skip(keep.max(1)) {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

/// Checkpoint files in `dir`, newest (highest iteration) first.
pub fn list(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    crate::util::numbered_files(dir, "ckpt-", ".safetensors")
}

/// A parsed, verified checkpoint file, before its tensors are put on a device.
pub struct Checkpoint {
    /// The run it belongs to (the tokenizer text included).
    pub info: RunInfo,
    header: Header,
    tensors: BTreeMap<String, RawTensor>,
}

impl Checkpoint {
    /// Reads and verifies a checkpoint: format, version, checksum, every tensor's shape.
    pub fn read(path: &Path) -> Result<Checkpoint> {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(&bytes).with_context(|| format!("checkpoint {} is not valid", path.display()))
    }

    fn parse(bytes: &[u8]) -> Result<Checkpoint> {
        let (tensors, meta) = deserialize(bytes)?;
        ensure!(
            meta.get("format").map(String::as_str) == Some("textwgan-checkpoint"),
            "not a textwgan checkpoint"
        );
        let state = meta.get("textwgan").context("no state record")?;
        let tokenizer = meta.get("tokenizer").context("no vocabulary")?;
        let header: Header = serde_json::from_str(state).context("the state record is damaged")?;
        ensure!(
            header.format_version == FORMAT_VERSION,
            "checkpoint format {} (this textwgan reads {FORMAT_VERSION})",
            header.format_version
        );
        let mut info = header.info.clone();
        info.tokenizer_json = tokenizer.clone();
        let ck = Checkpoint {
            info,
            header,
            tensors,
        };
        let mut parts = Vec::new();
        for name in ck.names() {
            let t = ck
                .tensors
                .get(&name)
                .with_context(|| format!("tensor {name} is missing"))?;
            parts.push(&t.bytes[..]);
        }
        let digest = checksum(state, tokenizer, parts.into_iter());
        if meta.get("sha256") != Some(&digest) {
            bail!("checksum mismatch: the file is corrupted");
        }
        Ok(ck)
    }

    /// Tensor names in file order, checked against the layout of the recorded shape.
    fn names(&self) -> Vec<String> {
        let s = &self.info.shape;
        let mut v = Vec::new();
        for kind in [NetKind::Generator, NetKind::Critic] {
            let p = prefixes(kind);
            for spec in s.layout(kind) {
                v.push(format!("{p}.{}", spec.name));
                v.push(format!("adam.{p}.m.{}", spec.name));
                v.push(format!("adam.{p}.v.{}", spec.name));
            }
        }
        v
    }

    /// Iterations completed at this checkpoint.
    pub fn iteration(&self) -> u64 {
        self.header.iteration
    }

    fn tensors_of<B: Backend>(
        &self,
        prefix: &str,
        kind: NetKind,
        device: &B::Device,
    ) -> Result<Vec<Tensor<B, 2>>> {
        self.info
            .shape
            .layout(kind)
            .iter()
            .map(|spec| {
                let name = format!("{prefix}{}", spec.name);
                let r = &self.tensors[&name];
                ensure!(
                    r.shape == spec.shape,
                    "tensor {name} has shape {:?}, expected {:?}",
                    r.shape,
                    spec.shape
                );
                Ok(tensor(r, device))
            })
            .collect()
    }

    /// One network's weights on `device`.
    pub fn net<B: Backend>(&self, kind: NetKind, device: &B::Device) -> Result<Net<B>> {
        Ok(Net {
            kind,
            shape: self.info.shape.clone(),
            params: self.tensors_of(&format!("{}.", prefixes(kind)), kind, device)?,
        })
    }

    /// The whole training state on `device`.
    pub fn state<B: Backend>(&self, device: &B::Device) -> Result<TrainState<B>> {
        let (cg, cc) = adam_configs(&self.info.config);
        let adam = |kind, config, t| -> Result<Adam<B>> {
            let p = prefixes(kind);
            Ok(Adam {
                config,
                t,
                m: self.tensors_of(&format!("adam.{p}.m."), kind, device)?,
                v: self.tensors_of(&format!("adam.{p}.v."), kind, device)?,
            })
        };
        let h = &self.header;
        Ok(TrainState {
            iteration: h.iteration,
            gen: self.net(NetKind::Generator, device)?,
            critic: self.net(NetKind::Critic, device)?,
            adam_gen: adam(NetKind::Generator, cg, h.adam_gen_t)?,
            adam_critic: adam(NetKind::Critic, cc, h.adam_critic_t)?,
            rng_noise: h.rng_noise.clone(),
            rng_alpha: h.rng_alpha.clone(),
            cursor: h.cursor,
            wall_seconds: h.wall_seconds,
        })
    }
}

/// The newest checkpoint in `dir` that reads and verifies; damaged newer ones are reported
/// on stderr and skipped. `None` when there is none at all.
pub fn newest_valid(dir: &Path) -> Result<Option<(PathBuf, Checkpoint)>> {
    let all = list(dir)?;
    let mut skipped: Vec<(PathBuf, anyhow::Error)> = Vec::new();
    for (_, path) in all {
        match Checkpoint::read(&path) {
            Ok(ck) => {
                for (p, e) in &skipped {
                    eprintln!(
                        "warning: skipping damaged checkpoint {}: {e:#}; using {} instead",
                        p.display(),
                        path.display()
                    );
                }
                return Ok(Some((path, ck)));
            }
            Err(e) => skipped.push((path, e)),
        }
    }
    if !skipped.is_empty() {
        let list: Vec<String> = skipped
            .iter()
            .map(|(p, e)| format!("{}: {e:#}", p.display()))
            .collect();
        bail!(
            "no valid checkpoint in {}; every one is damaged ({}). Move them away and train \
             from scratch, or restore a copy",
            dir.display(),
            list.join("; ")
        );
    }
    Ok(None)
}
