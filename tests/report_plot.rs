//! `textwgan plot`: metrics parsing, smoothing, PNG and SVG output, bad input.

mod report_util;

use report_util::{check_xml, write_run};
use textwgan::report::metrics::parse;
use textwgan::report::plot::{self, figure_size, panels, smooth, Panel};
use textwgan::report::{plot_run, PlotOptions};

#[test]
fn xml_check_rejects_bad_documents() {
    assert_eq!(check_xml("<a><b x=\"1>\"/>t &amp; u</a>"), Ok(2));
    assert!(check_xml("<a><b></a></b>").is_err());
    assert!(check_xml("<a>").is_err());
    assert!(check_xml("<a/><b/>").is_err());
    assert!(check_xml("<a>x & y</a>").is_err());
}

#[test]
fn moving_average_by_hand() {
    let s = smooth(&[1.0, 2.0, 3.0, 4.0, 5.0], 1);
    assert_eq!(s, vec![1.5, 2.0, 3.0, 4.0, 4.5]);
    let s = smooth(&[0.0, 10.0, 0.0, 10.0], 2);
    // windows: [0,10,0] [0,10,0,10] [0,10,0,10] [10,0,10]
    assert_eq!(s, vec![10.0 / 3.0, 5.0, 5.0, 20.0 / 3.0]);
    assert_eq!(smooth(&[7.0], 3), vec![7.0]);
    assert!(smooth(&[], 3).is_empty());
}

#[test]
fn parse_classifies_rows_and_tolerates_a_torn_last_line() {
    let text = concat!(
        r#"{"kind":"train","iter":10,"wasserstein":1.5,"gp":0.25,"note":"x"}"#,
        "\n",
        "garbage\n",
        r#"{"kind":"eval","iter":100,"samples":640,"js":{"reference":{"1":0.5,"2":null}}}"#,
        "\n",
        r#"{"kind":"something-new","iter":5}"#,
        "\n",
        r#"{"kind":"baseline","order":3,"js":{"reference":{"1":0.1}}}"#,
        "\n",
        r#"{"kind":"train","iter":20,"wasse"#
    );
    let m = parse(text);
    assert_eq!(m.train.len(), 1);
    assert_eq!(m.train[0].iter, 10);
    assert_eq!(m.train[0].values["wasserstein"], 1.5);
    assert_eq!(m.train[0].values["gp"], 0.25);
    assert!(!m.train[0].values.contains_key("note"));
    assert_eq!(m.evals.len(), 1);
    assert_eq!(m.evals[0].samples, Some(640));
    assert_eq!(m.evals[0].js["reference"][&1], Some(0.5));
    assert_eq!(m.evals[0].js["reference"][&2], None);
    assert_eq!(m.baselines.len(), 1);
    assert_eq!(m.baselines[0].order, 3);
    assert_eq!(m.bad_lines, vec![2]);
    assert!(m.torn_last);
    assert_eq!(
        m.train_fields(),
        vec!["gp".to_string(), "wasserstein".to_string()]
    );
    assert_eq!(m.js_modes(), vec!["reference".to_string()]);
}

#[test]
fn default_and_chosen_panels() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), 30, false);
    let m = textwgan::report::load_metrics(dir.path()).unwrap();
    let p = panels(&m, &[]).unwrap();
    let names: Vec<String> = p
        .iter()
        .map(|p| match p {
            Panel::Train(f) => f.clone(),
            Panel::Js(mode) => format!("js-{mode}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "wasserstein",
            "critic_loss",
            "gp",
            "gen_loss",
            "js-clean",
            "js-reference"
        ]
    );
    let p = panels(&m, &["it_per_s".into(), "js-clean".into()]).unwrap();
    assert_eq!(
        p,
        vec![Panel::Train("it_per_s".into()), Panel::Js("clean".into())]
    );
    let err = panels(&m, &["wasserstien".into()]).unwrap_err().to_string();
    assert!(
        err.contains("wasserstien") && err.contains("wasserstein"),
        "{err}"
    );
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut r = dec.read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn png_of_a_torn_run_has_curves_and_text() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), 80, true);
    let out = dir.path().join("curves.png");
    let n = plot_run(dir.path(), &out, &PlotOptions::default()).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(bytes.len(), n);
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(bytes.len() > 30_000, "only {} bytes", bytes.len());
    let (w, h, px) = decode_png(&bytes);
    assert_eq!((w, h), figure_size(6));
    // The title band (top 50 rows) holds dark text pixels: the embedded font rendered.
    let dark_in_title = px[..(w * 50 * 3) as usize]
        .chunks(3)
        .filter(|p| p.iter().all(|&c| c < 90))
        .count();
    assert!(
        dark_in_title > 200,
        "{dark_in_title} dark pixels in the title"
    );
    // The smoothed-line colour (0, 70, 160) is present: a curve was drawn.
    let line = px.chunks(3).filter(|p| *p == [0, 70, 160]).count();
    assert!(line > 500, "{line} pixels of the smoothed line");
}

