//! Each `prepare` policy on small hand-made inputs, through the library (`prepare::build`).

use std::path::{Path, PathBuf};
use textwgan::data::prepare::{build, Encoding, InvalidPolicy, LongPolicy, PrepareOptions};
use textwgan::data::{IdRows, Vocab, PAD, UNK};

/// Options for tiny corpora: no holdout, so 64 kept lines suffice.
fn small() -> PrepareOptions {
    PrepareOptions {
        holdout: 0,
        ..PrepareOptions::default()
    }
}

fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// 64 filler lines ("f00".."f63"), so a corpus is big enough with `holdout: 0`.
fn filler() -> String {
    (0..64).map(|i| format!("f{i:02}\n")).collect()
}

/// The text of every row, decoded with the vocabulary (UNK shown as `?`).
fn texts(rows: &IdRows, v: &Vocab) -> Vec<String> {
    (0..rows.rows())
        .map(|i| {
            rows.text_row(i)
                .iter()
                .map(|&t| v.symbol(t).unwrap_or('?'))
                .collect()
        })
        .collect()
}

#[test]
fn line_endings_bom_and_final_line() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "\u{FEFF}a1\r\na2\ra3\u{85}a4\u{2028}a5\u{2029}a6\x0Ba7\x0Ca8\x1Ca9\x1Db1\x1Eb2\n{}b3\tx",
        filler()
    );
    let p = file(dir.path(), "c.txt", body.as_bytes());
    let d = build(&[p], &small()).unwrap();
    let t = texts(&d.train, &d.vocab);
    assert_eq!(
        &t[..11],
        ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "b1", "b2"]
    );
    assert_eq!(t.last().unwrap(), "b3\tx");
    assert_eq!(d.meta.counts.lines_read, 11 + 64 + 1);
    for c in [
        '\u{FEFF}', '\r', '\n', '\u{85}', '\u{2028}', '\u{2029}', '\x0B', '\x0C', '\x1C',
    ] {
        assert_eq!(d.vocab.id(c), UNK, "{c:?} must not be a symbol");
    }
    assert_ne!(d.vocab.id('\t'), UNK);
}

#[test]
fn empty_lines_are_skipped_and_counted_whitespace_kept() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!("\n\r\n{}\n \n\n", filler());
    let p = file(dir.path(), "c.txt", body.as_bytes());
    let d = build(&[p], &small()).unwrap();
    let c = &d.meta.counts;
    assert_eq!((c.lines_read, c.lines_empty, c.lines_kept), (69, 4, 65));
    assert_eq!(texts(&d.train, &d.vocab).last().unwrap(), " ");
}

#[test]
fn long_lines_cut_chunk_skip_count_symbols() {
    let dir = tempfile::tempdir().unwrap();
    // "é😀" + "e\u{301}" (e + combining acute): 4 symbols per unit, 3 units = 12 symbols.
    let long = "é😀e\u{301}".repeat(3);
    let p = file(
        dir.path(),
        "c.txt",
        format!("{long}\nabcde\n{}", filler()).as_bytes(),
    );
    let opts = |long| PrepareOptions {
        seq_len: 5,
        long,
        ..small()
    };
    let cut = build(std::slice::from_ref(&p), &opts(LongPolicy::Cut)).unwrap();
    let t = texts(&cut.train, &cut.vocab);
    // The 5th symbol is the bare `é`; cutting separated "e" from its combining mark.
    assert_eq!(t[0], "é😀e\u{301}é");
    assert_eq!(t[1], "abcde");
    assert_eq!(cut.meta.counts.lines_cut, 1);
    let ch = build(std::slice::from_ref(&p), &opts(LongPolicy::Chunk)).unwrap();
    let t = texts(&ch.train, &ch.vocab);
    assert_eq!(
        &t[..4],
        ["é😀e\u{301}é", "😀e\u{301}é😀", "e\u{301}", "abcde"]
    );
    assert_eq!(ch.train.row(2)[2..], [PAD; 3]);
    assert_eq!(
        (ch.meta.counts.lines_chunked, ch.meta.counts.rows_train),
        (1, 3 + 1 + 64)
    );
    let sk = build(&[p], &opts(LongPolicy::Skip)).unwrap();
    assert_eq!(texts(&sk.train, &sk.vocab)[0], "abcde");
    assert_eq!(
        (sk.meta.counts.lines_skipped_long, sk.meta.counts.lines_kept),
        (1, 65)
    );
}

#[test]
fn vocabulary_order_reserved_ids_and_literal_specials() {
    let dir = tempfile::tempdir().unwrap();
    // Training counts: 'z' 124, 'a' 4, 'b' 3, '`' 2, then '<', '>', 'd', 'p' once each.
    let mut body = String::from("ba`\nab`\nab\n<pad>\n");
    for _ in 0..62 {
        body.push_str("zz\n");
    }
    let p = file(dir.path(), "c.txt", body.as_bytes());
    let d = build(&[p], &small()).unwrap();
    // The ties at count 1 go by code point: '<' 0x3C, '>' 0x3E, 'd' 0x64, 'p' 0x70.
    assert_eq!(d.vocab.symbols(), ['z', 'a', 'b', '`', '<', '>', 'd', 'p']);
    assert_eq!((d.vocab.id('z'), d.vocab.id('`')), (2, 5));
    assert_eq!(d.train.text_row(3), [6, 9, 3, 8, 7]); // "<pad>" is five symbols
    assert_eq!(d.meta.vocab_size, 10);
    // --max-vocab and --min-count.
    let p = dir.path().join("c.txt");
    let o = PrepareOptions {
        max_vocab: 4,
        max_unk_rate: 1.0,
        ..small()
    };
    let d = build(std::slice::from_ref(&p), &o).unwrap();
    assert_eq!(d.vocab.symbols(), ['z', 'a']);
    assert_eq!(d.train.text_row(0), [UNK, 3, UNK]);
    let o = PrepareOptions {
        min_count: 3,
        max_unk_rate: 1.0,
        ..small()
    };
    assert_eq!(build(&[p], &o).unwrap().vocab.symbols(), ['z', 'a', 'b']);
}

