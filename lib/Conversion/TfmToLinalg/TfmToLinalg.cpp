//===- TfmToLinalg.cpp - lower tfm compute ops to linalg on tensors -------===//
//
// Each tfm op becomes one or a few `linalg.generic` ops plus tensor reshapes
// and slices. The generics are written so the loop order suits the CPU: the
// innermost iteration dimension is the contiguous one in memory (the packed
// output features of a linear layer, the head dimension of attention), and
// every generic carries a `tfm.kernel` tag naming its kernel class, which is
// how tfm-tile-and-vectorize picks tile sizes without pattern-matching maps.
//
// This file is the pass: the checks before lowering, the type conversion of
// KV caches and quantized weights, and the patterns of each op family
// (Embedding, Normalization, Linear, Position, Attention, KVCache,
// Elementwise: one file each in this folder).
//
//===----------------------------------------------------------------------===//

#include "Common.h"

#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_CONVERTTFMTOLINALG
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::tfm_to_linalg;

namespace {

/// `!tfm.kv_cache<L, KVH, C, D, T>` -> `tensor<L x 2 x KVH x ? x D x T>`
/// (`D + 4` bytes per row for the i8 cache: the values, then the row's f32
/// scale);
/// `tensor<N x K x !tfm.quant<f>>` -> `tensor<N x row_bytes x i8>`.
class KVCacheTypeConverter : public TypeConverter {
public:
  KVCacheTypeConverter() {
    addConversion([](Type type) { return type; });
    addConversion([](RankedTensorType type) -> std::optional<Type> {
      auto quant = dyn_cast<QuantType>(type.getElementType());
      if (!quant)
        return type;
      if (type.getRank() != 2)
        return std::nullopt;
      return RankedTensorType::get(
          {type.getDimSize(0), quant.getRowBytes(type.getDimSize(1))},
          IntegerType::get(type.getContext(), 8));
    });
    addConversion([](KVCacheType type) -> Type {
      return RankedTensorType::get({type.getLayers(), 2, type.getKvHeads(),
                                    ShapedType::kDynamic,
                                    type.getRowElements()},
                                   type.getElementType());
    });
  }
};

/// Lowering is f32 only until quantization lands: reject anything else with
/// an error on the op.
LogicalResult checkF32Only(ModuleOp module) {
  WalkResult result = module.walk([](Operation *op) {
    if (op->getDialect() == nullptr ||
        op->getDialect()->getNamespace() != TfmDialect::getDialectNamespace())
      return WalkResult::advance();
    for (Type type : op->getResultTypes()) {
      auto tensorType = dyn_cast<RankedTensorType>(type);
      Type element = tensorType ? tensorType.getElementType() : Type();
      // The KV cache may store f16 or i8; it is converted on the way in
      // and out.
      if (isa<KVCacheType>(type))
        continue;
      if (element && !element.isF32() && !isa<QuantType>(element)) {
        op->emitOpError() << "has element type " << element
                          << "; the CPU lowering supports f32 only (widen "
                             "f16/bf16 weights when compiling)";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// Quantized blocks are only read by linear layers (directly or through
/// the arguments of a layer function).
LogicalResult checkQuantizedUses(ModuleOp module) {
  WalkResult result = module.walk([](ParamOp param) {
    if (!quantTypeOf(param.getResult()))
      return WalkResult::advance();
    for (Operation *user : param->getUsers())
      if (!isa<LinearOp, LogitsOp, func::CallOp>(user)) {
        param.emitOpError("quantized weight used by '")
            << user->getName()
            << "': only tfm.linear and tfm.logits read quantized weights";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// `weight` is only ever the weight operand of a linear layer or logits.
bool isOnlyMatmulWeight(Value weight) {
  return !weight.use_empty() &&
         llvm::all_of(weight.getUses(), isMatmulWeightUse);
}

/// Linear weights that reach a function as arguments (the layer functions
/// of tfm-outline-layers) take the panel layout like params do: the argument
/// is re-typed and every call passes the packed param. Arguments some call
/// feeds with a computed tensor keep the row-major layout.
void packWeightArguments(ModuleOp module, int64_t panel) {
  if (panel <= 0)
    return;
  SymbolTableCollection symbolTables;
  SymbolUserMap symbolUsers(symbolTables, module);
  for (func::FuncOp func : module.getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    ArrayRef<Operation *> users = symbolUsers.getUsers(func);
    if (users.empty() || !llvm::all_of(users, [](Operation *user) {
          return isa<func::CallOp>(user);
        }))
      continue;
    for (BlockArgument argument : func.getArguments()) {
      unsigned index = argument.getArgNumber();
      if (!isOnlyMatmulWeight(argument) ||
          !llvm::all_of(users, [&](Operation *call) {
            return call->getOperand(index).getDefiningOp<ParamOp>();
          }))
        continue;
      for (Operation *call : users) {
        OpBuilder builder(call);
        call->setOperand(index,
                         weightOperand(builder, call->getOperand(index), panel));
      }
      argument.setType(users.front()->getOperand(index).getType());
    }
    func.setType(FunctionType::get(module.getContext(),
                                   func.front().getArgumentTypes(),
                                   func.getResultTypes()));
  }
}

/// Marks KV-cache arguments of the entry points so tfm-lower-entry-points
/// can update them in place.
void markKVCacheArguments(ModuleOp module) {
  module.walk([](func::FuncOp func) {
    if (func.isPrivate())
      return;
    for (auto [index, type] : llvm::enumerate(func.getArgumentTypes()))
      if (isa<KVCacheType>(type))
        func.setArgAttr(index, kKVCacheArgAttrName,
                        UnitAttr::get(func.getContext()));
  });
}

struct ConvertTfmToLinalgPass
    : public tfm::impl::ConvertTfmToLinalgBase<ConvertTfmToLinalgPass> {
  using ConvertTfmToLinalgBase::ConvertTfmToLinalgBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    if (kvSplits < 1) {
      module.emitError("kv-splits must be positive, got ")
          << static_cast<int64_t>(kvSplits);
      return signalPassFailure();
    }
    if (failed(checkF32Only(module)) || failed(checkQuantizedUses(module)))
      return signalPassFailure();
    markKVCacheArguments(module);
    packWeightArguments(module, weightPanel);

    KVCacheTypeConverter typeConverter;
    RewritePatternSet patterns(context);
    populateEmbeddingLoweringPatterns(typeConverter, patterns);
    populateNormalizationLoweringPatterns(typeConverter, patterns);
    populateLinearLoweringPatterns(typeConverter, patterns, weightPanel);
    populatePositionLoweringPatterns(typeConverter, patterns);
    populateAttentionLoweringPatterns(typeConverter, patterns, flashAttention);
    populateKVCacheLoweringPatterns(typeConverter, patterns, flashAttention,
                                    kvSplits);
    populateElementwiseLoweringPatterns(typeConverter, patterns);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(
        patterns, typeConverter);
    populateReturnOpTypeConversionPattern(patterns, typeConverter);
    populateCallOpTypeConversionPattern(patterns, typeConverter);

    ConversionTarget target(*context);
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect,
                           arith::ArithDialect, math::MathDialect>();
    target.addIllegalDialect<TfmDialect>();
    target.addDynamicallyLegalOp<ParamOp>(
        [](ParamOp op) { return !quantTypeOf(op.getResult()); });
    target.addLegalDialect<bufferization::BufferizationDialect,
                           memref::MemRefDialect>();
    target.addLegalOp<QuantizedMatmulOp, FlashAttentionOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp func) {
      return typeConverter.isSignatureLegal(func.getFunctionType()) &&
             typeConverter.isLegal(&func.getBody());
    });
    target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
        [&](Operation *op) { return typeConverter.isLegal(op); });
    // The rows of a batched decode step loop over the KV-cache pool.
    scf::populateSCFStructuralTypeConversionsAndLegality(typeConverter,
                                                         patterns, target);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
