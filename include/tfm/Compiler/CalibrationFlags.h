//===- CalibrationFlags.h - --calibrate for the tools -----------*- C++ -*-===//
//
// The command-line flags of calibration, shared by tfm-compile and
// tfm-perplexity so both spell and document them the same way.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_COMPILER_CALIBRATIONFLAGS_H
#define TFM_COMPILER_CALIBRATIONFLAGS_H

#include "tfm/Compiler/Compiler.h"

#include "llvm/Support/CommandLine.h"

namespace mlir::tfm {

/// `--calibrate TEXT` and `--calibrate-tokens N`, registered in `category`
/// when constructed (before cl::ParseCommandLineOptions).
struct CalibrationFlags {
  explicit CalibrationFlags(llvm::cl::OptionCategory &category);

  /// Copies the flags into `options`.
  void apply(CompileOptions &options) const;

  llvm::cl::opt<std::string> text;
  llvm::cl::opt<int64_t> tokens;
};

} // namespace mlir::tfm

#endif // TFM_COMPILER_CALIBRATIONFLAGS_H
