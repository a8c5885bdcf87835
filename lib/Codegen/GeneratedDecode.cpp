//===- GeneratedDecode.cpp - q8_0/q4_0 decode products as vector code ----===//
//
// A decode step multiplies one token by every weight of a linear layer:
// it is bound by how fast a core streams the weights. This builds that
// product for Q8_0_X16 and Q4_0_X16 weights (tfm/Runtime/tfm_kernels.h:
// per 32-element block, 16 rows' f16 scales, then the 16 rows' codes in
// chunks of 4 elements: q8_0 a byte a code + 128, q4_0 two codes a byte +
// 8) as vector code in the model, the arithmetic of the hand-written
// AVX-512 VNNI kernel (qmatmul_x86_64_avx512_vnni.cpp):
//
//  * a block's 16 row scales widen from f16 (`arith.extf` of a
//    `vector<16xf16>`);
//  * q4_0's byte chunks unpack into two chunks of codes each (`arith.andi`
//    of the low nibbles, `arith.shrui` then `arith.andi` of the high);
//  * each chunk is one `llvm.x86.avx512.vpdpbusd.512` of the 64 unsigned
//    codes and the token's 4 signed codes broadcast to every row, in two
//    chains whose latencies overlap; the sum starts at -zero point *
//    sum(a) to undo the codes' offset. On AArch64 (the `dot-product`
//    option) a chunk is four 128-bit dot products of 4 rows each: i8mm's
//    `usdot` (unsigned x signed, as vpdpbusd), or the dot-product
//    extension's `sdot` (signed x signed: q8_0's codes are flipped to
//    signed by an `arith.xori` of their top bit, zero point 0; q4_0's
//    nibbles, 0-15, are already valid signed bytes);
//  * the int32 sums scale by row scale x the token's block scale into an
//    f32 accumulator per row (`vector.fma`).
//
// Groups are taken in pairs from the two halves of a task's rows, two
// streams from memory (one core reads ~16 GB/s from one stream on the AMD
// EPYC here, ~30 from two), each prefetched 2 KiB ahead; an odd last group
// streams alone. The token's activations are quantized by the runtime's
// tfm_quantize_activations as for the hand-written kernels (the scratch
// layout of tfm_quantized_activation_row_bytes).
//
//===----------------------------------------------------------------------===//

#include "GeneratedDecode.h"

#include "tfm/Runtime/tfm_kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::tfm;

namespace {

constexpr int64_t kBlock = 32;
constexpr int64_t kRows = TFM_QUANT_INTERLEAVE;
constexpr int64_t kChunks = kBlock / 4;
constexpr int64_t kScaleBytes = 2 * kRows;
constexpr int64_t kChunkBytes = 4 * kRows;
constexpr int64_t kPrefetchBytes = 2048;
constexpr int64_t kCacheLine = 64;
/// The 128-bit dot products' lanes: 4 rows of 4 codes.
constexpr int64_t kNeonRows = 4;

/// What differs between the interleaved formats (tfm_kernels.h): a
/// block's bytes (16 f16 scales, then the codes), the zero point the codes
/// are stored from, and whether a byte holds two codes (Q4_0_X16: byte
/// chunk m holds elements 4m.. in its low nibbles, 16 + 4m.. in its high).
struct BlockLayout {
  int64_t blockBytes;
  int32_t zeroPoint;
  bool nibbles;

  static BlockLayout of(int32_t format) {
    if (format == TFM_QUANT_Q4_0_X16)
      return {kScaleBytes + kChunks / 2 * kChunkBytes, 8, true};
    return {kScaleBytes + kChunks * kChunkBytes, 128, false};
  }
};

/// The dot product's intrinsic, and whether it reads the codes as signed
/// bytes (sdot) rather than unsigned (vpdpbusd, usdot).
struct DotInstruction {
  StringLiteral intrinsic;
  bool signedCodes;

