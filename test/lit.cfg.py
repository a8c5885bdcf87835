# -*- Python -*-
# lit configuration of the tfm regression tests, after MLIR's standalone
# example: tools are found through add_tool_substitutions, FileCheck & co.
# through use_default_substitutions.

import os
import shutil
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "TFM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "Unit", "CMakeLists.txt", "lit.cfg.py"]

config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tfm_obj_root, "test")

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.tfm_tools_dir, config.llvm_tools_dir]
tools = [
    "tfm-opt", "tfm-build-model", "tfm-import", "tfm-make-model", "tfm-tokenize",
    "tfm-compile", "tfm-reference-check", "tfm-run", "tfm-embed", "tfm-bench", "tfm-perplexity", "tfm-lab",
    "tfm-server",
    "tfm-c-api-test", "tfm-c-api-text-test", "tfm-c-api-encoder-test", "tfm-c-api-seq2seq-test", "tfm-context-shift-test",
    "tfm-ring-cache-test",
]
llvm_config.add_tool_substitutions(tools, tool_dirs)

config.substitutions.append(("%tfm_src_root", config.tfm_src_root))
config.substitutions.append(("%tfm_obj_root", config.tfm_obj_root))
config.substitutions.append(("%models", config.tfm_models_dir))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%tfm_tools_dir", config.tfm_tools_dir))
config.substitutions.append(
    ("%corrupt", sys.executable + " " + os.path.join(config.test_source_root, "Import", "Inputs", "corrupt.py"))
)

# Tests that read the real model files in ../shared/models need them present.
if os.path.isfile(os.path.join(config.tfm_models_dir, "stories260K.bin")):
    config.available_features.add("models")

# llama.cpp's vocabularies and tokenizer test cases (../shared/vocab).
config.substitutions.append(("%vocab", config.tfm_vocab_dir))
if os.path.isfile(os.path.join(config.tfm_vocab_dir, "ggml-vocab-gpt-2.gguf")):
    config.available_features.add("vocab")

# CPU features of the host that some compiled code needs (the generated
# q8_0 decode multiplies on AVX512-VNNI dot products).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((line.split(":", 1)[1].split() for line in cpuinfo
                      if line.startswith("flags")), [])
except OSError:
    flags = []
if "avx512_vnni" in flags:
    config.available_features.add("avx512vnni")

# The AArch64 runtime cross-built beside this build (TFM_AARCH64_RUNTIME)
# and Debian's qemu-user to run it: %qemu-aarch64 runs an arm64 program
# against the arm64 C library and the cross-built libtfm_runtime.
qemu_aarch64 = shutil.which("qemu-aarch64")
if config.tfm_aarch64_runtime and qemu_aarch64:
    config.available_features.add("aarch64-runtime")
    aarch64_dir = os.path.join(config.tfm_obj_root, "aarch64")
    config.substitutions.append(("%aarch64_dir", aarch64_dir))
    config.substitutions.append((
        "%qemu-aarch64",
        "%s -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=%s" %
        (qemu_aarch64, os.path.join(aarch64_dir, "lib"))))

# A sanitized build (-DTFM_SANITIZE=...): its runtime library cannot be
# loaded by a process that is not (a C program built by the install test,
# Python's ctypes); those tests say `UNSUPPORTED: sanitized`. Errors stop
# the program with a stack. LLVM's allocators poison their free slab
# memory in code compiled with ASan (ours, from LLVM's headers) but not in
# libLLVM/libMLIR, which are not instrumented: the mix reads as
# use-after-poison, so manual poisoning is ignored (allow_user_poisoning=0).
if config.tfm_sanitize:
    config.available_features.add("sanitized")
    config.environment["ASAN_OPTIONS"] = "detect_leaks=1:halt_on_error=1:allow_user_poisoning=0"
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    # Any report fails the program (scripts/dev.sh tsan).
    config.environment["TSAN_OPTIONS"] = "halt_on_error=1"

# The libFuzzer targets, when built (-DTFM_ENABLE_FUZZERS=ON).
if config.tfm_fuzzers:
    config.available_features.add("fuzzers")
    config.substitutions.append(("%fuzz_corpus", config.tfm_fuzz_corpus))
    llvm_config.add_tool_substitutions(
        ["fuzz-gguf", "fuzz-llama2c", "fuzz-safetensors", "fuzz-hfconfig", "fuzz-tokenizer",
         "fuzz-encode", "fuzz-tokenizerjson", "fuzz-tfmir",
         "fuzz-pipelines"],
        [config.tfm_tools_dir],
    )
