//! Timing of the eval core on a real corpus, without `prepare`: every line is cut to 32
//! symbols; 640 seeded lines are held out as "samples", the rest is the reference.
//!
//! `cargo bench --bench eval_speed -- [CORPUS.txt]` (release), or with `--profile dev`.

use std::time::Instant;
use textwgan::data::Vocab;
use textwgan::eval::{cache, js_report, pad_rows, set_report, CorpusStats};
use textwgan::rng::Rng;

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpora/sotu.txt").to_string()
        });
    let text = std::fs::read_to_string(&path).expect("corpus");
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    Rng::new(1).shuffle(&mut lines);
    let mut syms: Vec<char> = text.chars().filter(|&c| c != '\n' && c != '\r').collect();
    syms.sort_unstable();
    syms.dedup();
    let vocab = Vocab::from_symbols(syms);
    let enc = |ls: &[&str]| -> Vec<Vec<u16>> { ls.iter().map(|l| vocab.encode(l)).collect() };
    let samples = enc(&lines[..640]);
    let train = pad_rows(&enc(&lines[640..]), 32);
    println!(
        "{path}: {} training rows, vocab {}",
        train.rows(),
        vocab.len()
    );

    let t = Instant::now();
    let stats = CorpusStats::build(&train, 6).unwrap();
    println!("build tables n=1..6: {:.1} ms", ms(t));
    let t = Instant::now();
    let bytes = cache::encode(&stats, "bench");
    println!(
        "encode cache: {:.1} ms ({:.1} MB)",
        ms(t),
        bytes.len() as f64 / 1e6
    );
    let t = Instant::now();
    let back = cache::decode(&bytes, "bench", 32, 6).unwrap();
    println!("decode + verify cache: {:.1} ms", ms(t));
    assert_eq!(back, stats);
    let t = Instant::now();
    let reps = 20;
    for _ in 0..reps {
        std::hint::black_box(js_report(&samples, &stats, 4));
    }
    println!(
        "js_report 640 samples n=1..4: {:.2} ms",
        ms(t) / reps as f64
    );
    let rows = pad_rows(&samples, 32);
    let t = Instant::now();
    let rep = set_report(&rows, &stats, &train, 6);
    println!("set_report 640 samples n=1..6: {:.1} ms", ms(t));
    println!("JS clean: {:?}", rep.js.clean);
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}
