//! Learning-curve charts (PNG or SVG) drawn with plotters and an embedded font.

use super::metrics::Metrics;
use anyhow::{anyhow, bail, Result};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::Path;

/// DejaVu Sans (Bitstream Vera licence, see `assets/fonts/DejaVuSans.LICENSE`): text renders
/// without any system font.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The family name every text style in this module uses; [`FONT`] is registered under it.
const FAMILY: &str = "sans-serif";

/// Train fields drawn by default, in this order, when present.
pub const DEFAULT_TRAIN: [&str; 4] = ["wasserstein", "critic_loss", "gp", "gen_loss"];

/// Train panels with more rows than this draw the raw line without a dot per row.
pub const MAX_DOTS: usize = 300;

/// Output format of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A raster image.
    Png,
    /// Vector graphics (XML).
    Svg,
}

impl Format {
    /// The format named by `path`'s extension (`.png` or `.svg`, any case).
    pub fn from_path(path: &Path) -> Result<Format> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match ext.to_ascii_lowercase().as_str() {
            "png" => Ok(Format::Png),
            "svg" => Ok(Format::Svg),
            _ => bail!(
                "cannot tell the image format of {}: name the output FILE.png or FILE.svg",
                path.display()
            ),
        }
    }
}

/// One chart of the figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Panel {
    /// A numeric field of the train rows (raw points plus a smoothed line).
    Train(String),
    /// JS-n curves of one eval mode, with the floor and baselines as horizontal lines.
    Js(String),
}

/// What to draw and how.
#[derive(Debug, Clone, Default)]
pub struct PlotOptions {
    /// Metric names (`wasserstein`, `gp`, ..., `js`, `js-reference`); empty: the defaults.
    pub metrics: Vec<String>,
    /// Logarithmic iteration axis.
    pub log_x: bool,
    /// Title above the charts (e.g. the run directory).
    pub title: String,
}

/// The panels for `names` (see [`PlotOptions::metrics`]); an error names unknown metrics and
/// lists the ones the file has.
pub fn panels(m: &Metrics, names: &[String]) -> Result<Vec<Panel>> {
    let fields = m.train_fields();
    let modes = m.js_modes();
    if names.is_empty() {
        let mut out: Vec<Panel> = DEFAULT_TRAIN
            .iter()
            .filter(|f| fields.iter().any(|x| x == *f))
            .map(|f| Panel::Train(f.to_string()))
            .collect();
        out.extend(modes.into_iter().map(Panel::Js));
        if out.is_empty() {
            bail!("the metrics have none of the default curves; pick some with --metric");
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for name in names {
        if fields.contains(name) {
            out.push(Panel::Train(name.clone()));
        } else if name == "js" && !modes.is_empty() {
            out.extend(modes.iter().cloned().map(Panel::Js));
        } else if let Some(mode) = name
            .strip_prefix("js-")
            .filter(|m| modes.iter().any(|x| x == m))
        {
            out.push(Panel::Js(mode.to_string()));
        } else {
            let mut known: Vec<String> = fields.clone();
            if !modes.is_empty() {
                known.push("js".into());
                known.extend(modes.iter().map(|m| format!("js-{m}")));
            }
            bail!(
                "no metric `{name}` in this run (it has: {}); pass one of those to --metric",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            );
        }
    }
    out.dedup();
    Ok(out)
}

/// Centred moving average over `2 * half + 1` points, shrinking at both ends.
pub fn smooth(ys: &[f64], half: usize) -> Vec<f64> {
    (0..ys.len())
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(ys.len());
            ys[lo..hi].iter().sum::<f64>() / (hi - lo) as f64
        })
        .collect()
}

/// Half-width of the smoothing window for `n` points: about 1/20 of the run, at least 1 from
/// 8 points on, 0 (no smoothing) below.
pub fn smoothing_half_width(n: usize) -> usize {
    if n < 8 {
        0
    } else {
        (n / 40).max(1)
    }
}

/// The chart as SVG text.
pub fn render_svg(m: &Metrics, opts: &PlotOptions) -> Result<String> {
    let panels = panels(m, &opts.metrics)?;
    let size = figure_size(panels.len());
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(root, m, &panels, opts)?;
    }
    Ok(svg)
}

