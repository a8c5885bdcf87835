//===- GeneratedQuantizedMatmul.cpp - quantized products as vector code ---===//
//
// A decode step multiplies one token by every weight of a linear layer:
// it is bound by how fast a core streams the weights. This builds that
// product for Q8_0_X16 and Q4_0_X16 weights (tfm/Runtime/tfm_kernels.h:
// per 32-element block, 16 rows' f16 scales, then the 16 rows' codes in
// chunks of 4 elements: q8_0 a byte a code + 128, q4_0 two codes a byte +
// 8), and when asked for Q4_K_X16 and Q6_K_X16 (256-element super-blocks),
// as vector code in the model, the arithmetic of the hand-written AVX-512
// VNNI kernel (qmatmul_x86_64_avx512_vnni.cpp):
//
//  * a block's 16 row scales widen from f16 (`arith.extf` of a
//    `vector<16xf16>`); q4_k's packed 6-bit scales and mins and q6_k's
//    int8 sub-block scales are unpacked for the 16 rows at once;
//  * nibbles unpack into codes by `arith.andi`, the high ones after an
//    `arith.shrui` of 32-bit lanes (q6_k adds two top bits a code);
//  * each chunk is one `llvm.x86.avx512.vpdpbusd.512` of the 64 unsigned
//    codes and the token's 4 signed codes broadcast to every row, in two
//    chains whose latencies overlap; the sum starts at -zero point *
//    sum(a) to undo the codes' offset. On AArch64 (the `dot-product`
//    option) a chunk is four 128-bit dot products of 4 rows each: i8mm's
//    `usdot` (unsigned x signed, as vpdpbusd), or the dot-product
//    extension's `sdot` (signed x signed: q8_0's codes are flipped to
//    signed by an `arith.xori` of their top bit, zero point 0; the other
//    formats' codes, 0-63 at most, are already valid signed bytes);
//  * the int32 sums scale by row scale x the token's block scale into an
//    f32 accumulator per row (`vector.fma`; q4_k also subtracts dmin x
//    min x the token's scaled sum);
//  * a gated product (gate rows, then as many up rows) reads a group of
//    gate rows together with its group of up rows and stores
//    `kind(gate) * up` (tfm/Conversion/Activations.h; exp, tanh and erf
//    become polynomials in tfm-approximate-math), as the kernels'
//    epilogue did.
//
// Groups are taken in pairs from the two halves of a task's rows, two
// streams from memory (one core reads ~16 GB/s from one stream on the AMD
// EPYC here, ~30 from two), each prefetched 2 KiB ahead; an odd last group
// streams alone. The token's activations are quantized by the runtime's
// tfm_quantize_activations as for the hand-written kernels (the scratch
// layout of tfm_quantized_activation_row_bytes).
//
// A prefill is bound by arithmetic instead: its tiles (`generated-prefill`)
// share each loaded and unpacked chunk of codes among the tokens of a
// tile and each token's broadcast codes among the groups of a tile, one
// accumulator and one dot product chain a group and token: on AVX-512
// q8_0's and q4_0's tiles are 2 groups x 4 tokens (a gated product's gate
// group and its up group), the K-quants' 1 x 8 (as the hand-written
// kernel's tiles); 1 x 2 on the 128-bit dot products. The tokens after
// the last whole tile go one at a time.
//
//===----------------------------------------------------------------------===//

#include "GeneratedQuantizedMatmul.h"

#include "tfm/Conversion/Activations.h"

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

/// Q4_K_X16's super-block of 16 rows (tfm_kernels.h): 16 f16 d, 16 f16
/// dmin, three 64-byte planes of the rows' packed 6-bit scales and mins,
/// then per pair of 32-element blocks 8 chunks of nibbles.
constexpr int64_t kSuperBlockElements = 256;
constexpr int64_t kQ4KMinScalesOffset = 2 * kRows;
constexpr int64_t kQ4KScaleWordsOffset = 4 * kRows;
constexpr int64_t kQ4KCodesOffset = kQ4KScaleWordsOffset + 3 * kChunkBytes;
constexpr int64_t kQ4KPairBytes = kChunks * kChunkBytes;
constexpr int64_t kQ4KSuperBlockBytes = kQ4KCodesOffset + 4 * kQ4KPairBytes;
static_assert(kQ4KSuperBlockBytes == kRows * 144, "a Q4_K super-block a row");
/// Q6_K_X16's (tfm_kernels.h): 16 f16 d, the int8 scales of the 16
/// sub-blocks (16 rows each), then per 32-element block 4 chunks of nibbles
/// and 2 of top bits.
constexpr int64_t kQ6KScalesOffset = 2 * kRows;
constexpr int64_t kQ6KSubBlocks = kSuperBlockElements / 16;
constexpr int64_t kQ6KBlocksOffset = kQ6KScalesOffset + kQ6KSubBlocks * kRows;
constexpr int64_t kQ6KBlockBytes = 6 * kChunkBytes;
constexpr int64_t kQ6KSuperBlockBytes =
    kQ6KBlocksOffset + kSuperBlockElements / kBlock * kQ6KBlockBytes;
static_assert(kQ6KSuperBlockBytes == kRows * 210, "a Q6_K super-block a row");

/// What differs between the interleaved formats (tfm_kernels.h): the unit
/// the loop steps over (a 32-element block with its 16 f16 scales, or a
/// 256-element K-quant super-block), the zero point the codes are stored
/// from, and whether a byte holds two codes (Q4_0_X16: byte chunk m holds
/// elements 4m.. in its low nibbles, 16 + 4m.. in its high).
struct BlockLayout {
  int32_t format;
  int64_t unitElements;
  int64_t unitBytes;
  int32_t zeroPoint;
  bool nibbles;

