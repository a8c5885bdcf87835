//===- LowerMatmulPanels.cpp - f32 matmul_panels -> Halide kernel calls ---===//
//
// tfm's second code generator for the f32 product of linear layers: the
// `matmul_panels` kernels convert-tfm-to-linalg tags become calls of
// tfm_matmul_panels (tfm/Runtime/tfm_kernels.h), which runs the Halide AOT
// kernels of lib/Runtime/Halide. The pass owns what MLIR's schedule would:
// the split into thread tasks and each task's pointer arithmetic; the
// register tiles are the Halide kernel's.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "tfm/Conversion/Passes.h"

#include "KernelCalls.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLOWERMATMULPANELS
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

constexpr StringLiteral kMatmulPanels = "tfm_matmul_panels";

bool isMatmulPanels(linalg::GenericOp op) {
  auto tag = op->getAttrOfType<StringAttr>(kKernelAttrName);
  return tag && tag.getValue() == "matmul_panels";
}

/// The strides of `type` if it is an f32 memref of rank `rank` whose last
/// dimension has unit stride.
std::optional<SmallVector<int64_t>> unitStrideRows(Type type, int64_t rank) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || memref.getRank() != rank || !memref.getElementType().isF32())
    return std::nullopt;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(memref.getStridesAndOffset(strides, offset)) ||
      strides.back() != 1)
    return std::nullopt;
  return strides;
}

/// True if the kernel's buffers are what tfm_matmul_panels reads: input
/// rows of unit stride, panels `[NB, K, P]` one after another, output rows
/// `[NB, P]` of contiguous panels (any row strides).
bool hasKernelLayout(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return false;
  Value input = op.getDpsInputs()[0], panels = op.getDpsInputs()[1];
  Value output = op.getDpsInits()[0];
  auto inputStrides = unitStrideRows(input.getType(), 2);
  auto panelStrides = unitStrideRows(panels.getType(), 3);
  auto outputStrides = unitStrideRows(output.getType(), 3);
  if (!inputStrides || !panelStrides || !outputStrides)
    return false;
  auto panelsType = cast<MemRefType>(panels.getType());
  int64_t inFeatures = panelsType.getDimSize(1), panel = panelsType.getDimSize(2);
  if (ShapedType::isDynamic(inFeatures) || ShapedType::isDynamic(panel))
    return false;
  return (*panelStrides)[1] == panel &&
         (*panelStrides)[0] == inFeatures * panel &&
         (*outputStrides)[1] == panel;
}

struct TfmLowerMatmulPanelsPass
    : public tfm::impl::TfmLowerMatmulPanelsBase<TfmLowerMatmulPanelsPass> {
  using TfmLowerMatmulPanelsBase::TfmLowerMatmulPanelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (decodePanels < 1 || prefillPanels < 1) {
      module.emitError("decode-panels and prefill-panels must be positive");
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> kernels;
    module.walk([&](linalg::GenericOp op) {
      if (isMatmulPanels(op) && hasKernelLayout(op))
        kernels.push_back(op);
    });
    if (kernels.empty())
      return;
    declareKernel(module, kMatmulPanels, kernelType(module.getContext()));
    for (linalg::GenericOp op : kernels)
      lower(op);
  }

  static FunctionType kernelType(MLIRContext *context) {
    Type ptr = LLVM::LLVMPointerType::get(context);
    Type i64 = IntegerType::get(context, 64);
    return FunctionType::get(context,
                             {ptr, i64, i64, i64, ptr, i64, i64, ptr, i64}, {});
  }

  /// One call for panels [firstPanel, firstPanel + panelCount).
  static void buildCall(OpBuilder &b, Location loc, linalg::GenericOp op,
                        Value firstPanel, Value panelCount) {
    CallBuilder c{b, loc};
    Value input = op.getDpsInputs()[0], panels = op.getDpsInputs()[1];
    Value output = op.getDpsInits()[0];
    auto panelsType = cast<MemRefType>(panels.getType());
    int64_t inFeatures = panelsType.getDimSize(1), panel = panelsType.getDimSize(2);
    Value panelBytes =
        arith::MulIOp::create(b, loc, firstPanel, c.index(inFeatures * panel * 4));
    Value outputBytes = arith::MulIOp::create(b, loc, firstPanel, c.index(panel * 4));
    Value tokens = memref::DimOp::create(b, loc, input, 0);
    func::CallOp::create(
        b, loc, kMatmulPanels, TypeRange{},
        ValueRange{c.pointer(c.address(input)), c.i64(tokens),
                   c.i64(inFeatures), c.i64(c.rowStride(input)),
                   c.pointer(c.address(panels, panelBytes)),
                   c.i64(panelCount), c.i64(panel),
                   c.pointer(c.address(output, outputBytes)),
                   c.i64(c.rowStride(output))});
  }

  void lower(linalg::GenericOp op) {
    OpBuilder builder(op);
    Location loc = op.getLoc();
    CallBuilder c{builder, loc};
    Value input = op.getDpsInputs()[0], panels = op.getDpsInputs()[1];
    // A thread step's panel count is dynamic when the steps do not divide
    // the panels (the last step takes fewer).
    Value panelCount = memref::DimOp::create(builder, loc, panels, 0);
    // A thread step already owns its panels; so does a single-threaded
    // module.
    if (op->getParentOfType<scf::ForallOp>() || !threads) {
      buildCall(builder, loc, op, c.index(0), panelCount);
      op.erase();
      return;
    }
    bool oneToken = cast<MemRefType>(input.getType()).getDimSize(0) == 1;
    Value perTask = c.index(oneToken ? decodePanels : prefillPanels);
    Value tasks = arith::CeilDivSIOp::create(builder, loc, panelCount, perTask);
    buildTaskLoops(builder, loc, {tasks}, /*threads=*/true,
                   [&](OpBuilder &b, Location taskLoc, ValueRange ivs) {
                     Value first = arith::MulIOp::create(b, taskLoc, ivs.front(), perTask);
                     Value count = arith::MinSIOp::create(
                         b, taskLoc, perTask,
                         arith::SubIOp::create(b, taskLoc, panelCount, first));
                     buildCall(b, taskLoc, op, first, count);
                   });
    op.erase();
  }
};

} // namespace
