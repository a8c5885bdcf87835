//===- Calibration.h - linear-layer inputs over a calibration text -*- C++ -*-===//
//
// What `tfm-compile --calibrate TEXT` weighs rounding errors by: the
// inputs each linear layer sees when the model reads TEXT, computed by the
// reference forward pass (lib/Reference) from the model file's weights.
// GPTQ (tfm/Quantization/Gptq.h) needs their second moments sum x x^T.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_COMPILER_CALIBRATION_H
#define TFM_COMPILER_CALIBRATION_H

#include "tfm/Import/ModelFile.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <vector>

namespace mlir::tfm {

class CalibrationInputs {
public:
  /// Feeds the first `maxTokens` tokens of the text at `textPath` through
  /// the reference forward pass (windows of `contextLength` positions, each
  /// starting with BOS) and records every linear layer's input.
  static llvm::Expected<CalibrationInputs>
  collect(const ModelFile &model, llvm::StringRef textPath, int64_t maxTokens,
          int64_t contextLength);

  /// Positions the inputs were recorded at.
  int64_t positions() const { return positionCount; }

  /// sum over the positions of x x^T for the input that `weight`
  /// multiplies (row-major, its width squared); none if the pass never
  /// used `weight`.
  std::optional<std::vector<double>> secondMoments(llvm::StringRef weight) const;

private:
  /// Weight name -> index of its input in `samples`.
  llvm::StringMap<size_t> inputOfWeight;
  /// Per input: positions x width, row-major.
  std::vector<std::vector<float>> samples;
  std::vector<int64_t> widths;
  int64_t positionCount = 0;
};

} // namespace mlir::tfm

#endif // TFM_COMPILER_CALIBRATION_H
