#!/usr/bin/env bash
# Reproduces the README's results table: train configs/cpu.toml on the bundled sotu corpus,
# sample, run the Markov baselines, and evaluate everything against the held-out split and
# against austen (another genre). Usage:
#   scripts/reproduce_results.sh [ITERS] [OUT_DIR]      (defaults: 1500 results)
# The README's numbers came from a run that was stopped by time (see the README for its
# iteration count); pass that count as ITERS to reproduce them exactly.
set -euo pipefail
ITERS=${1:-1500}
OUT=${2:-results}
cd "$(dirname "$0")/.."
T=${TEXTWGAN:-target/release/textwgan}
[ -x "$T" ] || cargo build --release
mkdir -p "$OUT"
[ -d "$OUT/data/sotu" ] || $T prepare corpora/sotu.txt.gz --out "$OUT/data/sotu"
$T train --data "$OUT/data/sotu" --config configs/cpu.toml --out "$OUT/sotu-cpu" --iters "$ITERS" --resume
$T sample --run "$OUT/sotu-cpu" -n 640 --seed 1 -o "$OUT/gan_argmax.txt"
$T sample --run "$OUT/sotu-cpu" -n 640 --seed 1 --decode sample --temperature 1.0 -o "$OUT/gan_t1.txt"
for k in 1 2 3 4; do
  $T baseline --data "$OUT/data/sotu" --order $k -n 640 --seed 1 -o "$OUT/markov$k.txt"
done
head -n 640 corpora/sotu_tiny.txt > "$OUT/real_sotu.txt"   # real sotu lines, disjoint from sotu.txt
for s in gan_argmax gan_t1 markov1 markov2 markov3 markov4 real_sotu; do
  $T eval --samples "$OUT/$s.txt" --data "$OUT/data/sotu" --json > "$OUT/$s.sotu.json"
  $T eval --samples "$OUT/$s.txt" --corpus corpora/austen.txt.gz --json > "$OUT/$s.austen.json"
done
table() {
  python3 scripts/results_table.py \
    "GAN argmax (iter $ITERS)=$OUT/gan_argmax.$1.json" "GAN T=1 (iter $ITERS)=$OUT/gan_t1.$1.json" \
    "Markov order 1=$OUT/markov1.$1.json" "Markov order 2=$OUT/markov2.$1.json" \
    "Markov order 3=$OUT/markov3.$1.json" "Markov order 4=$OUT/markov4.$1.json" \
    "real sotu lines (sotu_tiny)=$OUT/real_sotu.$1.json" --floor "$OUT/markov1.$1.json"
}
echo "## against the sotu training split"; table sotu
echo; echo "## against austen"; table austen
