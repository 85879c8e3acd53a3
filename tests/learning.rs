//! Training learns: on real text (corpora/sotu_tiny.txt) with configs/tiny.toml, the
//! n-gram statistics of argmax samples move clearly towards the corpus from iteration 0 to
//! the end (JS-1 and JS-2 in clean mode against the training split).

use std::path::Path;
use std::process::Command;
use textwgan::data::Dataset;
use textwgan::eval::{js_report, read_samples, CorpusStats};

#[test]
fn tiny_training_on_real_text_lowers_js1_and_js2() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let (data, run) = (tmp.path().join("data"), tmp.path().join("run"));
    let bin = env!("CARGO_BIN_EXE_textwgan");
    let st = Command::new(bin)
        .args(["prepare", "--holdout", "100", "--out"])
        .arg(&data)
        .arg(root.join("corpora/sotu_tiny.txt"))
        .status()
        .unwrap();
    assert!(st.success());
    let cfg = tmp.path().join("learn.toml");
    let text = std::fs::read_to_string(root.join("configs/tiny.toml")).unwrap();
    std::fs::write(&cfg, text.replace("eval_every = 0", "eval_every = 200")).unwrap();
    let out = Command::new(bin)
        .args(["train", "--iters", "200", "--data"])
        .arg(&data)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ds = Dataset::open(&data).unwrap();
    let stats = CorpusStats::build(&ds.train, 2).unwrap();
    let js = |iter: u64| {
        let f = run.join(format!("samples/iter-{iter:08}.txt"));
        let s = read_samples(&f, &ds.vocab, ds.seq_len()).unwrap();
        assert_eq!(s.seqs.len(), 64);
        let r = js_report(&s.seqs, &stats, 2);
        (r.clean[&1].unwrap(), r.clean[&2].unwrap())
    };
    let (a1, a2) = js(0);
    let (b1, b2) = js(200);
    eprintln!("JS-1 {a1:.3} → {b1:.3}, JS-2 {a2:.3} → {b2:.3}");
    assert!(b1 < 0.7 * a1 && a1 - b1 > 0.1, "JS-1 {a1} → {b1}");
    assert!(b2 < 0.85 * a2 && a2 - b2 > 0.1, "JS-2 {a2} → {b2}");
    // The training process's samples are exactly what `sample` draws later from the
    // checkpoint with the run's seed.
    let ck = run.join("checkpoints/ckpt-00000200.safetensors");
    let later = Command::new(bin)
        .args(["sample", "-n", "64", "--seed", "1", "--checkpoint"])
        .arg(&ck)
        .output()
        .unwrap();
    assert!(later.status.success());
    let during = std::fs::read(run.join("samples/iter-00000200.txt")).unwrap();
    assert_eq!(later.stdout, during);
}
