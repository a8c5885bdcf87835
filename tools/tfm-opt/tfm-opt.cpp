//===- tfm-opt.cpp - opt-style driver for the tfm dialect -----------------===//
//
// Like mlir-opt, with the tfm dialect and passes registered next to every
// upstream dialect, extension and pass.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "tfm/Codegen/Passes.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/Tfm/IR/TfmDialect.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::tfm::registerTfmPassesAndPipelines();
  mlir::tfm::registerTfmConversionPasses();
  mlir::tfm::registerTfmCodegenPassesAndPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::tfm::TfmDialect>();

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "tfm optimizer driver\n", registry));
}
