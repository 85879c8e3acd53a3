//! `textwgan prepare`: corpus files in, a versioned dataset directory out.
//!
//! [`build`] reads and splits in memory (every policy of `docs/prepare.md`); [`write`] puts the
//! result on disk atomically; [`run`] is the command line.

use super::collect::Collector;
use super::dataset::{IdRows, HOLDOUT_FILE, META_FILE, TOKENIZER_FILE, TRAIN_FILE};
use super::ids::{encode_ids_with_sum, ids_sha256};
use super::meta::{dataset_hash, Counts, Meta, FORMAT_VERSION};
use super::options::MIN_TRAIN_LINES;
use super::source::read_source;
use super::vocab::{Vocab, PAD, UNK};
use crate::rng::Rng;
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use super::options::{LongPolicy, PrepareOptions};
pub use super::prepare_cli::{run, PrepareArgs};
pub use super::text::{Encoding, InvalidPolicy};

/// Name of the random stream that chooses the held-out lines.
pub const HOLDOUT_STREAM: &str = "prepare/holdout";
/// Inputs at least this large (bytes on disk) get a progress bar when stderr is a terminal.
const PROGRESS_MIN_BYTES: u64 = 16 << 20;

/// A dataset built in memory by [`build`], ready for [`write`].
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The vocabulary (saved as `tokenizer.json`).
    pub vocab: Vocab,
    /// Training rows.
    pub train: IdRows,
    /// Held-out rows.
    pub holdout: IdRows,
    /// Everything `meta.json` records.
    pub meta: Meta,
}

/// Reads `inputs` in order and builds the dataset with every `prepare` policy: vocabulary
/// from the training split, seeded holdout split, UNK checks. Nothing is written.
pub fn build(inputs: &[PathBuf], opts: &PrepareOptions) -> Result<Prepared> {
    build_with_vocab(inputs, opts, None)
}

