//===- CodegenFlags.h - --f32-matmul for the tools --------------*- C++ -*-===//
//
// The code generator choice of the f32 linear layers, shared by the tools
// that compile models (tfm-compile, tfm-bench, tfm-run) so all spell and
// document it the same way.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_COMPILER_CODEGENFLAGS_H
#define TFM_COMPILER_CODEGENFLAGS_H

#include "tfm/Compiler/Compiler.h"

#include "llvm/Support/CommandLine.h"

namespace mlir::tfm {

/// `--f32-matmul=mlir|halide`, registered in `category` when constructed
/// (before cl::ParseCommandLineOptions).
struct CodegenFlags {
  explicit CodegenFlags(llvm::cl::OptionCategory &category);

  /// Copies the flags into `options`.
  void apply(CompileOptions &options) const;

  llvm::cl::opt<MatmulCodegen> f32Matmul;
};

} // namespace mlir::tfm

#endif // TFM_COMPILER_CODEGENFLAGS_H
