//! End-to-end: a tiny real training run, then `plot` (PNG and SVG) and `report` on it.

mod report_util;

use report_util::check_xml;
use std::path::Path;
use std::process::{Command, Output};

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "status {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_textwgan"))
}

#[test]
fn tiny_run_plots_and_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = tmp.path().join("data");
    ok(bin()
        .arg("prepare")
        .arg(root.join("corpora/sotu_tiny.txt"))
        .args(["--holdout", "100", "--out"])
        .arg(&data)
        .output()
        .unwrap());
    let cfg = std::fs::read_to_string(root.join("configs/tiny.toml"))
        .unwrap()
        .replace("eval_every = 0", "eval_every = 10");
    let cfg_path = tmp.path().join("tiny.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let run = tmp.path().join("run");
    ok(bin()
        .args(["train", "--iters", "20", "--data"])
        .arg(&data)
        .arg("--config")
        .arg(&cfg_path)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap());

    // What train wrote is what plot reads: 4 train rows (every 5), evals at 0, 10, 20, a floor.
    let m = textwgan::report::load_metrics(&run).unwrap();
    assert_eq!(
        m.train.iter().map(|r| r.iter).collect::<Vec<_>>(),
        [5, 10, 15, 20]
    );
    assert_eq!(
        m.evals.iter().map(|r| r.iter).collect::<Vec<_>>(),
        [0, 10, 20]
    );
    assert!(m.floor.is_some());

    let png = tmp.path().join("c.png");
    ok(bin()
        .arg("plot")
        .arg(&run)
        .arg("-o")
        .arg(&png)
        .output()
        .unwrap());
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert!(bytes.len() > 30_000, "{} bytes", bytes.len());

    let svg = tmp.path().join("c.svg");
    ok(bin()
        .arg("plot")
        .arg(&run)
        .args(["--log-x", "-m", "gp", "-o"])
        .arg(&svg)
        .output()
        .unwrap());
    let text = std::fs::read_to_string(&svg).unwrap();
    check_xml(&text).unwrap();
    assert!(text.contains("gradient penalty"));

    ok(bin().arg("report").arg(&run).output().unwrap());
    let h = std::fs::read_to_string(run.join("report.html")).unwrap();
    for s in textwgan::report::html::SECTIONS {
        assert!(
            h.contains(&format!("<section id=\"{s}\">")),
            "no section {s}"
        );
    }
    assert!(h.contains("Eval at iteration 20, 64 samples"));
    assert!(h.contains("iter-00000020.txt"));
    assert!(h.contains("ckpt-00000020.safetensors"));
    assert!(h.contains("batch_size = 16"));
}
