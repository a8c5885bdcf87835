//===- Calibration.cpp - linear-layer inputs over a calibration text ------===//

#include "tfm/Compiler/Calibration.h"

#include "tfm/Reference/ReferenceModel.h"
#include "tfm/Tokenizer/Tokenizer.h"

#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>

using namespace mlir::tfm;

llvm::Expected<CalibrationInputs>
CalibrationInputs::collect(const ModelFile &model, llvm::StringRef textPath,
                           int64_t maxTokens, int64_t contextLength) {
  auto text = llvm::MemoryBuffer::getFile(textPath);
  if (!text)
    return llvm::createStringError(textPath + ": " +
                                   text.getError().message());
  if (!model.vocabulary)
    return llvm::createStringError(
        model.path + ": no tokenizer to read the calibration text with");
  Tokenizer tokenizer(*model.vocabulary);
  std::vector<int32_t> tokens =
      tokenizer.encode((*text)->getBuffer(), /*addBos=*/false);
  if (tokens.empty())
    return llvm::createStringError(textPath +
                                   ": no tokens to calibrate with");
  if (int64_t(tokens.size()) > maxTokens)
    tokens.resize(maxTokens);

  llvm::Expected<ReferenceModel> reference =
      ReferenceModel::create(model, contextLength);
  if (!reference)
    return reference.takeError();

  CalibrationInputs inputs;
  reference->observeInputs([&](llvm::ArrayRef<std::string> weights,
                               llvm::ArrayRef<float> input) {
    auto [it, inserted] =
        inputs.inputOfWeight.try_emplace(weights.front(), inputs.samples.size());
    size_t index = it->second; // before more insertions move the entries
    if (inserted) {
      for (const std::string &weight : weights.drop_front())
        inputs.inputOfWeight[weight] = index;
      inputs.samples.emplace_back();
      inputs.widths.push_back(int64_t(input.size()));
    }
    std::vector<float> &samples = inputs.samples[index];
    samples.insert(samples.end(), input.begin(), input.end());
  });
  // Windows of the context, as tfm-perplexity reads a text: BOS, then the
  // tokens; each position's inputs are recorded.
  int64_t window = reference->contextLength();
  if (window < 2)
    return llvm::createStringError(
        "calibration needs a context of at least 2 positions, not " +
        std::to_string(window));
  int32_t bos = tokenizer.bos();
  for (size_t start = 0; start < tokens.size(); start += window - 1) {
    size_t end = std::min(tokens.size(), start + size_t(window) - 1);
    std::vector<int32_t> positions = {bos};
    positions.insert(positions.end(), tokens.begin() + start,
                     tokens.begin() + end);
    reference->reset();
    reference->forwardSequence(positions);
    inputs.positionCount += int64_t(positions.size());
  }
  return inputs;
}

std::optional<std::vector<double>>
CalibrationInputs::secondMoments(llvm::StringRef weight) const {
  auto it = inputOfWeight.find(weight);
  if (it == inputOfWeight.end())
    return std::nullopt;
  int64_t n = widths[it->second];
  const std::vector<float> &x = samples[it->second];
  size_t count = x.size() / n;
  // The upper triangle in tiles of kTileRows x kTileColumns sums that stay
  // in L1 while every sample goes by (summed over the samples in order, as
  // one sample at a time would): the whole matrix, 32 MiB for a 2048-wide
  // input, was read and written once per sample.
  constexpr int64_t kTileRows = 8, kTileColumns = 256;
  std::vector<double> moments(n * n, 0.0);
  for (int64_t i0 = 0; i0 < n; i0 += kTileRows) {
    int64_t i1 = std::min(n, i0 + kTileRows);
    for (int64_t j0 = i0; j0 < n; j0 += kTileColumns) {
      int64_t j1 = std::min(n, j0 + kTileColumns);
      for (size_t t = 0; t < count; ++t) {
        const float *sample = &x[t * n];
        for (int64_t i = i0; i < i1; ++i) {
          double xi = sample[i];
          double *row = &moments[i * n];
          for (int64_t j = j0; j < j1; ++j)
            row[j] += xi * sample[j];
        }
      }
    }
  }
  // x_j x_i is x_i x_j: the lower triangle is the upper's mirror.
  for (int64_t i = 1; i < n; ++i)
    for (int64_t j = 0; j < i; ++j)
      moments[i * n + j] = moments[j * n + i];
  return moments;
}
