//! The n-gram cache (round trip, staleness, corruption) and the samples reader.

use textwgan::data::{IdRows, Vocab, UNK};
use textwgan::eval::cache::{decode, encode, load_or_build, CacheKey, CacheStatus};
use textwgan::eval::corpus::Keys;
use textwgan::eval::{pad_rows, parse_samples, read_samples, CorpusStats};

fn train() -> textwgan::data::IdRows {
    let v = Vocab::from_symbols("abc d".chars().collect());
    let lines = ["abc d", "dd a", "", "cab", "abcabcabc"];
    let seqs: Vec<Vec<u16>> = lines.iter().map(|l| v.encode(l)).collect();
    pad_rows(&seqs, 6)
}

fn key(hash: &str) -> CacheKey {
    CacheKey {
        dataset_hash: hash.to_string(),
        train_check: 77,
        seq_len: 6,
    }
}

#[test]
fn cache_round_trips_exactly() {
    let stats = CorpusStats::build(&train(), 6).unwrap();
    let bytes = encode(&stats, &key("hash-1"));
    assert_eq!(bytes.len() % 8, 0);
    assert_eq!(decode(&bytes, &key("hash-1"), 6).unwrap(), stats);
    let four = decode(&bytes, &key("hash-1"), 4).unwrap();
    assert_eq!(four.max_n(), 4);
    assert_eq!(four.tables[..], stats.tables[..4]);
    assert_eq!(four.line_hashes, stats.line_hashes);
    // Wide keys (a vocabulary too big for 64-bit 6-gram keys) round-trip too.
    let big = IdRows::from_sequences(3, &[vec![3000u16, 2], vec![2, 3000, 3000]]);
    let wide = CorpusStats::build(&big, 6).unwrap();
    assert!(matches!(wide.tables[0].keys(), Keys::Wide(_)));
    let k = CacheKey {
        seq_len: 3,
        ..key("w")
    };
    assert_eq!(decode(&encode(&wide, &k), &k, 6).unwrap(), wide);
}

#[test]
fn stale_or_damaged_caches_are_refused() {
    let stats = CorpusStats::build(&train(), 6).unwrap();
    let bytes = encode(&stats, &key("hash-1"));
    let e = decode(&bytes, &key("hash-2"), 6).unwrap_err().to_string();
    assert!(e.contains("another dataset"), "{e}");
    let moved = CacheKey {
        train_check: 78,
        ..key("hash-1")
    };
    let e = decode(&bytes, &moved, 6).unwrap_err().to_string();
    assert!(e.contains("train.ids changed"), "{e}");
    let longer = CacheKey {
        seq_len: 7,
        ..key("hash-1")
    };
    assert!(decode(&bytes, &longer, 6).is_err());
    // Every single flipped bit anywhere is caught by the checksum (or the magic).
    for at in (0..bytes.len()).step_by(5) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 1 << (at % 8);
        assert!(decode(&flipped, &key("hash-1"), 6).is_err(), "flip at {at}");
    }
    let mut flipped = bytes.clone();
    flipped[100] ^= 1;
    let e = decode(&flipped, &key("hash-1"), 6).unwrap_err().to_string();
    assert!(e.contains("checksum"), "{e}");
    assert!(decode(&bytes[..bytes.len() - 1], &key("hash-1"), 6).is_err());
    assert!(decode(&bytes[..bytes.len() - 8], &key("hash-1"), 6).is_err());
    assert!(decode(b"", &key("hash-1"), 6).is_err());
    // The version-1 format (SHA-256 trailer, other magic) is refused, not misread.
    let mut v1 = b"TWGNGC01".to_vec();
    v1.resize(64, 0);
    assert!(decode(&v1, &key("hash-1"), 6).is_err());
    let small = CorpusStats::build(&train(), 3).unwrap();
    let e = decode(&encode(&small, &key("hash-1")), &key("hash-1"), 4)
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
    let loads = std::cell::Cell::new(0);
    let load = || {
        loads.set(loads.get() + 1);
        Ok(rows.clone())
    };
    let (s, st) = load_or_build(&path, &key("h"), load, 6).unwrap();
    assert_eq!((s, st), (fresh.clone(), CacheStatus::Built));
    assert_eq!(loads.get(), 1);
    // A hit never loads the training rows.
    let (s, st) = load_or_build(&path, &key("h"), load, 2).unwrap();
    assert_eq!(st, CacheStatus::Hit);
    assert_eq!(loads.get(), 1);
    assert_eq!(s.tables[..], fresh.tables[..2]);
    // Corrupt one byte in the middle: rebuilt, and the rewritten cache is valid again.
    let mut b = std::fs::read(&path).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x40;
    std::fs::write(&path, &b).unwrap();
    let (s, st) = load_or_build(&path, &key("h"), load, 6).unwrap();
    assert!(
        matches!(st, CacheStatus::Rebuilt(ref w) if w.contains("checksum")),
        "{st:?}"
    );
    assert_eq!(s, fresh);
    assert_eq!(loads.get(), 2);
    assert_eq!(
        load_or_build(&path, &key("h"), load, 6).unwrap().1,
        CacheStatus::Hit
    );
    // A truncated file (not a whole number of words) is rebuilt too.
    let b = std::fs::read(&path).unwrap();
    std::fs::write(&path, &b[..b.len() - 3]).unwrap();
    let (_, st) = load_or_build(&path, &key("h"), load, 6).unwrap();
    assert!(
        matches!(st, CacheStatus::Rebuilt(ref w) if w.contains("truncated")),
        "{st:?}"
    );
    // Another dataset hash: rebuilt.
    let (_, st) = load_or_build(&path, &key("other"), load, 6).unwrap();
    assert!(matches!(st, CacheStatus::Rebuilt(ref w) if w.contains("another dataset")));
    // A failing loader is an error (nothing is trusted or written).
    let fail = || anyhow::bail!("train.ids is broken");
    let e = load_or_build(&path, &key("third"), fail, 6).unwrap_err();
    assert!(e.to_string().contains("broken"), "{e}");
    // A directory that does not exist: statistics still come back, the status says why.
    let bad = dir.path().join("missing").join("ngrams.cache");
    let (s, st) = load_or_build(&bad, &key("h"), load, 6).unwrap();
    assert_eq!(s, fresh);
    assert!(matches!(st, CacheStatus::Unwritable(_)), "{st:?}");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(
        names.len(),
        1,
        "only the cache, no temporary file: {names:?}"
    );
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
