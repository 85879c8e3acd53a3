#!/usr/bin/env bash
# Benchmark of `textwgan prepare` (whole process): 50 MB of English text (five copies of
# sotu.txt) and a 10-million-line input. Usage: benches/prepare.sh [path/to/textwgan]
# Default binary: target/release/textwgan (build it with `cargo build --release`).
set -euo pipefail
bin=${1:-target/release/textwgan}
tmp=${TMPDIR:-/tmp}/textwgan-bench-prepare
rm -rf "$tmp" && mkdir -p "$tmp"
for _ in 1 2 3 4 5; do gzip -dc corpora/sotu.txt.gz; done > "$tmp/sotu5.txt"
awk 'BEGIN { for (i = 0; i < 10000000; i++) printf "line %d of the big test\n", i }' > "$tmp/10m.txt"
run() {
  local name=$1; shift
  rm -rf "$tmp/out"
  /usr/bin/time -v "$bin" prepare "$@" --out "$tmp/out" 2> "$tmp/log" || { cat "$tmp/log"; exit 1; }
  echo "== $name: $(grep -E '^prepared' "$tmp/log")"
  grep -E 'User time|System time|Elapsed|Maximum resident' "$tmp/log"
}
run "50 MB, defaults" "$tmp/sotu5.txt"
run "50 MB, --long chunk" "$tmp/sotu5.txt" --long chunk
run "10M lines, defaults" "$tmp/10m.txt"
rm -rf "$tmp"
