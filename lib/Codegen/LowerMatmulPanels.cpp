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
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLOWERMATMULPANELS
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

constexpr StringLiteral kMatmulPanels = "tfm_matmul_panels";
constexpr StringLiteral kPackKey = "tfm_matmul_panels_pack_key";

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

/// True if `value` is the same buffer in every iteration of `step`: made
/// before it, or a view (a subview of the whole input, as tiling leaves
/// inside each step) of such a buffer by operands made before it.
bool sameInEveryStep(Value value, Operation *step) {
  Operation *producer = value.getDefiningOp();
  if (!step->isAncestor(producer ? producer
                                 : value.getParentBlock()->getParentOp()))
    return true;
  if (!producer || !isa<ViewLikeOpInterface>(producer))
    return false;
  return llvm::all_of(producer->getOperands(), [&](Value operand) {
    return sameInEveryStep(operand, step);
  });
}

/// The buffer `value` views (through subviews and casts).
Value rootBuffer(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// True if some operation in `step` may write to the buffer `root` (then
/// the rows a step reads need not be what another step read). Operations
/// whose effects are unknown may write anything, except the calls this
/// pass makes (tfm_matmul_panels writes only its output).
bool writtenInStep(Value root, Operation *step) {
  WalkResult result = step->walk([&](Operation *op) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects) {
      auto call = dyn_cast<func::CallOp>(op);
      bool ours = call && (call.getCallee() == kMatmulPanels ||
                           call.getCallee() == kPackKey);
      bool harmless = ours ||
                      op->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ||
                      (op->hasTrait<OpTrait::IsTerminator>() &&
                       op->getNumRegions() == 0);
      return harmless ? WalkResult::advance() : WalkResult::interrupt();
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &effect : instances) {
      if (!isa<MemoryEffects::Write>(effect.getEffect()))
        continue;
      Value written = effect.getValue();
      if (!written || rootBuffer(written) == root)
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return result.wasInterrupted();
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
    stepKeys.clear();
    MLIRContext *context = module.getContext();
    declareKernel(module, kPackKey,
                  FunctionType::get(context, {}, {IntegerType::get(context, 64)}));
    for (linalg::GenericOp op : kernels)
      lower(op);
  }

  static FunctionType kernelType(MLIRContext *context) {
    Type ptr = LLVM::LLVMPointerType::get(context);
    Type i64 = IntegerType::get(context, 64);
    return FunctionType::get(
        context, {ptr, i64, i64, i64, ptr, i64, i64, ptr, i64, i64}, {});
  }

  /// A fresh pack key (tfm_matmul_panels_pack_key), made at `b`'s point.
  static Value newPackKey(OpBuilder &b, Location loc) {
    return func::CallOp::create(b, loc, kPackKey,
                                TypeRange{b.getI64Type()}, ValueRange{})
        .getResult(0);
  }

  /// One call for panels [firstPanel, firstPanel + panelCount).
  static void buildCall(OpBuilder &b, Location loc, linalg::GenericOp op,
                        Value firstPanel, Value panelCount, Value packKey) {
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
                   c.i64(c.rowStride(output)), packKey});
  }

  /// The pack key of each thread-step loop and input buffer.
  DenseMap<std::pair<Operation *, Value>, Value> stepKeys;

  void lower(linalg::GenericOp op) {
    OpBuilder builder(op);
    Location loc = op.getLoc();
    CallBuilder c{builder, loc};
    Value input = op.getDpsInputs()[0], panels = op.getDpsInputs()[1];
    // A thread step's panel count is dynamic when the steps do not divide
    // the panels (the last step takes fewer).
    Value panelCount = memref::DimOp::create(builder, loc, panels, 0);
    // A thread step already owns its panels; so does a single-threaded
    // module. The steps of one product share a pack key, made before
    // their loop, when they read an input made before it (the same rows
    // in every step); one call, or one token (no rows to rearrange), needs
    // none.
    bool oneToken = cast<MemRefType>(input.getType()).getDimSize(0) == 1;
    if (auto step = op->getParentOfType<scf::ForallOp>()) {
      Value packKey = c.i64(0);
      if (!oneToken && sameInEveryStep(input, step) &&
          !writtenInStep(rootBuffer(input), step)) {
        // Products of one step on the same rows (a gate and an up
        // projection) share the key too.
        Value &stepKey = stepKeys[{step, rootBuffer(input)}];
        if (!stepKey) {
          OpBuilder beforeSteps(step);
          stepKey = newPackKey(beforeSteps, loc);
        }
        packKey = stepKey;
      }
      buildCall(builder, loc, op, c.index(0), panelCount, packKey);
      op.erase();
      return;
    }
    if (!threads) {
      buildCall(builder, loc, op, c.index(0), panelCount, c.i64(0));
      op.erase();
      return;
    }
    Value perTask = c.index(oneToken ? decodePanels : prefillPanels);
    Value tasks = arith::CeilDivSIOp::create(builder, loc, panelCount, perTask);
    Value packKey = oneToken ? c.i64(0) : newPackKey(builder, loc);
    buildTaskLoops(builder, loc, {tasks}, /*threads=*/true,
                   [&](OpBuilder &b, Location taskLoc, ValueRange ivs) {
                     Value first = arith::MulIOp::create(b, taskLoc, ivs.front(), perTask);
                     Value count = arith::MinSIOp::create(
                         b, taskLoc, perTask,
                         arith::SubIOp::create(b, taskLoc, panelCount, first));
                     buildCall(b, taskLoc, op, first, count, packKey);
                   });
    op.erase();
  }
};

} // namespace