/// The chart as PNG bytes.
pub fn render_png(m: &Metrics, opts: &PlotOptions) -> Result<Vec<u8>> {
    let panels = panels(m, &opts.metrics)?;
    let (w, h) = figure_size(panels.len());
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(root, m, &panels, opts)?;
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header()?;
    writer.write_image_data(&rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Pixel size of a figure with `n` panels: two columns (one for a single panel), 420 px rows.
pub fn figure_size(n: usize) -> (u32, u32) {
    let cols = if n <= 1 { 1 } else { 2 };
    let rows = n.div_ceil(cols).max(1) as u32;
    (if cols == 1 { 800 } else { 1400 }, 60 + 420 * rows)
}

fn register_font() -> Result<()> {
    static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *ONCE
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        bail!("the embedded font could not be loaded (a broken build?)")
    }
}

fn de<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("cannot draw the chart: {e}")
}

/// Colours of JS-1..JS-4 (and beyond, cycling), distinguishable and colour-blind friendly.
const PALETTE: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
];

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    m: &Metrics,
    panels: &[Panel],
    opts: &PlotOptions,
) -> Result<()> {
    register_font()?;
    root.fill(&WHITE).map_err(de)?;
    let root = root
        .titled(&opts.title, (FAMILY, 26).into_font().color(&BLACK))
        .map_err(de)?;
    let cols = if panels.len() <= 1 { 1 } else { 2 };
    let rows = panels.len().div_ceil(cols).max(1);
    let areas = root.split_evenly((rows, cols));
    let xr = XRange::of(m, opts.log_x);
    for (panel, area) in panels.iter().zip(areas) {
        match panel {
            Panel::Train(f) => train_panel(&area, m, f, &xr)?,
            Panel::Js(mode) => js_panel(&area, m, mode, &xr)?,
        }
    }
    root.present().map_err(de)
}

/// The shared iteration axis (all panels alike, so they line up).
struct XRange {
    log: bool,
    lo: f64,
    hi: f64,
}

impl XRange {
    fn of(m: &Metrics, log: bool) -> XRange {
        let max = m.last_iter();
        let mut x = XRange {
            log,
            lo: 0.0,
            hi: 0.0,
        };
        x.lo = x.map(0);
        // 2% room on the right, so the last tick label is not cut off at the edge.
        let hi = x.map(max).max(x.lo + 1.0);
        x.hi = hi + (hi - x.lo) * 0.02;
        x
    }

    /// Iteration → axis position (log10, with iteration 0 drawn at 1).
    fn map(&self, iter: u64) -> f64 {
        if self.log {
            (iter.max(1) as f64).log10()
        } else {
            iter as f64
        }
    }

    fn label(&self, v: f64) -> String {
        if self.log && (v - v.round()).abs() > 1e-6 {
            // Label whole decades only: 10^1.5 = "32" reads as a typo.
            return String::new();
        }
        let it = if self.log { 10f64.powf(v) } else { v };
        if it >= 10_000.0 {
            format!("{}k", (it / 1000.0).round())
        } else {
            format!("{}", it.round())
        }
    }

    fn desc(&self) -> &'static str {
        if self.log {
            "iteration (log scale)"
        } else {
            "iteration"
        }
    }
}

fn pretty(field: &str) -> String {
    match field {
        "wasserstein" => "Wasserstein estimate (critic real − fake)".into(),
        "critic_loss" => "critic loss".into(),
        "gp" => "gradient penalty".into(),
        "gen_loss" => "generator loss".into(),
        "it_per_s" => "speed (iterations per second)".into(),
        "wall_s" => "wall-clock seconds".into(),
        other => other.replace('_', " "),
    }
}

/// A y range covering `ys` with a margin; never empty.
fn y_range(ys: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for y in ys.filter(|y| y.is_finite()) {
        lo = lo.min(y);
        hi = hi.max(y);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        (hi - lo) * 0.06
    } else {
        lo.abs().max(1.0) * 0.1
    };
    (lo - pad, hi + pad)
}

