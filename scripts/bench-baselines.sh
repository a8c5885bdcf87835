#!/usr/bin/env bash
# The benchmark series of docs/performance.md: the two random-weight shapes of
# shared/BASELINES.md in f32, q8_0 and q4_0, measured as llama-bench measures
# (pp128, then tg128 from an empty context), at 1 and 2 threads.
#
#   scripts/bench-baselines.sh [WORKDIR] [extra tfm-compile flags...]
#
# WORKDIR (default /tmp/tfm-bench) keeps the model files and compiled
# directories between runs; the models are written once, the compiles are
# cached by tfm-compile. Prints one tfm-bench table per model and format.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${TFM_BUILD_DIR:-$ROOT/build}/bin"
WORK="${1:-/tmp/tfm-bench}"
shift || true
mkdir -p "$WORK"

for shape in llama-110m llama-336m-gqa; do
  model="$WORK/$shape.gguf"
  [[ -e "$model" ]] || "$BIN/tfm-make-model" --shape "$shape" --type f32 -o "$model"
  for format in f32 q8_0 q4_0; do
    quant=()
    case "$format" in
      q8_0) quant=(--quant q8_0) ;;
      # llama.cpp's Q4_0 files keep the output matrix in Q6_K.
      q4_0) quant=(--quant q4_0 --quant-override output.weight=q6_k) ;;
    esac
    out="$WORK/$shape-$format"
    "$BIN/tfm-compile" "$model" "${quant[@]}" --kv-type f16 "$@" -o "$out" >/dev/null
    echo "== $shape $format"
    "$BIN/tfm-bench" "$out" -p 128 -n 128 -r 5 -t 1,2 --decode-after=empty
  done
done
