//! `textwgan sample`: sentences from a trained generator.
//!
//! Sample `i` always uses the `i`-th block of noise drawn from the seed, so the same seed
//! gives the same samples whatever the count or the batch size, in the training process
//! (evaluation) or later from the checkpoint. Decoding: argmax per position (the paper's) or
//! a draw from `softmax(logits / T)`. The first PAD ends a sample (anything after it is
//! dropped); UNK becomes one replacement character; every other id decodes to its symbol.

use crate::data::{Vocab, PAD, UNK};
use crate::model::{generator, Net, NetKind};
use crate::rng::Rng;
use crate::train::checkpoint::{self, Checkpoint};
use anyhow::{ensure, Context, Result};
use burn::tensor::{backend::Backend, Tensor, TensorData};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How ids are chosen from the generator's softmax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Decode {
    /// The most probable symbol at each position (the paper's).
    Argmax,
    /// A draw from the softmax at each position, sharpened or flattened by a temperature.
    Sample,
}

/// Options of [`generate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleOptions {
    /// Number of samples.
    pub n: usize,
    /// Seed of the noise (and of the draws with [`Decode::Sample`]).
    pub seed: u64,
    /// Decoding rule.
    pub decode: Decode,
    /// Temperature of [`Decode::Sample`] (> 0).
    pub temperature: f64,
    /// Samples per generator call (does not change the samples).
    pub batch: usize,
}

/// `n` id sequences from the generator, each ended at its first PAD (PAD excluded).
pub fn generate<B: Backend>(
    gen: &Net<B>,
    o: &SampleOptions,
    device: &B::Device,
) -> Result<Vec<Vec<u16>>> {
    ensure!(
        o.temperature.is_finite() && o.temperature > 0.0,
        "--temperature must be a positive number (got {})",
        o.temperature
    );
    let s = &gen.shape;
    let mut noise_rng = Rng::derive(o.seed, "sample-noise");
    let mut pick_rng = Rng::derive(o.seed, "sample-pick");
    let mut out = Vec::with_capacity(o.n);
    while out.len() < o.n {
        let b = o.batch.max(1).min(o.n - out.len());
        let mut z = vec![0f32; b * s.noise];
        for row in z.chunks_mut(s.noise) {
            noise_rng.fill_normal(row);
        }
        let z = Tensor::<B, 2>::from_data(TensorData::new(z, [b, s.noise]), device);
        let logits = generator::logits(gen, z)
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .expect("float logits");
        for row in logits.chunks(s.seq_len * s.vocab) {
            let mut ids = Vec::with_capacity(s.seq_len);
            for pos in row.chunks(s.vocab) {
                let id = match o.decode {
                    Decode::Argmax => argmax(pos),
                    Decode::Sample => draw(pos, o.temperature, &mut pick_rng),
                } as u16;
                if id == PAD {
                    break;
                }
                ids.push(id);
            }
            out.push(ids);
        }
    }
    Ok(out)
}

/// Index of the largest value (the first one on ties).
fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// A draw from `softmax(logits / t)`, in f64 with the maximum subtracted (no overflow).
fn draw(logits: &[f32], t: f64, rng: &mut Rng) -> usize {
    let m = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
    let w: Vec<f64> = logits.iter().map(|&x| ((x as f64 - m) / t).exp()).collect();
    let total: f64 = w.iter().sum();
    let mut u = rng.uniform() * total;
    for (i, &wi) in w.iter().enumerate() {
        if u < wi {
            return i;
        }
        u -= wi;
    }
    argmax(logits)
}

/// Text of one id sequence: UNK → `unk`, symbols as themselves, a PAD ends the text.
pub fn decode(vocab: &Vocab, ids: &[u16], unk: char) -> String {
    let mut s = String::with_capacity(ids.len());
    for &id in ids {
        if id == PAD {
            break;
        }
        match vocab.symbol(id) {
            Some(c) => s.push(c),
            None if id == UNK => s.push(unk),
            None => s.push(unk),
        }
    }
    s
}