  static BlockLayout of(int32_t format) {
    if (format == TFM_QUANT_Q6_K_X16)
      return {format, kSuperBlockElements, kQ6KSuperBlockBytes, 32, true};
    if (format == TFM_QUANT_Q4_K_X16)
      return {format, kSuperBlockElements, kQ4KSuperBlockBytes, 0, true};
    if (format == TFM_QUANT_Q4_0_X16)
      return {format, kBlock, kScaleBytes + kChunks / 2 * kChunkBytes, 8, true};
    return {format, kBlock, kScaleBytes + kChunks * kChunkBytes, 128, false};
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
class QuantizedProductBuilder {
public:
  QuantizedProductBuilder(OpBuilder &b, Location loc, QuantizedMatmulOp op,
                          DotProduct dotProduct)
      : b(b), loc(loc),
        layout(BlockLayout::of(op.getQuantType().getKernelFormat())),
        dot(DotInstruction::of(dotProduct)), accumulate(op.getAccumulate()),
        gated(op.getGated()),
        upGroupOffset(gated ? op.getWeight().getType().getDimSize(0) / 2 / kRows
                             : 0),
        inFeatures(op.getInput().getType().getDimSize(1)),
        rowBytes(op.getWeight().getType().getDimSize(1)),
        activationRowBytes(tfm_quantized_activation_row_bytes(
            layout.format, inFeatures)) {
    weights = flatView(b, loc, op.getWeight());
    activations = flatView(b, loc, op.getScratch());
    output = flatView(b, loc, op.getOutput());
    outputStride = memref::ExtractStridedMetadataOp::create(b, loc,
                                                            op.getOutput())
                       .getStrides()
                       .front();
  }

  /// Tokens [0, tokens) times the groups [firstGroup, firstGroup +
  /// groups): tileShape().groups groups at a time (a gated product's
  /// gate group and its up group), so that their bytes come from memory
  /// once and stay in the caches for all their tiles of tokens,
  /// tileShape().tokens tokens a tile, the last tokens one at a time.
  void buildTiles(Value firstGroup, Value groups, Value tokens) {
    TileShape shape = tileShape();
    if (gated || shape.groups == 1) {
      scf::ForOp::create(
          b, loc, index(0), groups, index(1), ValueRange{},
          [&](OpBuilder &, Location, Value g, ValueRange) {
            Value group = arith::AddIOp::create(b, loc, firstGroup, g);
            tilesOfGroups({group}, tokens, shape.tokens, 1);
            scf::YieldOp::create(b, loc);
          });
      return;
    }
    Value sets = arith::DivUIOp::create(b, loc, groups, index(shape.groups));
    scf::ForOp::create(
        b, loc, index(0), sets, index(1), ValueRange{},
        [&](OpBuilder &, Location, Value set, ValueRange) {
          Value first = arith::AddIOp::create(
              b, loc, firstGroup,
              arith::MulIOp::create(b, loc, set, index(shape.groups)));
          SmallVector<Value> together;
          for (int64_t g = 0; g < shape.groups; ++g)
            together.push_back(offsetBy(first, g));
          tilesOfGroups(together, tokens, shape.tokens, shape.groups);
          scf::YieldOp::create(b, loc);
        });
    // The groups after the last whole set, one at a time, in tiles of
    // shape.groups x shape.tokens tokens: as many chains as a set's tile
    // (4 would leave vpdpbusd's latency uncovered).
    scf::ForOp::create(
        b, loc, arith::MulIOp::create(b, loc, sets, index(shape.groups)),
        groups, index(1), ValueRange{},
        [&](OpBuilder &, Location, Value g, ValueRange) {
          Value group = arith::AddIOp::create(b, loc, firstGroup, g);
          tilesOfGroups({group}, tokens, shape.groups * shape.tokens, 1);
          scf::YieldOp::create(b, loc);
        });
  }

  /// Tokens [0, tokens) times the output groups `groups`: tiles of
  /// `count` tokens, then the rest one at a time; the tiles bring the
  /// groups `nextGroupDistance` further into the caches.
  void tilesOfGroups(ArrayRef<Value> groups, Value tokens, int64_t count,
                     int64_t nextGroupDistance) {
    Value tiled = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, tokens, index(count)),
        index(count));
    tokensTimesGroups(groups, index(0), tiled, count, nextGroupDistance);
    tokensTimesGroups(groups, tiled, tokens, 1, nextGroupDistance);
  }

  /// Groups [firstGroup, firstGroup + groups): fours from the four
  /// quarters (where streamsPerStep is 4), pairs from the two halves of
  /// the rest (where pairsGroups), then the rest one at a time (an odd last
  /// one, or all). A gated product's group of gate rows pairs with its
  /// group of up rows instead, and the two become one group of outputs.
  void build(Value firstGroup, Value groups) {
    if (gated)
      return buildGated(firstGroup, groups);
    if (streamsPerStep() == 4) {
      Value quarter = arith::DivUIOp::create(b, loc, groups, index(4));
      buildStreams(firstGroup, quarter, 4);
      Value done = arith::MulIOp::create(b, loc, quarter, index(4));
      firstGroup = arith::AddIOp::create(b, loc, firstGroup, done);
      groups = arith::SubIOp::create(b, loc, groups, done);
    }
    Value alone = index(0);
    if (pairsGroups()) {
      Value half = arith::DivUIOp::create(b, loc, groups, index(2));
      buildStreams(firstGroup, half, 2);
      alone = arith::MulIOp::create(b, loc, half, index(2));
    }
    scf::ForOp::create(
        b, loc, alone, groups, index(1), ValueRange{},
        [&](OpBuilder &, Location, Value g, ValueRange) {
          Value group = arith::AddIOp::create(b, loc, firstGroup, g);
          storeGroup(groupsTimesToken({group}).front(), group, index(0));
          scf::YieldOp::create(b, loc);
        });
  }

private:
  /// Groups i, i + part, ..., i + (streams - 1) x part from `firstGroup`
  /// for i in [0, part): one step reads `streams` groups together, a
  /// stream each.
  void buildStreams(Value firstGroup, Value part, int64_t streams) {
    scf::ForOp::create(
        b, loc, index(0), part, index(1), ValueRange{},
        [&](OpBuilder &, Location, Value i, ValueRange) {
          SmallVector<Value> together{
              arith::AddIOp::create(b, loc, firstGroup, i)};
          for (int64_t k = 1; k < streams; ++k)
            together.push_back(
                arith::AddIOp::create(b, loc, together.back(), part));
          SmallVector<Value> sums = groupsTimesToken(together);
          for (auto [sum, group] : llvm::zip(sums, together))
            storeGroup(sum, group, index(0));
          scf::YieldOp::create(b, loc);
        });
  }

  /// Groups a decode step reads together: 4 for q8_0 on AVX-512, 2 where
  /// pairsGroups, else 1. One core keeps more of memory's bandwidth busy
  /// with more streams: tfm-kernel-bench decode/q8_0/generated 2816 x
  /// 1024, one thread, 25.6 GB/s in pairs and 27.1-30.6 in fours (two
  /// threads 51.7-52.3 and 52.4-58.0); whole models alternating, tg128 at
  /// one thread, tinyllama-1.1b 25.7-26.8 -> 28.5-29.2 t/s and
  /// llama-336m-gqa +1-17% in five of six rounds. q4_0's fours were
  /// faster in tfm-kernel-bench (29.4 against 25.6-26.4 GB/s) but not in
  /// llama-336m-gqa (172 against 183 t/s, six rounds' means), and the
  /// K-quants' not in either (q6_k 30.5 against 36.0-36.7 GB/s): they keep
  /// their pairs.
  int64_t streamsPerStep() const {
    if (dot.is512Bit() && layout.format == TFM_QUANT_Q8_0_X16)
      return 4;
    return pairsGroups() ? 2 : 1;
  }

