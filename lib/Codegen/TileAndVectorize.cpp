//===- TileAndVectorize.cpp - tile tagged kernels, then vectorize ---------===//
//
// Two tiling levels per kernel: an scf.forall over the dimension that is
// split across threads, and scf.for loops whose tile is the vector shape.
// The tile sizes follow from the kernel class (the `tfm.kernel` tag), the
// vector width of the target and the pass options; docs/codegen.md explains
// the heuristic.
//
//===----------------------------------------------------------------------===//

#include "tfm/Codegen/Passes.h"

#include "tfm/Codegen/CpuTarget.h"
#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMTILEANDVECTORIZE
#include "tfm/Codegen/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// Tile sizes of one kernel; 0 leaves a dimension whole.
struct KernelTiles {
  /// Tiles of the scf.forall spread over threads (empty: no forall).
  SmallVector<int64_t> threads;
  /// Tiles of the scf.for loops inside; each tile is vectorized.
  SmallVector<int64_t> vector;
};

/// The tile parameters after defaults and overrides.
struct TileParameters {
  int64_t lanes;
  int64_t matmulRows;
  int64_t matmulDepth;
  int64_t attentionKeys;
  int64_t rowWidth;
  int64_t decodePanels;
  int64_t prefillPanels;
};

/// Rows of a row reduction per thread step when there are several rows
/// (a prefill's RMSNorm statistics): the main thread alone took ~1% of a
/// 2-thread prefill on them while the other waited.
constexpr int64_t kRowReductionThreadRows = 16;

/// Caps `tile` at a dimension's static size (dynamic sizes keep the tile).
int64_t capTile(int64_t tile, int64_t size) {
  return ShapedType::isDynamic(size) ? tile : std::min(tile, size);
}

/// Tiles for a kernel whose loop ranges are `ranges`, or nullopt for
/// kernels left to the loop lowering.
std::optional<KernelTiles> tilesFor(StringRef kernel,
                                    ArrayRef<int64_t> ranges,
                                    const TileParameters &p) {
  size_t rank = ranges.size();
  KernelTiles tiles;
  if (kernel == "matmul_panels" && rank == 4) {
    // (tokens, panel, in, lane): one panel per thread step; a register
    // tile of matmul-rows tokens x one vector of outputs, stepping
    // matmul-depth input features at a time.
    // A single token (decode) has one accumulator per panel, a chain of
    // dependent FMAs; several panels per step give independent chains. With
    // several tokens, two panels per step load each input broadcast once for
    // two weight vectors (4 x 2 tiles beat 8 x 1 on AVX2: fewer loads per
    // FMA).
    int64_t panels = capTile(
        ranges[0] == 1 ? p.decodePanels : p.prefillPanels, ranges[1]);
    tiles.threads = {0, panels, 0, 0};
    tiles.vector = {capTile(p.matmulRows, ranges[0]), panels,
                    capTile(p.matmulDepth, ranges[2]), ranges[3]};
    return tiles;
  }
  if (kernel == "matmul" && rank == 3) {
    // (tokens, out, in): row-major weights; dot products along `in`.
    tiles.threads = {0, capTile(p.lanes, ranges[1]), 0};
    tiles.vector = {1, capTile(p.lanes, ranges[1]),
                    capTile(p.rowWidth, ranges[2])};
    return tiles;
  }
  if (kernel == "attention_scores" && rank == 5) {
    // (kv head, group, query, key, dim): dot products over head_dim.
    tiles.threads = {1, 0, 0, 0, 0};
    tiles.vector = {1, 1, 1, capTile(p.attentionKeys, ranges[3]), ranges[4]};
    return tiles;
  }
  if (kernel == "attention_values" && rank == 5) {
    // (query, kv head, group, key, dim): rows of V scaled and summed.
    tiles.threads = {0, 1, 0, 0, 0};
    tiles.vector = {1, 1, 1, capTile(p.attentionKeys, ranges[3]), ranges[4]};
    return tiles;
  }
  if (kernel == "matmul_epilogue" && rank == 3) {
    // (tokens, panel, lane) over the panel products: thread steps like the
    // matmul's when tfm-fuse-matmul-epilogues has not put it in theirs.
    int64_t panels = capTile(
        ranges[0] == 1 ? p.decodePanels : p.prefillPanels, ranges[1]);
    tiles.threads = {0, panels, 0};
    tiles.vector = {1, 1, ranges[2]};
    return tiles;
  }
  if (kernel == "row_reduction" || kernel == "elementwise") {
    tiles.vector.assign(rank, 1);
    tiles.vector.back() = capTile(p.rowWidth, ranges.back());
    if (kernel == "row_reduction" && rank == 2 && ranges[0] != 1)
      tiles.threads = {kRowReductionThreadRows, 0};
    return tiles;
  }
  return std::nullopt;
}

