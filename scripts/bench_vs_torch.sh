#!/usr/bin/env bash
# Side-by-side training-step timings: our step (benches/step.rs, release) and the PyTorch
# reference (../shared/bench/reference_torch.py), alternating, ROUNDS times per size.
#
#   TORCH_PY=/path/to/venv/bin/python scripts/bench_vs_torch.sh [ROUNDS] [WIDTHS] [SEQ_LENS]
#
# Prints one JSON summary line per run (ours, then PyTorch) on stdout; progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
WIDTHS=${2:-512}
SEQS=${3:-32}
PY=${TORCH_PY:-python3}
REF=${REF:-../shared/bench/reference_torch.py}
REPS=${REPS:-3}
cargo build --release --bench step >&2
BIN=$(ls -t target/release/deps/step-* | grep -v '\.d$' | head -1)
for w in $WIDTHS; do
  for l in $SEQS; do
    for r in $(seq "$ROUNDS"); do
      echo "round $r width $w seq $l (load $(cut -d' ' -f1 /proc/loadavg))" >&2
      "$BIN" --engine cpu --width "$w" --seq-len "$l" --reps "$REPS" --warmup 1 --threads 2
      "$PY" "$REF" --dim "$w" --seq-len "$l" --batch 64 --vocab 100 --threads 2 \
        --iters "$REPS" --warmup 1 | tail -1
    done
  done
done
