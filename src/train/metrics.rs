//! `RUN/metrics.jsonl`: one JSON object per line, appended as training goes.

use anyhow::{Context, Result};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Appends rows to a metrics file, one flushed line per row.
pub struct MetricsLog {
    path: PathBuf,
}

impl MetricsLog {
    /// A log at `path`. When resuming at `iteration`, rows past it (written after the
    /// checkpoint, so about to be recomputed) and torn lines are dropped first.
    pub fn open(path: &Path, resume_at: Option<u64>) -> Result<MetricsLog> {
        if let Some(it) = resume_at {
            if path.exists() {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let kept: String = text
                    .lines()
                    .filter(|l| match serde_json::from_str::<Value>(l) {
                        Ok(v) => v["iter"].as_u64().is_some_and(|i| i <= it),
                        Err(_) => false,
                    })
                    .map(|l| format!("{l}\n"))
                    .collect();
                crate::util::write_atomic(path, kept.as_bytes())?;
            }
        } else if path.exists() {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot replace {}", path.display()))?;
        }
        Ok(MetricsLog {
            path: path.to_path_buf(),
        })
    }

    /// Appends one row.
    pub fn append(&mut self, row: &Value) -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        writeln!(f, "{row}").with_context(|| format!("cannot write {}", self.path.display()))
    }
}

/// Reads every complete row of a metrics file (a torn last line is skipped).
pub fn read_rows(path: &Path) -> Result<Vec<Value>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect())
}
