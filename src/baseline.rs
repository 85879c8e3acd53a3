//! `textwgan baseline`: an order-K character Markov chain fitted on the training split, sampled
//! like the GAN so `eval` puts its numbers next to the GAN's.
//!
//! The chain sees each training row's unpadded text, preceded by K begin-of-line markers, and an
//! end-of-line event after every row shorter than seq_len (a row of exactly seq_len symbols may
//! have been cut by `prepare`, so no end is recorded there). Lengths are therefore learned.
//! Back-off: when the last K symbols were never followed by anything in training, the chain uses
//! the longest shorter suffix of the context (K−1, …, 0 symbols) that was; order 0 (the symbol
//! frequencies, end events included) always has data. Sampling draws with [`crate::rng::Rng`]
//! (stream "baseline-markov" of the seed), so the same seed gives the same lines forever.

use crate::data::{IdRows, Vocab, PAD, UNK};
use crate::rng::Rng;
use anyhow::{bail, Result};

/// Highest supported order.
pub const MAX_ORDER: usize = 6;
/// The event id for "the line ends" (PAD never occurs in text, so it is free).
const END: u16 = PAD;
/// The begin-of-line marker in contexts (also PAD; contexts of different lengths never mix).
const BOS: u16 = PAD;

/// Transition counts for all contexts of one length, sorted by context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Level {
    contexts: Vec<u128>,
    /// `starts[i]..starts[i+1]` indexes the events of `contexts[i]`.
    starts: Vec<usize>,
    /// Next symbols (END included), ascending within a context.
    events: Vec<u16>,
    /// Cumulative counts within a context.
    cum: Vec<u64>,
}

impl Level {
    fn from_pairs(mut pairs: Vec<u128>) -> Level {
        pairs.sort_unstable();
        let mut lv = Level::default();
        let mut i = 0;
        while i < pairs.len() {
            let j = i + pairs[i..].iter().take_while(|&&p| p == pairs[i]).count();
            let (ctx, ev) = (pairs[i] >> 16, pairs[i] as u16);
            if lv.contexts.last() != Some(&ctx) {
                lv.contexts.push(ctx);
                lv.starts.push(lv.events.len());
            }
            let first = *lv.starts.last().unwrap_or(&0) == lv.events.len();
            let base = if first {
                0
            } else {
                *lv.cum.last().unwrap_or(&0)
            };
            lv.events.push(ev);
            lv.cum.push(base + (j - i) as u64);
            i = j;
        }
        lv.starts.push(lv.events.len());
        lv
    }

    fn find(&self, ctx: u128) -> Option<(usize, usize)> {
        let i = self.contexts.binary_search(&ctx).ok()?;
        Some((self.starts[i], self.starts[i + 1]))
    }
}

/// An order-K character Markov chain with end-of-line events and suffix back-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkovChain {
    order: usize,
    seq_len: usize,
    /// `levels[k]`: contexts of the last `k` symbols, k = 0..=order.
    levels: Vec<Level>,
}

/// Packs the last `k` symbols of `BOS^k ++ hist` (16 bits each, oldest highest).
fn pack_context(hist: &[u16], k: usize) -> u128 {
    (0..k).fold(0u128, |key, i| {
        let back = k - i; // 1-based distance from the end
        let s = if back <= hist.len() {
            hist[hist.len() - back]
        } else {
            BOS
        };
        (key << 16) | s as u128
    })
}

impl MarkovChain {
    /// Fits an order-`order` chain (0..=6) on the unpadded text of `train`'s rows.
    pub fn fit(train: &IdRows, order: usize) -> Result<MarkovChain> {
        if order > MAX_ORDER {
            bail!("--order must be between 0 and {MAX_ORDER} (got {order})");
        }
        if train.rows() == 0 {
            bail!("the training split has no rows to fit a Markov chain on");
        }
        let mut pairs: Vec<Vec<u128>> = vec![Vec::new(); order + 1];
        for r in 0..train.rows() {
            let text = train.text_row(r);
            let ends = text.len() < train.seq_len;
            let n_events = text.len() + ends as usize;
            for i in 0..n_events {
                let ev = text.get(i).copied().unwrap_or(END);
                for (k, p) in pairs.iter_mut().enumerate() {
                    p.push((pack_context(&text[..i], k) << 16) | ev as u128);
                }
            }
        }
        let levels = pairs.into_iter().map(Level::from_pairs).collect();
        Ok(MarkovChain {
            order,
            seq_len: train.seq_len,
            levels,
        })
    }