  static DotInstruction of(DotProduct dot) {
    switch (dot) {
    case DotProduct::Avx512Vnni:
      return {"llvm.x86.avx512.vpdpbusd.512", false};
    case DotProduct::NeonI8mm:
      return {"llvm.aarch64.neon.usdot", false};
    case DotProduct::NeonDotprod:
      return {"llvm.aarch64.neon.sdot", true};
    }
    llvm_unreachable("unknown dot product");
  }
  bool is512Bit() const { return intrinsic.starts_with("llvm.x86"); }
};

/// `buffer` as a 1-D memref of its elements from its first one on.
Value flatView(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
  // Rows are contiguous and one after another at the first stride.
  Value size = metadata.getSizes().front();
  if (type.getRank() == 2)
    size = arith::MulIOp::create(b, loc, size, metadata.getStrides().front());
  auto flatType = MemRefType::get(
      {ShapedType::kDynamic}, type.getElementType(),
      StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, {1}));
  return memref::ReinterpretCastOp::create(
      b, loc, flatType, buffer, OpFoldResult(metadata.getOffset()),
      ArrayRef<OpFoldResult>{size}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
}

/// Builds one task's products; offsets are in bytes of the i8 views and in
/// floats of the output's. The loops' body builders are `b` itself (scf.for
/// builds its body with the builder it is created with).
class DecodeBuilder {
public:
  DecodeBuilder(OpBuilder &b, Location loc, QuantizedMatmulOp op,
                DotProduct dotProduct)
      : b(b), loc(loc),
        layout(BlockLayout::of(op.getQuantType().getKernelFormat())),
        dot(DotInstruction::of(dotProduct)), accumulate(op.getAccumulate()),
        inFeatures(op.getInput().getType().getDimSize(1)),
        rowBytes(op.getWeight().getType().getDimSize(1)) {
    weights = flatView(b, loc, op.getWeight());
    activations = flatView(b, loc, op.getScratch());
    output = flatView(b, loc, op.getOutput());
  }

  /// Groups [firstGroup, firstGroup + groups): pairs from the two halves,
  /// then an odd last one alone.
  void build(Value firstGroup, Value groups) {
    Value half = arith::DivUIOp::create(b, loc, groups, index(2));
    scf::ForOp::create(
        b, loc, index(0), half, index(1), ValueRange{},
        [&](OpBuilder &, Location, Value i, ValueRange) {
          Value first = arith::AddIOp::create(b, loc, firstGroup, i);
          Value second = arith::AddIOp::create(b, loc, first, half);
          groupsTimesToken({first, second});
          scf::YieldOp::create(b, loc);
        });
    scf::ForOp::create(
        b, loc, arith::MulIOp::create(b, loc, half, index(2)), groups,
        index(1), ValueRange{},
        [&](OpBuilder &, Location, Value g, ValueRange) {
          groupsTimesToken({arith::AddIOp::create(b, loc, firstGroup, g)});
          scf::YieldOp::create(b, loc);
        });
  }

private:
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  VectorType vectorOf(int64_t lanes, Type element) {
    return VectorType::get({lanes}, element);
  }
  Value zeros(VectorType type) {
    return arith::ConstantOp::create(b, loc,
                                     cast<TypedAttr>(b.getZeroAttr(type)));
  }

  /// `bytes` bytes of `buffer` from `offset` as a vector of `type`.
  Value loadAs(Value buffer, Value offset, int64_t bytes, VectorType type) {
    Value raw = vector::LoadOp::create(b, loc, vectorOf(bytes, b.getI8Type()),
                                       buffer, ValueRange{offset});
    return vector::BitCastOp::create(b, loc, type, raw);
  }
  /// The 4-byte scalar of `type` at `offset` of the activations.
  Value activationScalar(Value offset, Type type) {
    Value one = loadAs(activations, offset, 4, vectorOf(1, type));
    return vector::ExtractOp::create(b, loc, one, ArrayRef<int64_t>{0});
  }

