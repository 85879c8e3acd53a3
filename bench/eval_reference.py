#!/usr/bin/env python3
"""A straightforward pure-Python implementation of `textwgan eval`'s formulas (docs/eval.md),
for a side-by-side speed comparison and a cross-check of the numbers.

    python3 bench/eval_reference.py DATASET_DIR SAMPLES.txt [--max-n 6] [--cache FILE]

Reads the dataset written by `textwgan prepare` (train.ids, holdout.ids, tokenizer.json),
counts the training split's n-grams (the "cache": dicts of tuples, pickled to --cache if given;
with an existing --cache it is loaded instead), then computes JS in both modes for the samples
and the floor (the first N held-out rows; equal to Rust's choice when the holdout has ≤ N rows),
precision, coverage, distinct-n, unique ratio and verbatim copies. Prints one JSON object with
the values and the timings on stdout.
"""
import array, json, math, os, pickle, struct, sys, time
from collections import Counter

PAD, UNK = 0, 1


def read_ids(path):
    with open(path, "rb") as f:
        b = f.read()
    assert b[:8] == b"TWGNIDS\0", path
    seq_len, rows = struct.unpack_from("<IQ", b, 12)
    a = array.array("H")
    a.frombytes(b[56:])
    if sys.byteorder != "little":
        a.byteswap()
    return seq_len, [tuple(a[r * seq_len:(r + 1) * seq_len]) for r in range(rows)]


def text(row):
    end = len(row)
    while end > 0 and row[end - 1] == PAD:
        end -= 1
    return row[:end]


def grams(rows, n):
    c = Counter()
    for r in rows:
        for i in range(len(r) - n + 1):
            c[r[i:i + n]] += 1
    return c


def js(p, q):
    pt, qt = sum(p.values()), sum(q.values())
    if pt == 0 or qt == 0:
        return None
    total = 0.0
    for k in set(p) | set(q):
        a, b = p.get(k, 0) / pt, q.get(k, 0) / qt
        m = (a + b) / 2
        if a > 0:
            total += 0.5 * a * math.log2(a / m)
        if b > 0:
            total += 0.5 * b * math.log2(b / m)
    return min(1.0, max(0.0, total))


def main():
    args = sys.argv[1:]
    max_n = 6
    cache = None
    if "--max-n" in args:
        i = args.index("--max-n"); max_n = int(args[i + 1]); del args[i:i + 2]
    if "--cache" in args:
        i = args.index("--cache"); cache = args[i + 1]; del args[i:i + 2]
    ds, samples_path = args
    t0 = time.perf_counter()
    seq_len, train = read_ids(os.path.join(ds, "train.ids"))
    _, holdout = read_ids(os.path.join(ds, "holdout.ids"))
    vocab = json.load(open(os.path.join(ds, "tokenizer.json"), encoding="utf-8"))["model"]["vocab"]
    t_read = time.perf_counter() - t0

    t0 = time.perf_counter()
    if cache and os.path.exists(cache):
        with open(cache, "rb") as f:
            ref, ref_clean = pickle.load(f)
        built = False
    else:
        train_text = [text(r) for r in train]
        ref = {n: grams(train, n) for n in range(1, max_n + 1)}
        ref_clean = {n: grams(train_text, n) for n in range(1, max_n + 1)}
        built = True
        if cache:
            with open(cache, "wb") as f:
                pickle.dump((ref, ref_clean), f)
    t_tables = time.perf_counter() - t0

    t0 = time.perf_counter()
    with open(samples_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    samples = [tuple(vocab.get(ch, UNK) for ch in l.rstrip("\r"))[:seq_len] for l in lines]
    floor = [text(r) for r in holdout[:len(samples)]]
    train_set = set(text(r) for r in train)

    def report(seqs):
        padded = [s + (PAD,) * (seq_len - len(s)) for s in seqs]
        out = {"js": {"reference": {}, "clean": {}}, "precision": {}, "coverage": {}, "distinct": {}}
        for n in range(1, max_n + 1):
            sp, sc = grams(padded, n), grams(seqs, n)
            out["js"]["reference"][str(n)] = js(sp, ref[n])
            out["js"]["clean"][str(n)] = js(sc, ref_clean[n])
            tot, rtot = sum(sc.values()), sum(ref_clean[n].values())
            hit = sum(c for k, c in sc.items() if k in ref_clean[n])
            cov = sum(c for k, c in ref_clean[n].items() if k in sc)
            out["precision"][str(n)] = hit / tot if tot else None
            out["coverage"][str(n)] = cov / rtot if tot and rtot else None
            out["distinct"][str(n)] = len(sc) / tot if tot else None
        out["unique_ratio"] = len(set(seqs)) / len(seqs) if seqs else None
        out["verbatim"] = sum(1 for s in seqs if s in train_set)
        return out

    rep = report(samples)
    rep["floor"] = report(floor)["js"]
    t_eval = time.perf_counter() - t0
    rep["samples"] = len(samples)
    rep["timing_s"] = {"read_dataset": t_read, ("build_tables" if built else "load_cache"): t_tables,
                       "eval": t_eval}
    print(json.dumps(rep))


if __name__ == "__main__":
    main()
