//! Evaluation during training: every `log.eval_every` iterations (and at iteration 0), a
//! fixed set of argmax samples is drawn (the noise of `textwgan sample --seed <train.seed>`),
//! written to `RUN/samples/iter-<iteration>.txt`, and scored by JS divergence of n-grams
//! against the held-out split; the floor (as many training rows against the same split)
//! is logged once per run.

use super::run::TrainData;
use crate::data::{IdRows, Vocab};
use crate::eval::stats::{js_report, CorpusStats};
use crate::model::Net;
use crate::rng::Rng;
use crate::sample::{decode, generate, Decode, SampleOptions};
use anyhow::Result;
use burn::tensor::backend::Backend;
use serde_json::{json, Value};
use std::path::Path;

/// What stays fixed across a run's evaluations.
pub struct Evaluator {
    holdout: CorpusStats,
    vocab: Vocab,
    samples: usize,
    max_n: usize,
    seed: u64,
}

impl Evaluator {
    /// Statistics of the held-out split, built once.
    pub fn new(data: &TrainData, samples: usize, max_n: usize, seed: u64) -> Result<Evaluator> {
        Ok(Evaluator {
            holdout: CorpusStats::build(&data.holdout, max_n)?,
            vocab: Vocab::from_tokenizer_json(&data.tokenizer_json)?,
            samples,
            max_n,
            seed,
        })
    }

    /// The floor row: `samples` training rows (a seeded subset) against the held-out split.
    pub fn floor(&self, train: &IdRows) -> Value {
        let mut idx: Vec<usize> = (0..train.rows()).collect();
        Rng::derive(self.seed, "eval-floor").shuffle(&mut idx);
        let rows: Vec<Vec<u16>> = idx
            .iter()
            .take(self.samples)
            .map(|&i| train.text_row(i).to_vec())
            .collect();
        let r = js_report(&rows, &self.holdout, self.max_n);
        json!({"kind": "floor", "iter": 0, "samples": rows.len(), "js": {"reference": r.reference, "clean": r.clean}})
    }

    /// Samples the generator, saves the text under `run/samples/`, returns the metrics row.
    pub fn evaluate<B: Backend>(
        &self,
        gen: &Net<B>,
        iteration: u64,
        run: &Path,
        device: &B::Device,
    ) -> Result<Value> {
        let o = SampleOptions {
            n: self.samples,
            seed: self.seed,
            decode: Decode::Argmax,
            temperature: 1.0,
            batch: 64,
        };
        let ids = generate(gen, &o, device)?;
        let text: String = ids
            .iter()
            .map(|s| decode(&self.vocab, s, '\u{FFFD}') + "\n")
            .collect();
        let dir = run.join("samples");
        std::fs::create_dir_all(&dir)?;
        crate::util::write_atomic(
            &dir.join(format!("iter-{iteration:08}.txt")),
            text.as_bytes(),
        )?;
        let r = js_report(&ids, &self.holdout, self.max_n);
        Ok(json!({
            "kind": "eval", "iter": iteration, "samples": ids.len(),
            "js": {"reference": r.reference, "clean": r.clean},
        }))
    }
}