  /// The 16 rows' 4 codes of each chunk of the block at `blockOffset` of
  /// `group` (64 unsigned bytes a chunk), each passed to `use` with its
  /// chunk's index as soon as it is loaded, or for nibbles unpacked from a
  /// byte chunk (its low nibbles: chunk m, its high: chunk m + 4): code
  /// vectors then live one load at a time (an integer sum's order is
  /// free), which is what keeps the 128-bit targets' 32 registers from
  /// spilling.
  void forEachChunk(Value group, Value blockOffset,
                    llvm::function_ref<void(int64_t, Value)> use) {
    VectorType i8x64 = vectorOf(kChunkBytes, b.getI8Type());
    auto chunkAt = [&](int64_t m) -> Value {
      Value offset = arith::AddIOp::create(
          b, loc, blockOffset, index(kScaleBytes + m * kChunkBytes));
      return vector::LoadOp::create(b, loc, i8x64, group, ValueRange{offset});
    };
    auto splat = [&](int8_t value) -> Value {
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(i8x64, b.getI8IntegerAttr(value)));
    };
    if (!layout.nibbles) {
      // code + 128 with its top bit flipped is the code as a signed byte.
      Value topBit = dot.signedCodes ? splat(-128) : Value();
      for (int64_t c = 0; c < kChunks; ++c) {
        Value codes = chunkAt(c);
        use(c, topBit ? arith::XOrIOp::create(b, loc, codes, topBit) : codes);
      }
      return;
    }
    Value low = splat(0x0F), four = splat(4);
    for (int64_t m = 0; m < kChunks / 2; ++m) {
      Value bytes = chunkAt(m);
      use(m, arith::AndIOp::create(b, loc, bytes, low));
      use(m + kChunks / 2,
          arith::AndIOp::create(
              b, loc, arith::ShRUIOp::create(b, loc, bytes, four), low));
    }
  }

  /// The token's block `block` times the block at `blockOffset` of
  /// `group`, added to `acc` (a row per lane).
  Value blockTimesToken(Value group, Value blockOffset, Value block,
                        Value acc) {
    VectorType i32x16 = vectorOf(kRows, b.getI32Type());
    VectorType f32x16 = vectorOf(kRows, b.getF32Type());
    Value rowScales = arith::ExtFOp::create(
        b, loc, f32x16,
        loadAs(group, blockOffset, kScaleBytes,
               vectorOf(kRows, b.getF16Type())));
    Value blocks = index(inFeatures / kBlock);
    auto at = [&](Value base, int64_t scale, Value i, int64_t add = 0) {
      Value scaled = arith::MulIOp::create(b, loc, i, index(scale));
      return arith::AddIOp::create(
          b, loc, arith::AddIOp::create(b, loc, base, scaled), index(add));
    };
    // The scratch row: codes, then per block the scale, d * sum, sum.
    Value tokenScale =
        activationScalar(at(index(inFeatures), 4, block), b.getF32Type());
    Value sumOffset = arith::AddIOp::create(
        b, loc, index(inFeatures),
        arith::MulIOp::create(b, loc, blocks, index(8)));
    Value tokenSum = activationScalar(at(sumOffset, 4, block), b.getI32Type());
    Value bias = arith::MulIOp::create(
        b, loc, tokenSum,
        arith::ConstantIntOp::create(b, loc, b.getI32Type(),
                                     -zeroPointAfterLoad()));
    // vpdpbusd's 16 rows are one register: two chains overlap its
    // latency. The 128-bit dot products' 16 rows are four independent
    // accumulators already (eight for a pair of groups): one chain.
    SmallVector<Value, 2> chains = {
        vector::BroadcastOp::create(b, loc, i32x16, bias)};
    if (dot.is512Bit())
      chains.push_back(zeros(i32x16));
    Value codesOffset = arith::MulIOp::create(b, loc, block, index(kBlock));
    SmallVector<Value> tokenCodes = tokenChunks(codesOffset);
    int64_t dots = 0;
    forEachChunk(group, blockOffset, [&](int64_t c, Value codes) {
      Value &chain = chains[dots++ % chains.size()];
      chain = dotProduct(chain, codes, tokenCodes[c]);
    });
    Value sums = chains.front();
    if (chains.size() == 2)
      sums = arith::AddIOp::create(b, loc, chains[0], chains[1]);
    Value scale = arith::MulFOp::create(
        b, loc, rowScales,
        vector::BroadcastOp::create(b, loc, f32x16, tokenScale));
    return vector::FMAOp::create(
        b, loc, arith::SIToFPOp::create(b, loc, f32x16, sums), scale, acc);
  }

