//! JS divergence and set statistics checked against hand-computed values and closed forms.

use textwgan::data::{IdRows, Vocab};
use textwgan::eval::{floor_rows, js_report, js_report_rows, pad_rows, set_report, CorpusStats};
use textwgan::rng::Rng;

fn vocab(chars: &str) -> Vocab {
    Vocab::from_symbols(chars.chars().collect())
}

fn rows(v: &Vocab, seq_len: usize, lines: &[&str]) -> IdRows {
    let seqs: Vec<Vec<u16>> = lines.iter().map(|l| v.encode(l)).collect();
    pad_rows(&seqs, seq_len)
}

fn seqs(v: &Vocab, lines: &[&str]) -> Vec<Vec<u16>> {
    lines.iter().map(|l| v.encode(l)).collect()
}

#[test]
fn unigrams_ab_vs_cd_are_one_bit_apart() {
    let v = vocab("abcd");
    let corpus = CorpusStats::build(&rows(&v, 2, &["ab"]), 2).unwrap();
    let r = js_report(&seqs(&v, &["cd"]), &corpus, 2);
    assert_eq!(r.reference[&1], Some(1.0));
    assert_eq!(r.clean[&1], Some(1.0));
    assert_eq!(r.clean[&2], Some(1.0));
    assert_eq!(r.counts.clean[&1], 2);
    assert_eq!(r.counts.clean[&2], 1);
}

