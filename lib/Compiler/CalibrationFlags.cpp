//===- CalibrationFlags.cpp - --calibrate for the tools -------------------===//

#include "tfm/Compiler/CalibrationFlags.h"

using namespace mlir::tfm;
namespace cl = llvm::cl;

CalibrationFlags::CalibrationFlags(cl::OptionCategory &category)
    : text("calibrate",
           cl::desc("Round the quantized weights with GPTQ against their "
                    "inputs over this text (q8_0, q4_0, q4_1, int8, int4)"),
           cl::value_desc("text file"), cl::cat(category)),
      tokens("calibrate-tokens",
             cl::desc("Tokens of the --calibrate text to use (default 512)"),
             cl::init(kDefaultCalibrationTokens), cl::value_desc("N"),
             cl::cat(category)) {}

void CalibrationFlags::apply(CompileOptions &options) const {
  options.calibrationText = text;
  options.calibrationTokens = tokens;
}
