//! End-to-end tests of `textwgan prepare` as a process.

use std::path::Path;
use std::process::{Command, Output};

fn prepare(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_textwgan"))
        .arg("prepare")
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn corpus(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpora")
        .join(name)
        .display()
        .to_string()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn invalid_utf8_exits_non_zero_names_the_place_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("bad.txt");
    let mut body: Vec<u8> = (0..800)
        .flat_map(|i| format!("ok line {i}\n").into_bytes())
        .collect();
    body.extend_from_slice(b"caf\xE9 latin1\n");
    let offset = body.len() - 9;
    std::fs::write(&src, &body).unwrap();
    let out = dir.path().join("ds");
    let o = prepare(&[src.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains(&format!("bad.txt: line 801, byte offset {offset}")),
        "{e}"
    );
    assert!(
        e.contains("--invalid skip-line") && e.contains("--encoding latin1"),
        "{e}"
    );
    assert_eq!(entries(dir.path()), ["bad.txt"]);
    assert!(o.stdout.is_empty());
    // With the flag the user is pointed to, it works.
    let o = prepare(&[
        src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--encoding",
        "latin1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn existing_dir_needs_force_and_force_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let out_s = out.to_str().unwrap();
    let tiny = corpus("sotu_tiny.txt");
    let o = prepare(&[&tiny, "--out", out_s]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let e = stderr(&o);
    assert!(
        e.contains("889 read, 889 kept (249 train, 640 holdout)"),
        "{e}"
    );
    assert!(e.contains("MB/s") && e.contains("UNK rate"), "{e}");
    let meta1 = std::fs::read(out.join("meta.json")).unwrap();
    let o = prepare(&[&tiny, "--out", out_s, "--seed", "5"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(out.join("meta.json")).unwrap(), meta1);
    let o = prepare(&[&tiny, "--out", out_s, "--seed", "5", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(std::fs::read(out.join("meta.json")).unwrap(), meta1);
    assert_eq!(entries(dir.path()), ["ds"]);
    assert_eq!(
        entries(&out),
        ["holdout.ids", "meta.json", "tokenizer.json", "train.ids"]
    );
    textwgan::data::Dataset::open(&out).unwrap();
}

#[test]
fn too_small_and_bad_flags_fail_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let out_s = out.to_str().unwrap();
    let o = prepare(&[
        &corpus("austen_tiny.txt"),
        "--out",
        out_s,
        "--holdout",
        "740",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("779 kept lines"), "{}", stderr(&o));
    let o = prepare(&[&corpus("austen_tiny.txt"), "--out", out_s, "--seq-len", "0"]);
    assert!(!o.status.success() && stderr(&o).contains("--seq-len"));
    let o = prepare(&["/no/such/file.txt", "--out", out_s]);
    assert!(!o.status.success() && stderr(&o).contains("/no/such/file.txt"));
    assert!(!out.exists());
}

#[test]
fn gz_corpus_with_max_lines_and_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ds");
    let gz = corpus("sotu.txt.gz");
    let args = [
        &gz[..],
        "--out",
        out.to_str().unwrap(),
        "--max-lines",
        "1000",
        "--long",
        "chunk",
    ];
    let o = prepare(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let ds = textwgan::data::Dataset::open(&out).unwrap();
    assert_eq!(ds.meta.counts.lines_kept, 1000);
    assert!(
        ds.meta.counts.rows_train > 360 * 4,
        "{}",
        ds.meta.counts.rows_train
    );
    let s = &ds.meta.sources[0];
    let sum = "b806ddea133f7c1a33e6c8429d350955f118ab439684b1152c6200c9f9845aa0"; // of sotu.txt
    assert_ne!(s.sha256, sum); // the hash is of the .gz file as stored
    assert_eq!(
        s.sha256,
        textwgan::util::sha256_hex(&std::fs::read(&gz).unwrap())
    );
}

#[test]
fn help_documents_the_policies() {
    let o = prepare(&["--help"]);
    let h = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "--long",
        "cut",
        "chunk",
        "skip-line",
        "latin1",
        "U+2028",
        "combining",
        "PAD",
    ] {
        assert!(h.contains(needle), "--help lacks {needle}");
    }
}