/// Like [`build`], but with `vocab` given, it is used as is instead of being built from the
/// training split (e.g. to encode an evaluation corpus with a training vocabulary).
pub fn build_with_vocab(
    inputs: &[PathBuf],
    opts: &PrepareOptions,
    vocab: Option<&Vocab>,
) -> Result<Prepared> {
    opts.validate()?;
    if inputs.is_empty() {
        bail!("no corpus files given");
    }
    let mut total = 0;
    for p in inputs {
        let md = std::fs::metadata(p).with_context(|| format!("cannot open {}", p.display()))?;
        if !md.is_file() {
            bail!("{} is not a file", p.display());
        }
        total += md.len();
    }
    let progress = if total >= PROGRESS_MIN_BYTES && crate::util::stderr_is_terminal() {
        crate::util::progress_bar(
            total,
            "prepare {bar:40} {bytes}/{total_bytes} {bytes_per_sec}",
        )
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut col = Collector::new(opts.seq_len, opts.long, opts.max_lines);
    let mut counts = Counts::default();
    let mut sources = Vec::with_capacity(inputs.len());
    for p in inputs {
        let read = !col.full();
        let (info, st) = read_source(p, opts.encoding, opts.invalid, &mut col, read, &progress)?;
        counts.text_bytes += st.bytes;
        counts.lines_read += st.lines;
        counts.lines_invalid += st.invalid_lines;
        sources.push(info);
    }
    progress.finish_and_clear();
    counts.lines_empty = col.empty;
    counts.lines_cut = col.cut;
    counts.lines_chunked = col.chunked;
    counts.lines_skipped_long = col.skipped_long;
    let kept = col.kept();
    counts.lines_kept = kept as u64;
    let need = opts.holdout + MIN_TRAIN_LINES;
    if kept < need {
        bail!(
            "corpus too small: {kept} kept lines (of {} read: {} empty, {} too long and skipped, \
             {} invalid), but --holdout {} needs at least {} + {MIN_TRAIN_LINES} = {need}; \
             lower --holdout or give more text",
            counts.lines_read,
            counts.lines_empty,
            counts.lines_skipped_long,
            counts.lines_invalid,
            opts.holdout,
            opts.holdout
        );
    }
    let held = holdout_mask(kept, opts.holdout, opts.seed)?;
    let vocab = match vocab {
        Some(v) => v.clone(),
        None => vocab_of_training(&col, &held, opts),
    };
    let table = lookup_table(&vocab);
    let (train, sym_t, unk_t) = encode(&col, &held, false, &table, opts.seq_len);
    let (holdout, sym_h, unk_h) = encode(&col, &held, true, &table, opts.seq_len);
    counts.lines_holdout = opts.holdout as u64;
    counts.lines_train = (kept - opts.holdout) as u64;
    counts.rows_train = train.rows() as u64;
    counts.rows_holdout = holdout.rows() as u64;
    counts.symbols_train = sym_t;
    counts.symbols_holdout = sym_h;
    counts.unk_train = unk_t;
    counts.unk_holdout = unk_h;
    counts.unk_rate = (unk_t + unk_h) as f64 / ((sym_t + sym_h) as f64).max(1.0);
    counts.holdout_in_train = holdout_in_train(&col, &held);
    if counts.unk_rate > opts.max_unk_rate {
        bail!(
            "{:.3}% of the symbols ({} of {}) are outside the vocabulary of {} ids, above \
             --max-unk-rate {}; raise --max-vocab, lower --min-count, or raise --max-unk-rate",
            100.0 * counts.unk_rate,
            unk_t + unk_h,
            sym_t + sym_h,
            vocab.len(),
            opts.max_unk_rate
        );
    }
    let vocab_hash = vocab.hash();
    let train_sha256 = ids_sha256(&train);
    let holdout_sha256 = ids_sha256(&holdout);
    let dataset_hash = dataset_hash(
        &vocab_hash,
        opts.seq_len,
        (counts.rows_train, &train_sha256),
        (counts.rows_holdout, &holdout_sha256),
    );
    let meta = Meta {
        format_version: FORMAT_VERSION,
        created_by: format!("textwgan {}", env!("CARGO_PKG_VERSION")),
        sources,
        options: opts.clone(),
        counts,
        vocab_size: vocab.len(),
        vocab_hash,
        train_sha256,
        holdout_sha256,
        dataset_hash,
    };
    Ok(Prepared {
        vocab,
        train,
        holdout,
        meta,
    })
}

/// Which of `kept` lines are held out: a Fisher–Yates shuffle ([`Rng::shuffle`]) of the line
/// indices `0..kept` with `Rng::derive(seed, HOLDOUT_STREAM)`; the first `holdout` are held out.
pub fn holdout_mask(kept: usize, holdout: usize, seed: u64) -> Result<Vec<bool>> {
    if kept > u32::MAX as usize {
        bail!(
            "{kept} kept lines is more than this build supports ({})",
            u32::MAX
        );
    }
    let mut order: Vec<u32> = (0..kept as u32).collect();
    Rng::derive(seed, HOLDOUT_STREAM).shuffle(&mut order);
    let mut held = vec![false; kept];
    for &i in &order[..holdout.min(kept)] {
        held[i as usize] = true;
    }
    Ok(held)
}

fn vocab_of_training(col: &Collector, held: &[bool], opts: &PrepareOptions) -> Vocab {
    let mut counts = vec![0u64; char::MAX as usize + 1];
    for (i, _) in held.iter().enumerate().filter(|(_, &h)| !h) {
        for &c in col.line(i) {
            counts[c as usize] += 1;
        }
    }
    let pairs = counts
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .filter_map(|(c, &n)| char::from_u32(c as u32).map(|c| (c, n)));
    Vocab::from_counts(pairs, opts.max_vocab, opts.min_count)
}

fn lookup_table(vocab: &Vocab) -> Vec<u16> {
    let mut t = vec![UNK; char::MAX as usize + 1];
    for &c in vocab.symbols() {
        t[c as usize] = vocab.id(c);
    }
    t
}

/// Rows of the lines with `held[i] == want`, in corpus order; returns (rows, symbols, UNKs).
fn encode(
    col: &Collector,
    held: &[bool],
    want: bool,
    table: &[u16],
    seq_len: usize,
) -> (IdRows, u64, u64) {
    let mut ids = Vec::new();
    let (mut syms, mut unk) = (0u64, 0u64);
    for (i, _) in held.iter().enumerate().filter(|(_, &h)| h == want) {
        let line = col.line(i);
        syms += line.len() as u64;
        for piece in line.chunks(seq_len) {
            let start = ids.len();
            ids.extend(piece.iter().map(|&c| table[c as usize]));
            unk += ids[start..].iter().filter(|&&t| t == UNK).count() as u64;
            ids.resize(start + seq_len, PAD);
        }
    }
    (IdRows::new(seq_len, ids), syms, unk)
}

/// Held-out lines whose stored symbols equal those of some training line.
fn holdout_in_train(col: &Collector, held: &[bool]) -> u64 {
    let mut map: HashMap<&[u32], (u64, bool), FastHash> = HashMap::default();
    for (i, _) in held.iter().enumerate().filter(|(_, &h)| h) {
        map.entry(col.line(i)).or_default().0 += 1;
    }
    for (i, _) in held.iter().enumerate().filter(|(_, &h)| !h) {
        if let Some(e) = map.get_mut(col.line(i)) {
            e.1 = true;
        }
    }
    map.values().filter(|e| e.1).map(|e| e.0).sum()
}

/// A fast non-cryptographic hasher for symbol slices (the map keys are our own data).
#[derive(Default, Clone, Copy)]
struct FastHash;

impl std::hash::BuildHasher for FastHash {
    type Hasher = Mix;
    fn build_hasher(&self) -> Mix {
        Mix(0x9E37_79B9_7F4A_7C15)
    }
}

/// Multiply-rotate mixing over 64-bit words (FxHash style).
struct Mix(u64);

impl std::hash::Hasher for Mix {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64);
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Writes `prepared` as the dataset directory `out` (`meta.json`, `tokenizer.json`,
/// `train.ids`, `holdout.ids`), atomically. An existing `out` is replaced only with `force`,
/// and only if it is a dataset directory (or empty).
pub fn write(prepared: &Prepared, out: &Path, force: bool) -> Result<()> {
    let meta = serde_json::to_string_pretty(&prepared.meta)? + "\n";
    let tokenizer = prepared.vocab.to_tokenizer_json()? + "\n";
    let train = encode_ids_with_sum(&prepared.train, &prepared.meta.train_sha256)?;
    let holdout = encode_ids_with_sum(&prepared.holdout, &prepared.meta.holdout_sha256)?;
    let files: [(&str, &[u8]); 4] = [
        (TOKENIZER_FILE, tokenizer.as_bytes()),
        (TRAIN_FILE, &train),
        (HOLDOUT_FILE, &holdout),
        (META_FILE, meta.as_bytes()),
    ];
    super::outdir::write_dir_atomic(out, &files, force)
}
