//===- KVCacheType.cpp - the element type of the KV cache -----------------===//
//
// The KV cache type appears in function signatures, call and op results and
// block arguments; AttrTypeReplacer rewrites all of them consistently.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/IR/TfmTypes.h"

#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMKVCACHETYPE
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

struct TfmKVCacheTypePass
    : public tfm::impl::TfmKVCacheTypeBase<TfmKVCacheTypePass> {
  using TfmKVCacheTypeBase::TfmKVCacheTypeBase;

  LogicalResult initialize(MLIRContext *context) override {
    if (type == "f32")
      element = Float32Type::get(context);
    else if (type == "f16")
      element = Float16Type::get(context);
    else if (type == "bf16")
      element = BFloat16Type::get(context);
    else if (type == "q8")
      element = IntegerType::get(context, 8);
    else
      return emitError(UnknownLoc::get(context))
             << "unknown KV-cache type '" << type << "' (f32, f16, bf16 or q8)";
    return success();
  }

  void runOnOperation() override {
    AttrTypeReplacer replacer;
    replacer.addReplacement([&](KVCacheType cache) -> Type {
      return KVCacheType::get(cache.getContext(), cache.getLayers(),
                              cache.getKvHeads(), cache.getContextLength(),
                              cache.getHeadDim(), element, cache.getRing());
    });
    replacer.recursivelyReplaceElementsIn(getOperation(),
                                          /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);
  }

  Type element;
};

} // namespace
