//===- ImportToIR.cpp - a model file as a tfm module ----------------------===//

#include "tfm/Builder/ImportToIR.h"

#include "tfm/Quantization/Quantize.h"

#include "tfm/Builder/ModelBuilder.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Model/ImportError.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::tfm;

namespace {

std::string formatShape(ArrayRef<int64_t> shape) {
  return "[" + llvm::join(llvm::map_range(shape, [](int64_t d) {
                            return std::to_string(d);
                          }),
                          ", ") +
         "]";
}

Type elementTypeFor(Builder &b, WeightFormat type) {
  switch (type) {
  case WeightFormat::F16:
    return b.getF16Type();
  case WeightFormat::BF16:
    return b.getBF16Type();
  default:
    return b.getF32Type();
  }
}

/// The block scheme the kernels read `view` in, if they read its format and
/// its rows are whole blocks.
std::optional<QuantScheme> kernelScheme(const TensorView &view) {
  std::optional<QuantScheme> scheme = quantSchemeOf(view.type);
  if (!scheme || view.shape.size() != 2 ||
      quantRowBytes(*scheme, view.shape[1]) < 0)
    return std::nullopt;
  return scheme;
}

/// The !tfm.quant type a tensor's blocks execute natively as, if `param`
/// only feeds linear layers and the kernels read the format.
QuantType nativeQuantType(ParamOp param, const TensorView &view) {
  std::optional<QuantScheme> scheme = kernelScheme(view);
  bool linearOnly = llvm::all_of(param->getUses(), isMatmulWeightUse);
  if (!scheme || !linearOnly || param->use_empty())
    return {};
  return QuantType::get(param.getContext(),
                        static_cast<QuantFormat>(scheme->format), scheme->group);
}

/// Binds one param to its tensor; the error names the tensor and the file.
/// A param with parts reads its (first) part's tensor: a tied table's copy
/// for the logits.
llvm::Error bindParam(ParamOp param, const ModelFile &model) {
  StringRef tensorName = param.getParts()
                             ? cast<StringAttr>((*param.getParts())[0]).getValue()
                             : param.getName();
  const TensorView *view = model.lookup(tensorName);
  if (!view)
    return importError(model.path, model.tensorIndexOffset,
                       "model has no tensor '" + tensorName + "'");
  RankedTensorType type = param.getResult().getType();
  if (ArrayRef<int64_t>(view->shape) != type.getShape())
    return importError(view->file, view->fileOffset,
                       "tensor '" + view->name + "' has shape " +
                           formatShape(view->shape) + ", the model needs " +
                           formatShape(type.getShape()));
  Builder b(param.getContext());
  if (QuantType quant = nativeQuantType(param, *view)) {
    param.getResult().setType(RankedTensorType::get(type.getShape(), quant));
    return llvm::Error::success();
  }
  param.getResult().setType(
      RankedTensorType::get(type.getShape(), elementTypeFor(b, view->type)));
  const WeightFormatInfo &info = getWeightFormatInfo(view->type);
  if (info.quantized)
    param->setAttr("tfm.storage", b.getStringAttr(info.name));
  return llvm::Error::success();
}

DictionaryAttr sourceAttr(Builder &b, const ModelFile &model) {
  SmallVector<NamedAttribute> entries = {
      b.getNamedAttr("format",
                     b.getStringAttr(stringifyModelFormat(model.format))),
      b.getNamedAttr("path", b.getStringAttr(model.path)),
      b.getNamedAttr("weight_bytes",
                     b.getI64IntegerAttr(int64_t(model.totalTensorBytes()))),
  };
  if (model.vocabulary) {
    entries.push_back(b.getNamedAttr(
        "tokenizer", b.getStringAttr(model.vocabularySource)));
    entries.push_back(b.getNamedAttr(
        "vocabulary_size",
        b.getI64IntegerAttr(int64_t(model.vocabulary->size()))));
  }
  return b.getDictionaryAttr(entries);
}

} // namespace

llvm::Expected<OwningOpRef<ModuleOp>>
mlir::tfm::importModel(MLIRContext &context, const ModelFile &model,
                       const ImportOptions &options) {
  ModelConfig config = model.config;
  if (options.contextLength > 0)
    config.contextLength = options.contextLength;
  BuildOptions buildOptions;
  buildOptions.embeddings = options.embeddings;
  buildOptions.ubatch = options.ubatch;
  llvm::Expected<OwningOpRef<ModuleOp>> module =
      buildModel(context, config, buildOptions);
  if (!module)
    return importError(model.path, llvm::toString(module.takeError()));

  // A tied table in a block format the kernels read keeps its blocks for
  // the logits (a copy of its own): only the lookup reads it as floats.
  SmallVector<ParamOp> params;
  (*module)->walk([&](ParamOp param) { params.push_back(param); });
  for (ParamOp param : params) {
    const TensorView *view = model.lookup(param.getName());
    if (view && kernelScheme(*view))
      splitMatmulUses(param);
  }

  llvm::Error firstError = llvm::Error::success();
  (*module)->walk([&](ParamOp param) {
    if (llvm::Error error = bindParam(param, model)) {
      firstError = std::move(error);
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (firstError)
    return std::move(firstError);
  Builder b(&context);
  (*module)->getOperation()->setAttr("tfm.source", sourceAttr(b, model));
  return std::move(*module);
}