/// The legend corner with the fewest data points under it.
fn legend_corner(pts: &[(f64, f64)], x: (f64, f64), y: (f64, f64)) -> SeriesLabelPosition {
    let mut counts = [0usize; 4]; // UL, UR, LL, LR
    for &(px, py) in pts {
        let right = (px - x.0) > (x.1 - x.0) * 0.5;
        let upper = (py - y.0) > (y.1 - y.0) * 0.6;
        let lower = (py - y.0) < (y.1 - y.0) * 0.4;
        if upper {
            counts[usize::from(right)] += 1;
        }
        if lower {
            counts[2 + usize::from(right)] += 1;
        }
    }
    let order = [1, 0, 3, 2]; // prefer upper right on ties
    let best = order.into_iter().min_by_key(|&i| counts[i]).unwrap_or(1);
    match best {
        0 => SeriesLabelPosition::UpperLeft,
        1 => SeriesLabelPosition::UpperRight,
        2 => SeriesLabelPosition::LowerLeft,
        _ => SeriesLabelPosition::LowerRight,
    }
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    y_desc: &str,
    xr: &XRange,
    y: (f64, f64),
) -> Result<Chart<'a, DB>> {
    let mut c = ChartBuilder::on(area)
        .caption(caption, (FAMILY, 20))
        .margin(12)
        .margin_right(30)
        .x_label_area_size(42)
        .y_label_area_size(72)
        .build_cartesian_2d(xr.lo..xr.hi, y.0..y.1)
        .map_err(de)?;
    let fmt = |v: &f64| xr.label(*v);
    c.configure_mesh()
        .x_desc(xr.desc())
        .y_desc(y_desc)
        .x_label_formatter(&fmt)
        .label_style((FAMILY, 14))
        .axis_desc_style((FAMILY, 15))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(de)?;
    Ok(c)
}

fn finish_legend<'a, DB: DrawingBackend + 'a>(
    c: &mut Chart<'a, DB>,
    corner: SeriesLabelPosition,
) -> Result<()> {
    c.configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.88))
        .border_style(RGBColor(160, 160, 160))
        .label_font((FAMILY, 14))
        .draw()
        .map_err(de)
}

fn train_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: &Metrics,
    field: &str,
    xr: &XRange,
) -> Result<()> {
    let pts: Vec<(f64, f64)> = m
        .train
        .iter()
        .filter_map(|r| r.values.get(field).map(|&v| (xr.map(r.iter), v)))
        .collect();
    let y = y_range(pts.iter().map(|p| p.1));
    let mut c = chart(area, &pretty(field), field, xr, y)?;
    let line = RGBColor(0, 70, 160);
    let half = smoothing_half_width(pts.len());
    // Too few points to smooth: the raw line is the curve, drawn strong.
    let (raw, alpha) = if half == 0 {
        (line, 1.0)
    } else {
        (RGBColor(120, 150, 200), 0.6)
    };
    c.draw_series(LineSeries::new(
        pts.iter().copied(),
        raw.mix(alpha).stroke_width(1),
    ))
    .map_err(de)?
    .label("raw (every log row)")
    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], raw.mix(alpha)));
    // Dots only while they can be told apart (and keep a long run's SVG small).
    if pts.len() <= MAX_DOTS {
        c.draw_series(
            pts.iter()
                .map(|&p| Circle::new(p, 2, raw.mix(alpha).filled())),
        )
        .map_err(de)?;
    }
    if half > 0 {
        let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
        let sm = smooth(&ys, half);
        c.draw_series(LineSeries::new(
            pts.iter().zip(sm).map(|(p, s)| (p.0, s)),
            line.stroke_width(3),
        ))
        .map_err(de)?
        .label(format!("moving average of {} rows", 2 * half + 1))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], line.stroke_width(3)));
    }
    finish_legend(&mut c, legend_corner(&pts, (xr.lo, xr.hi), y))
}

