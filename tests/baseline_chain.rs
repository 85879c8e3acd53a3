//! The Markov baseline: hand-checked fits, back-off, lengths and reproducibility.

use textwgan::baseline::{decode, MarkovChain};
use textwgan::data::{IdRows, Vocab, PAD, UNK};
use textwgan::eval::pad_rows;

fn setup(seq_len: usize, lines: &[&str]) -> (Vocab, IdRows) {
    let v = Vocab::from_symbols("abcz".chars().collect());
    let seqs: Vec<Vec<u16>> = lines.iter().map(|l| v.encode(l)).collect();
    (v.clone(), pad_rows(&seqs, seq_len))
}

#[test]
fn a_deterministic_corpus_is_reproduced_exactly() {
    let (v, rows) = setup(8, &["abc", "abc"]);
    for order in 1..=6 {
        let m = MarkovChain::fit(&rows, order).unwrap();
        for line in m.sample(20, 3, 8) {
            assert_eq!(decode(&v, &line), "abc", "order {order}");
        }
    }
}

#[test]
fn counts_and_backoff_match_hand_counts() {
    // seq_len 4: "abcz" fills the row (may be cut: no end event); "cab" ends after b.
    let (v, rows) = setup(4, &["abcz", "cab"]);
    let (a, b, c, z) = (v.id('a'), v.id('b'), v.id('c'), v.id('z'));
    let m = MarkovChain::fit(&rows, 1).unwrap();
    assert_eq!(m.distribution(&[]), (1, vec![(a, 1), (c, 1)]));
    assert_eq!(m.distribution(&[c]), (1, vec![(a, 1), (z, 1)]));
    assert_eq!(m.distribution(&[a, b]), (1, vec![(PAD, 1), (c, 1)]));
    // After z nothing was ever seen: back off to order 0 (all 7 events, end included).
    let order0 = vec![(PAD, 1), (a, 2), (b, 2), (c, 2), (z, 1)];
    assert_eq!(m.distribution(&[c, z]), (0, order0.clone()));
    // Order 2: context (c, z) unseen, (z) unseen → order 0 as well; (BOS, c) seen.
    let m2 = MarkovChain::fit(&rows, 2).unwrap();
    assert_eq!(m2.distribution(&[c, z]), (0, order0));
    assert_eq!(m2.distribution(&[c]), (2, vec![(a, 1)]));
    // Order 0 ignores history.
    let m0 = MarkovChain::fit(&rows, 0).unwrap();
    assert_eq!(m0.distribution(&[a, b, c]).0, 0);
}

#[test]
fn order_zero_frequencies_and_lengths_are_learned() {
    // Lines "a" ×3 and "b" ×1 with seq_len 4: order 0 events a:3, b:1, end:4.
    let (v, rows) = setup(4, &["a", "a", "a", "b"]);
    let m = MarkovChain::fit(&rows, 0).unwrap();
    let lines = m.sample(20_000, 9, 4);
    let syms: usize = lines.iter().map(|l| l.len()).sum();
    let a = lines.iter().flatten().filter(|&&t| t == v.id('a')).count();
    // Each step ends with p = ½, so the mean length is 1 (geometric, cut at 4: 15/16).
    let mean = syms as f64 / lines.len() as f64;
    assert!((mean - 15.0 / 16.0).abs() < 0.03, "{mean}");
    assert!((a as f64 / syms as f64 - 0.75).abs() < 0.02);
    // Order 1 learns that every line has exactly one symbol.
    let m1 = MarkovChain::fit(&rows, 1).unwrap();
    assert!(m1.sample(500, 1, 4).iter().all(|l| l.len() == 1));
}

#[test]
fn sampling_is_seeded_bounded_and_stable() {
    let (_, rows) = setup(5, &["abcab", "cab", "zz", "bca", "a"]);
    let m = MarkovChain::fit(&rows, 2).unwrap();
    let x = m.sample(200, 42, 5);
    assert_eq!(x, m.sample(200, 42, 5));
    assert_ne!(x, m.sample(200, 43, 5));
    assert_eq!(x.len(), 200);
    assert!(x.iter().all(|l| l.len() <= 5 && !l.contains(&PAD)));
    assert!(m.sample(50, 1, 2).iter().all(|l| l.len() <= 2));
    assert!(m.sample(0, 1, 5).is_empty());
}

#[test]
fn bad_orders_and_empty_training_are_refused() {
    let (_, rows) = setup(4, &["ab"]);
    let e = MarkovChain::fit(&rows, 7).unwrap_err().to_string();
    assert!(e.contains("--order"), "{e}");
    assert!(MarkovChain::fit(&IdRows::new(4, vec![]), 1).is_err());
}

#[test]
fn decode_writes_unk_as_replacement_character() {
    let v = Vocab::from_symbols("ab".chars().collect());
    assert_eq!(decode(&v, &[2, UNK, 3, PAD, 2]), "a\u{FFFD}b");
}

#[test]
fn draws_follow_the_documented_rng_stream() {
    // Order 0 on "a" ×3, "b": events by id: end (PAD) 4, a 3, b 1 → cumulative [4, 7, 8].
    // Each step draws r = below(8) from stream "baseline-markov": r < 4 ends, r < 7 is a, else b.
    let (v, rows) = setup(4, &["a", "a", "a", "b"]);
    let m = MarkovChain::fit(&rows, 0).unwrap();
    let mut rng = textwgan::rng::Rng::derive(77, "baseline-markov");
    let mut want = Vec::new();
    for _ in 0..50 {
        let mut line = Vec::new();
        while line.len() < 4 {
            match rng.below(8) {
                0..=3 => break,
                4..=6 => line.push(v.id('a')),
                _ => line.push(v.id('b')),
            }
        }
        want.push(line);
    }
    assert_eq!(m.sample(50, 77, 4), want);
}
