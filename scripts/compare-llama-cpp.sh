#!/usr/bin/env bash
# Greedy decoding of tfm against llama.cpp on the same GGUF files, one per
# decoder architecture of the table (docs/models.md): random weights from
# tfm-make-model, then 32 greedy tokens from llama.cpp's llama-simple and
# from tfm-run on the same prompt. Prints one line per model and exits 1 if
# any generated text differs. Both keep the KV cache in f16 (llama.cpp's
# default): with tfm's f32 cache a near-tie can break the other way.
#
#   scripts/compare-llama-cpp.sh LLAMA_CPP_BIN_DIR [TFM_BIN_DIR]
#
# With ../shared/vocab beside the checkout (VOCAB_DIR overrides), models
# with real vocabularies join: GPT-2's byte-level BPE on gpt2,
# deepseek-llm's on qwen2, phi-3's on phi3.
#
# LLAMA_CPP_BIN_DIR holds llama-simple (llama.cpp built as
# docs/performance.md describes; never vendored). TFM_BIN_DIR defaults to
# build/bin.
set -euo pipefail

llama_bin=${1:?usage: $0 LLAMA_CPP_BIN_DIR [TFM_BIN_DIR]}
tfm_bin=${2:-$(dirname "$0")/../build/bin}
[[ -x $llama_bin/llama-simple ]] || { echo "no llama-simple in $llama_bin" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

prompt="Once upon a time there was a little girl named Lily who loved"
tokens=32
# name | tfm-make-model flags
models=(
  "llama|--arch=llama --layers=2"
  "llama-gqa-f16|--arch=llama --layers=2 --kv-heads=2 --type=f16"
  "llama3-rope-freqs|--arch=llama --layers=2 --dim=128 --heads=2 --kv-heads=1 --llama3-rope"
  "llama-yarn|--arch=llama --layers=2 --yarn=8 --context=256"
  "qwen2-yarn|--arch=qwen2 --layers=2 --yarn=4"
  "phi3-longrope|--arch=phi3 --layers=2 --longrope --seed=3"
  "qwen2|--arch=qwen2 --layers=2"
  "qwen3|--arch=qwen3 --layers=2 --head-dim=16"
  "phi3|--arch=phi3 --layers=2"
  "gemma2-window8|--arch=gemma2 --layers=2 --head-dim=16 --sliding-window=8"
  "gemma3-window8|--arch=gemma3 --layers=7 --head-dim=16 --sliding-window=8 --rope-theta=1000000"
  "gpt2|--arch=gpt2 --layers=2"
)
vocab_dir=${VOCAB_DIR:-$(dirname "$0")/../../shared/vocab}
if [[ -f $vocab_dir/ggml-vocab-gpt-2.gguf ]]; then
  models+=(
    "gpt2-vocab|--arch=gpt2 --layers=2 --vocab-from $vocab_dir/ggml-vocab-gpt-2.gguf"
    "qwen2-deepseek-vocab|--arch=qwen2 --layers=2 --vocab-from $vocab_dir/ggml-vocab-deepseek-llm.gguf"
    "phi3-vocab|--arch=phi3 --layers=2 --vocab-from $vocab_dir/ggml-vocab-phi-3.gguf"
  )
fi

# The text after the prompt (llama-simple also prints the BOS piece), with
# bytes that are no UTF-8 as U+FFFD: llama-simple prints a lone byte token
# raw, tfm-run as the replacement character.
generated() {
  python3 -c 'import sys
t = sys.stdin.buffer.read().decode("utf-8", "replace").rstrip("\n")
p = sys.argv[1]
print(t[t.index(p) + len(p):] if p in t else "<no prompt in output>")' "$prompt"
}

failed=0
for entry in "${models[@]}"; do
  name=${entry%%|*}
  flags=${entry#*|}
  file=$work/$name.gguf
  # shellcheck disable=SC2086
  "$tfm_bin/tfm-make-model" $flags -o "$file"
  theirs=$("$llama_bin/llama-simple" -m "$file" -n "$tokens" "$prompt" 2>/dev/null | generated)
  ours=$(XDG_CACHE_HOME=$work/cache "$tfm_bin/tfm-run" "$file" -n "$tokens" --temp 0 --kv-type f16 -p "$prompt" 2>/dev/null | generated)
  if [[ $theirs == "$ours" ]]; then
    echo "$name: identical ($tokens tokens)"
  else
    echo "$name: DIFFERS"
    echo "  llama.cpp: $theirs"
    echo "  tfm:       $ours"
    failed=1
  fi
done
exit $failed
