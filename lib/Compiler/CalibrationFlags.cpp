//===- CalibrationFlags.cpp - --calibrate for the tools -------------------===//

#include "tfm/Compiler/CalibrationFlags.h"

using namespace mlir::tfm;
namespace cl = llvm::cl;

CalibrationFlags::CalibrationFlags(cl::OptionCategory &category)
    : text("calibrate",
           cl::desc("Round the weights --quant quantizes with GPTQ against "
                    "their inputs over this text"),
           cl::value_desc("text file"), cl::cat(category)),
      tokens("calibrate-tokens",
             cl::desc("Tokens of the --calibrate text to use (default 512)"),
             cl::init(kDefaultCalibrationTokens), cl::value_desc("N"),
             cl::cat(category)) {}

void CalibrationFlags::apply(CompileOptions &options) const {
  options.calibrationText = text;
  options.calibrationTokens = tokens;
}