  /// Whether two groups are read together (two streams). Not q4_k's on
  /// 128-bit dot products: a pair of blocks of two groups (their scales,
  /// mins and sums) needs more than NEON's 32 registers. llvm-mca of the
  /// loop on neoverse-n1, per group and pair of blocks: 239 cycles paired
  /// (203 spills and reloads an iteration), 159 alone (22); cortex-a76 245
  /// and 207, neoverse-n2 174 and 153. q6_k's pairs cost what its single
  /// groups do there (120-152 cycles a group and block either way), and
  /// keep the two streams.
  bool pairsGroups() const {
    return dot.is512Bit() || layout.format != TFM_QUANT_Q4_K_X16;
  }

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

  /// The 16 rows' 4 codes of each chunk of the blocks at `blockOffset` of
  /// `groups` (64 unsigned bytes a chunk and group), passed to `use` with
  /// the chunk's index as soon as they are loaded, or for nibbles unpacked
  /// from a byte chunk (its low nibbles: chunk m, its high: chunk m + 4):
  /// code vectors then live one load at a time (an integer sum's order is
  /// free), which is what keeps the 128-bit targets' 32 registers from
  /// spilling.
  void forEachChunkOfGroups(
      ArrayRef<Value> groups, Value blockOffset,
      llvm::function_ref<void(int64_t, ArrayRef<Value>)> use) {
    VectorType i8x64 = vectorOf(kChunkBytes, b.getI8Type());
    auto chunksAt = [&](int64_t m) {
      Value offset = arith::AddIOp::create(
          b, loc, blockOffset, index(kScaleBytes + m * kChunkBytes));
      SmallVector<Value, 2> chunks;
      for (Value group : groups)
        chunks.push_back(
            vector::LoadOp::create(b, loc, i8x64, group, ValueRange{offset}));
      return chunks;
    };
    auto splat = [&](int8_t value) -> Value {
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(i8x64, b.getI8IntegerAttr(value)));
    };
    if (!layout.nibbles) {
      // code + 128 with its top bit flipped is the code as a signed byte.
      Value topBit = dot.signedCodes ? splat(-128) : Value();
      for (int64_t c = 0; c < kChunks; ++c) {
        SmallVector<Value, 2> codes = chunksAt(c);
        if (topBit)
          for (Value &chunk : codes)
            chunk = arith::XOrIOp::create(b, loc, chunk, topBit);
        use(c, codes);
      }
      return;
    }
    for (int64_t m = 0; m < kChunks / 2; ++m) {
      SmallVector<Value, 2> lows, highs;
      for (Value bytes : chunksAt(m)) {
        auto [low, high] = nibbleCodes(bytes);
        lows.push_back(low);
        highs.push_back(high);
      }
      use(m, lows);
      use(m + kChunks / 2, highs);
    }
  }

  /// The low and the high nibbles of `bytes` (a vector<64xi8>), each as a
  /// code a byte. The shift is one of 32-bit lanes (the mask drops what
  /// crosses bytes): x86 has no byte shift, and LLVM's stand-in,
  /// vgf2p8affineqb, competes with vpdpbusd for the same two pipes on Zen 4.
  std::pair<Value, Value> nibbleCodes(Value bytes) {
    VectorType i8x64 = vectorOf(kChunkBytes, b.getI8Type());
    Value low = arith::AndIOp::create(
        b, loc, bytes,
        arith::ConstantOp::create(
            b, loc, DenseElementsAttr::get(i8x64, b.getI8IntegerAttr(0x0F))));
    Value words = vector::BitCastOp::create(
        b, loc, vectorOf(kRows, b.getI32Type()), bytes);
    Value high = arith::AndIOp::create(
        b, loc, arith::ShRUIOp::create(b, loc, words, wordConstant(4)),
        wordConstant(0x0F0F0F0F));
    return {low, vector::BitCastOp::create(b, loc, i8x64, high)};
  }

  /// Block `block` of the tokens whose scratch rows start at `tokenRows`
  /// times the blocks at `blockOffset` of `groups`, added to `accs` (group
  /// g's sums of token i: accs[g x tokens + i], a row per lane): each
  /// chunk of codes is loaded and unpacked once for all the tokens, and
  /// each token's broadcast chunk serves every group.
  void blockTimesTokens(ArrayRef<Value> groups, Value blockOffset,
                        Value block, ArrayRef<Value> tokenRows,
                        MutableArrayRef<Value> accs) {
    VectorType i32x16 = vectorOf(kRows, b.getI32Type());
    VectorType f32x16 = vectorOf(kRows, b.getF32Type());
    int64_t count = tokenRows.size();
    SmallVector<Value> rowScales;
    for (Value group : groups)
      rowScales.push_back(unitHalves(group, blockOffset, 0));
    // vpdpbusd's 16 rows are one register: one token's two chains overlap
    // its latency. Several tokens' chains are independent already, as are
    // the 128-bit dot products' four (16 rows): one chain a token.
    bool twoChains = dot.is512Bit() && count == 1;
    Value codesOffset = arith::MulIOp::create(b, loc, block, index(kBlock));
    SmallVector<Value> tokenScales;
    // Group g's chains of token i: chains[g x tokens + i].
    SmallVector<SmallVector<Value, 2>> chains(groups.size() * count);
    SmallVector<SmallVector<Value>> tokenCodes;
    for (auto [i, tokenRow] : llvm::enumerate(tokenRows)) {
      tokenScales.push_back(
          tokenBlockScalar(tokenRow, kTokenScale, block, b.getF32Type()));
      Value start = sumStart(
          tokenBlockScalar(tokenRow, kTokenSum, block, b.getI32Type()),
          zeroPointAfterLoad());
      for (size_t g = 0; g < groups.size(); ++g) {
        chains[g * count + i].push_back(start);
        if (twoChains)
          chains[g * count + i].push_back(zeros(i32x16));
      }
      tokenCodes.push_back(
          tokenChunks(arith::AddIOp::create(b, loc, tokenRow, codesOffset)));
    }
    int64_t dots = 0;
    forEachChunkOfGroups(groups, blockOffset, [&](int64_t c,
                                                  ArrayRef<Value> codes) {
      for (auto [i, codesOfToken] : llvm::enumerate(tokenCodes))
        for (auto [g, groupCodes] : llvm::enumerate(codes)) {
          SmallVector<Value, 2> &tokenChains = chains[g * count + i];
          Value &chain = tokenChains[dots % tokenChains.size()];
          chain = dotProduct(chain, groupCodes, codesOfToken[c]);
        }
      ++dots;
    });
    for (auto [g, rowScale] : llvm::enumerate(rowScales))
      for (auto [i, tokenScale] : llvm::enumerate(tokenScales)) {
        ArrayRef<Value> tokenChains = chains[g * count + i];
        Value sums = tokenChains.front();
        if (tokenChains.size() == 2)
          sums = arith::AddIOp::create(b, loc, tokenChains[0], tokenChains[1]);
        Value &acc = accs[g * count + i];
        Value scale = arith::MulFOp::create(
            b, loc, rowScale,
            vector::BroadcastOp::create(b, loc, f32x16, tokenScale));
        acc = vector::FMAOp::create(
            b, loc, arith::SIToFPOp::create(b, loc, f32x16, sums), scale, acc);
      }
  }

  /// The per-block values of the token's scratch row after its codes
  /// (tfm_quantized_activation_row_bytes): a plane of `blocks` 4-byte
  /// values each.
  enum TokenPlane {
    kTokenScale = 0,
    kTokenScaledSum = 1,
    kTokenSum = 2,
    kTokenLowSum = 3
  };

  /// Block `block`'s value of plane `plane` of the token's scratch row at
  /// `tokenRow`, of `type`.
  Value tokenBlockScalar(Value tokenRow, TokenPlane plane, Value block,
                         Type type) {
    int64_t planeOffset = inFeatures + 4 * (inFeatures / kBlock) * plane;
    Value offset = arith::AddIOp::create(
        b, loc, offsetBy(tokenRow, planeOffset),
        arith::MulIOp::create(b, loc, block, index(4)));
    return activationScalar(offset, type);
  }

  /// Unit `unit` of the tokens whose scratch rows start at `tokenRows`
  /// times the unit at `unitOffset` of each of `groups`, added to `accs`
  /// (group g's sums of token i: accs[g x tokens + i]). A super-block's
  /// blocks are taken in turns from the groups, a block of each at a time,
  /// as a 32-element unit's are: the streams advance together (q4_k at 1
  /// thread: 22 GB/s taking each group's whole super-block in turn,
  /// against the hand-written kernel's 32). One token (a decode step)
  /// streams its groups from memory and prefetches them; the tiles of
  /// several tokens read a group the caches hold after its first tile.
  void unitsTimesTokens(ArrayRef<Value> groups, Value unitOffset, Value unit,
                        ArrayRef<Value> tokenRows,
                        MutableArrayRef<Value> accs) {
    if (layout.format == TFM_QUANT_Q4_K_X16)
      return q4kSuperBlocksTimesTokens(groups, unitOffset, unit, tokenRows,
                                       accs);
    if (layout.format == TFM_QUANT_Q6_K_X16)
      return q6kSuperBlocksTimesTokens(groups, unitOffset, unit, tokenRows,
                                       accs);
    if (tokenRows.size() > 1)
      return blockTimesTokens(groups, unitOffset, unit, tokenRows, accs);
    // A decode step's streams, a group's whole block after the other's.
    for (auto [g, group] : llvm::enumerate(groups)) {
      prefetchAhead(group, unitOffset, layout.unitBytes);
      blockTimesTokens({group}, unitOffset, unit, tokenRows, accs.slice(g, 1));
    }
  }


  Value offsetBy(Value base, int64_t bytes) {
    return arith::AddIOp::create(b, loc, base, index(bytes));
  }
  Value masked(Value v, uint32_t mask) {
    return arith::AndIOp::create(b, loc, v, wordConstant(mask));
  }
  /// `v`'s 32-bit lanes shifted left by `bits` (right for negative).
  Value shifted(Value v, int64_t bits) {
    if (bits == 0)
      return v;
    if (bits > 0)
      return arith::ShLIOp::create(b, loc, v, wordConstant(bits));
    return arith::ShRUIOp::create(b, loc, v, wordConstant(-bits));
  }
  /// The 16 f16 values at `bytes` of the unit at `unitOffset`, widened.
  Value unitHalves(Value group, Value unitOffset, int64_t bytes) {
    return arith::ExtFOp::create(
        b, loc, vectorOf(kRows, b.getF32Type()),
        loadAs(group, offsetBy(unitOffset, bytes), kScaleBytes,
               vectorOf(kRows, b.getF16Type())));
  }

  /// A vector<16xi32> of `value` in every lane.
  Value wordConstant(uint32_t value) {
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(vectorOf(kRows, b.getI32Type()),
                               b.getI32IntegerAttr(int32_t(value))));
  }

  /// Super-block `unit` of the tokens whose scratch rows start at
  /// `tokenRows` times the Q6_K_X16 super-blocks at `unitOffset` of
  /// `groups`, added to `accs` (as unitsTimesTokens'): x = d * scale[k] *
  /// (u - 32) with codes u 0-63 and an int8 scale per 16-element
  /// sub-block k. A block's codes are its nibble chunks with two top bits
  /// each from a top-bit chunk; its two halves are sub-blocks 2j and 2j +
  /// 1, each sum started at -32 x that half's sum(a).
  void q6kSuperBlocksTimesTokens(ArrayRef<Value> groups, Value unitOffset,
                                 Value unit, ArrayRef<Value> tokenRows,
                                 MutableArrayRef<Value> accs) {
    SmallVector<Value> d;
    for (Value group : groups)
      d.push_back(unitHalves(group, unitOffset, 0));
    Value firstBlock = arith::MulIOp::create(
        b, loc, unit, index(kSuperBlockElements / kBlock));
    // The blocks are a loop of their own, not 8 copies: LLVM then cannot
    // schedule every block's loads at the top of the super-block, which
    // after -O3's loop rotation spilled 44 vectors a super-block (0.62x
    // the hand-written kernel, in tfm-kernel-bench as in a model).
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(kSuperBlockElements / kBlock), index(1),
        ValueRange(accs),
        [&](OpBuilder &, Location, Value j, ValueRange carried) {
          SmallVector<Value> next(carried.begin(), carried.end());
          q6kBlocksTimesTokens(groups, unitOffset, d, firstBlock, j,
                               tokenRows, next);
          scf::YieldOp::create(b, loc, next);
        });
    llvm::copy(loop.getResults(), accs.begin());
  }

  /// What a token brings to a block's dot products: its 8 chunks of codes,
  /// where its sums start, its block scale broadcast.
  struct TokenBlock {
    SmallVector<Value> chunks;
    SmallVector<Value, 2> starts;
    Value scale;
  };

  /// Block `j` of the tokens' super-block and of the Q6_K_X16
  /// super-blocks at `unitOffset` of `groups` (their rows' d widened:
  /// `d`), added to `accs`.
  void q6kBlocksTimesTokens(ArrayRef<Value> groups, Value unitOffset,
                            ArrayRef<Value> d, Value firstBlock, Value j,
                            ArrayRef<Value> tokenRows,
                            MutableArrayRef<Value> accs) {
    Value block = arith::AddIOp::create(b, loc, firstBlock, j);
    SmallVector<TokenBlock> tokens;
    for (Value tokenRow : tokenRows) {
      TokenBlock token;
      token.chunks = tokenChunks(arith::AddIOp::create(
          b, loc, tokenRow,
          arith::MulIOp::create(b, loc, block, index(kBlock))));
      // Each half's sum starts at -32 x its sum(a).
      Value lowSum =
          tokenBlockScalar(tokenRow, kTokenLowSum, block, b.getI32Type());
      Value highSum = arith::SubIOp::create(
          b, loc, tokenBlockScalar(tokenRow, kTokenSum, block, b.getI32Type()),
          lowSum);
      token.starts = {sumStart(lowSum, layout.zeroPoint),
                      sumStart(highSum, layout.zeroPoint)};
      token.scale = vector::BroadcastOp::create(
          b, loc, vectorOf(kRows, b.getF32Type()),
          tokenBlockScalar(tokenRow, kTokenScale, block, b.getF32Type()));
      tokens.push_back(std::move(token));
    }
    int64_t count = tokenRows.size();
    for (auto [g, group] : llvm::enumerate(groups)) {
      if (count == 1)
        prefetchBlockShare(group, unitOffset, j);
      q6kBlockTimesTokens(group, unitOffset, d[g], j, tokens,
                          accs.slice(g * count, count));
    }
  }

  /// Block `j` of the Q6_K_X16 super-block at `unitOffset` of `group` (its
  /// rows' d widened) times each of `tokens`, added to its one of `accs`:
  /// each chunk of codes is unpacked once for all of them.
  void q6kBlockTimesTokens(Value group, Value unitOffset, Value d, Value j,
                           ArrayRef<TokenBlock> tokens,
                           MutableArrayRef<Value> accs) {
    VectorType i32x16 = vectorOf(kRows, b.getI32Type());
    VectorType f32x16 = vectorOf(kRows, b.getF32Type());
    // d x the 16 rows' int8 scale of sub-block k.
    auto subBlockScale = [&](int64_t half) -> Value {
      // Sub-block 2j + half's scales.
      Value offset = arith::AddIOp::create(
          b, loc, offsetBy(unitOffset, kQ6KScalesOffset + half * kRows),
          arith::MulIOp::create(b, loc, j, index(2 * kRows)));
      Value scales = vector::LoadOp::create(
          b, loc, vectorOf(kRows, b.getI8Type()), group, ValueRange{offset});
      return arith::MulFOp::create(
          b, loc, d,
          arith::SIToFPOp::create(
              b, loc, f32x16, arith::ExtSIOp::create(b, loc, i32x16, scales)));
    };
    Value blockOffset = arith::AddIOp::create(
        b, loc, offsetBy(unitOffset, kQ6KBlocksOffset),
        arith::MulIOp::create(b, loc, j, index(kQ6KBlockBytes)));
    auto words = [&](int64_t chunk) -> Value {
      return loadAs(group, offsetBy(blockOffset, chunk * kChunkBytes),
                    kChunkBytes, i32x16);
    };
    auto asCodes = [&](Value v) -> Value {
      return vector::BitCastOp::create(
          b, loc, vectorOf(kChunkBytes, b.getI8Type()), v);
    };
    SmallVector<std::array<Value, 2>> sums;
    for (const TokenBlock &token : tokens)
      sums.push_back({token.starts[0], token.starts[1]});
    Value topChunks[2] = {words(4), words(5)};
    for (int64_t m = 0; m < 4; ++m) {
      // Elements 4m.. (low nibbles, their top bits shifted to bits 4-5)
      // and 16 + 4m.. (high nibbles) of the block.
      Value nibbles = words(m), tops = topChunks[m / 2];
      Value low = arith::OrIOp::create(
          b, loc, masked(nibbles, 0x0F0F0F0F),
          masked(shifted(tops, m % 2 ? 0 : 4), 0x30303030));
      Value high = arith::OrIOp::create(
          b, loc, masked(shifted(nibbles, -4), 0x0F0F0F0F),
          masked(shifted(tops, m % 2 ? -2 : 2), 0x30303030));
      Value codes[2] = {asCodes(low), asCodes(high)};
      for (auto [token, tokenSums] : llvm::zip(tokens, sums)) {
        tokenSums[0] = dotProduct(tokenSums[0], codes[0], token.chunks[m]);
        tokenSums[1] =
            dotProduct(tokenSums[1], codes[1], token.chunks[4 + m]);
      }
    }
    for (int64_t half = 0; half < 2; ++half) {
      Value scale = subBlockScale(half);
      for (auto [acc, token, tokenSums] : llvm::zip(accs, tokens, sums))
        acc = vector::FMAOp::create(
            b, loc, arith::SIToFPOp::create(b, loc, f32x16, tokenSums[half]),
            arith::MulFOp::create(b, loc, scale, token.scale), acc);
    }
  }

  /// A Q4_K_X16 super-block's rows' factors: d x each block's scale and
  /// dmin x its min come from these.
  struct Q4KFactors {
    Value d, dmin;
    Value scaleBytes[2], minBytes[2];
  };

  /// GGML's get_scale_min_k4 for the 16 rows at once: the scales and mins
  /// of blocks 0-3 are the low 6 bits of words 0 and 1's bytes; those of
  /// 4-7 take their low 4 bits from word 2 and their top 2 from the top
  /// bits of words 0 and 1.
  Q4KFactors q4kFactors(Value group, Value unitOffset) {
    Value words[3];
    for (int64_t w = 0; w < 3; ++w)
      words[w] = loadAs(group,
                        offsetBy(unitOffset, kQ4KScaleWordsOffset +
                                                 w * kChunkBytes),
                        kChunkBytes, vectorOf(kRows, b.getI32Type()));
    Q4KFactors factors;
    factors.d = unitHalves(group, unitOffset, 0);
    factors.dmin = unitHalves(group, unitOffset, kQ4KMinScalesOffset);
    factors.scaleBytes[0] = masked(words[0], 0x3F3F3F3F);
    factors.scaleBytes[1] =
        arith::OrIOp::create(b, loc, masked(words[2], 0x0F0F0F0F),
                             masked(shifted(words[0], -2), 0x30303030));
    factors.minBytes[0] = masked(words[1], 0x3F3F3F3F);
    factors.minBytes[1] =
        arith::OrIOp::create(b, loc, masked(shifted(words[2], -4), 0x0F0F0F0F),
                             masked(shifted(words[1], -2), 0x30303030));
    return factors;
  }

  /// Super-block `unit` of the tokens whose scratch rows start at
  /// `tokenRows` times the Q4_K_X16 super-blocks at `unitOffset` of
  /// `groups`, added to `accs` (as unitsTimesTokens'): x = d * scale *
  /// code - dmin * min with codes 0-15, so each 32-element block adds d *
  /// scale * (codes . a) * a's scale and subtracts dmin * min * a's scale
  /// * sum(a). A pair of blocks shares its code bytes (low nibbles, high
  /// nibbles): one load, two dot product chains.
  void q4kSuperBlocksTimesTokens(ArrayRef<Value> groups, Value unitOffset,
                                 Value unit, ArrayRef<Value> tokenRows,
                                 MutableArrayRef<Value> accs) {
    Value firstBlock = arith::MulIOp::create(
        b, loc, unit, index(kSuperBlockElements / kBlock));
    // The pairs are a loop of their own, as q6_k's blocks (its note), each
    // unpacking its groups' scales and mins again (L1 hits): carried
    // through the loop they would hold 12 of the 32 registers.
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(kSuperBlockElements / kBlock / 2), index(1),
        ValueRange(accs),
        [&](OpBuilder &, Location, Value pair, ValueRange carried) {
          SmallVector<Value> next(carried.begin(), carried.end());
          Value blocks[2];
          // Token i's chunks of block h: tokens[i][h].
          SmallVector<std::array<SmallVector<Value>, 2>> tokens(
              tokenRows.size());
          for (int64_t h = 0; h < 2; ++h) {
            blocks[h] = arith::AddIOp::create(
                b, loc, firstBlock,
                arith::AddIOp::create(
                    b, loc, arith::MulIOp::create(b, loc, pair, index(2)),
                    index(h)));
            for (auto [tokenRow, token] : llvm::zip(tokenRows, tokens))
              token[h] = tokenChunks(arith::AddIOp::create(
                  b, loc, tokenRow,
                  arith::MulIOp::create(b, loc, blocks[h], index(kBlock))));
          }
          for (Value group : groups)
            for (int64_t h = 0; h < 2 && tokenRows.size() == 1; ++h)
              prefetchBlockShare(
                  group, unitOffset,
                  arith::SubIOp::create(b, loc, blocks[h], firstBlock));
          q4kPairTimesTokens(groups, unitOffset, pair, blocks, tokens,
                             tokenRows, next);
          scf::YieldOp::create(b, loc, next);
        });
    llvm::copy(loop.getResults(), accs.begin());
  }

  /// Blocks 2 `pair` and 2 `pair` + 1 (the tokens' `blocks`, their
  /// chunks `tokens`) of the Q4_K_X16 super-blocks at `unitOffset` of
  /// `groups`, added to `accs`. The groups take turns chunk by chunk, so
  /// that each of a token's chunks is live for one chunk's dot products
  /// (the 16 of a pair at once spilled, at 0.64x the hand-written
  /// kernel's speed); each chunk of codes is unpacked once for all the
  /// tokens.
  void q4kPairTimesTokens(
      ArrayRef<Value> groups, Value unitOffset, Value pair, Value (&blocks)[2],
      ArrayRef<std::array<SmallVector<Value>, 2>> tokens,
      ArrayRef<Value> tokenRows, MutableArrayRef<Value> accs) {
    VectorType i32x16 = vectorOf(kRows, b.getI32Type());
    VectorType f32x16 = vectorOf(kRows, b.getF32Type());
    // Block j = 2 pair + h's scale (or min) is byte j % 4 of word j / 4:
    // of word pair / 2, shifted by 16 (pair % 2) + 8 h bits.
    Value secondWord = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                             pair, index(2));
    Value pairShift = arith::IndexCastOp::create(
        b, loc, b.getI32Type(),
        arith::MulIOp::create(
            b, loc, arith::RemUIOp::create(b, loc, pair, index(2)), index(16)));
    auto blockFactor = [&](const Value (&bytes)[2], int64_t h,
                           Value by) -> Value {
      Value word =
          arith::SelectOp::create(b, loc, secondWord, bytes[1], bytes[0]);
      Value bits = arith::AddIOp::create(
          b, loc, pairShift,
          arith::ConstantIntOp::create(b, loc, b.getI32Type(), 8 * h));
      Value byte = masked(
          arith::ShRUIOp::create(
              b, loc, word, vector::BroadcastOp::create(b, loc, i32x16, bits)),
          0xFF);
      return arith::MulFOp::create(
          b, loc, by, arith::UIToFPOp::create(b, loc, f32x16, byte));
    };
    SmallVector<Q4KFactors> factors;
    for (Value group : groups)
      factors.push_back(q4kFactors(group, unitOffset));
    Value pairOffset = arith::AddIOp::create(
        b, loc, offsetBy(unitOffset, kQ4KCodesOffset),
        arith::MulIOp::create(b, loc, pair, index(kQ4KPairBytes)));
    // Group g's sums of token i: sums[g x tokens + i], one a block.
    int64_t count = tokenRows.size();
    SmallVector<std::array<Value, 2>> sums(groups.size() * count,
                                           {zeros(i32x16), zeros(i32x16)});
    for (int64_t c = 0; c < kChunks; ++c)
      for (auto [g, group] : llvm::enumerate(groups)) {
        Value bytes = vector::LoadOp::create(
            b, loc, vectorOf(kChunkBytes, b.getI8Type()), group,
            ValueRange{offsetBy(pairOffset, c * kChunkBytes)});
        auto [low, high] = nibbleCodes(bytes);
        for (auto [token, tokenSums] :
             llvm::zip(tokens, MutableArrayRef(sums).slice(g * count, count))) {
          tokenSums[0] = dotProduct(tokenSums[0], low, token[0][c]);
          tokenSums[1] = dotProduct(tokenSums[1], high, token[1][c]);
        }
      }
    for (int64_t h = 0; h < 2; ++h) {
      SmallVector<Value> tokenScales, tokenScaledSums;
      for (Value tokenRow : tokenRows) {
        tokenScales.push_back(vector::BroadcastOp::create(
            b, loc, f32x16,
            tokenBlockScalar(tokenRow, kTokenScale, blocks[h],
                             b.getF32Type())));
        tokenScaledSums.push_back(vector::BroadcastOp::create(
            b, loc, f32x16,
            tokenBlockScalar(tokenRow, kTokenScaledSum, blocks[h],
                             b.getF32Type())));
      }
      for (auto [g, groupFactors] : llvm::enumerate(factors)) {
        Value scale = blockFactor(groupFactors.scaleBytes, h, groupFactors.d);
        Value min = arith::NegFOp::create(
            b, loc, blockFactor(groupFactors.minBytes, h, groupFactors.dmin));
        for (int64_t i = 0; i < count; ++i) {
          Value &acc = accs[g * count + i];
          acc = vector::FMAOp::create(
              b, loc,
              arith::SIToFPOp::create(b, loc, f32x16, sums[g * count + i][h]),
              arith::MulFOp::create(b, loc, scale, tokenScales[i]), acc);
          acc = vector::FMAOp::create(b, loc, min, tokenScaledSums[i], acc);
        }
      }
    }
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

  /// Where a dot product chain over codes stored from `zeroPoint` starts
  /// for the token's codes summing to `tokenSum`: -zeroPoint x tokenSum in
  /// every row.
  Value sumStart(Value tokenSum, int32_t zeroPoint) {
    return vector::BroadcastOp::create(
        b, loc, vectorOf(kRows, b.getI32Type()),
        arith::MulIOp::create(
            b, loc, tokenSum,
            arith::ConstantIntOp::create(b, loc, b.getI32Type(), -zeroPoint)));
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

  /// The cache lines `kPrefetchBytes` past the `bytes` bytes at `offset`
  /// of `group` (past the group's end: the next weights a task reads, and
  /// a prefetch never faults). A super-block's prefetches are spread over
  /// its blocks, as the hand-written kernels' are: a burst of 36 or more
  /// waits on the line-fill buffers (q4_k at 1 thread: 22 GB/s with one
  /// burst a unit).
  void prefetchAhead(Value group, Value offset, int64_t bytes) {
    for (int64_t line = 0; line < bytes; line += kCacheLine)
      memref::PrefetchOp::create(
          b, loc, group,
          ValueRange{arith::AddIOp::create(b, loc, offset,
                                           index(kPrefetchBytes + line))},
          /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
  }

  /// prefetchAhead of block `j`'s share of the super-block at `unitOffset`.
  void prefetchBlockShare(Value group, Value unitOffset, Value j) {
    int64_t share = layout.unitBytes / (kSuperBlockElements / kBlock);
    prefetchAhead(group,
                  arith::AddIOp::create(
                      b, loc, unitOffset,
                      arith::MulIOp::create(b, loc, j, index(share))),
                  share);
  }

  /// The tokens whose scratch rows start at `tokenRows` times the groups
  /// `groups`, their blocks read together (a stream each): 16 sums a group
  /// and token, group g's of token i at g x tokens + i.
  SmallVector<Value> groupsTimesTokens(ArrayRef<Value> groups,
                                       ArrayRef<Value> tokenRows,
                                       Value tile = Value(),
                                       int64_t nextGroupDistance = 1) {
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
      initial.append(tokenRows.size(), zeros(f32x16));
    }
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(inFeatures / layout.unitElements), index(1),
        initial, [&](OpBuilder &, Location, Value unit, ValueRange accs) {
          SmallVector<Value> next(accs.begin(), accs.end());
          Value unitOffset =
              arith::MulIOp::create(b, loc, unit, index(layout.unitBytes));
          if (tile)
            for (Value group : groups)
              prefetchNextGroupShare(group, nextGroupDistance, tile, unit);
          unitsTimesTokens(groupViews, unitOffset, unit, tokenRows, next);
          scf::YieldOp::create(b, loc, next);
        });
    return SmallVector<Value>(loop.getResults());
  }

  /// Tile `tile`'s share of group `group` + `distance` at unit `unit`: a
  /// line into L2 a 32-element block, lines tile x blocks + block.. of
  /// that group, so that its first tile finds it in the caches as the
  /// hand-written kernel's SpreadPrefetch does (without it, q8_0's
  /// 128-token tiles of weights from memory ran at 0.87-0.96x the
  /// kernel's). Past the group's last line the prefetches stay on it; a
  /// prefetch never faults (past the matrix's end too).
  void prefetchNextGroupShare(Value group, int64_t distance, Value tile,
                              Value unit) {
    int64_t groupBytes = kRows * rowBytes;
    int64_t lastLine = groupBytes / kCacheLine - 1;
    int64_t linesPerUnit = layout.unitElements / kBlock;
    int64_t units = inFeatures / layout.unitElements;
    Value nextGroup = arith::MulIOp::create(
        b, loc, offsetBy(group, distance), index(groupBytes));
    Value firstLine = arith::MulIOp::create(
        b, loc,
        arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, tile, index(units)), unit),
        index(linesPerUnit));
    for (int64_t l = 0; l < linesPerUnit; ++l) {
      Value line = arith::MinUIOp::create(b, loc, offsetBy(firstLine, l),
                                          index(lastLine));
      memref::PrefetchOp::create(
          b, loc, weights,
          ValueRange{arith::AddIOp::create(
              b, loc, nextGroup,
              arith::MulIOp::create(b, loc, line, index(kCacheLine)))},
          /*isWrite=*/false, /*localityHint=*/2, /*isDataCache=*/true);
    }
  }

  /// The one token of a decode step times `groups`.
  SmallVector<Value> groupsTimesToken(ArrayRef<Value> groups) {
    return groupsTimesTokens(groups, {index(0)});
  }

  /// The gated product's groups [firstGroup, firstGroup + groups) of
  /// outputs: gate group g and up group g + the gate rows' groups read
  /// together (the two streams), `kind(gate) * up` stored.
  void buildGated(Value firstGroup, Value groups) {
    scf::ForOp::create(
        b, loc, index(0), groups, index(1), ValueRange{},
        [&](OpBuilder &, Location, Value g, ValueRange) {
          Value gate = arith::AddIOp::create(b, loc, firstGroup, g);
          Value up = arith::AddIOp::create(b, loc, gate, index(upGroupOffset));
          SmallVector<Value> sums = groupsTimesToken({gate, up});
          storeGroup(gatedSums(sums[0], sums[1]), gate, index(0));
          scf::YieldOp::create(b, loc);
        });
  }

  Value gatedSums(Value gate, Value up) {
    return arith::MulFOp::create(b, loc, buildActivation(b, loc, *gated, gate),
                                 up);
  }

  /// A prefill tile: `groups` groups of 16 rows read together times
  /// `tokens` tokens, each unpacked chunk of codes shared by the tokens and
  /// each token's broadcast chunk by the groups.
  struct TileShape {
    int64_t groups, tokens;
  };

  /// On AVX-512 (8 accumulators and 8 sums of 32 registers) q8_0's and
  /// q4_0's tiles are 2 groups x 4 tokens: a block's 64 dot products then
  /// load 16 chunks of codes and 32 broadcasts of the tokens' codes, where
  /// 1 group x 8 tokens loaded 8 and 64, and the loads bounded the loop
  /// (tfm-kernel-bench, 128 tokens: 1.12-1.15x for q8_0, 1.08-1.10x for
  /// q4_0). A gated product's gate group and its up group are such a pair.
  /// The K-quants' blocks keep more per group and token (q4_k two sums a
  /// token, q6_k two sub-block scales): 2 x 4 spilled there (q4_k 0.95x,
  /// q6_k 0.75x), so they stay 1 x 8. 1 x 2 on 128-bit vectors (16 rows
  /// are 4 registers there: 2 tokens' accumulators and sums hold 16 of 32).
  TileShape tileShape() const {
    if (!dot.is512Bit())
      return {1, 2};
    bool kQuant = layout.format == TFM_QUANT_Q4_K_X16 ||
                  layout.format == TFM_QUANT_Q6_K_X16;
    return kQuant ? TileShape{1, 8} : TileShape{2, 4};
  }

  /// Tokens [tokenBegin, tokenEnd), `count` at a time, times the output
  /// groups `groups` (each a gated product's gate group, its up group
  /// read with it). The tiles bring the groups `nextGroupDistance` further
  /// into the caches.
  void tokensTimesGroups(ArrayRef<Value> groups, Value tokenBegin,
                         Value tokenEnd, int64_t count,
                         int64_t nextGroupDistance) {
    SmallVector<Value> outputGroups(groups.begin(), groups.end());
    scf::ForOp::create(
        b, loc, tokenBegin, tokenEnd, index(count), ValueRange{},
        [&](OpBuilder &, Location, Value first, ValueRange) {
          SmallVector<Value> tokens, tokenRows;
          for (int64_t i = 0; i < count; ++i) {
            tokens.push_back(offsetBy(first, i));
            tokenRows.push_back(arith::MulIOp::create(
                b, loc, tokens.back(), index(activationRowBytes)));
          }
          Value tile = count > 1 ? arith::DivUIOp::create(b, loc, first,
                                                          index(count))
                                 : Value();
          // Group g's sums of token i at g x count + i, the up groups'
          // after the gate groups'.
          SmallVector<Value> sums;
          if (!gated) {
            sums = groupsTimesTokens(outputGroups, tokenRows, tile,
                                     nextGroupDistance);
          } else {
            SmallVector<Value> upGroups;
            for (Value gate : outputGroups)
              upGroups.push_back(offsetBy(gate, upGroupOffset));
            if (tileShape().groups > 1) {
              SmallVector<Value> both(outputGroups);
              both.append(upGroups);
              sums = groupsTimesTokens(both, tokenRows, tile,
                                       nextGroupDistance);
            } else {
              // On 128-bit vectors a gate group and its up group are two
              // loops: together they would need more than 32 registers.
              sums = groupsTimesTokens(outputGroups, tokenRows, tile,
                                       nextGroupDistance);
              sums.append(groupsTimesTokens(upGroups, tokenRows, tile,
                                            nextGroupDistance));
            }
          }
          int64_t upSums = int64_t(outputGroups.size()) * count;
          for (auto [g, group] : llvm::enumerate(outputGroups))
            for (auto [i, token] : llvm::enumerate(tokens)) {
              Value groupSums = sums[g * count + i];
              if (gated)
                groupSums = gatedSums(groupSums, sums[upSums + g * count + i]);
              storeGroup(groupSums, group, token);
            }
          scf::YieldOp::create(b, loc);
        });
  }

  /// `sums` (16 rows) into outputs 16 x `group`.. of token `token` (0
  /// for a decode step), or added to them with `accumulate`.
  void storeGroup(Value sums, Value group, Value token) {
    Value row = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, token, outputStride),
        arith::MulIOp::create(b, loc, group, index(kRows)));
    if (accumulate)
      sums = arith::AddFOp::create(
          b, loc, sums,
          vector::LoadOp::create(b, loc, vectorOf(kRows, b.getF32Type()),
                                 output, ValueRange{row}));
    vector::StoreOp::create(b, loc, sums, output, ValueRange{row});
  }

  OpBuilder &b;
  Location loc;
  BlockLayout layout;
  DotInstruction dot;
  bool accumulate;
  std::optional<Activation> gated;
  /// A gated weight's up rows follow its gate rows: group g's up rows are
  /// group g + this.
  int64_t upGroupOffset;
  int64_t inFeatures;
  int64_t rowBytes;
  /// Bytes of a token's quantized activations in the scratch buffer
  /// (tfm_quantized_activation_row_bytes).
  int64_t activationRowBytes;
  Value weights, activations, output;
  /// Floats from one token's outputs to the next's.
  Value outputStride;
};

} // namespace

