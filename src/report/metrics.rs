//! Reading `RUN/metrics.jsonl` for pictures: tolerant of a torn last line (training may be
//! writing it right now), of unknown row kinds and of missing fields.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// JS divergences of one evaluation: mode (`"reference"`, `"clean"`, ...) → n-gram order →
/// value (`None` where the file has `null`, e.g. no clean samples).
pub type JsTable = BTreeMap<String, BTreeMap<u32, Option<f64>>>;

/// One `{"kind":"train",...}` row: its iteration and every other numeric field by name.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainRow {
    /// Training iteration.
    pub iter: u64,
    /// Numeric fields (`wasserstein`, `critic_loss`, `gp`, `gen_loss`, `it_per_s`, ...).
    pub values: BTreeMap<String, f64>,
}

/// One row carrying JS divergences (`eval`, `floor` or `baseline`).
#[derive(Debug, Clone, PartialEq)]
pub struct JsRow {
    /// Iteration the row was written at (0 where absent).
    pub iter: u64,
    /// Number of samples behind the numbers, where given.
    pub samples: Option<u64>,
    /// The divergences.
    pub js: JsTable,
}

/// A Markov baseline row: `{"kind":"baseline","order":K,"js":{...}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// Markov chain order K.
    pub order: u64,
    /// Its divergences.
    pub js: JsTable,
}

/// Everything a plot or report needs from one metrics file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Training rows in file order.
    pub train: Vec<TrainRow>,
    /// Evaluation rows in file order.
    pub evals: Vec<JsRow>,
    /// The held-out floor (the last one, if written more than once).
    pub floor: Option<JsRow>,
    /// Markov baselines (the last row per order), by increasing order.
    pub baselines: Vec<Baseline>,
    /// Lines that were not a JSON object, other than a torn last line (reported, then skipped).
    pub bad_lines: Vec<usize>,
    /// Whether the last line was incomplete (no newline and not valid JSON): training is writing.
    pub torn_last: bool,
}

impl Metrics {
    /// The highest iteration of any train or eval row (0 when there is none).
    pub fn last_iter(&self) -> u64 {
        self.train
            .iter()
            .map(|r| r.iter)
            .chain(self.evals.iter().map(|r| r.iter))
            .max()
            .unwrap_or(0)
    }

    /// Whether no usable row was found.
    pub fn is_empty(&self) -> bool {
        self.train.is_empty()
            && self.evals.is_empty()
            && self.floor.is_none()
            && self.baselines.is_empty()
    }

    /// Names of the numeric train fields present in any row, sorted.
    pub fn train_fields(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .train
            .iter()
            .flat_map(|r| r.values.keys().cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// JS modes present in eval, floor or baseline rows, sorted (`clean`, `reference`, ...).
    pub fn js_modes(&self) -> Vec<String> {
        let mut modes: Vec<String> = self
            .evals
            .iter()
            .chain(self.floor.iter())
            .flat_map(|r| r.js.keys().cloned())
            .chain(self.baselines.iter().flat_map(|b| b.js.keys().cloned()))
            .collect();
        modes.sort();
        modes.dedup();
        modes
    }
}

/// Reads and classifies `path` (a `metrics.jsonl`). Errors only when the file cannot be read.
pub fn read(path: &Path) -> Result<Metrics> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {}; is this the --out directory of a `textwgan train` run?",
            path.display()
        )
    })?;
    Ok(parse(&text))
}

/// Like [`read`], but an error when nothing usable is in the file yet.
pub fn read_nonempty(path: &Path) -> Result<Metrics> {
    let m = read(path)?;
    if m.is_empty() {
        bail!(
            "{} has no complete metrics rows yet; wait for the first log interval of training \
             (or check that the file is a textwgan metrics log)",
            path.display()
        );
    }
    Ok(m)
}

/// Classifies the rows of a metrics text. Unknown kinds are ignored; bad lines are counted.
pub fn parse(text: &str) -> Metrics {
    let mut m = Metrics::default();
    let mut baselines: BTreeMap<u64, Baseline> = BTreeMap::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(obj) = serde_json::from_str::<Value>(line)
            .ok()
            .filter(Value::is_object)
        else {
            // Only the final piece has no newline after it: a row still being written.
            if i == last {
                m.torn_last = true;
            } else {
                m.bad_lines.push(i + 1);
            }
            continue;
        };
        let iter = obj["iter"].as_u64().unwrap_or(0);
        match obj["kind"].as_str() {
            Some("train") => m.train.push(train_row(&obj, iter)),
            Some("eval") => m.evals.push(js_row(&obj, iter)),
            Some("floor") => m.floor = Some(js_row(&obj, iter)),
            Some("baseline") => {
                if let Some(order) = obj["order"].as_u64() {
                    let js = js_table(&obj["js"]);
                    baselines.insert(order, Baseline { order, js });
                }
            }
            _ => {}
        }
    }
    m.baselines = baselines.into_values().collect();
    m
}

fn train_row(obj: &Value, iter: u64) -> TrainRow {
    let values = obj
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "iter" && k.as_str() != "kind")
        .filter_map(|(k, v)| v.as_f64().filter(|x| x.is_finite()).map(|x| (k.clone(), x)))
        .collect();
    TrainRow { iter, values }
}

fn js_row(obj: &Value, iter: u64) -> JsRow {
    JsRow {
        iter,
        samples: obj["samples"].as_u64(),
        js: js_table(&obj["js"]),
    }
}

fn js_table(v: &Value) -> JsTable {
    let mut table = JsTable::new();
    for (mode, orders) in v.as_object().into_iter().flatten() {
        let Some(orders) = orders.as_object() else {
            continue;
        };
        let row = orders
            .iter()
            .filter_map(|(n, x)| {
                let n: u32 = n.parse().ok()?;
                Some((n, x.as_f64().filter(|x| x.is_finite())))
            })
            .collect();
        table.insert(mode.clone(), row);
    }
    table
}