  /// The token's 4 codes of each chunk of the block whose codes start at
  /// `codesOffset` of the activations, repeated for every row the dot
  /// product takes: 16 (a broadcast scalar, which LLVM folds into
  /// vpdpbusd's memory operand) or 4 (a lane of the block's 32 codes in two
  /// 128-bit loads, which LLVM makes sdot/usdot's indexed operand).
  SmallVector<Value> tokenChunks(Value codesOffset) {
    SmallVector<Value> chunks;
    if (dot.is512Bit()) {
      for (int64_t c = 0; c < kChunks; ++c) {
        Value offset =
            arith::AddIOp::create(b, loc, codesOffset, index(4 * c));
        chunks.push_back(vector::BitCastOp::create(
            b, loc, vectorOf(kChunkBytes, b.getI8Type()),
            vector::BroadcastOp::create(
                b, loc, vectorOf(kRows, b.getI32Type()),
                activationScalar(offset, b.getI32Type()))));
      }
      return chunks;
    }
    VectorType i32x4 = vectorOf(kNeonRows, b.getI32Type());
    for (int64_t half = 0; half < 2; ++half) {
      Value offset =
          arith::AddIOp::create(b, loc, codesOffset, index(16 * half));
      Value quad = loadAs(activations, offset, 16, i32x4);
      for (int64_t lane = 0; lane < 4; ++lane)
        chunks.push_back(vector::BitCastOp::create(
            b, loc, vectorOf(4 * kNeonRows, b.getI8Type()),
            vector::ShuffleOp::create(b, loc, quad, quad,
                                      ArrayRef<int64_t>{lane, lane, lane,
                                                        lane})));
    }
    return chunks;
  }

  /// The zero point of the codes forEachChunk passes: q8_0's flipped to
  /// signed bytes have none.
  int32_t zeroPointAfterLoad() const {
    return dot.signedCodes && !layout.nibbles ? 0 : layout.zeroPoint;
  }

  /// `acc` (16 rows' int32 sums) plus each row's 4 codes of `codes` times
  /// the 4 of `token` (tokenChunks': the same for every row): one 512-bit
  /// instruction, or four 128-bit ones of 4 rows each, their vectors
  /// slices of the 16 rows' (free: a 16-lane vector is four registers
  /// there).
  Value dotProduct(Value acc, Value codes, Value token) {
    VectorType i32x16 = vectorOf(kRows, b.getI32Type());
    auto call = [&](Type type, Value sum, Value left, Value right) {
      return LLVM::CallIntrinsicOp::create(b, loc, type,
                                           b.getStringAttr(dot.intrinsic),
                                           ValueRange{sum, left, right})
          .getResult(0);
    };
    if (dot.is512Bit())
      return call(i32x16, acc, codes, token);
    int64_t bytes = 4 * kNeonRows;
    Value result = acc;
    for (int64_t q = 0; q < kRows / kNeonRows; ++q) {
      auto slice = [&](Value vector, int64_t lanes) -> Value {
        return vector::ExtractStridedSliceOp::create(
            b, loc, vector, ArrayRef<int64_t>{q * lanes},
            ArrayRef<int64_t>{lanes}, ArrayRef<int64_t>{1});
      };
      Value part = call(vectorOf(kNeonRows, b.getI32Type()),
                        slice(acc, kNeonRows), slice(codes, bytes), token);
      result = vector::InsertStridedSliceOp::create(
          b, loc, part, result, ArrayRef<int64_t>{q * kNeonRows},
          ArrayRef<int64_t>{1});
    }
    return result;
  }