/// Whether `op`'s weights are in a layout the generated code reads.
static bool hasGeneratedFormat(QuantizedMatmulOp op) {
  int32_t format = op.getQuantType().getKernelFormat();
  return format == TFM_QUANT_Q8_0_X16 || format == TFM_QUANT_Q4_0_X16 ||
         format == TFM_QUANT_Q4_K_X16 || format == TFM_QUANT_Q6_K_X16;
}

bool mlir::tfm::hasGeneratedDecode(QuantizedMatmulOp op) {
  return hasGeneratedFormat(op) && op.getInput().getType().getDimSize(0) == 1;
}

void mlir::tfm::buildGeneratedDecode(OpBuilder &b, Location loc,
                                     QuantizedMatmulOp op,
                                     DotProduct dotProduct, Value firstRow,
                                     Value rows) {
  QuantizedProductBuilder builder(b, loc, op, dotProduct);
  Value rowsPerGroup = arith::ConstantIndexOp::create(b, loc, kRows);
  builder.build(arith::DivUIOp::create(b, loc, firstRow, rowsPerGroup),
                arith::DivUIOp::create(b, loc, rows, rowsPerGroup));
}

bool mlir::tfm::hasGeneratedTiles(QuantizedMatmulOp op) {
  return hasGeneratedFormat(op) && op.getInput().getType().getDimSize(0) != 1;
}

void mlir::tfm::buildGeneratedTiles(OpBuilder &b, Location loc,
                                    QuantizedMatmulOp op, DotProduct dotProduct,
                                    Value firstRow, Value rows, Value tokens) {
  QuantizedProductBuilder builder(b, loc, op, dotProduct);
  Value rowsPerGroup = arith::ConstantIndexOp::create(b, loc, kRows);
  builder.buildTiles(arith::DivUIOp::create(b, loc, firstRow, rowsPerGroup),
                     arith::DivUIOp::create(b, loc, rows, rowsPerGroup),
                     tokens);
}
