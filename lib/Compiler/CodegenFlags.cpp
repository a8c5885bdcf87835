//===- CodegenFlags.cpp - --f32-matmul for the tools ----------------------===//

#include "tfm/Compiler/CodegenFlags.h"

using namespace mlir::tfm;
namespace cl = llvm::cl;

CodegenFlags::CodegenFlags(cl::OptionCategory &category)
    : f32Matmul(
          "f32-matmul",
          cl::desc("Code generator of the f32 linear layers (tfm-cpu-pipeline's "
                   "f32-matmul)"),
          cl::init(MatmulCodegen::Auto),
          cl::values(clEnumValN(MatmulCodegen::Mlir, "mlir",
                                "MLIR's tiled, vectorized loops"),
                     clEnumValN(MatmulCodegen::Halide, "halide",
                                "the Halide AOT kernel"),
                     clEnumValN(MatmulCodegen::Auto, "auto",
                                "halide on AVX-512 targets, mlir elsewhere "
                                "(default)")),
          cl::cat(category)) {}

void CodegenFlags::apply(CompileOptions &options) const {
  options.f32Matmul = f32Matmul;
}
