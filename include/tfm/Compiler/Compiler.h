//===- Compiler.h - a model file to a native library ------------*- C++ -*-===//
//
// What tfm-compile does, as a library (tfm-run compiles into its cache with
// the same code).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_COMPILER_COMPILER_H
#define TFM_COMPILER_COMPILER_H

#include "tfm/Import/ModelFile.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::tfm {

/// Names of the files in a compiled model directory.
inline constexpr const char *kLibraryFileName = "libtfm_model.so";
inline constexpr const char *kWeightsFileName = "weights.bin";
inline constexpr const char *kTokenizerFileName = "tokenizer.bin";
inline constexpr const char *kManifestFileName = "manifest.json";

struct CompileOptions {
  std::string outputDirectory;
  /// KV-cache length the model is compiled for (the runtime may use less);
  /// 0 keeps the model's own context length.
  int64_t contextLength = 0;
  std::string targetCpu = "host";
  /// Hot loops on OpenMP threads.
  bool threads = true;
  /// Where progress lines go (one per stage); null for none.
  llvm::raw_ostream *progress = nullptr;
};

/// Compiles `model` into `options.outputDirectory`: the shared library, the
/// weights file in the layout the code reads, the tokenizer and
/// manifest.json (see docs/c-api.md).
llvm::Error compileModel(const ModelFile &model, const CompileOptions &options);

} // namespace mlir::tfm

#endif // TFM_COMPILER_COMPILER_H
