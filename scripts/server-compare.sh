#!/bin/bash
# tfm-server against llama-server in one run, on the same GGUF file, thread
# count and parallel slots (128 tokens of context each), with the load
# test of scripts/server-load.py (ignore_eos: every answer has exactly
# MAX_TOKENS tokens). docs/server.md has the latest series.
#
#   scripts/server-compare.sh LLAMA_SERVER MODEL.gguf THREADS SLOTS CLIENTS [REQUESTS] [MAX_TOKENS]
#
# LLAMA_SERVER is llama.cpp's llama-server, built as docs/performance.md
# describes (-DLLAMA_BUILD_SERVER=ON); tfm-server is build/bin's.
set -euo pipefail
if [ $# -lt 5 ]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
LLAMA_SERVER=$1 MODEL=$2 THREADS=$3 SLOTS=$4 CLIENTS=$5
REQUESTS=${6:-10} MAX_TOKENS=${7:-32}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOAD=(python3 "$ROOT/scripts/server-load.py" --clients "$CLIENTS" --requests "$REQUESTS"
      --max-tokens "$MAX_TOKENS" --json)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# llama-server's -c is shared by its slots.
"$LLAMA_SERVER" -m "$MODEL" -t "$THREADS" -tb "$THREADS" -np "$SLOTS" \
  -c $((SLOTS * 128)) --host 127.0.0.1 --port "$PORT" --no-webui \
  > /tmp/server-compare-llama.log 2>&1 &
LLAMA=$!
trap 'kill $LLAMA 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$PORT/health" > /dev/null && break
  sleep 0.2
done
echo "llama-server $("${LOAD[@]}" --url "http://127.0.0.1:$PORT")"
kill $LLAMA
wait $LLAMA 2>/dev/null || true
echo "tfm-server   $("${LOAD[@]}" -- "$ROOT/build/bin/tfm-server" "$MODEL" -t "$THREADS" \
  --parallel "$SLOTS" -c 128)"
