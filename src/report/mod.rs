//! `textwgan plot` and `textwgan report`: pictures and a one-page summary of a training run.
//!
//! Both read the run directory written by `textwgan train` (while training is still writing it,
//! too): [`metrics`] parses `RUN/metrics.jsonl`, [`plot`] draws the curves as PNG or SVG, and
//! [`html`] writes the self-contained `RUN/report.html`.

pub mod html;
pub mod metrics;
pub mod plot;

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

pub use plot::{Format, PlotOptions};

/// Arguments of `textwgan plot`.
#[derive(clap::Args, Debug, Clone)]
pub struct PlotArgs {
    /// Run directory (the --out of `textwgan train`).
    pub run: PathBuf,
    /// Output image, PNG or SVG by its extension [default: RUN/curves.png].
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Curves to draw, repeatable: a train field (wasserstein, critic_loss, gp, gen_loss,
    /// it_per_s, ...), `js` (every eval mode) or `js-MODE` (e.g. js-reference)
    /// [default: wasserstein, critic_loss, gp, gen_loss and every JS mode].
    #[arg(short, long = "metric", value_name = "NAME")]
    pub metrics: Vec<String>,
    /// Logarithmic iteration axis.
    #[arg(long)]
    pub log_x: bool,
}

/// Arguments of `textwgan report`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// Run directory (the --out of `textwgan train`); the page goes to RUN/report.html.
    pub run: PathBuf,
    /// How many of the latest samples to show.
    #[arg(long, default_value_t = 40)]
    pub samples: usize,
}

/// `RUN/metrics.jsonl`, after checking that `run` is a directory.
pub fn metrics_path(run: &Path) -> Result<PathBuf> {
    if !run.is_dir() {
        bail!(
            "run directory {} does not exist (or is not a directory); pass the --out directory \
             of `textwgan train`",
            run.display()
        );
    }
    let path = run.join("metrics.jsonl");
    if !path.is_file() {
        bail!(
            "{} not found: {} does not look like a training run yet (train writes it at the \
             first log interval)",
            path.display(),
            run.display()
        );
    }
    Ok(path)
}

/// Reads a run's metrics, warning on stderr about skipped lines; errors when there are none.
pub fn load_metrics(run: &Path) -> Result<metrics::Metrics> {
    let path = metrics_path(run)?;
    let m = metrics::read_nonempty(&path)?;
    if !m.bad_lines.is_empty() {
        eprintln!(
            "warning: {}: skipped {} line(s) that are not JSON objects (first: line {})",
            path.display(),
            m.bad_lines.len(),
            m.bad_lines[0]
        );
    }
    if m.evals.is_empty() && m.floor.is_none() {
        eprintln!(
            "note: {} has no eval rows yet: drawing training curves only",
            path.display()
        );
    }
    Ok(m)
}

/// Draws the curves of `run` into `output` (format from its extension); returns the bytes
/// written. The file is replaced atomically.
pub fn plot_run(run: &Path, output: &Path, opts: &PlotOptions) -> Result<usize> {
    let format = Format::from_path(output)?;
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            bail!(
                "cannot write {}: directory {} does not exist; create it or pick another -o",
                output.display(),
                dir.display()
            );
        }
    }
    let m = load_metrics(run)?;
    let mut opts = opts.clone();
    if opts.title.is_empty() {
        opts.title = title(run, &m);
    }
    let bytes = match format {
        Format::Png => plot::render_png(&m, &opts)?,
        Format::Svg => plot::render_svg(&m, &opts)?.into_bytes(),
    };
    crate::util::write_atomic(output, &bytes)?;
    Ok(bytes.len())
}

/// The figure title: the run directory's name and its latest iteration.
pub fn title(run: &Path, m: &metrics::Metrics) -> String {
    let name = run
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| run.display().to_string());
    let last = m.last_iter();
    format!("textwgan run `{name}`, iteration {last}")
}

/// `textwgan plot`.
pub fn run_plot(args: &PlotArgs) -> Result<()> {
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| args.run.join("curves.png"));
    let opts = PlotOptions {
        metrics: args.metrics.clone(),
        log_x: args.log_x,
        title: String::new(),
    };
    let n = plot_run(&args.run, &output, &opts)?;
    eprintln!("wrote {} ({n} bytes)", output.display());
    Ok(())
}

/// `textwgan report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    let path = html::write_report(&args.run, args.samples)?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