  /// The cache lines `kPrefetchBytes` past the block at `blockOffset` of
  /// `group` (past the group's end: the next weights a task reads, and a
  /// prefetch never faults).
  void prefetchAhead(Value group, Value blockOffset) {
    for (int64_t line = 0; line < layout.blockBytes; line += kCacheLine)
      memref::PrefetchOp::create(
          b, loc, group,
          ValueRange{arith::AddIOp::create(b, loc, blockOffset,
                                           index(kPrefetchBytes + line))},
          /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
  }

  /// The token times the groups `groups`, their blocks read together (a
  /// stream each), into their 16 outputs each.
  void groupsTimesToken(ArrayRef<Value> groups) {
    VectorType f32x16 = vectorOf(kRows, b.getF32Type());
    // Each group's bytes as a view of their own: the loads then address
    // one loop-invariant base plus the block's offset.
    SmallVector<Value> groupViews, initial;
    for (Value group : groups) {
      Value groupOffset =
          arith::MulIOp::create(b, loc, group, index(kRows * rowBytes));
      groupViews.push_back(memref::SubViewOp::create(
          b, loc, weights, ArrayRef<OpFoldResult>{groupOffset},
          ArrayRef<OpFoldResult>{b.getIndexAttr(kRows * rowBytes)},
          ArrayRef<OpFoldResult>{b.getIndexAttr(1)}));
      initial.push_back(zeros(f32x16));
    }
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(inFeatures / kBlock), index(1), initial,
        [&](OpBuilder &, Location, Value block, ValueRange accs) {
          SmallVector<Value> next;
          Value blockOffset =
              arith::MulIOp::create(b, loc, block, index(layout.blockBytes));
          for (auto [group, acc] : llvm::zip(groupViews, accs)) {
            prefetchAhead(group, blockOffset);
            next.push_back(blockTimesToken(group, blockOffset, block, acc));
          }
          scf::YieldOp::create(b, loc, next);
        });
    for (auto [group, acc] : llvm::zip(groups, loop.getResults())) {
      Value row = arith::MulIOp::create(b, loc, group, index(kRows));
      Value sum = acc;
      if (accumulate)
        sum = arith::AddFOp::create(
            b, loc, sum,
            vector::LoadOp::create(b, loc, f32x16, output, ValueRange{row}));
      vector::StoreOp::create(b, loc, sum, output, ValueRange{row});
    }
  }

  OpBuilder &b;
  Location loc;
  BlockLayout layout;
  DotInstruction dot;
  bool accumulate;
  int64_t inFeatures;
  int64_t rowBytes;
  Value weights, activations, output;
};

} // namespace

bool mlir::tfm::hasGeneratedDecode(QuantizedMatmulOp op) {
  int32_t format = op.getQuantType().getKernelFormat();
  return (format == TFM_QUANT_Q8_0_X16 || format == TFM_QUANT_Q4_0_X16) &&
         op.getInput().getType().getDimSize(0) == 1 && !op.getGated();
}

void mlir::tfm::buildGeneratedDecode(OpBuilder &b, Location loc,
                                     QuantizedMatmulOp op,
                                     DotProduct dotProduct, Value firstRow,
                                     Value rows) {
  DecodeBuilder builder(b, loc, op, dotProduct);
  Value rowsPerGroup = arith::ConstantIndexOp::create(b, loc, kRows);
  builder.build(arith::DivUIOp::create(b, loc, firstRow, rowsPerGroup),
                arith::DivUIOp::create(b, loc, rows, rowsPerGroup));
}
