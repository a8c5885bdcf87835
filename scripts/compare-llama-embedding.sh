#!/usr/bin/env bash
# BERT embeddings of tfm against llama.cpp's llama-embedding on the same
# GGUF files: random weights from tfm-make-model with bge's WordPiece
# vocabulary (../shared/vocab), f32 and Q8_0 (llama-quantize), CLS and mean
# pooling. Each file embeds four texts one at a time and the same four as
# one batch with both tools; prints the cosine of every pair of
# embeddings and exits 1 if any is below 0.9999.
#
#   scripts/compare-llama-embedding.sh LLAMA_CPP_BIN_DIR [TFM_BIN_DIR]
#
# With BENCH=1 it then measures speed on a BERT-base shape (768 x 12
# layers, 512 positions), f32 and Q8_0, 1 and 2 threads, in the same run:
# llama-bench -embd 1 -p 128 against tfm-bench --batch 1 (one text of 128
# tokens), and 32 texts in one call, llama-embedding against tfm-embed
# (each one process, its own clock for tfm, wall time after the first
# batch is started for llama.cpp).
#
# LLAMA_CPP_BIN_DIR holds llama-embedding, llama-quantize and llama-bench
# (llama.cpp built as docs/performance.md describes; never vendored).
set -euo pipefail

llama_bin=${1:?usage: $0 LLAMA_CPP_BIN_DIR [TFM_BIN_DIR]}
tfm_bin=${2:-$(dirname "$0")/../build/bin}
vocab_dir=${VOCAB_DIR:-$(dirname "$0")/../../shared/vocab}
for tool in llama-embedding llama-quantize llama-bench; do
  [[ -x $llama_bin/$tool ]] || { echo "no $tool in $llama_bin" >&2; exit 2; }
done
vocab=$vocab_dir/ggml-vocab-bert-bge.gguf
[[ -f $vocab ]] || { echo "no $vocab (set VOCAB_DIR)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

texts=("Hello world, this is a test."
       "The quick brown fox jumps over the lazy dog near the river bank."
       "a"
       "Compilers turn programs into fast machine code; transformers turn text into vectors.")
printf '%s\n' "${texts[@]}" > "$work/texts.txt"

# Cosines of the embeddings of two JSON outputs (OpenAI-style lists).
cosines() {
  python3 - "$1" "$2" <<'EOF'
import json, math, sys
def vectors(path):
    return [item["embedding"] for item in json.load(open(path))["data"]]
def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
print(" ".join("%.7f" % cosine(a, b) for a, b in zip(vectors(sys.argv[1]), vectors(sys.argv[2]))))
EOF
}

failed=0
check() { # name gguf pooling
  local name=$1 file=$2 pooling=$3
  "$tfm_bin/tfm-compile" "$file" -o "$work/$name" 2>/dev/null
  # One call with all four texts, then each text alone.
  "$llama_bin/llama-embedding" -m "$file" -f "$work/texts.txt" --pooling "$pooling" \
    --embd-output-format json -t 2 2>/dev/null > "$work/$name.llama.json"
  "$tfm_bin/tfm-embed" "$work/$name" -f "$work/texts.txt" --pooling "$pooling" \
    --json --normalize 2>/dev/null > "$work/$name.tfm.json"
  local batch single=""
  batch=$(cosines "$work/$name.llama.json" "$work/$name.tfm.json")
  for text in "${texts[@]}"; do
    "$llama_bin/llama-embedding" -m "$file" -p "$text" --pooling "$pooling" \
      --embd-output-format json -t 2 2>/dev/null > "$work/one.llama.json"
    "$tfm_bin/tfm-embed" "$work/$name" -p "$text" --pooling "$pooling" --json \
      --normalize 2>/dev/null > "$work/one.tfm.json"
    single+="$(cosines "$work/one.llama.json" "$work/one.tfm.json") "
  done
  echo "$name ($pooling): batch cosines $batch; one at a time $single"
  for c in $batch $single; do
    python3 -c "import sys; sys.exit(0 if float('$c') >= 0.9999 else 1)" || failed=1
  done
}

"$tfm_bin/tfm-make-model" --arch=bert --vocab-from "$vocab" --dim 128 --heads 4 \
  --layers 3 --context 128 --pooling cls -o "$work/bert.gguf"
"$llama_bin/llama-quantize" "$work/bert.gguf" "$work/bert-q8_0.gguf" q8_0 >/dev/null 2>&1
check bert-f32 "$work/bert.gguf" cls
check bert-f32 "$work/bert.gguf" mean
check bert-q8_0 "$work/bert-q8_0.gguf" cls

if [[ ${BENCH:-0} == 1 ]]; then
  "$tfm_bin/tfm-make-model" --arch=bert --vocab-from "$vocab" --dim 768 --heads 12 \
    --layers 12 --context 512 --pooling cls -o "$work/base-f32.gguf"
  "$llama_bin/llama-quantize" "$work/base-f32.gguf" "$work/base-q8_0.gguf" q8_0 >/dev/null 2>&1
  python3 - "$work/texts32.txt" <<'EOF'
import random, sys
random.seed(1)
words = ("the quick brown fox jumps over lazy dog a cat sat on mat model compiler "
         "memory speed token text embedding search query document retrieval sentence").split()
with open(sys.argv[1], "w") as out:
    for _ in range(32):
        out.write(" ".join(random.choice(words) for _ in range(126)) + "\n")
EOF
  for type in f32 q8_0; do
    "$tfm_bin/tfm-compile" "$work/base-$type.gguf" -o "$work/base-$type" 2>/dev/null
    "$llama_bin/llama-bench" -m "$work/base-$type.gguf" -embd 1 -p 128 -n 0 -t 1,2 -r 3 2>/dev/null | grep pp128
    "$tfm_bin/tfm-bench" "$work/base-$type" -p 128 --batch 1,32 -t 1,2 -r 3 | grep enc
    for threads in 1 2; do
      start=$(date +%s.%N)
      "$llama_bin/llama-embedding" -m "$work/base-$type.gguf" -f "$work/texts32.txt" -t "$threads" \
        -c 8192 -b 8192 -ub 8192 --embd-output-format json >/dev/null 2>"$work/llama.err"
      end=$(date +%s.%N)
      # llama.cpp's log stamps (minutes.seconds.ms.us since it started) say
      # when the batch began.
      python3 - "$work/llama.err" "$start" "$end" "$type" "$threads" <<'EOF'
import re, sys
log, start, end, kind, threads = sys.argv[1:]
for line in open(log):
    stamp = re.match(r"(\d+)\.(\d+)\.(\d+)\.(\d+) I batch_decode", line)
    if stamp:
        m, s, ms, us = map(int, stamp.groups())
        began = m * 60 + s + ms / 1e3 + us / 1e6
        print("llama-embedding %s 32 texts -t %s: %.0f ms after the batch started"
              % (kind, threads, (float(end) - float(start) - began) * 1e3))
        break
EOF
      "$tfm_bin/tfm-embed" "$work/base-$type" -f "$work/texts32.txt" -t "$threads" 2>&1 >/dev/null | tail -1
    done
  done
fi
exit $failed
