//! `textwgan report`: the self-contained page and its sections.

mod report_util;

use report_util::{check_xml, write_run};
use textwgan::report::html::{escape, write_report, SECTIONS};

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let i = s.find(start).unwrap_or_else(|| panic!("no {start:?}"));
    let j = s[i..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"));
    &s[i..i + j]
}

#[test]
fn escape_by_hand() {
    assert_eq!(
        escape(r#"a<b & "c" 'd'>"#),
        "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;"
    );
}

#[test]
fn page_has_every_section_and_fetches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write_run(dir.path(), 50, true);
    let path = write_report(dir.path(), 40).unwrap();
    assert_eq!(path, dir.path().join("report.html"));
    let h = std::fs::read_to_string(&path).unwrap();
    for s in SECTIONS {
        assert!(
            h.contains(&format!("<section id=\"{s}\">")),
            "no section {s}"
        );
    }
    // Self-contained: no scripts, no external resources.
    assert!(!h.contains("<script"));
    assert!(!h.contains("src="));
    assert!(!h.contains("<link"));
    let without_ns = h.replace("http://www.w3.org/2000/svg", "");
    assert!(!without_ns.contains("http://") && !without_ns.contains("https://"));

    // Config, escaped.
    assert!(h.contains("seed = 1 # a&lt;b &amp; c"));
    // Curves: an inline SVG that is itself well-formed XML.
    let svg = between(&h, "<svg", "</svg>");
    check_xml(&format!("{svg}</svg>")).unwrap();
    assert!(svg.contains("Wasserstein estimate"));

    // Eval table: the latest eval is iteration 200 (0.44466 → 0.4447), next to the floor
    // (0.0008 for reference JS-1) and the order-2 baseline (0.0100); a null is "n/a".
    let eval = between(&h, "<section id=\"eval\">", "</section>");
    assert!(eval.contains("Eval at iteration 200, 640 samples"));
    assert!(eval.contains("<td>0.4447</td>"));
    assert!(eval.contains("<td>0.0008</td>"));
    assert!(eval.contains("<td>0.0100</td>"));
    assert!(eval.contains("Markov order 2"));
    assert!(eval.contains("<td>n/a</td>"));
    assert_eq!(eval.matches("<tr><th>JS-").count(), 4);

    // Samples: the newest file, the first 40 lines, escaped.
    let samples = between(&h, "<section id=\"samples\">", "</section>");
    assert!(samples.contains("iter-00000200.txt"));
    assert!(samples.contains("the &lt;b&gt;state&lt;/b&gt; &amp; union"));
    assert!(samples.contains("sample line 38"));
    assert!(!samples.contains("sample line 39"));
    assert!(!samples.contains("old sample"));

    // Checkpoints, newest first, with sizes.
    let ck = between(&h, "<section id=\"checkpoints\">", "</section>");
    let a = ck.find("ckpt-00000200.safetensors").unwrap();
    let b = ck.find("ckpt-00000150.safetensors").unwrap();
    assert!(a < b);
    assert!(ck.contains("<td>2.5 MB</td>"));
}

#[test]
fn page_of_a_run_without_evals_samples_or_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("metrics.jsonl"),
        "{\"kind\":\"train\",\"iter\":10,\"wasserstein\":1.0,\"critic_loss\":-1.0}\n",
    )
    .unwrap();
    let h = std::fs::read_to_string(write_report(dir.path(), 40).unwrap()).unwrap();
    for s in SECTIONS {
        assert!(
            h.contains(&format!("<section id=\"{s}\">")),
            "no section {s}"
        );
    }
    assert!(h.contains("no eval rows yet"));
    assert!(h.contains("no samples yet"));
    assert!(h.contains("no checkpoints yet"));
    assert!(h.contains("no config"));
    assert!(h.contains("<svg"));
}

#[test]
fn report_of_a_missing_run_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("absent");
    let e = write_report(&run, 10).unwrap_err();
    assert!(format!("{e:#}").contains("does not exist"), "{e:#}");
    assert!(!run.exists());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_textwgan"))
        .arg("report")
        .arg(&run)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}
