#!/usr/bin/env bash
# The benchmark series of docs/performance.md: random-weight models of named
# shapes in several weight formats, measured as llama-bench measures (pp128,
# then tg128 from an empty context), at 1 and 2 threads; with a llama-bench,
# llama.cpp on the same files in the same series, and the ratios.
#
#   scripts/bench-baselines.sh [--llama-bench PATH] [--shapes "S ..."]
#                              [--formats "F ..."] [--repetitions N]
#                              [WORKDIR] [extra tfm-compile flags...]
#
# Shapes are tfm-make-model's --shape names (default: llama-110m
# llama-336m-gqa, the two of shared/BASELINES.md; also tinyllama-1.1b,
# llama-3-8b, ...) or `tiny` (tfm-make-model's default test model).
# Formats: f32 f16 bf16 q8_0 q4_0 q4_k q6_k (default: f32 q8_0 q4_0).
#
# Without --llama-bench tfm quantizes an f32 file itself (--quant; q4_0
# keeps the output matrix in Q6_K as llama.cpp's Q4_0 files do). With it,
# the quantized files are made by the llama-quantize beside it (Q8_0,
# Q4_0, Q4_K_S, Q6_K; f16 and bf16 are written by tfm-make-model --type)
# and both run the same file: llama-bench -p 128 -n 128 -r N -t 1,2, then tfm-bench
# -p 128 -n 128 -r N -t 1,2 --decode-after=empty, per file. At the end, one
# table line per file and thread count: t/s (llama.cpp / tfm and the
# ratio, with --llama-bench) for prefill and decode, and tfm's decode as %
# of STREAM; each file's JSON stays in WORKDIR (NAME-FORMAT.tfm.json,
# .llama.json).
#
# WORKDIR (default /tmp/tfm-bench) keeps the model files and compiled
# directories between runs; the models are written once, the compiles are
# cached by tfm-compile.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${TFM_BUILD_DIR:-$ROOT/build}/bin"
llama_bench=""
shapes="llama-110m llama-336m-gqa"
formats="f32 q8_0 q4_0"
repetitions=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --llama-bench) llama_bench="$2"; shift 2 ;;
    --shapes) shapes="$2"; shift 2 ;;
    --formats) formats="$2"; shift 2 ;;
    --repetitions) repetitions="$2"; shift 2 ;;
    *) break ;;
  esac
done
WORK="${1:-/tmp/tfm-bench}"
shift || true
mkdir -p "$WORK"

fail() { echo "bench-baselines.sh: $*" >&2; exit 2; }
for format in $formats; do
  case "$format" in
    f32|f16|bf16|q8_0|q4_0|q4_k|q6_k) ;;
    *) fail "unknown format '$format' (expected f32 f16 bf16 q8_0 q4_0 q4_k q6_k)" ;;
  esac
done
quantize=""
if [[ -n "$llama_bench" ]]; then
  [[ -x "$llama_bench" ]] || fail "no llama-bench at $llama_bench"
  quantize="$(dirname "$llama_bench")/llama-quantize"
  [[ -x "$quantize" ]] || fail "no llama-quantize beside $llama_bench"
fi

# llama-quantize's type and tfm-compile's --quant of a (checked) format.
llama_type() {
  case "$1" in
    q8_0) echo Q8_0 ;; q4_0) echo Q4_0 ;; q4_k) echo Q4_K_S ;; q6_k) echo Q6_K ;;
  esac
}
tfm_quant() {
  case "$1" in
    q4_0) echo "--quant q4_0 --quant-override output.weight=q6_k" ;;
    q8_0|q4_k|q6_k) echo "--quant $1" ;;
  esac
}

# The model file of a shape in a storage type (written once).
source_file() {
  local shape=$1 type=$2 file="$WORK/$1-$2.gguf"
  if [[ ! -e "$file" ]]; then
    local flags=(--shape "$shape")
    [[ "$shape" == tiny ]] && flags=(--context 256)
    "$BIN/tfm-make-model" "${flags[@]}" --type "$type" -o "$file"
  fi
  echo "$file"
}

rows=()
for shape in $shapes; do
  for format in $formats; do
    quant=()
    if [[ "$format" == f16 || "$format" == bf16 ]]; then
      model=$(source_file "$shape" "$format")
    elif [[ -n "$llama_bench" && "$format" != f32 ]]; then
      model="$WORK/$shape-$format.gguf"
      [[ -e "$model" ]] || "$quantize" "$(source_file "$shape" f32)" "$model" \
        "$(llama_type "$format")" >/dev/null 2>&1 ||
        fail "llama-quantize could not make $model"
    else
      model=$(source_file "$shape" f32)
      read -r -a quant <<< "$(tfm_quant "$format")"
    fi
    out="$WORK/$shape-$format"
    "$BIN/tfm-compile" "$model" "${quant[@]}" --kv-type f16 "$@" -o "$out" \
      >/dev/null 2>"$out.compile.log" ||
      { cat "$out.compile.log" >&2; fail "tfm-compile failed on $model"; }
    echo "== $shape $format" >&2
    if [[ -n "$llama_bench" ]]; then
      "$llama_bench" -m "$model" -p 128 -n 128 -r "$repetitions" -t 1,2 -o json \
        > "$out.llama.json" 2>/dev/null || fail "llama-bench failed on $model"
    fi
    "$BIN/tfm-bench" "$out" -p 128 -n 128 -r "$repetitions" -t 1,2 \
      --decode-after=empty --json > "$out.tfm.json"
    rows+=("$shape $format $out")
  done
done

# One table of the series: tfm's t/s (and llama.cpp's, with the ratio, when
# it ran), tfm's decode as % of STREAM and its prefill as % of the compute
# probe's peaks.
echo
if [[ -n "$llama_bench" ]]; then
  echo "| model | format | threads | prefill pp128, llama.cpp / tfm | decode tg128, llama.cpp / tfm | tfm decode, % of STREAM | tfm prefill, % of peak |"
  echo "| --- | --- | ---: | --- | --- | ---: | ---: |"
else
  echo "| model | format | threads | prefill pp128 | decode tg128 | decode, % of STREAM | prefill, % of peak |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
fi
for entry in "${rows[@]}"; do
  read -r shape format out <<< "$entry"
  llama_json=""
  [[ -n "$llama_bench" ]] && llama_json="$out.llama.json"
  python3 - "$shape" "$format" "$out.tfm.json" "$llama_json" <<'PY'
import json, sys
shape, fmt, tfm_path, llama_path = sys.argv[1:5]
tfm = json.load(open(tfm_path))
llama = json.load(open(llama_path)) if llama_path else None
def llama_rate(threads, prompt):
    for row in llama:
        if row["n_threads"] == threads and (row["n_prompt"] > 0) == prompt:
            return row["avg_ts"]
    return float("nan")
for row in tfm["results"]:
    t, pp, tg = row["threads"], row["prefill_tps"], row["decode_tps"]
    bw = row["bandwidth_percent"]
    peak = row.get("prefill_peak_percent")
    peak = "-" if peak is None else f"{peak:.0f}"
    if llama is None:
        print(f"| {shape} | {fmt} | {t} | {pp:.1f} | {tg:.1f} | {bw:.0f} | {peak} |")
        continue
    lp, lg = llama_rate(t, True), llama_rate(t, False)
    print(f"| {shape} | {fmt} | {t} | {lp:.1f} / {pp:.1f} ({pp / lp:.2f}x) "
          f"| {lg:.1f} / {tg:.1f} ({tg / lg:.2f}x) | {bw:.0f} | {peak} |")
PY
done