/// Vector shape of a tile: the tile size, or the whole static dimension.
std::optional<SmallVector<int64_t>> vectorShape(ArrayRef<int64_t> tiles,
                                                ArrayRef<int64_t> ranges) {
  SmallVector<int64_t> shape;
  for (auto [tile, range] : llvm::zip_equal(tiles, ranges)) {
    if (tile > 0)
      shape.push_back(tile);
    else if (!ShapedType::isDynamic(range))
      shape.push_back(range);
    else
      return std::nullopt;
  }
  return shape;
}

FailureOr<linalg::LinalgOp> tile(RewriterBase &rewriter, linalg::LinalgOp op,
                                 ArrayRef<int64_t> sizes,
                                 scf::SCFTilingOptions::LoopType loopType,
                                 SmallVectorImpl<LoopLikeOpInterface> *loops =
                                     nullptr) {
  if (llvm::all_of(sizes, [](int64_t size) { return size == 0; }))
    return op;
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes));
  options.setLoopType(loopType);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(result))
    return failure();
  rewriter.replaceOp(op, result->replacements);
  if (loops)
    loops->assign(result->loops.begin(), result->loops.end());
  return cast<linalg::LinalgOp>(result->tiledOps.back());
}

/// Folds what peeling made constant (tile sizes, hence subview shapes and
/// the tiled op's operand types) inside `region`.
LogicalResult canonicalize(Region &region) {
  MLIRContext *context = region.getContext();
  RewritePatternSet patterns(context);
  for (Dialect *dialect : context->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : context->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, context);
  return applyPatternsGreedily(region, std::move(patterns));
}

/// The kernel-tagged generics inside `loop`.
SmallVector<linalg::LinalgOp> kernelsIn(scf::ForOp loop) {
  SmallVector<linalg::LinalgOp> ops;
  loop.walk([&](linalg::GenericOp generic) {
    if (generic->hasAttr(kKernelAttrName))
      ops.push_back(generic);
  });
  return ops;
}

/// A matmul kernel tiled over its dynamic number of tokens: the whole
/// tiles of `tokenTile` rows, and the rows left over one at a time.
struct TokenTiles {
  SmallVector<linalg::LinalgOp> whole;
  SmallVector<linalg::LinalgOp> single;
};

/// Tiles the token dimension of `op` by `tokenTile` with an scf.for and
/// peels the last partial tile, whose rows are then tiled one by one: only
/// static vector shapes are left, no masks. A masked tile selected between
/// old and new accumulators on every input feature and rebuilt its masks
/// element by element; a prompt of 127 tokens spent a third of its f32
/// matmul time in the last 3 rows. One row is a chain of dependent FMAs
/// per panel, about the time of a whole tile.
FailureOr<TokenTiles> tileTokens(RewriterBase &rewriter, linalg::LinalgOp op,
                                 int64_t tokenTile) {
  SmallVector<int64_t> sizes(op.getNumLoops(), 0);
  sizes[0] = tokenTile;
  SmallVector<LoopLikeOpInterface> loops;
  FailureOr<linalg::LinalgOp> tiled =
      tile(rewriter, op, sizes, scf::SCFTilingOptions::LoopType::ForOp, &loops);
  if (failed(tiled) || loops.empty())
    return failure();
  auto loop = cast<scf::ForOp>(loops.front().getOperation());
  scf::ForOp partial;
  if (failed(scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial)))
    return TokenTiles{{*tiled}, {}};
  if (failed(canonicalize(loop.getRegion())))
    return failure();
  TokenTiles result{kernelsIn(loop), {}};
  sizes[0] = 1;
  for (linalg::LinalgOp rest : kernelsIn(partial)) {
    FailureOr<linalg::LinalgOp> row =
        tile(rewriter, rest, sizes, scf::SCFTilingOptions::LoopType::ForOp);
    if (failed(row))
      return failure();
    result.single.push_back(*row);
  }
  return result;
}

