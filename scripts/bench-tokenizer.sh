#!/usr/bin/env bash
# Encodes 1 MB of English text with tfm-tokenize and llama.cpp's
# llama-tokenize on the same vocabularies, alternating, and prints the
# wall times and whether the ids are identical (docs/tokenizers.md).
#
#   scripts/bench-tokenizer.sh LLAMA_TOKENIZE [ROUNDS]
#
# The text is this repository's docs/*.md and Debian's license texts
# (/usr/share/common-licenses), repeated to 1 MiB. Vocabularies:
# ../shared/vocab/ggml-vocab-{gpt-2,llama-spm}.gguf.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LLAMA_TOKENIZE="${1:?usage: scripts/bench-tokenizer.sh LLAMA_TOKENIZE [ROUNDS]}"
ROUNDS="${2:-3}"
TFM_TOKENIZE="${TFM_BUILD_DIR:-$ROOT/build}/bin/tfm-tokenize"
VOCAB="$ROOT/../shared/vocab"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

python3 - "$ROOT" "$WORK/text.txt" <<'PY'
import glob, sys
root, out = sys.argv[1], sys.argv[2]
parts = []
for path in sorted(glob.glob(root + "/docs/*.md")) + sorted(glob.glob("/usr/share/common-licenses/*")):
    try:
        parts.append(open(path, encoding="utf-8").read())
    except (UnicodeDecodeError, IsADirectoryError):
        pass
text = "\n".join(parts)
open(out, "w", encoding="utf-8").write((text * ((1 << 20) // len(text) + 1))[: 1 << 20])
PY

for vocab in gpt-2 llama-spm; do
  file="$VOCAB/ggml-vocab-$vocab.gguf"
  for round in $(seq "$ROUNDS"); do
    start=$(date +%s.%N)
    "$TFM_TOKENIZE" --no-bos "$file" -f "$WORK/text.txt" > "$WORK/tfm.ids"
    middle=$(date +%s.%N)
    "$LLAMA_TOKENIZE" -m "$file" -f "$WORK/text.txt" --ids --log-disable \
      --no-bos --no-escape > "$WORK/llama.ids" 2>/dev/null
    end=$(date +%s.%N)
    same=$(python3 -c "
import sys
a = open('$WORK/tfm.ids').read().split()
b = open('$WORK/llama.ids').read().strip().strip('[]').replace(',', ' ').split()
print('identical ids' if a == b else 'DIFFERENT ids', len(a))")
    printf '%-10s round %s: tfm %.2f s, llama.cpp %.2f s, %s tokens\n' "$vocab" \
      "$round" "$(python3 -c "print($middle - $start)")" \
      "$(python3 -c "print($end - $middle)")" "$same"
  done
done
