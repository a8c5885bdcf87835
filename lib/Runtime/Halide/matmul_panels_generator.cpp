//===- matmul_panels_generator.cpp - Halide generator of matmul_panels ----===//
//
// The f32 product of tfm's linear layers in panel layout, as a Halide AOT
// generator: the second code generator for this kernel, next to MLIR's
// tfm-tile-and-vectorize (the `halide-matmul` option of tfm-cpu-pipeline
// chooses it; docs/codegen.md).
//
//   output[s, b, p] = init[s, b, p] + sum_k input[s, k] * weights[b, k, p]
//
// `weights` holds panels of `panel` output features (convert-tfm-to-linalg's
// packing): input feature k of panel b is `panel` consecutive floats. `init`
// and `output` are the same buffer when the product accumulates in place (a
// residual, or zeros): each element is read once, by the tile that then
// writes it, so the aliasing is safe.
//
// One instance computes whole register tiles of `tile_rows` token rows x
// `tile_panels` panels (extents must be multiples; the caller,
// matmul_panels_halide.cpp, covers the edges with 1 x 1 tiles). The tile's
// accumulators stay in registers across the whole reduction: on AVX2, 4
// rows x 2 panels give the 8 independent FMA chains two FMA units with 4
// cycles of latency need, and each broadcast input serves 2 weight vectors
// (the same register tile MLIR's schedule uses, docs/codegen.md). AVX-512's
// 32 registers hold 8 x 3: 24 chains, each broadcast serving 3 weight
// vectors (74 against 56 GMAC/s for 4 x 2; MLIR's loops with an 8 x 3 tile
// were slower than with their own 4 x 2, docs/performance.md). A decode
// step (one token) uses 1 x 4: four panels are four weight streams. The reduction is
// unrolled by 2 (an odd tail guarded): on Zen 3 that took a llama-110m
// prefill from 0.85x MLIR's loops to par (1.03x in the same rounds,
// docs/performance.md).
//
// Tiles of several token rows first copy the call's rows into `packed`,
// each tile's rows interleaved feature by feature: the tile's broadcasts
// then read one stream at constant offsets. Read in place, 8 rows at a
// run-time stride took 8 address registers, and with the 3 weight streams
// and loop counters LLVM ran out of general registers and computed row
// addresses with vector shuffles inside the reduction loop (7 extra
// instructions per 48 FMAs, on the FMA ports).
//
//===----------------------------------------------------------------------===//

#include "Halide.h"

namespace {

using namespace Halide;

class MatmulPanels : public Generator<MatmulPanels> {
public:
  GeneratorParam<int> panel{"panel", 8};
  GeneratorParam<int> tileRows{"tile_rows", 4};
  GeneratorParam<int> tilePanels{"tile_panels", 2};
  /// The caller packed the rows already: `input` is (feature x rows of a
  /// tile, tile of rows), each tile's rows interleaved feature by feature.
  GeneratorParam<bool> prepacked{"prepacked", false};

  Input<Buffer<float, 2>> input{"input"};     // (k, s)
  Input<Buffer<float, 3>> weights{"weights"}; // (p, k, b)
  Input<Buffer<float, 3>> init{"init"};       // (p, b, s)
  Output<Buffer<float, 3>> output{"output"};  // (p, b, s)

  void generate() {
    const int rows = tileRows;
    if (prepacked) {
      k = RDom(0, input.dim(0).extent() / rows, "k");
      sum(p, b, s) = init(p, b, s);
      sum(p, b, s) +=
          input(k * rows + s % rows, s / rows) * weights(p, k, b);
      output(p, b, s) = sum(p, b, s);
      return;
    }
    k = RDom(0, input.dim(0).extent(), "k");
    sum(p, b, s) = init(p, b, s);
    if (rows > 1) {
      // packed(row in tile, feature, tile of rows)
      packed(r, f, g) = input(f, g * rows + r);
      sum(p, b, s) += packed(s % rows, k, s / rows) * weights(p, k, b);
    } else {
      sum(p, b, s) += input(k, s) * weights(p, k, b);
    }
    output(p, b, s) = sum(p, b, s);
  }

  void schedule() {
    constrainLayouts();
    const int rows = tileRows, panels = tilePanels;
    // Whole tiles only (RoundUp computes no element twice, so an output
    // that aliases `init` is accumulated once).
    output.dim(1).set_extent(output.dim(1).extent() / panels * panels);
    output.dim(2).set_extent(output.dim(2).extent() / rows * rows);
    Var bo("bo"), bi("bi"), so("so"), si("si");
    // Panels outermost: a panel pair stays in L2 while every token row
    // group passes over it.
    output.tile(b, s, bo, so, bi, si, panels, rows, TailStrategy::RoundUp)
        .reorder(p, bi, si, so, bo)
        .vectorize(p)
        .unroll(bi)
        .unroll(si);
    if (rows > 1 && !prepacked)
      packed.compute_root();
    sum.compute_at(output, so)
        .store_in(MemoryType::Register)
        .vectorize(p)
        .unroll(b)
        .unroll(s);
    RVar ko("ko"), ki("ki");
    sum.update()
        .split(k, ko, ki, 2, TailStrategy::GuardWithIf)
        .reorder(p, b, s, ki, ko)
        .vectorize(p)
        .unroll(b)
        .unroll(s)
        .unroll(ki);
  }

private:
  Var p{"p"}, b{"b"}, s{"s"}, r{"r"}, f{"f"}, g{"g"};
  Func sum{"sum"}, packed{"packed"};
  RDom k;

  /// Unit-stride rows and features, contiguous panels of `panel` floats:
  /// the layouts tfm-lower-matmul-panels passes, known at compile time so
  /// the vectors are plain loads.
  void constrainLayouts() {
    const int lanes = panel;
    input.dim(0).set_stride(1);
    weights.dim(0).set_bounds(0, lanes).set_stride(1);
    weights.dim(1).set_stride(lanes);
    init.dim(0).set_bounds(0, lanes).set_stride(1);
    init.dim(1).set_stride(lanes);
    output.dim(0).set_bounds(0, lanes).set_stride(1);
    output.dim(1).set_stride(lanes);
  }
};

} // namespace

HALIDE_REGISTER_GENERATOR(MatmulPanels, tfm_matmul_panels)
