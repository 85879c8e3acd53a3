//! End-to-end: prepare a real tiny corpus, train a tiny model, sample, resume, interrupt.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_textwgan"))
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/sotu_tiny.txt")
}

fn prepare(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    ok(bin()
        .args(["prepare", "--holdout", "100", "--out"])
        .arg(&data)
        .arg(corpus())
        .output()
        .unwrap());
    data
}

fn tiny_config(dir: &Path, extra: &str) -> PathBuf {
    let base =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/tiny.toml"))
            .unwrap();
    let p = dir.join("cfg.toml");
    std::fs::write(&p, format!("{base}\n{extra}")).unwrap();
    p
}

fn train(data: &Path, cfg: &Path, run: &Path, extra: &[&str]) -> Command {
    let mut c = bin();
    c.arg("train")
        .arg("--data")
        .arg(data)
        .arg("--config")
        .arg(cfg)
        .arg("--out")
        .arg(run);
    c.args(extra);
    c
}

fn lines(b: &[u8]) -> usize {
    String::from_utf8(b.to_vec()).unwrap().lines().count()
}

#[test]
fn prepare_train_sample_and_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let data = prepare(tmp.path());
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/tiny.toml");
    let run = tmp.path().join("run");
    ok(train(&data, &cfg, &run, &[]).output().unwrap());
    for f in ["config.toml", "metrics.jsonl", "tokenizer.json"] {
        assert!(run.join(f).exists(), "{f}");
    }
    // Exactly N lines for every N, to stdout; messages go to stderr.
    for n in [0, 1, 15, 64, 65, 130] {
        let out = ok(bin()
            .args(["sample", "--run"])
            .arg(&run)
            .args(["-n", &n.to_string()])
            .output()
            .unwrap());
        assert_eq!(lines(&out.stdout), n, "n = {n}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("wrote"));
    }
    // Same seed, same samples; another seed, others; batch size does not matter.
    let s = |seed: &str, batch: &str| {
        ok(bin()
            .args(["sample", "--run"])
            .arg(&run)
            .args(["-n", "40", "--seed", seed, "--batch", batch])
            .output()
            .unwrap())
        .stdout
    };
    assert_eq!(s("3", "64"), s("3", "7"));
    assert_ne!(s("3", "64"), s("4", "64"));
    // -o truncates, --append appends.
    let f = tmp.path().join("s.txt");
    for _ in 0..2 {
        ok(bin()
            .args(["sample", "--run"])
            .arg(&run)
            .args(["-n", "5", "-o"])
            .arg(&f)
            .output()
            .unwrap());
    }
    ok(bin()
        .args(["sample", "--run"])
        .arg(&run)
        .args(["-n", "3", "--append", "-o"])
        .arg(&f)
        .output()
        .unwrap());
    assert_eq!(lines(&std::fs::read(&f).unwrap()), 8);
    // Appending to a file without a final newline keeps one sample per line.
    let g = tmp.path().join("noeol.txt");
    std::fs::write(&g, "x").unwrap();
    ok(bin()
        .args(["sample", "--run"])
        .arg(&run)
        .args(["-n", "2", "--append", "-o"])
        .arg(&g)
        .output()
        .unwrap());
    let text = std::fs::read_to_string(&g).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.starts_with("x\n"));
    // Nonsense combinations are errors, not silently ignored.
    for bad in [
        vec!["--temperature", "2"],
        vec!["--batch", "0"],
        vec!["--checkpoint", "x"],
    ] {
        let out = bin()
            .args(["sample", "--run"])
            .arg(&run)
            .args(&bad)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?} was accepted");
    }
    // Temperature sampling: exactly N lines of valid UTF-8.
    let out = ok(bin()
        .args(["sample", "--run"])
        .arg(&run)
        .args(["-n", "9", "--decode", "sample", "--temperature", "0.7"])
        .output()
        .unwrap());
    assert_eq!(lines(&out.stdout), 9);
    // A second train without --resume is refused; resuming a finished run is a no-op.
    let out = train(&data, &cfg, &run, &[]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));
    let out = ok(train(&data, &cfg, &run, &["--resume"]).output().unwrap());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to do"));
    // Resuming further continues to the new target.
    ok(train(&data, &cfg, &run, &["--resume", "--iters", "25"])
        .output()
        .unwrap());
    let rows = textwgan::train::metrics::read_rows(&run.join("metrics.jsonl")).unwrap();
    assert_eq!(rows.last().unwrap()["iter"], 25);
    // A bad config key is named.
    let bad = tiny_config(tmp.path(), "[oops]\nx = 1\n");
    let out = train(&data, &bad, &tmp.path().join("r2"), &[])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("oops"));
    // No CUDA in this build: a clear error.
    let out = train(&data, &cfg, &tmp.path().join("r3"), &["--device", "cuda"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("CUDA"));
}

fn last_iter(run: &Path) -> u64 {
    textwgan::train::metrics::read_rows(&run.join("metrics.jsonl"))
        .map(|r| r.last().and_then(|x| x["iter"].as_u64()).unwrap_or(0))
        .unwrap_or(0)
}

fn wait_for_checkpoint(run: &Path) {
    let t = Instant::now();
    while textwgan::train::checkpoint::list(&run.join("checkpoints"))
        .unwrap()
        .is_empty()
    {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn kill_9_loses_at_most_one_checkpoint_interval_and_ctrl_c_saves() {
    let tmp = tempfile::tempdir().unwrap();
    let data = prepare(tmp.path());
    let every = 3;
    let cfg = tiny_config(tmp.path(), "");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("log_every = 5", "log_every = 1")
        .replace(
            "checkpoint_every = 10",
            &format!("checkpoint_every = {every}"),
        );
    std::fs::write(&cfg, text).unwrap();
    for round in 0..3 {
        let run = tmp.path().join(format!("run{round}"));
        let mut child = train(&data, &cfg, &run, &["--iters", "100000"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_checkpoint(&run);
        std::thread::sleep(Duration::from_millis(150 * round as u64 + 37));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let logged = last_iter(&run);
        let (_, ck) = textwgan::train::checkpoint::newest_valid(&run.join("checkpoints"))
            .unwrap()
            .unwrap();
        assert!(
            logged - ck.iteration() <= every,
            "lost {} iterations",
            logged - ck.iteration()
        );
        let target = (ck.iteration() + 2).to_string();
        ok(train(&data, &cfg, &run, &["--resume", "--iters", &target])
            .output()
            .unwrap());
    }
    // Ctrl-C: a checkpoint at the iteration reached, exit code 130, then resume works.
    let run = tmp.path().join("int");
    let child = train(&data, &cfg, &run, &["--iters", "100000"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_checkpoint(&run);
    ok(Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .output()
        .unwrap());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"));
    let (_, ck) = textwgan::train::checkpoint::newest_valid(&run.join("checkpoints"))
        .unwrap()
        .unwrap();
    assert_eq!(ck.iteration(), last_iter(&run));
}
