//! The n-gram cache (round trip, staleness, corruption) and the samples reader.

use textwgan::data::{Vocab, UNK};
use textwgan::eval::cache::{decode, encode, load_or_build, CacheStatus};
use textwgan::eval::{pad_rows, parse_samples, read_samples, CorpusStats};

fn train() -> textwgan::data::IdRows {
    let v = Vocab::from_symbols("abc d".chars().collect());
    let lines = ["abc d", "dd a", "", "cab", "abcabcabc"];
    let seqs: Vec<Vec<u16>> = lines.iter().map(|l| v.encode(l)).collect();
    pad_rows(&seqs, 6)
}

#[test]
fn cache_round_trips_exactly() {
    let stats = CorpusStats::build(&train(), 6).unwrap();
    let bytes = encode(&stats, "hash-1");
    assert_eq!(decode(&bytes, "hash-1", 6, 6).unwrap(), stats);
    let four = decode(&bytes, "hash-1", 6, 4).unwrap();
    assert_eq!(four.max_n(), 4);
    assert_eq!(four.tables[..], stats.tables[..4]);
}

#[test]
fn stale_or_damaged_caches_are_refused() {
    let stats = CorpusStats::build(&train(), 6).unwrap();
    let bytes = encode(&stats, "hash-1");
    let e = decode(&bytes, "hash-2", 6, 6).unwrap_err().to_string();
    assert!(e.contains("another dataset"), "{e}");
    assert!(decode(&bytes, "hash-1", 7, 6).is_err());
    let mut flipped = bytes.clone();
    flipped[40] ^= 1;
    let e = decode(&flipped, "hash-1", 6, 6).unwrap_err().to_string();
    assert!(e.contains("checksum"), "{e}");
    assert!(decode(&bytes[..bytes.len() - 1], "hash-1", 6, 6).is_err());
    assert!(decode(b"", "hash-1", 6, 6).is_err());
    let small = CorpusStats::build(&train(), 3).unwrap();
    let e = decode(&encode(&small, "hash-1"), "hash-1", 6, 4)
        .unwrap_err()
        .to_string();
    assert!(e.contains("orders up to 3"), "{e}");
}

#[test]
fn load_or_build_writes_reuses_and_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ngrams.cache");
    let rows = train();
    let fresh = CorpusStats::build(&rows, 6).unwrap();
    let (s, st) = load_or_build(&path, "h", &rows, 6).unwrap();
    assert_eq!((s, st), (fresh.clone(), CacheStatus::Built));
    let (s, st) = load_or_build(&path, "h", &rows, 2).unwrap();
    assert_eq!(st, CacheStatus::Hit);
    assert_eq!(s.tables[..], fresh.tables[..2]);
    // Corrupt one byte in the middle: rebuilt, and the rewritten cache is valid again.
    let mut b = std::fs::read(&path).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x40;
    std::fs::write(&path, &b).unwrap();
    let (s, st) = load_or_build(&path, "h", &rows, 6).unwrap();
    assert!(
        matches!(st, CacheStatus::Rebuilt(ref w) if w.contains("checksum")),
        "{st:?}"
    );
    assert_eq!(s, fresh);
    assert_eq!(
        load_or_build(&path, "h", &rows, 6).unwrap().1,
        CacheStatus::Hit
    );
    // Another dataset hash: rebuilt.
    let (_, st) = load_or_build(&path, "other", &rows, 6).unwrap();
    assert!(matches!(st, CacheStatus::Rebuilt(ref w) if w.contains("another dataset")));
    // A directory that does not exist: statistics still come back, the status says why.
    let bad = dir.path().join("missing").join("ngrams.cache");
    let (s, st) = load_or_build(&bad, "h", &rows, 6).unwrap();
    assert_eq!(s, fresh);
    assert!(matches!(st, CacheStatus::Unwritable(_)), "{st:?}");
}

fn vocab() -> Vocab {
    Vocab::from_symbols("abc".chars().collect())
}

#[test]
fn samples_lines_endings_bom_and_cutting() {
    let v = vocab();
    let s = parse_samples(b"\xEF\xBB\xBFab\r\n\nabcabc\ncx\xC3\xA9", "f", &v, 4).unwrap();
    assert_eq!(s.seqs.len(), 4);
    assert_eq!(s.seqs[0], v.encode("ab"));
    assert!(s.seqs[1].is_empty());
    assert_eq!(s.seqs[2], v.encode("abca"));
    assert_eq!(s.seqs[3], vec![v.id('c'), UNK, UNK]);
    assert_eq!((s.cut, s.unk, s.symbols), (1, 2, 11));
    // A final newline does not add a sample; a file holding one newline is one empty sample.
    assert_eq!(parse_samples(b"a\n", "f", &v, 4).unwrap().seqs.len(), 1);
    assert_eq!(
        parse_samples(b"\n", "f", &v, 4).unwrap().seqs,
        vec![Vec::<u16>::new()]
    );
    // The replacement character that `sample` writes for UNK re-encodes to UNK.
    let r = parse_samples("a\u{FFFD}".as_bytes(), "f", &v, 4).unwrap();
    assert_eq!(r.seqs[0], vec![v.id('a'), UNK]);
}

#[test]
fn bad_samples_files_give_clear_errors() {
    let v = vocab();
    let e = parse_samples(b"", "s.txt", &v, 4).unwrap_err().to_string();
    assert!(e.contains("s.txt") && e.contains("empty"), "{e}");
    let e = parse_samples(b"\xEF\xBB\xBF", "s.txt", &v, 4)
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty"), "{e}");
    // Line 2 starts at byte 3; the bad byte is its second byte → offset 4.
    let e = parse_samples(b"ab\na\xFFc\n", "s.txt", &v, 4)
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 2") && e.contains("byte offset 4"), "{e}");
    let e = read_samples(std::path::Path::new("/nonexistent/s.txt"), &v, 4).unwrap_err();
    assert!(format!("{e:#}").contains("/nonexistent/s.txt"), "{e:#}");
}
