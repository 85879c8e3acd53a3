//! `textwgan eval` and `textwgan baseline` end to end through the binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_textwgan");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run textwgan")
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/sotu_tiny.txt")
}

fn prepared(dir: &Path) -> PathBuf {
    let out = dir.join("ds");
    let c = corpus();
    let o = run(&[
        "prepare",
        c.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--holdout",
        "100",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn baseline_then_eval_json_is_clean_and_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = prepared(tmp.path());
    let (d, s) = (ds.to_str().unwrap(), tmp.path().join("s.txt"));
    let o = run(&[
        "baseline", "--data", d, "--order", "3", "-n", "77", "--seed", "5", "-o",
    ]
    .iter()
    .copied()
    .chain([s.to_str().unwrap()])
    .collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let text = std::fs::read_to_string(&s).unwrap();
    assert_eq!(text.lines().count(), 77);
    assert!(text.lines().all(|l| l.chars().count() <= 32));
    // The same seed on stdout gives the same bytes.
    let o = run(&[
        "baseline", "--data", d, "--order", "3", "-n", "77", "--seed", "5",
    ]);
    assert_eq!(String::from_utf8(o.stdout).unwrap(), text);

    let o = run(&[
        "eval",
        "--samples",
        s.to_str().unwrap(),
        "--data",
        d,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("built the n-gram cache"));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is only JSON");
    assert_eq!(v["samples"], 77);
    assert_eq!(v["seq_len"], 32);
    assert_eq!(v["floor_rows"], 77);
    for key in [
        "precision",
        "coverage",
        "distinct",
        "unique_ratio",
        "verbatim",
        "lengths",
    ] {
        assert!(!v[key].is_null(), "{key}");
    }
    for mode in ["reference", "clean"] {
        for n in 1..=6 {
            let x = v["js"][mode][n.to_string()].as_f64().unwrap();
            let f = v["floor"][mode][n.to_string()].as_f64().unwrap();
            assert!(
                (0.0..=1.0).contains(&x) && (0.0..=1.0).contains(&f),
                "{mode} {n}"
            );
        }
    }
    assert_eq!(v["ngrams"]["samples"]["reference"]["1"], 77 * 32);

    // Second run uses the cache and gives the same report; a corrupted cache is rebuilt.
    let o2 = run(&[
        "eval",
        "--samples",
        s.to_str().unwrap(),
        "--data",
        d,
        "--json",
    ]);
    assert!(stderr(&o2).is_empty(), "{}", stderr(&o2));
    assert_eq!(o2.stdout, o.stdout);
    let cache = ds.join("ngrams.cache");
    let mut b = std::fs::read(&cache).unwrap();
    let at = b.len() / 3;
    b[at] ^= 0xFF;
    std::fs::write(&cache, b).unwrap();
    let o3 = run(&[
        "eval",
        "--samples",
        s.to_str().unwrap(),
        "--data",
        d,
        "--json",
    ]);
    assert!(stderr(&o3).contains("rebuilt"), "{}", stderr(&o3));
    assert_eq!(o3.stdout, o.stdout);

    // Without --json: the readable table on stdout.
    let o = run(&[
        "eval",
        "--samples",
        s.to_str().unwrap(),
        "--data",
        d,
        "--max-n",
        "4",
    ]);
    let table = String::from_utf8(o.stdout).unwrap();
    assert!(
        table.contains("JS ref") && table.contains("unique samples"),
        "{table}"
    );
}

#[test]
fn eval_against_a_raw_corpus_prepares_it_on_the_fly() {
    let tmp = tempfile::tempdir().unwrap();
    let c = corpus();
    let text = std::fs::read_to_string(&c).unwrap();
    let s = tmp.path().join("s.txt");
    let lines: Vec<&str> = text.lines().take(50).collect();
    std::fs::write(&s, lines.join("\n")).unwrap();
    let o = run(&[
        "eval",
        "--samples",
        s.to_str().unwrap(),
        "--corpus",
        c.to_str().unwrap(),
        "--json",
        "--max-n",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["samples"], 50);
    assert_eq!(v["max_n"], 3);
    assert!(v["js"]["clean"]["4"].is_null());
    assert!(v["cut_samples"].as_u64().unwrap() > 0);
}

#[test]
fn bad_inputs_fail_with_clear_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = prepared(tmp.path());
    let d = ds.to_str().unwrap();
    let empty = tmp.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let bad = tmp.path().join("bad.txt");
    std::fs::write(&bad, b"fine\nnot \xFF fine\n").unwrap();
    let ok = tmp.path().join("ok.txt");
    std::fs::write(&ok, b"The Congress\n").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--samples", empty.to_str().unwrap(), "--data", d],
            "is empty",
        ),
        (
            vec!["--samples", bad.to_str().unwrap(), "--data", d],
            "line 2: invalid UTF-8 at byte offset 9",
        ),
        (
            vec!["--samples", "/nonexistent/s.txt", "--data", d],
            "/nonexistent/s.txt",
        ),
        (
            vec![
                "--samples",
                ok.to_str().unwrap(),
                "--data",
                d,
                "--seq-len",
                "16",
            ],
            "differs from the dataset's seq_len 32",
        ),
        (
            vec![
                "--samples",
                ok.to_str().unwrap(),
                "--data",
                d,
                "--max-n",
                "7",
            ],
            "--max-n must be between 1 and 6",
        ),
        (
            vec![
                "--samples",
                ok.to_str().unwrap(),
                "--data",
                "/nonexistent-ds",
            ],
            "/nonexistent-ds",
        ),
    ];
    for (args, want) in cases {
        let mut all = vec!["eval"];
        all.extend(args);
        let o = run(&all);
        assert!(!o.status.success(), "{all:?}");
        assert!(o.stdout.is_empty(), "{all:?}");
        assert!(stderr(&o).contains(want), "{all:?}: {}", stderr(&o));
    }
    let o = run(&["baseline", "--data", d, "--order", "9", "-n", "3"]);
    assert!(!o.status.success() && stderr(&o).contains("--order must be between 0 and 6"));
}

#[test]
fn a_valid_cache_is_not_trusted_once_train_ids_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let ds = prepared(tmp.path());
    let d = ds.to_str().unwrap();
    let s = tmp.path().join("s.txt");
    std::fs::write(&s, "the union\nof the state\n").unwrap();
    let eval = || {
        run(&[
            "eval",
            "--samples",
            s.to_str().unwrap(),
            "--data",
            d,
            "--json",
        ])
    };
    let first = eval();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stderr(&first).contains("built the n-gram cache"));
    // Alter one id of train.ids (its header checksum no longer matches): the cache, valid in
    // itself, is not used, and rebuilding it refuses the damaged split.
    let train = ds.join("train.ids");
    let good = std::fs::read(&train).unwrap();
    let mut bad = good.clone();
    let at = bad.len() - 3;
    bad[at] ^= 1;
    std::fs::write(&train, &bad).unwrap();
    let o = eval();
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains("train.ids") && e.contains("checksum"), "{e}");
    // Restored: the cache is valid again and used silently, with the same report.
    std::fs::write(&train, &good).unwrap();
    let o = eval();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).is_empty(), "{}", stderr(&o));
    assert_eq!(o.stdout, first.stdout);
    // Without train.ids at all, eval says what is missing instead of trusting the cache.
    std::fs::remove_file(&train).unwrap();
    let o = eval();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("train.ids"), "{}", stderr(&o));
}