/// Write sentences sampled from a trained generator.
#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// Run directory (its newest valid checkpoint is used).
    #[arg(
        long,
        required_unless_present = "checkpoint",
        conflicts_with = "checkpoint"
    )]
    pub run: Option<PathBuf>,
    /// A checkpoint file (instead of --run).
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Number of samples (exactly this many lines).
    #[arg(short = 'n', long = "num", default_value_t = 64)]
    pub n: usize,
    /// Seed of the noise and of the draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// argmax (the paper's) or sample.
    #[arg(long, value_enum, default_value_t = Decode::Argmax)]
    pub decode: Decode,
    /// Temperature of --decode sample (> 0; 1 is the model's softmax).
    #[arg(long)]
    pub temperature: Option<f64>,
    /// Character written for UNK.
    #[arg(long, default_value_t = '\u{FFFD}')]
    pub unk: char,
    /// Output file (default: stdout). Truncated unless --append.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// Append to --output instead of replacing it.
    #[arg(long, requires = "output")]
    pub append: bool,
    /// Samples per generator call (does not change the samples).
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
}

/// The checkpoint `args` names: `--checkpoint`, or the newest valid one of `--run`.
pub fn open_checkpoint(run: Option<&Path>, file: Option<&Path>) -> Result<(PathBuf, Checkpoint)> {
    if let Some(f) = file {
        return Ok((f.to_path_buf(), Checkpoint::read(f)?));
    }
    let run = run.context("give --run RUN or --checkpoint FILE")?;
    let dir = run.join("checkpoints");
    checkpoint::newest_valid(&dir)?
        .with_context(|| format!("no checkpoint in {}: train first", dir.display()))
}

/// Lines of text sampled from a checkpoint's generator on the CPU.
pub fn sample_checkpoint(ck: &Checkpoint, o: &SampleOptions, unk: char) -> Result<Vec<String>> {
    let device = Default::default();
    let gen = ck.net::<burn::backend::Flex>(NetKind::Generator, &device)?;
    let vocab = Vocab::from_tokenizer_json(&ck.info.tokenizer_json)?;
    Ok(generate(&gen, o, &device)?
        .iter()
        .map(|ids| decode(&vocab, ids, unk))
        .collect())
}

/// Runs `textwgan sample`.
pub fn run(args: &SampleArgs) -> Result<()> {
    if args.temperature.is_some() && args.decode == Decode::Argmax {
        anyhow::bail!("--temperature applies to --decode sample only (argmax ignores it)");
    }
    ensure!(args.batch > 0, "--batch must be positive");
    let (path, ck) = open_checkpoint(args.run.as_deref(), args.checkpoint.as_deref())?;
    let o = SampleOptions {
        n: args.n,
        seed: args.seed,
        decode: args.decode,
        temperature: args.temperature.unwrap_or(1.0),
        batch: args.batch,
    };
    let lines = sample_checkpoint(&ck, &o, args.unk)?;
    let mut text = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for l in &lines {
        text.push_str(l);
        text.push('\n');
    }
    match &args.output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .context("cannot write to stdout")?;
            out.flush().context("cannot write to stdout")?;
        }
        Some(f) if args.append => {
            // Keep one sample per line even if the file does not end with a newline.
            let needs_newline = std::fs::read(f)
                .map(|b| b.last().is_some_and(|&c| c != b'\n'))
                .unwrap_or(false);
            if needs_newline {
                text.insert(0, '\n');
            }
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(f)
                .with_context(|| format!("cannot open {}", f.display()))?;
            file.write_all(text.as_bytes())
                .with_context(|| format!("cannot write {}", f.display()))?;
        }
        Some(f) => crate::util::write_atomic(f, text.as_bytes())?,
    }
    let dest = match &args.output {
        Some(f) => std::fs::canonicalize(f)
            .unwrap_or_else(|_| f.clone())
            .display()
            .to_string(),
        None => "stdout".to_string(),
    };
    eprintln!(
        "wrote {} samples from {} (iteration {}) to {dest}",
        lines.len(),
        path.display(),
        ck.iteration()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_stops_at_pad_and_marks_unk() {
        let v = Vocab::from_symbols(vec!['a', '`', ' ']);
        assert_eq!(
            decode(&v, &[2, 3, 1, 4, 2, 0, 2], '\u{FFFD}'),
            "a`\u{FFFD} a"
        );
    }

    #[test]
    fn draw_follows_the_softmax_and_temperature() {
        let mut rng = Rng::new(1);
        let logits = [0.0f32, (3.0f64).ln() as f32];
        let n = 40_000;
        let ones = (0..n).filter(|_| draw(&logits, 1.0, &mut rng) == 1).count();
        assert!((ones as f64 / n as f64 - 0.75).abs() < 0.01); // 3/(1+3)
        let ones = (0..n).filter(|_| draw(&logits, 0.5, &mut rng) == 1).count();
        assert!((ones as f64 / n as f64 - 0.9).abs() < 0.01); // 9/(1+9)
    }
}