#[test]
fn padded_hand_example_reference_is_below_clean() {
    // seq_len 3: rows "ab·" and "cd·" (· = PAD). Unigrams: P = {c,d,·} and Q = {a,b,·}, each ⅓.
    // The shared PAD mass (⅓ each, equal) contributes 0; each of the 4 private symbols
    // contributes ½·⅓·log2 2 = ⅙, so JS = ⅔ in the reference mode, while clean sees only
    // {c,d} vs {a,b}: 1 bit. Bigrams: reference {cd, d·} vs {ab, b·}: disjoint → 1.
    let v = vocab("abcd");
    let corpus = CorpusStats::build(&rows(&v, 3, &["ab"]), 3).unwrap();
    let r = js_report(&seqs(&v, &["cd"]), &corpus, 3);
    assert!((r.reference[&1].unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(r.clean[&1], Some(1.0));
    assert_eq!(r.reference[&2], Some(1.0));
    // Trigrams: clean has none ("cd" is shorter than 3) → null with count 0.
    assert_eq!(r.clean[&3], None);
    assert_eq!(r.counts.clean[&3], 0);
    assert_eq!(r.counts.reference[&3], 1);
}

#[test]
fn partially_overlapping_unigrams_match_closed_form() {
    // Samples "aab" → P = (a ⅔, b ⅓); corpus "abbb" → Q = (a ¼, b ¾).
    let v = vocab("ab");
    let corpus = CorpusStats::build(&rows(&v, 4, &["abbb"]), 1).unwrap();
    let r = js_report(&seqs(&v, &["aab"]), &corpus, 1);
    let kl =
        |p: &[f64], m: &[f64]| -> f64 { p.iter().zip(m).map(|(&a, &b)| a * (a / b).log2()).sum() };
    let (p, q) = ([2.0 / 3.0, 1.0 / 3.0], [0.25, 0.75]);
    let m = [(p[0] + q[0]) / 2.0, (p[1] + q[1]) / 2.0];
    let want = 0.5 * kl(&p, &m) + 0.5 * kl(&q, &m);
    assert!((r.clean[&1].unwrap() - want).abs() < 1e-12);
    // Reference mode adds PAD: P = (a 2/4, b 1/4, PAD 1/4), Q = (a ¼, b ¾, PAD 0).
    let (p, q) = ([0.5, 0.25, 0.25], [0.25, 0.75, 0.0]);
    let m: Vec<f64> = p.iter().zip(&q).map(|(a, b)| (a + b) / 2.0).collect();
    let kl0 = |p: &[f64], m: &[f64]| -> f64 {
        p.iter()
            .zip(m)
            .filter(|(&a, _)| a > 0.0)
            .map(|(&a, &b)| a * (a / b).log2())
            .sum()
    };
    let want = 0.5 * kl0(&p, &m) + 0.5 * kl0(&q, &m);
    assert!((r.reference[&1].unwrap() - want).abs() < 1e-12);
}

#[test]
fn identical_sets_give_zero() {
    let v = vocab("abc ");
    let lines = ["abc", "a b", "cc", "", "ba c"];
    let corpus = CorpusStats::build(&rows(&v, 4, &lines), 6).unwrap();
    let r = js_report(&seqs(&v, &lines), &corpus, 6);
    for n in 1..=4 {
        assert!(r.reference[&n].unwrap().abs() < 1e-12, "n={n}");
        assert!(r.clean[&n].unwrap().abs() < 1e-12, "n={n}");
    }
    // No line has 5 symbols, so clean 5-grams are absent on both sides; padded ones too (seq_len 4).
    assert_eq!(r.clean[&5], None);
    assert_eq!(r.reference[&5], None);
}

fn random_lines(rng: &mut Rng, count: usize, max_len: u64, alphabet: u64) -> Vec<Vec<u16>> {
    (0..count)
        .map(|_| {
            let len = rng.below(max_len + 1) as usize;
            (0..len).map(|_| 2 + rng.below(alphabet) as u16).collect()
        })
        .collect()
}

#[test]
fn js_is_symmetric_bounded_and_finite_on_random_inputs() {
    let mut rng = Rng::new(11);
    for trial in 0..300 {
        let seq_len = 1 + rng.below(6) as usize;
        let (na, ka) = (rng.below(6) as usize, 1 + rng.below(4));
        let (nb, kb) = (1 + rng.below(6) as usize, 1 + rng.below(4));
        let a = random_lines(&mut rng, na, 7, ka);
        let b = random_lines(&mut rng, nb, 7, kb);
        let sa = CorpusStats::build(&pad_rows(&a, seq_len), 6).unwrap();
        let sb = CorpusStats::build(&pad_rows(&b, seq_len), 6).unwrap();
        let ab = js_report(&a, &sb, 6);
        let ba = js_report(&b, &sa, 6);
        for n in 1..=6 {
            for (x, y) in [
                (ab.reference[&n], ba.reference[&n]),
                (ab.clean[&n], ba.clean[&n]),
            ] {
                if let (Some(x), Some(y)) = (x, y) {
                    assert!(
                        x.is_finite() && (0.0..=1.0).contains(&x),
                        "trial {trial}: {x}"
                    );
                    assert!((x - y).abs() < 1e-12, "trial {trial} n={n}: {x} vs {y}");
                } else {
                    assert_eq!(x.is_none(), y.is_none(), "trial {trial} n={n}");
                }
            }
        }
    }
}

#[test]
fn degenerate_sample_sets_never_look_good() {
    let v = vocab("abcdefgh ");
    let lines = ["abc def", "gh ab", "fed cba", "h g f e", "a"];
    let corpus = CorpusStats::build(&rows(&v, 8, &lines), 4).unwrap();
    // All empty: clean has nothing → null for every n; the padded rows are pure PAD, far away.
    let empty = vec![Vec::new(); 10];
    let r = js_report(&empty, &corpus, 4);
    for n in 1..=4 {
        assert_eq!(r.clean[&n], None);
        assert_eq!(r.counts.clean[&n], 0);
        assert!(
            r.reference[&n].unwrap() > 0.3,
            "n={n}: {:?}",
            r.reference[&n]
        );
    }
    // All identical (one real line repeated): exactly the distribution of that one line (so
    // repetition earns nothing), positive, and for n ≥ 2 the missing variety shows clearly.
    let same = js_report(&seqs(&v, &["abc def"; 10]), &corpus, 4);
    let once = js_report(&seqs(&v, &["abc def"]), &corpus, 4);
    for n in 1..=4 {
        let js = same.clean[&n].unwrap();
        assert!((js - once.clean[&n].unwrap()).abs() < 1e-12, "n={n}");
        assert!(js > if n == 1 { 0.05 } else { 0.3 }, "n={n}: {js}");
    }
    // No samples at all: every value is null.
    let r = js_report(&[], &corpus, 2);
    assert_eq!(r.reference[&1], None);
    assert_eq!(r.clean[&1], None);
}

#[test]
fn samples_shorter_than_n_have_no_clean_ngrams_but_padded_ones() {
    let v = vocab("ab");
    let corpus = CorpusStats::build(&rows(&v, 4, &["abab", "ba"]), 3).unwrap();
    let r = js_report(&seqs(&v, &["a", "b"]), &corpus, 3);
    assert_eq!(r.clean[&2], None);
    assert_eq!(r.clean[&3], None);
    assert!(r.clean[&1].is_some());
    assert_eq!(r.counts.reference[&2], 6); // 3 windows per padded row of 4
    assert!(r.reference[&2].is_some());
}

#[test]
fn set_statistics_match_hand_counts() {
    let v = vocab("abc");
    let train = rows(&v, 3, &["ab", "abc", "c"]);
    let corpus = CorpusStats::build(&train, 2).unwrap();
    let samples = rows(&v, 3, &["ab", "ab", "ca"]);
    let rep = set_report(&samples, &corpus, 2);
    let st = &rep.stats;
    // Clean unigrams of the samples: a,b,a,b,c,a (6); all occur in the corpus.
    assert_eq!(st.precision[&1], Some(1.0));
    // Clean bigrams: ab, ab, ca → ca is not in the corpus (ab, ab, bc) → 2/3.
    assert!((st.precision[&2].unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // Coverage of bigrams: corpus occurrences ab(2) + bc(1) = 3; samples contain ab → 2/3.
    assert!((st.coverage[&2].unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // Distinct: unigrams {a,b,c}/6 = ½; bigrams {ab, ca}/3.
    assert_eq!(st.distinct[&1], Some(0.5));
    assert!((st.distinct[&2].unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert!((st.unique_ratio.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(st.verbatim.count, 2);
    assert_eq!(st.lengths, vec![0, 0, 3, 0]);
    // Position 0: a, a, c → H(⅔, ⅓); position 2: PAD ×3 → 0.
    let h0 = -(2.0 / 3.0f64) * (2.0 / 3.0f64).log2() - (1.0 / 3.0f64) * (1.0 / 3.0f64).log2();
    assert!((st.position_entropy[0] - h0).abs() < 1e-12);
    assert_eq!(st.position_entropy[2], 0.0);
    assert_eq!(corpus.lengths, vec![0, 1, 1, 1]);
}

#[test]
fn floor_rows_take_all_or_a_seeded_subset() {
    let holdout = IdRows::new(1, (2..12).collect());
    assert_eq!(floor_rows(&holdout, 20), holdout);
    let a = floor_rows(&holdout, 4);
    assert_eq!(a, floor_rows(&holdout, 4));
    assert_eq!(a.rows(), 4);
    assert!(
        a.ids.windows(2).all(|w| w[0] < w[1]),
        "distinct, in holdout order"
    );
    assert!(a.ids.iter().all(|id| holdout.ids.contains(id)));
}

#[test]
fn max_n_outside_one_to_six_is_refused() {
    let r = IdRows::new(2, vec![2, 3]);
    assert!(CorpusStats::build(&r, 0).is_err());
    let e = CorpusStats::build(&r, 7).unwrap_err().to_string();
    assert!(e.contains("--max-n"), "{e}");
}

#[test]
fn row_form_equals_sequence_form() {
    let v = vocab("abc");
    let lines = ["abc", "ca", "", "bbbb"];
    let corpus = CorpusStats::build(&rows(&v, 4, &["abca", "cab", "b"]), 3).unwrap();
    let a = js_report(&seqs(&v, &lines), &corpus, 3);
    let b = js_report_rows(&rows(&v, 4, &lines), &corpus, 3);
    assert_eq!(a, b);
    // Orders above what the reference counted are left out.
    assert_eq!(js_report(&seqs(&v, &lines), &corpus, 6).reference.len(), 3);
}