struct TfmTileAndVectorizePass
    : public tfm::impl::TfmTileAndVectorizeBase<TfmTileAndVectorizePass> {
  using TfmTileAndVectorizeBase::TfmTileAndVectorizeBase;

  LogicalResult initialize(MLIRContext *context) override {
    int64_t bits = vectorBits;
    if (bits == 0) {
      llvm::Expected<CpuTarget> target =
          resolveCpuTarget(targetCpu, targetTriple);
      if (!target)
        return emitError(UnknownLoc::get(context))
               << llvm::toString(target.takeError());
      bits = target->vectorBits;
    }
    if (bits < 128 || bits % 32 != 0)
      return emitError(UnknownLoc::get(context))
             << "vector-bits must be a multiple of 32 and at least 128";
    int64_t lanes = bits / 32;
    auto orDefault = [](int64_t value, int64_t fallback) {
      return value > 0 ? value : fallback;
    };
    parameters = {lanes, orDefault(matmulRows, 4), orDefault(matmulDepth, 1),
                  orDefault(attentionKeys, 8), orDefault(rowWidth, 2 * lanes),
                  orDefault(decodePanels, kDefaultDecodePanels),
                  orDefault(prefillPanels, kDefaultPrefillPanels)};
    return success();
  }

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> kernels;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kKernelAttrName))
        kernels.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp kernel : kernels)
      if (failed(tileAndVectorize(rewriter, kernel)))
        return signalPassFailure();
  }

  LogicalResult tileAndVectorize(RewriterBase &rewriter,
                                 linalg::GenericOp kernel) {
    StringRef kind = kernel->getAttrOfType<StringAttr>(kKernelAttrName);
    SmallVector<int64_t> ranges = kernel.getStaticLoopRanges();
    std::optional<KernelTiles> tiles = tilesFor(kind, ranges, parameters);
    if (!tiles)
      return success();
    linalg::LinalgOp op = kernel;
    // A kernel already in a thread step (tfm-fuse-matmul-epilogues) is
    // only tiled for vectors.
    bool inThreadStep = kernel->getParentOfType<scf::ForallOp>() != nullptr;
    if (threads && !tiles->threads.empty() && !inThreadStep) {
      FailureOr<linalg::LinalgOp> tiled = tile(
          rewriter, op, tiles->threads, scf::SCFTilingOptions::LoopType::ForallOp);
      if (failed(tiled))
        return kernel.emitOpError("could not be tiled over threads");
      op = *tiled;
    }
    SmallVector<int64_t> tiledRanges = op.getStaticLoopRanges();
    SmallVector<int64_t> loopTiles;
    for (auto [tileSize, range] : llvm::zip_equal(tiles->vector, tiledRanges))
      loopTiles.push_back(!ShapedType::isDynamic(range) && tileSize >= range
                              ? 0
                              : tileSize);
    if (kind == "matmul_panels" && ShapedType::isDynamic(tiledRanges[0]) &&
        loopTiles[0] > 1) {
      FailureOr<TokenTiles> tokenTiles =
          tileTokens(rewriter, op, loopTiles[0]);
      if (failed(tokenTiles))
        return kernel.emitOpError("could not tile the token loop");
      SmallVector<int64_t> innerTiles(loopTiles);
      innerTiles[0] = 0;
      SmallVector<int64_t> rowVector(tiles->vector);
      rowVector[0] = 1;
      for (linalg::LinalgOp whole : tokenTiles->whole)
        if (failed(tileInnerAndVectorize(rewriter, kind, whole, innerTiles,
                                         tiles->vector)))
          return kernel.emitOpError("could not be tiled for vectors");
      for (linalg::LinalgOp single : tokenTiles->single)
        if (failed(tileInnerAndVectorize(rewriter, kind, single, innerTiles,
                                         rowVector)))
          return kernel.emitOpError("could not be tiled for vectors");
      return success();
    }
    if (failed(tileInnerAndVectorize(rewriter, kind, op, loopTiles,
                                     tiles->vector)))
      return kernel.emitOpError("could not be tiled for vectors");
    return success();
  }

  /// Tiles `op` by `loopTiles` with scf.for loops and vectorizes the tile
  /// as `vectorTiles`.
  LogicalResult tileInnerAndVectorize(RewriterBase &rewriter, StringRef kind,
                                      linalg::LinalgOp op,
                                      ArrayRef<int64_t> loopTiles,
                                      ArrayRef<int64_t> vectorTiles) {
    FailureOr<linalg::LinalgOp> tiled =
        tile(rewriter, op, loopTiles, scf::SCFTilingOptions::LoopType::ForOp);
    if (failed(tiled))
      return failure();
    markReductionLoop(kind, *tiled, loopTiles);
    if (vectorize)
      vectorizeTile(rewriter, *tiled, vectorTiles);
    return success();
  }

  /// Kernels the vectorizer cannot handle stay scalar loops: slower, never
  /// wrong.
  static void vectorizeTile(RewriterBase &rewriter, linalg::LinalgOp op,
                            ArrayRef<int64_t> vectorTiles) {
    std::optional<SmallVector<int64_t>> shape =
        vectorShape(vectorTiles, op.getStaticLoopRanges());
    if (!shape)
      return;
    SmallVector<bool> fixedWidth(shape->size(), false);
    if (failed(linalg::vectorizeOpPrecondition(op, *shape, fixedWidth)))
      return;
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::VectorizationResult> result =
        linalg::vectorize(rewriter, op, *shape, fixedWidth);
    if (succeeded(result))
      rewriter.replaceOp(op, result->replacements);
  }

  /// Marks the loop over the reduced dimension of a matmul (input
  /// features) or row reduction (the row), when that dimension was tiled:
  /// it is then the innermost loop around the tile.
  static void markReductionLoop(StringRef kind, linalg::LinalgOp op,
                                ArrayRef<int64_t> loopTiles) {
    int64_t reduced = kind == "matmul_panels" ? 2
                      : kind == "row_reduction"
                          ? static_cast<int64_t>(loopTiles.size()) - 1
                          : -1;
    if (reduced < 0 || loopTiles[reduced] == 0 ||
        op.getIteratorTypesArray()[reduced] != utils::IteratorType::reduction)
      return;
    if (auto loop = op->getParentOfType<scf::ForOp>())
      loop->setAttr(kReductionLoopAttrName,
                    UnitAttr::get(op->getContext()));
  }

  TileParameters parameters{};
};

} // namespace
