#!/usr/bin/env bash
# Greedy decoding of T5 models by tfm against llama.cpp on the same GGUF
# files: random weights from tfm-make-model --arch=t5 (T5 v1.0's ReLU FFN
# and v1.1 / FLAN's gated GELU, f32 and f16 weights, tied or not), the same
# source text, 32 greedy tokens from llama.cpp's llama-simple (which
# encodes the prompt and starts the decoder from the file's decoder start
# token) and from tfm-run. Prints one line per model and exits 1 if any
# output differs. Both keep the KV cache in f16 (llama.cpp's default).
# Q8_0 and Q4_0 files (llama-quantize) are compared too but do not fail:
# both quantize the activations in blocks of 32, tfm with f32 block scales
# and llama.cpp with f16 ones, so a near-tie of random weights can break
# either way; the characters the outputs share are printed. llama.cpp v0.5.0 fails to load a
# file with more decoder than encoder layers (`vector::_M_range_check`), so
# every model here has at most as many.
#
#   scripts/compare-llama-t5.sh LLAMA_CPP_BIN_DIR [TFM_BIN_DIR]
#
# LLAMA_CPP_BIN_DIR holds llama-simple and llama-quantize (llama.cpp built
# as docs/performance.md describes; never vendored). TFM_BIN_DIR defaults
# to build/bin.
set -euo pipefail

llama_bin=${1:?usage: $0 LLAMA_CPP_BIN_DIR [TFM_BIN_DIR]}
tfm_bin=${2:-$(dirname "$0")/../build/bin}
for tool in llama-simple llama-quantize; do
  [[ -x $llama_bin/$tool ]] || { echo "no $tool in $llama_bin" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

prompt="the quick brown fox jumps over the lazy dog"
tokens=32
# name | tfm-make-model flags | llama-quantize type (empty: none)
models=(
  "t5-relu|--arch=t5 --layers=3 --decoder-layers=2|"
  "t5-relu-wide|--arch=t5 --dim=128 --heads=4 --layers=3 --decoder-layers=2 --seed=5|"
  "flan-gated|--arch=t5 --gated-ffn --dim=96 --heads=6 --layers=3 --decoder-layers=2 --seed=7|"
  "flan-gated-f16|--arch=t5 --gated-ffn --dim=128 --heads=4 --layers=2 --type=f16 --seed=9|"
  "t5-tied|--arch=t5 --layers=2 --tied --seed=11|"
  "t5-q8_0|--arch=t5 --dim=128 --heads=4 --layers=2 --seed=13|Q8_0"
  "flan-q8_0|--arch=t5 --gated-ffn --dim=128 --heads=4 --layers=2 --seed=13|Q8_0"
  "t5-q4_0|--arch=t5 --dim=128 --heads=4 --layers=2 --seed=15|Q4_0"
)

# The text after the source: llama-simple prints the source's pieces and
# its </s>, then the output.
generated() {
  python3 -c 'import sys
t = sys.stdin.buffer.read().decode("utf-8", "replace").rstrip("\n")
# llama-simple prints control tokens (<pad>, </s>), tfm-run does not.
print(t.split("</s>", 1)[1].replace("<pad>", "").replace("</s>", "")
      if "</s>" in t else "<no source in output>")'
}

# Characters two texts share from the start.
shared() {
  python3 -c 'import os, sys
print(len(os.path.commonprefix(sys.argv[1:3])))' "$1" "$2"
}

failed=0
for entry in "${models[@]}"; do
  IFS='|' read -r name flags quant <<< "$entry"
  file=$work/$name.gguf
  # shellcheck disable=SC2086
  "$tfm_bin/tfm-make-model" $flags -o "$file"
  if [[ -n $quant ]]; then
    "$llama_bin/llama-quantize" "$file" "$work/$name-q.gguf" "$quant" > /dev/null 2>&1
    file=$work/$name-q.gguf
  fi
  # llama-simple runs on past -n for an encoder-decoder (its loop counts
  # the source): its first 32 tokens are compared.
  theirs=$("$llama_bin/llama-simple" -m "$file" -n "$tokens" "$prompt" 2>/dev/null | generated || true)
  ours=$(XDG_CACHE_HOME=$work/cache "$tfm_bin/tfm-run" "$file" -n "$tokens" --temp 0 --kv-type f16 --no-display-prompt -p "$prompt" 2>/dev/null | tr -d '\n')
  if [[ -n $ours && $theirs == "$ours"* ]]; then
    echo "$name: identical ($tokens tokens)"
  elif [[ -n $quant ]]; then
    echo "$name: the first $(shared "$theirs" "$ours") of ${#ours} characters agree (quantized activations)"
  else
    echo "$name: DIFFERS"
    echo "  llama.cpp: $theirs"
    echo "  tfm:       $ours"
    failed=1
  fi
done
exit $failed
