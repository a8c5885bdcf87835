//===- QuantizeWeights.cpp - storage formats of linear-layer weights ------===//
//
// Only the type of a weight changes here; the values are converted when the
// weights file is written (lib/Compiler/WeightsFile.cpp), so one pass serves
// f32 and f16 models (quantize), quantized files (keep, re-quantize or
// widen) and mixes chosen per tensor.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/GlobPattern.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMQUANTIZEWEIGHTS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// A storage choice: a quant type, f32, or leave as is.
struct WeightFormatChoice {
  enum Kind { Keep, Float, Quantized } kind = Keep;
  QuantType quant;
};

FailureOr<WeightFormatChoice> parseChoice(MLIRContext *context,
                                          StringRef name) {
  if (name == "keep")
    return WeightFormatChoice{};
  if (name == "f32")
    return WeightFormatChoice{WeightFormatChoice::Float, {}};
  if (QuantType quant = parseQuantTypeName(context, name))
    return WeightFormatChoice{WeightFormatChoice::Quantized, quant};
  return failure();
}

/// True if every use of `param` is the weight of a linear layer or logits.
bool isLinearWeight(ParamOp param) {
  return !param->use_empty() &&
         llvm::all_of(param->getUses(), isMatmulWeightUse);
}

struct Override {
  llvm::GlobPattern pattern;
  WeightFormatChoice choice;
};

struct TfmQuantizeWeightsPass
    : public tfm::impl::TfmQuantizeWeightsBase<TfmQuantizeWeightsPass> {
  using TfmQuantizeWeightsBase::TfmQuantizeWeightsBase;

  LogicalResult initialize(MLIRContext *context) override {
    FailureOr<WeightFormatChoice> choice = parseChoice(context, format);
    if (failed(choice))
      return emitError(UnknownLoc::get(context))
             << "unknown weight format '" << format << "'";
    defaultChoice = *choice;
    for (StringRef entry : overrides) {
      auto [glob, name] = entry.split('=');
      FailureOr<WeightFormatChoice> overrideChoice = parseChoice(context, name);
      llvm::Expected<llvm::GlobPattern> pattern = llvm::GlobPattern::create(glob);
      if (name.empty() || failed(overrideChoice) || !pattern) {
        if (!pattern)
          llvm::consumeError(pattern.takeError());
        return emitError(UnknownLoc::get(context))
               << "bad override '" << entry << "' (expected name=format)";
      }
      overrideList.push_back({std::move(*pattern), *overrideChoice});
    }
    return success();
  }

  void runOnOperation() override {
    // A tied table's linear uses get a copy to quantize when its format
    // asks for blocks; the lookup keeps the floats.
    SmallVector<ParamOp> params;
    getOperation().walk([&](ParamOp param) { params.push_back(param); });
    SmallVector<std::pair<ParamOp, ParamOp>> copies;
    for (ParamOp param : params)
      if (!param.getParts() &&
          choiceFor(param.getName()).kind == WeightFormatChoice::Quantized &&
          isa<FloatType>(param.getType().getElementType()))
        if (ParamOp copy = splitMatmulUses(param))
          copies.push_back({copy, param});
    getOperation().walk([&](ParamOp param) {
      if (isLinearWeight(param))
        apply(param, choiceFor(param.getName()));
    });
    // A copy no format fitted would be a second float table: fold it back.
    for (auto [copy, original] : copies) {
      if (isa<QuantType>(copy.getType().getElementType()))
        continue;
      copy.getResult().replaceAllUsesWith(original.getResult());
      copy->erase();
    }
  }

  /// `format`, or where the in-features are not whole blocks of it the
  /// 32-element format llama.cpp's mixes fall back to (q4_k -> q4_1, q6_k ->
  /// q8_0, int4 groups -> groups of 32); null if none fits.
  QuantType fittingFormat(ParamOp param, QuantType format) {
    RankedTensorType type = param.getType();
    int64_t inFeatures = type.getDimSize(1);
    if (format.getRowBytes(inFeatures) >= 0)
      return format;
    QuantType fallback;
    switch (format.getFormat()) {
    case QuantFormat::q4_k:
      fallback = QuantType::get(&getContext(), QuantFormat::q4_1, 0);
      break;
    case QuantFormat::q6_k:
      fallback = QuantType::get(&getContext(), QuantFormat::q8_0, 0);
      break;
    case QuantFormat::int4:
      fallback = QuantType::get(&getContext(), QuantFormat::int4, 32);
      break;
    default:
      break;
    }
    if (fallback && fallback.getRowBytes(inFeatures) >= 0) {
      param.emitRemark() << "'" << param.getName() << "' is stored as "
                         << fallback << ": its " << inFeatures
                         << " in-features are not a whole number of "
                         << format << " blocks";
      return fallback;
    }
    param.emitWarning() << "'" << param.getName() << "' stays "
                        << type.getElementType() << ": its " << inFeatures
                        << " in-features are not a whole number of " << format
                        << " blocks";
    return {};
  }

  /// The format asked for the tensor `name`. A tied table's matmul copy
  /// (the output matrix) is matched by its tensor's name; without an
  /// override it takes what llama.cpp's quantizer gives an output matrix:
  /// q8_0, f16 and bf16 stay, any other block format becomes q6_k (q8_0
  /// where the rows are not whole q6_k blocks), so the logits keep their
  /// precision.
  WeightFormatChoice choiceFor(StringRef name) const {
    bool outputCopy = name.consume_back(kMatmulCopySuffix);
    for (const Override &entry : overrideList)
      if (entry.pattern.match(name))
        return entry.choice;
    if (outputCopy && defaultChoice.kind == WeightFormatChoice::Quantized &&
        defaultChoice.quant.getFormat() != QuantFormat::q8_0 &&
        defaultChoice.quant.getFormat() != QuantFormat::f16 &&
        defaultChoice.quant.getFormat() != QuantFormat::bf16)
      return WeightFormatChoice{
          WeightFormatChoice::Quantized,
          QuantType::get(defaultChoice.quant.getContext(), QuantFormat::q6_k,
                         0)};
    return defaultChoice;
  }

  void apply(ParamOp param, const WeightFormatChoice &choice) {
    RankedTensorType type = param.getType();
    Type element;
    if (choice.kind == WeightFormatChoice::Keep)
      return;
    if (choice.kind == WeightFormatChoice::Float)
      element = Float32Type::get(&getContext());
    else if (type.getRank() == 2)
      element = fittingFormat(param, choice.quant);
    if (!element)
      return;
    param.getResult().setType(RankedTensorType::get(type.getShape(), element));
    param->removeAttr("tfm.storage");
  }

  WeightFormatChoice defaultChoice;
  SmallVector<Override> overrideList;
};

} // namespace