    /// The order K.
    pub fn order(&self) -> usize {
        self.order
    }

    /// The context length actually used after `history` (the longest seen suffix, ≤ K) and the
    /// next-event counts there, as `(id, count)` ascending by id; id [`PAD`] means "line ends".
    pub fn distribution(&self, history: &[u16]) -> (usize, Vec<(u16, u64)>) {
        let (k, lo, hi) = self.lookup(history);
        let lv = &self.levels[k];
        let mut prev = 0;
        let d = (lo..hi)
            .map(|i| {
                let c = lv.cum[i] - prev;
                prev = lv.cum[i];
                (lv.events[i], c)
            })
            .collect();
        (k, d)
    }

    fn lookup(&self, history: &[u16]) -> (usize, usize, usize) {
        for k in (0..=self.order).rev() {
            if let Some((lo, hi)) = self.levels[k].find(pack_context(history, k)) {
                return (k, lo, hi);
            }
        }
        // Level 0 holds every event of a non-empty training split, so this is unreachable;
        // ending the line is the safe answer anyway.
        (0, 0, 0)
    }

    /// Samples `n` lines (id sequences of at most `seq_len` ids, no PAD) from seed `seed`.
    pub fn sample(&self, n: usize, seed: u64, seq_len: usize) -> Vec<Vec<u16>> {
        let mut rng = Rng::derive(seed, "baseline-markov");
        (0..n)
            .map(|_| {
                let mut line = Vec::with_capacity(seq_len);
                while line.len() < seq_len {
                    let (k, lo, hi) = self.lookup(&line);
                    if lo == hi {
                        break;
                    }
                    let lv = &self.levels[k];
                    // Counts are cumulative within the context, so its total is the last one.
                    let r = rng.below(lv.cum[hi - 1]);
                    let i = lo + lv.cum[lo..hi].partition_point(|&c| c <= r);
                    let ev = lv.events[i];
                    if ev == END {
                        break;
                    }
                    line.push(ev);
                }
                line
            })
            .collect()
    }

    /// The seq_len of the rows the chain was fitted on.
    pub fn seq_len(&self) -> usize {
        self.seq_len
    }
}

/// Decodes ids to text: symbols as themselves, UNK (and any id without a symbol) as U+FFFD;
/// PAD ends the text.
pub fn decode(vocab: &Vocab, ids: &[u16]) -> String {
    ids.iter()
        .take_while(|&&t| t != PAD)
        .map(|&t| {
            if t == UNK {
                '\u{FFFD}'
            } else {
                vocab.symbol(t).unwrap_or('\u{FFFD}')
            }
        })
        .collect()
}

/// Arguments of `textwgan baseline`.
#[derive(clap::Args, Debug, Clone)]
pub struct BaselineArgs {
    /// A prepared dataset; the chain is fitted on its training split.
    #[arg(long, value_name = "DIR")]
    pub data: std::path::PathBuf,
    /// Markov order K (0 to 6): the number of preceding symbols each draw depends on.
    #[arg(long)]
    pub order: usize,
    /// Number of lines to sample.
    #[arg(short = 'n', long = "num")]
    pub n: usize,
    /// Random seed (the same seed gives the same lines).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the lines to FILE (atomically) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// Decodes sampled lines and joins them, each followed by a newline.
pub fn render_lines(vocab: &Vocab, lines: &[Vec<u16>]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(&decode(vocab, l));
        s.push('\n');
    }
    s
}

/// Runs `textwgan baseline`: exactly `n` lines to stdout or `-o FILE`.
pub fn run(args: &BaselineArgs) -> Result<()> {
    use anyhow::Context;
    let ds = crate::data::Dataset::open(&args.data)?;
    let chain = MarkovChain::fit(&ds.train, args.order)?;
    let lines = chain.sample(args.n, args.seed, ds.seq_len());
    let text = render_lines(&ds.vocab, &lines);
    match &args.output {
        Some(path) => {
            crate::util::write_atomic(path, text.as_bytes())?;
            eprintln!(
                "baseline: wrote {} lines (order {}, seed {}) to {}",
                lines.len(),
                args.order,
                args.seed,
                path.display()
            );
        }
        None => {
            use std::io::Write;
            std::io::stdout()
                .write_all(text.as_bytes())
                .context("cannot write the samples to stdout")?;
        }
    }
    Ok(())
}
