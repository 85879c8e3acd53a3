//! Shared helpers of the report tests: a hand-written run directory and a small XML check.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;

/// Writes a run directory by hand: `n_train` train rows (every 10 iterations), evals at 0, 100,
/// 200, a floor, one baseline, a config, two sample files and two checkpoint files.
pub fn write_run(dir: &Path, n_train: u64, torn: bool) {
    std::fs::create_dir_all(dir.join("samples")).unwrap();
    std::fs::create_dir_all(dir.join("checkpoints")).unwrap();
    let mut m = String::new();
    m.push_str(r#"{"iter":0,"js":{"clean":{"1":0.0007,"2":0.0177,"3":0.0883,"4":0.2329},"reference":{"1":0.0008,"2":0.0177,"3":0.0881,"4":0.2324}},"kind":"floor","samples":640}"#);
    m.push('\n');
    for (it, a) in [(0u64, 0.9), (100, 0.7), (200, 0.44466)] {
        let _ = writeln!(
            m,
            r#"{{"iter":{it},"js":{{"clean":{{"1":{a},"2":0.95,"3":0.99,"4":null}},"reference":{{"1":{a},"2":0.96,"3":0.995,"4":1.0}}}},"kind":"eval","samples":640}}"#
        );
    }
    for i in 1..=n_train {
        let it = i * 10;
        let w = (it as f64).sqrt() * 0.3;
        let _ = writeln!(
            m,
            r#"{{"critic_loss":{},"gen_loss":{},"gp":{},"it_per_s":0.3,"iter":{it},"kind":"train","wall_s":{},"wasserstein":{w}}}"#,
            -w + 0.1,
            0.5 + 0.01 * (i % 7) as f64,
            0.02 + 0.001 * (i % 3) as f64,
            it as f64 * 3.0
        );
    }
    m.push_str(
        r#"{"kind":"baseline","order":2,"js":{"reference":{"1":0.01,"2":0.05,"3":0.3,"4":0.7}}}"#,
    );
    m.push('\n');
    if torn {
        m.push_str(r#"{"critic_loss":-3.1,"gen_loss":0.8,"gp":0.0"#);
    }
    std::fs::write(dir.join("metrics.jsonl"), m).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[train]\nbatch_size = 64\nseed = 1 # a<b & c\n",
    )
    .unwrap();
    std::fs::write(dir.join("samples/iter-00000100.txt"), "old sample\n").unwrap();
    let mut s = String::from("the <b>state</b> & union\n");
    for i in 0..60 {
        let _ = writeln!(s, "sample line {i}");
    }
    std::fs::write(dir.join("samples/iter-00000200.txt"), s).unwrap();
    std::fs::write(
        dir.join("checkpoints/ckpt-00000150.safetensors"),
        vec![0u8; 1000],
    )
    .unwrap();
    std::fs::write(
        dir.join("checkpoints/ckpt-00000200.safetensors"),
        vec![0u8; 2_500_000],
    )
    .unwrap();
}

/// Checks that `text` is well-formed XML: one root element, balanced and properly nested
/// tags, quoted attributes, and `&` only as an entity. Returns the number of elements.
pub fn check_xml(text: &str) -> Result<usize, String> {
    let b = text.as_bytes();
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut elements = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => {
                let rest = &text[i..];
                if rest.starts_with("<?") {
                    i += rest.find("?>").ok_or("unclosed <?")? + 2;
                    continue;
                }
                if rest.starts_with("<!--") {
                    i += rest.find("-->").ok_or("unclosed comment")? + 3;
                    continue;
                }
                // Find the end of the tag, skipping quoted attribute values.
                let mut j = i + 1;
                let mut quote = None;
                while j < b.len() {
                    match (quote, b[j]) {
                        (None, b'"') | (None, b'\'') => quote = Some(b[j]),
                        (Some(q), c) if c == q => quote = None,
                        (None, b'>') => break,
                        (None, b'<') => return Err(format!("'<' inside a tag at byte {j}")),
                        _ => {}
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err(format!("unterminated tag at byte {i}"));
                }
                let tag = &text[i + 1..j];
                if let Some(name) = tag.strip_prefix('/') {
                    let open = stack.pop().ok_or(format!("stray </{name}>"))?;
                    if open != name.trim() {
                        return Err(format!("<{open}> closed by </{name}>"));
                    }
                } else {
                    let name: String = tag
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '/')
                        .collect();
                    if name.is_empty() {
                        return Err(format!("empty tag name at byte {i}"));
                    }
                    if stack.is_empty() {
                        roots += 1;
                    }
                    elements += 1;
                    if !tag.ends_with('/') {
                        stack.push(name);
                    }
                }
                i = j + 1;
            }
            b'&' => {
                let rest = &text[i..];
                let end = rest.find(';').ok_or(format!("bare & at byte {i}"))?;
                let ent = &rest[1..end];
                let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                    || (ent.starts_with('#') && ent.len() > 1);
                if !ok {
                    return Err(format!("unknown entity &{ent}; at byte {i}"));
                }
                i += end + 1;
            }
            _ => i += 1,
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed elements: {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(elements)
}
