//! `RUN/report.html`: one self-contained page (inline SVG, inline CSS, no scripts, nothing
//! fetched) with the config, curves, latest eval table, samples and checkpoints of a run.

use super::metrics::{JsTable, Metrics};
use super::plot::{self, PlotOptions};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Section ids of the page, in order (tests and links rely on them).
pub const SECTIONS: [&str; 5] = ["config", "curves", "eval", "samples", "checkpoints"];

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes `RUN/report.html` (atomically) with up to `max_samples` of the latest samples;
/// returns its path.
pub fn write_report(run: &Path, max_samples: usize) -> Result<PathBuf> {
    let page = render(run, max_samples)?;
    let path = run.join("report.html");
    crate::util::write_atomic(&path, page.as_bytes())?;
    Ok(path)
}

/// The page for `run` as HTML text.
pub fn render(run: &Path, max_samples: usize) -> Result<String> {
    let m = super::load_metrics(run)?;
    let title = super::title(run, &m);
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{t}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{t}</h1>\n<nav>",
        t = escape(&title)
    );
    for s in SECTIONS {
        let _ = write!(h, "<a href=\"#{s}\">{s}</a> ");
    }
    h.push_str("</nav>\n");
    section(&mut h, "config", "Configuration", &config_html(run));
    section(&mut h, "curves", "Curves", &curves_html(&m, &title));
    section(&mut h, "eval", "Latest evaluation", &eval_html(&m));
    section(
        &mut h,
        "samples",
        "Latest samples",
        &samples_html(run, max_samples)?,
    );
    section(
        &mut h,
        "checkpoints",
        "Checkpoints",
        &checkpoints_html(run)?,
    );
    h.push_str("</body>\n</html>\n");
    Ok(h)
}

const CSS: &str = "body{font-family:sans-serif;max-width:1450px;margin:1em auto;padding:0 1em;\
color:#222}h1{font-size:1.5em}section{margin-top:2em}table{border-collapse:collapse}\
td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}th{background:#f0f0f0}\
pre{background:#f7f7f7;padding:.6em;overflow-x:auto}.note{color:#666}\
.samples{white-space:pre;font-family:monospace}svg{max-width:100%;height:auto}";

fn section(h: &mut String, id: &str, heading: &str, body: &str) {
    let _ = write!(
        h,
        "<section id=\"{id}\">\n<h2>{heading}</h2>\n{body}\n</section>\n"
    );
}

fn note(text: &str) -> String {
    format!("<p class=\"note\">{}</p>", escape(text))
}

fn config_html(run: &Path) -> String {
    let path = run.join("config.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => format!("<pre>{}</pre>", escape(&text)),
        Err(e) => note(&format!("no config: cannot read {}: {e}", path.display())),
    }
}

fn curves_html(m: &Metrics, title: &str) -> String {
    let opts = PlotOptions {
        title: title.to_string(),
        ..PlotOptions::default()
    };
    match plot::render_svg(m, &opts) {
        // Drop an XML declaration, if any: inline SVG in HTML starts at <svg.
        Ok(svg) => match svg.find("<svg") {
            Some(i) => svg[i..].to_string(),
            None => note("the chart could not be drawn"),
        },
        Err(e) => note(&format!("no curves: {e:#}")),
    }
}

fn js_cell(t: Option<&JsTable>, mode: &str, n: u32) -> String {
    match t.and_then(|t| t.get(mode)).and_then(|r| r.get(&n)) {
        Some(Some(v)) => format!("{v:.4}"),
        Some(None) => "n/a".into(),
        None => "".into(),
    }
}

fn eval_html(m: &Metrics) -> String {
    let modes = m.js_modes();
    if modes.is_empty() {
        return note("no eval rows yet (training writes them every eval_every iterations)");
    }
    let latest = m.evals.iter().max_by_key(|r| r.iter);
    let mut orders: Vec<u32> = latest
        .iter()
        .map(|r| &r.js)
        .chain(m.floor.iter().map(|f| &f.js))
        .chain(m.baselines.iter().map(|b| &b.js))
        .flat_map(|t| t.values().flat_map(|r| r.keys().copied()))
        .collect();
    orders.sort();
    orders.dedup();
    let mut h = String::new();
    match latest {
        Some(r) => {
            let samples = r
                .samples
                .map(|s| format!(", {s} samples"))
                .unwrap_or_default();
            let _ = write!(h, "<p>Eval at iteration {}{samples}. ", r.iter);
        }
        None => h.push_str("<p>No eval rows yet. "),
    }
    h.push_str(
        "JS-n: Jensen-Shannon divergence between n-gram distributions of samples and held-out \
         text (lower is better); the floor is as many real training rows against the same \
         held-out text, the best a generator can hope for.</p>\n",
    );
    h.push_str("<table>\n<tr><th rowspan=\"2\">n</th>");
    let cols: Vec<String> = std::iter::once("samples".to_string())
        .chain(m.floor.iter().map(|_| "floor".to_string()))
        .chain(
            m.baselines
                .iter()
                .map(|b| format!("Markov order {}", b.order)),
        )
        .collect();
    for mode in &modes {
        let _ = write!(h, "<th colspan=\"{}\">{}</th>", cols.len(), escape(mode));
    }
    h.push_str("</tr>\n<tr>");
    for _ in &modes {
        for c in &cols {
            let _ = write!(h, "<th>{c}</th>");
        }
    }
    h.push_str("</tr>\n");
    for &n in &orders {
        let _ = write!(h, "<tr><th>JS-{n}</th>");
        for mode in &modes {
            let mut cells = vec![js_cell(latest.map(|r| &r.js), mode, n)];
            if let Some(f) = &m.floor {
                cells.push(js_cell(Some(&f.js), mode, n));
            }
            cells.extend(m.baselines.iter().map(|b| js_cell(Some(&b.js), mode, n)));
            for c in cells {
                let _ = write!(h, "<td>{c}</td>");
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>");
    h
}

/// The newest `samples/iter-<N>.txt` of a run, if any: (iteration, path).
pub fn latest_samples(run: &Path) -> Result<Option<(u64, PathBuf)>> {
    Ok(
        crate::util::numbered_files(&run.join("samples"), "iter-", ".txt")?
            .into_iter()
            .next(),
    )
}

fn samples_html(run: &Path, max: usize) -> Result<String> {
    let Some((it, path)) = latest_samples(run)? else {
        return Ok(note("no samples yet (training writes them at each eval)"));
    };
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().take(max).collect();
    let mut h = format!(
        "<p>The first {} argmax samples written at iteration {it} ({}).</p>\n<pre class=\"samples\">",
        lines.len(),
        escape(&path.file_name().unwrap_or_default().to_string_lossy())
    );
    for l in lines {
        h.push_str(&escape(l));
        h.push('\n');
    }
    h.push_str("</pre>");
    Ok(h)
}

fn checkpoints_html(run: &Path) -> Result<String> {
    let list = crate::train::checkpoint::list(&run.join("checkpoints"))?;
    if list.is_empty() {
        return Ok(note("no checkpoints yet"));
    }
    let mut h = String::from("<table>\n<tr><th>iteration</th><th>file</th><th>size</th></tr>\n");
    for (it, p) in list {
        let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let _ = writeln!(
            h,
            "<tr><td>{it}</td><td>{}</td><td>{:.1} MB</td></tr>",
            escape(&name),
            size as f64 / 1e6
        );
    }
    h.push_str("</table>");
    Ok(h)
}
