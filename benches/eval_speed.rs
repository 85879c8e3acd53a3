//! Timing of the eval core on a real corpus, without `prepare`: every line is cut to 32
//! symbols; 640 seeded lines are held out as "samples", the rest is the reference.
//!
//! `cargo bench --bench eval_speed -- [CORPUS.txt]` (release), or with `--profile dev`.

use std::time::Instant;
use textwgan::data::Vocab;
use textwgan::eval::cache::{self, CacheKey};
use textwgan::eval::{js_report, pad_rows, set_report, CorpusStats, NgramTable};
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
    for n in 1..=6 {
        std::hint::black_box(NgramTable::from_rows(&train, n));
    }
    println!("per-order sort (old way) n=1..6: {:.1} ms", ms(t));
    let t = Instant::now();
    std::hint::black_box(textwgan::eval::corpus::count_all(&train, 6).unwrap());
    println!("  of which count_all n=1..6: {:.1} ms", ms(t));
    let t = Instant::now();
    std::hint::black_box(textwgan::eval::stats::line_hashes(&train));
    println!("  of which line hashes: {:.1} ms", ms(t));
    let t = Instant::now();
    std::hint::black_box(textwgan::eval::stats::position_entropy(&train));
    println!("  of which position entropy: {:.1} ms", ms(t));
    let t = Instant::now();
    let stats = CorpusStats::build(&train, 6).unwrap();
    println!("build statistics (one sort) n=1..6: {:.1} ms", ms(t));
    let key = CacheKey {
        dataset_hash: "bench".into(),
        train_check: 1,
        seq_len: 32,
    };
    let t = Instant::now();
    let bytes = cache::encode(&stats, &key);
    println!(
        "encode cache: {:.1} ms ({:.1} MB)",
        ms(t),
        bytes.len() as f64 / 1e6
    );
    let dir = std::env::temp_dir().join(format!("eval_speed_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ngrams.cache");
    for sync in [true, false] {
        let t = Instant::now();
        textwgan::util::write_replace(&file, &bytes, sync).unwrap();
        println!("write cache, fsync {sync}: {:.1} ms", ms(t));
    }
    let t = Instant::now();
    let (back, st) = cache::load_or_build(&file, &key, || unreachable!(), 6).unwrap();
    println!("read + verify cache ({st:?}): {:.1} ms", ms(t));
    assert_eq!(back, stats);
    std::fs::remove_dir_all(&dir).unwrap();
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
    let rep = set_report(&rows, &stats, 6);
    println!("set_report 640 samples n=1..6: {:.1} ms", ms(t));
    println!("JS clean: {:?}", rep.js.clean);
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}
