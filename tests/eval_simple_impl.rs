//! The packed, sorted fast path checked against a deliberately simple implementation
//! (HashMap<String, u64> of n-gram strings, the textbook JS formula) on real text.

use std::collections::{HashMap, HashSet};
use textwgan::data::Vocab;
use textwgan::eval::{pad_rows, set_report, CorpusStats};
use textwgan::rng::Rng;

const SEQ_LEN: usize = 32;
const PAD: char = '\u{0}';

fn cut(line: &str) -> String {
    line.chars().take(SEQ_LEN).collect()
}

fn padded(line: &str) -> String {
    let c = cut(line);
    let n = c.chars().count();
    c + &PAD.to_string().repeat(SEQ_LEN - n)
}

fn grams(lines: &[String], n: usize) -> HashMap<String, u64> {
    let mut m = HashMap::new();
    for l in lines {
        let ch: Vec<char> = l.chars().collect();
        for w in ch.windows(n) {
            *m.entry(w.iter().collect::<String>()).or_insert(0) += 1;
        }
    }
    m
}

fn js(p: &HashMap<String, u64>, q: &HashMap<String, u64>) -> Option<f64> {
    let (pt, qt) = (
        p.values().sum::<u64>() as f64,
        q.values().sum::<u64>() as f64,
    );
    if pt == 0.0 || qt == 0.0 {
        return None;
    }
    let keys: HashSet<&String> = p.keys().chain(q.keys()).collect();
    let mut kl_p = 0.0;
    let mut kl_q = 0.0;
    for k in keys {
        let a = *p.get(k).unwrap_or(&0) as f64 / pt;
        let b = *q.get(k).unwrap_or(&0) as f64 / qt;
        let m = (a + b) / 2.0;
        if a > 0.0 {
            kl_p += a * (a / m).log2();
        }
        if b > 0.0 {
            kl_q += b * (b / m).log2();
        }
    }
    Some(0.5 * kl_p + 0.5 * kl_q)
}

fn close(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "{what}: fast {x} vs simple {y}"),
        _ => assert_eq!(a, b, "{what}"),
    }
}

#[test]
fn fast_statistics_equal_the_simple_implementation_on_sotu_tiny() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora/sotu_tiny.txt");
    let text = std::fs::read_to_string(path).expect("corpora/sotu_tiny.txt");
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert!(lines.len() > 400);
    let mut symbols: Vec<char> = text.chars().filter(|&c| c != '\n').collect();
    symbols.sort_unstable();
    symbols.dedup();
    assert!(!symbols.contains(&PAD));
    let vocab = Vocab::from_symbols(symbols);

    // Samples: 100 real lines, 100 lines with their characters shuffled, a few short ones.
    let mut rng = Rng::new(5);
    let mut samples: Vec<String> = lines[..100].iter().map(|l| l.to_string()).collect();
    for l in &lines[100..200] {
        let mut ch: Vec<char> = cut(l).chars().collect();
        rng.shuffle(&mut ch);
        samples.push(ch.into_iter().collect());
    }
    samples.extend(["", "a", "The", "The"].map(String::from));
    samples.push(lines[150].to_string()); // a verbatim copy of a training line
    let train: Vec<&str> = lines[150..].to_vec();

    let enc = |ls: &[String]| -> Vec<Vec<u16>> { ls.iter().map(|l| vocab.encode(l)).collect() };
    let train_s: Vec<String> = train.iter().map(|l| l.to_string()).collect();
    let train_rows = pad_rows(&enc(&train_s), SEQ_LEN);
    let sample_rows = pad_rows(&enc(&samples), SEQ_LEN);
    let corpus = CorpusStats::build(&train_rows, 6).unwrap();
    let rep = set_report(&sample_rows, &corpus, 6);

    let s_pad: Vec<String> = samples.iter().map(|l| padded(l)).collect();
    let s_cut: Vec<String> = samples.iter().map(|l| cut(l)).collect();
    let t_pad: Vec<String> = train.iter().map(|l| padded(l)).collect();
    let t_cut: Vec<String> = train.iter().map(|l| cut(l)).collect();
    for n in 1..=6 {
        let (sp, tp) = (grams(&s_pad, n), grams(&t_pad, n));
        let (sc, tc) = (grams(&s_cut, n), grams(&t_cut, n));
        close(
            rep.js.reference[&n],
            js(&sp, &tp),
            &format!("reference JS n={n}"),
        );
        close(rep.js.clean[&n], js(&sc, &tc), &format!("clean JS n={n}"));
        let total: u64 = sc.values().sum();
        let hit: u64 = sc
            .iter()
            .filter(|(k, _)| tc.contains_key(*k))
            .map(|(_, c)| c)
            .sum();
        let covered: u64 = tc
            .iter()
            .filter(|(k, _)| sc.contains_key(*k))
            .map(|(_, c)| c)
            .sum();
        let t_total: u64 = tc.values().sum();
        close(
            rep.stats.precision[&n],
            Some(hit as f64 / total as f64),
            "precision",
        );
        close(
            rep.stats.coverage[&n],
            Some(covered as f64 / t_total as f64),
            "coverage",
        );
        close(
            rep.stats.distinct[&n],
            Some(sc.len() as f64 / total as f64),
            "distinct",
        );
        assert_eq!(rep.js.counts.reference[&n], sp.values().sum::<u64>());
        assert_eq!(rep.js.counts.clean[&n], total);
        assert_eq!(corpus.tables[n - 1].distinct(), tp.len());
    }
    let uniq: HashSet<&String> = s_cut.iter().collect();
    close(
        rep.stats.unique_ratio,
        Some(uniq.len() as f64 / samples.len() as f64),
        "unique",
    );
    let train_set: HashSet<&String> = t_cut.iter().collect();
    let copies = s_cut.iter().filter(|l| train_set.contains(l)).count() as u64;
    assert_eq!(rep.stats.verbatim.count, copies);
    assert!(copies >= 1);
}