fn js_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    m: &Metrics,
    mode: &str,
    xr: &XRange,
) -> Result<()> {
    let orders: Vec<u32> = {
        let mut o: Vec<u32> = m
            .evals
            .iter()
            .chain(m.floor.iter())
            .filter_map(|r| r.js.get(mode))
            .chain(m.baselines.iter().filter_map(|b| b.js.get(mode)))
            .flat_map(|t| t.keys().copied())
            .collect();
        o.sort();
        o.dedup();
        o
    };
    let get = |t: &super::metrics::JsTable, n: u32| {
        t.get(mode).and_then(|r| r.get(&n).copied().flatten())
    };
    let mut all: Vec<(f64, f64)> = Vec::new();
    let curves: Vec<(u32, Vec<(f64, f64)>)> = orders
        .iter()
        .map(|&n| {
            let pts: Vec<(f64, f64)> = m
                .evals
                .iter()
                .filter_map(|r| get(&r.js, n).map(|v| (xr.map(r.iter), v)))
                .collect();
            all.extend(&pts);
            (n, pts)
        })
        .collect();
    let floors: Vec<(u32, f64)> = orders
        .iter()
        .filter_map(|&n| m.floor.as_ref().and_then(|f| get(&f.js, n)).map(|v| (n, v)))
        .collect();
    let bases: Vec<(u64, u32, f64)> = m
        .baselines
        .iter()
        .flat_map(|b| {
            orders
                .iter()
                .filter_map(move |&n| get(&b.js, n).map(|v| (b.order, n, v)))
        })
        .collect();
    let top = all
        .iter()
        .map(|p| p.1)
        .chain(floors.iter().map(|f| f.1))
        .chain(bases.iter().map(|b| b.2))
        .fold(0.0f64, f64::max);
    let y = (0.0, (top * 1.08).clamp(0.05, 1.08));
    let title = format!("JS divergence to held-out text, mode `{mode}`");
    let mut c = chart(area, &title, "Jensen-Shannon divergence", xr, y)?;
    let color = |n: u32| PALETTE[(n as usize + PALETTE.len() - 1) % PALETTE.len()];
    for (n, pts) in &curves {
        let col = color(*n);
        c.draw_series(LineSeries::new(pts.iter().copied(), col.stroke_width(2)))
            .map_err(de)?
            .label(format!("JS-{n} of samples"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], col.stroke_width(2)));
        c.draw_series(pts.iter().map(|&p| Circle::new(p, 3, col.filled())))
            .map_err(de)?;
    }
    let ends = [(xr.lo, xr.hi)];
    for (i, &(n, v)) in floors.iter().enumerate() {
        let col = color(n);
        let s = c
            .draw_series(DashedLineSeries::new(
                ends.iter().flat_map(|&(a, b)| [(a, v), (b, v)]),
                10,
                6,
                col.stroke_width(2),
            ))
            .map_err(de)?;
        if i == 0 {
            let grey = RGBColor(90, 90, 90);
            s.label("held-out floor (dashed)").legend(move |(x, y)| {
                DashedPathElement::new(vec![(x, y), (x + 22, y)], 6, 4, grey.stroke_width(2))
            });
        }
    }
    for (i, &(k, n, v)) in bases.iter().enumerate() {
        let col = color(n);
        let s = c
            .draw_series(DashedLineSeries::new(
                ends.iter().flat_map(|&(a, b)| [(a, v), (b, v)]),
                2,
                5,
                col.stroke_width(2),
            ))
            .map_err(de)?;
        if i == 0 {
            let grey = RGBColor(90, 90, 90);
            s.label("Markov baseline Mk, order k (dotted)")
                .legend(move |(x, y)| {
                    DashedPathElement::new(vec![(x, y), (x + 22, y)], 2, 4, grey.stroke_width(2))
                });
        }
        // The label sits just above its line, near the right end; orders side by side.
        let rank = m.baselines.iter().position(|b| b.order == k).unwrap_or(0) as f64;
        let at = (xr.hi - (xr.hi - xr.lo) * (0.05 + 0.045 * rank), v);
        c.draw_series(std::iter::once(
            EmptyElement::at(at)
                + Text::new(
                    format!("M{k}"),
                    (0, -15),
                    (FAMILY, 13).into_font().color(&col),
                ),
        ))
        .map_err(de)?;
    }
    finish_legend(&mut c, legend_corner(&all, (xr.lo, xr.hi), y))
}