#[test]
fn unk_rate_fails_above_the_flag_and_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let body: String = (0..64)
        .map(|i| format!("aaaaaaaaa{}\n", (b'A' + (i % 26)) as char))
        .collect();
    let p = file(dir.path(), "c.txt", body.as_bytes());
    // max_vocab 3 keeps only 'a': 64 of 640 symbols (10 %) become UNK.
    let o = PrepareOptions {
        max_vocab: 3,
        ..small()
    };
    let e = build(std::slice::from_ref(&p), &o).unwrap_err().to_string();
    assert!(e.contains("10.000%") && e.contains("--max-unk-rate"), "{e}");
    let d = build(
        &[p],
        &PrepareOptions {
            max_unk_rate: 0.1,
            ..o
        },
    )
    .unwrap();
    assert_eq!(
        (d.meta.counts.unk_train, d.meta.counts.symbols_train),
        (64, 640)
    );
    assert!((d.meta.counts.unk_rate - 0.1).abs() < 1e-12);
}

#[test]
fn too_small_corpus_is_refused_with_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let body: String = (0..100).map(|i| format!("line {i}\n\n")).collect();
    let p = file(dir.path(), "c.txt", body.as_bytes());
    let o = PrepareOptions {
        holdout: 40,
        ..PrepareOptions::default()
    };
    let e = build(std::slice::from_ref(&p), &o).unwrap_err().to_string();
    assert!(
        e.contains("100 kept lines") && e.contains("of 200 read: 100 empty"),
        "{e}"
    );
    assert!(e.contains("40 + 64 = 104"), "{e}");
    assert!(build(&[p], &PrepareOptions { holdout: 36, ..o }).is_ok());
    let empty = file(dir.path(), "e.txt", b"");
    assert!(build(&[empty], &small())
        .unwrap_err()
        .to_string()
        .contains("0 kept lines"));
}

#[test]
fn invalid_utf8_policies() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = b"good\nbad\xC3\x28x\n".to_vec();
    body.extend_from_slice(filler().as_bytes());
    let p = file(dir.path(), "bad.txt", &body);
    let e = build(std::slice::from_ref(&p), &small())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.txt: line 2, byte offset 8"), "{e}");
    let o = PrepareOptions {
        invalid: InvalidPolicy::SkipLine,
        ..small()
    };
    let d = build(std::slice::from_ref(&p), &o).unwrap();
    assert_eq!(texts(&d.train, &d.vocab)[..2], ["good", "f00"]);
    assert_eq!(
        (d.meta.counts.lines_invalid, d.meta.counts.lines_kept),
        (1, 65)
    );
    let o = PrepareOptions {
        invalid: InvalidPolicy::Replace,
        ..small()
    };
    let d = build(std::slice::from_ref(&p), &o).unwrap();
    assert_eq!(texts(&d.train, &d.vocab)[1], "bad\u{FFFD}(x");
    let o = PrepareOptions {
        encoding: Encoding::Latin1,
        ..small()
    };
    let d = build(&[p], &o).unwrap();
    assert_eq!(texts(&d.train, &d.vocab)[1], "bad\u{C3}(x");
}

#[test]
fn several_files_and_gzip_equal_their_concatenation() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let all = format!("{}no final newline", filler());
    let (a, b) = all.split_at(202);
    let pa = file(dir.path(), "a.txt", a.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b.as_bytes()).unwrap();
    let pb = file(dir.path(), "b.txt.gz", &gz.finish().unwrap());
    let whole = file(dir.path(), "all.txt", all.as_bytes());
    let two = build(&[pa, pb.clone()], &small()).unwrap();
    let one = build(&[whole], &small()).unwrap();
    // The split at byte 202 falls inside a line: files end lines, so that line becomes two.
    assert_eq!(two.meta.counts.lines_kept, one.meta.counts.lines_kept + 1);
    let (t2, t1) = (texts(&two.train, &two.vocab), texts(&one.train, &one.vocab));
    assert_eq!(t2.concat(), t1.concat());
    let src = &two.meta.sources[1];
    assert_eq!(src.bytes, std::fs::metadata(&pb).unwrap().len());
    assert_eq!(
        src.sha256,
        textwgan::util::sha256_hex(&std::fs::read(&pb).unwrap())
    );
    assert_eq!(two.meta.counts.text_bytes, all.len() as u64);
}

#[test]
fn max_lines_takes_the_first_kept_lines() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!("\n{}{}", filler(), "extra\n".repeat(10));
    let p = file(dir.path(), "c.txt", body.as_bytes());
    let q = file(dir.path(), "d.txt", b"never read\n");
    let o = PrepareOptions {
        max_lines: Some(64),
        ..small()
    };
    let d = build(&[p, q.clone()], &o).unwrap();
    let t = texts(&d.train, &d.vocab);
    assert_eq!((t.len(), &t[0][..], &t[63][..]), (64, "f00", "f63"));
    assert_eq!(
        (d.meta.counts.lines_read, d.meta.sources[1].lines_read),
        (65, 0)
    );
    // A file not read is still hashed whole.
    assert_eq!(
        d.meta.sources[1].sha256,
        textwgan::util::sha256_hex(b"never read\n")
    );
}