#[test]
fn svg_is_xml_with_labels_and_log_axis() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), 40, true);
    let out = dir.path().join("c.SVG");
    let opts = PlotOptions {
        metrics: vec!["wasserstein".into(), "js".into()],
        log_x: true,
        title: String::new(),
    };
    plot_run(dir.path(), &out, &opts).unwrap();
    let svg = std::fs::read_to_string(&out).unwrap();
    let elements = check_xml(&svg).unwrap();
    assert!(elements > 100, "{elements} elements");
    for text in [
        "Wasserstein estimate",
        "iteration (log scale)",
        "JS-1 of samples",
        "held-out floor",
        "Markov baseline",
        "M2",
    ] {
        assert!(svg.contains(text), "no {text:?} in the SVG");
    }
}

#[test]
fn train_rows_only_still_plot() {
    let m = parse(r#"{"kind":"train","iter":10,"wasserstein":1.0,"gp":0.1}"#);
    assert_eq!(panels(&m, &[]).unwrap().len(), 2);
    let svg = plot::render_svg(&m, &PlotOptions::default()).unwrap();
    check_xml(&svg).unwrap();
    let png = plot::render_png(&m, &PlotOptions::default()).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
}

#[test]
fn bad_input_gives_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let e = plot_run(&missing, &dir.path().join("a.png"), &PlotOptions::default()).unwrap_err();
    assert!(format!("{e:#}").contains("does not exist"), "{e:#}");

    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let e = plot_run(&run, &run.join("a.png"), &PlotOptions::default()).unwrap_err();
    assert!(
        format!("{e:#}").contains("metrics.jsonl not found"),
        "{e:#}"
    );

    std::fs::write(run.join("metrics.jsonl"), "").unwrap();
    let e = plot_run(&run, &run.join("a.png"), &PlotOptions::default()).unwrap_err();
    assert!(
        format!("{e:#}").contains("no complete metrics rows"),
        "{e:#}"
    );

    std::fs::write(run.join("metrics.jsonl"), r#"{"kind":"train","it"#).unwrap();
    let e = plot_run(&run, &run.join("a.png"), &PlotOptions::default()).unwrap_err();
    assert!(
        format!("{e:#}").contains("no complete metrics rows"),
        "{e:#}"
    );

    let e = plot_run(&run, &run.join("a.jpg"), &PlotOptions::default()).unwrap_err();
    assert!(format!("{e:#}").contains("FILE.png or FILE.svg"), "{e:#}");
    assert!(!run.join("a.png").exists() && !run.join("a.jpg").exists());

    let e = plot_run(
        &run,
        &run.join("no/such/dir/a.svg"),
        &PlotOptions::default(),
    )
    .unwrap_err();
    assert!(
        format!("{e:#}").contains("does not exist; create it"),
        "{e:#}"
    );
}

#[test]
fn cli_plot_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), 20, false);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_textwgan"))
        .arg("plot")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("curves.png").is_file());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_textwgan"))
        .args(["plot", "/nonexistent/run", "-o", "x.svg"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: run directory /nonexistent/run does not exist"),
        "{err}"
    );
}
