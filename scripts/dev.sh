#!/usr/bin/env bash
# The two entry points of the README:
#   scripts/dev.sh demo   set up, build, compile stories260K and generate text
#   scripts/dev.sh test   set up, build, and run every test
#   scripts/dev.sh sanitize  the same tests in a second build tree
#                         (build-sanitize) compiled with AddressSanitizer and
#                         UndefinedBehaviorSanitizer
#   scripts/dev.sh tsan   the threading tests under ThreadSanitizer, in a
#                         third tree (build-tsan): the C API from eight
#                         threads on a model compiled without OpenMP
# Both are incremental: a second run rebuilds only what changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${TFM_BUILD_DIR:-$ROOT/build}"

usage() {
  echo "usage: scripts/dev.sh demo|test|sanitize|tsan" >&2
  exit 2
}

configure_and_build() {
  "$ROOT/scripts/setup.sh"
  local launcher=()
  local sanitize=()
  if [[ -n "${SANITIZE:-}" ]]; then
    sanitize=(-DTFM_SANITIZE="$SANITIZE")
  fi
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  # Re-running CMake on a configured tree is cheap and keeps options current.
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DTFM_WERROR=ON -DBUILD_TESTING=ON -DTFM_ENABLE_FUZZERS=ON \
    "${launcher[@]}" "${sanitize[@]}" >/dev/null
  ninja -C "$BUILD" "$@"
}

case "${1:-}" in
  demo)
    configure_and_build tfm-run
    model="${TFM_MODEL:-$ROOT/../shared/models/stories260K.bin}"
    if [[ ! -e "$model" ]]; then
      echo "no model at $model: set TFM_MODEL to a llama2.c checkpoint, a GGUF file or a Hugging Face directory" >&2
      exit 1
    fi
    "$BUILD/bin/tfm-run" "$model" -p "Once upon a time" -n 256 --seed 42
    ;;
  test)
    configure_and_build
    ninja -C "$BUILD" check-tfm
    ;;
  sanitize)
    BUILD="${TFM_SANITIZE_BUILD_DIR:-$ROOT/build-sanitize}"
    SANITIZE="${TFM_SANITIZE:-address,undefined}"
    configure_and_build
    ninja -C "$BUILD" check-tfm
    ;;
  tsan)
    BUILD="${TFM_TSAN_BUILD_DIR:-$ROOT/build-tsan}"
    SANITIZE=thread
    configure_and_build tfm-compile tfm-make-model tfm-c-api-test
    "${LIT:-/usr/lib/llvm-22/bin/lit}" -v "$BUILD/test" --filter 'c-api-threads'
    ;;
  *)
    usage
    ;;
esac
