//===- Linear.cpp - linear layers and logits ------------------------------===//
//
// tfm.linear and tfm.logits: float weights as panel products with their
// norm, bias, activation and residual as epilogues tfm-fuse-matmul-epilogues
// fuses; quantized weights as the kernel-level tfm.quantized_matmul on
// buffers. Quantized tfm.param ops become their raw block bytes.
//
//===----------------------------------------------------------------------===//

#include "Common.h"
#include "tfm/Runtime/tfm_kernels.h"

namespace mlir::tfm::tfm_to_linalg {

namespace {

/// `input [S, K] x panels [NB, K, P]` accumulated onto `init [S, NB, P]`
/// (zeros when null): the products in panel layout, `[S, NB, P]`.
Value buildPanelProducts(OpBuilder &b, Location loc, Value input,
                         Value panels, Value init = {}) {
  MLIRContext *context = b.getContext();
  auto panelsType = cast<RankedTensorType>(panels.getType());
  if (!init)
    init = filledTensor(b, loc,
                        {dimOf(b, loc, input, 0),
                         b.getIndexAttr(panelsType.getDimSize(0)),
                         b.getIndexAttr(panelsType.getDimSize(2))},
                        0.0);
  // out[s, nb, p] += x[s, k] * w[nb, k, p]   (dims s nb k p)
  return buildGeneric(
             b, loc, "matmul_panels", ValueRange{input, panels}, init,
             {selectDims(context, 4, {0, 2}), selectDims(context, 4, {1, 2, 3}),
              selectDims(context, 4, {0, 1, 3})},
             {kParallel, kParallel, kReduction, kParallel},
             [](OpBuilder &nb, Location nl, ValueRange args) {
               Value product = arith::MulFOp::create(nb, nl, args[0], args[1]);
               return SmallVector<Value>{
                   arith::AddFOp::create(nb, nl, args[2], product)};
             })
      .front();
}

/// `input [S, K] x weight^T (+ residual)` where the weight is `[N, K]`
/// row-major or packed `[N / P, K, P]`; returns `[S, N]`. The products
/// accumulate onto `residual` when there is one, else onto zeros.
Value buildMatmul(OpBuilder &b, Location loc, Value input, Value weight,
                  int64_t outFeatures, Value residual = {}) {
  MLIRContext *context = b.getContext();
  OpFoldResult seq = dimOf(b, loc, input, 0);
  auto weightType = cast<RankedTensorType>(weight.getType());
  if (weightType.getRank() == 2) {
    // out[s, n] += x[s, k] * w[n, k]   (dims s n k)
    Value init =
        residual ? residual
                 : filledTensor(b, loc, {seq, b.getIndexAttr(outFeatures)}, 0.0);
    return buildGeneric(
               b, loc, "matmul", ValueRange{input, weight}, init,
               {selectDims(context, 3, {0, 2}), selectDims(context, 3, {1, 2}),
                selectDims(context, 3, {0, 1})},
               {kParallel, kParallel, kReduction},
               [](OpBuilder &nb, Location nl, ValueRange args) {
                 Value product = arith::MulFOp::create(nb, nl, args[0], args[1]);
                 return SmallVector<Value>{
                     arith::AddFOp::create(nb, nl, args[2], product)};
               })
        .front();
  }
  int64_t panels = weightType.getDimSize(0);
  int64_t panel = weightType.getDimSize(2);
  Value init = residual ? splitLastDim(b, loc, residual, {panels, panel})
                        : Value();
  Value packed = buildPanelProducts(b, loc, input, weight, init);
  Value merged = mergeTrailingDims(b, loc, packed, 1);
  if (panels * panel == outFeatures)
    return merged;
  SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes{seq, b.getIndexAttr(outFeatures)};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, merged, offsets, sizes,
                                        strides);
}

/// The epilogue of a float linear layer whose norm's scale is folded into
/// its weights: `products [S, ...]` with each row times its inverse RMS
/// (`inverseRms [S]`), plus `residual` (the products' shape) if given. It
/// overwrites the products, so tfm-fuse-matmul-epilogues can compute the
/// products of a tile in that tile of the result. Panel-layout products
/// (`[S, NB, P]`) make a `matmul_epilogue` kernel.
Value buildRowScaleEpilogue(OpBuilder &b, Location loc, Value products,
                            Value inverseRms, Value residual) {
  unsigned rank = cast<RankedTensorType>(products.getType()).getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<Value> inputs{inverseRms};
  SmallVector<AffineMap> maps{selectDims(b.getContext(), rank, {0})};
  if (residual) {
    inputs.push_back(residual);
    maps.push_back(identity);
  }
  maps.push_back(identity);
  return buildGeneric(
             b, loc, rank == 3 ? "matmul_epilogue" : "elementwise", inputs,
             products, maps, SmallVector<IteratorType>(rank, kParallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value scaled =
                   arith::MulFOp::create(nb, nl, args.back(), args[0]);
               if (residual)
                 scaled = arith::AddFOp::create(nb, nl, scaled, args[1]);
               return SmallVector<Value>{scaled};
             })
      .front();
}

/// `kind(gate * s) * (up * s)` for the gate and up products of a float
/// gated layer in panel layout (`[S, NB, P]` each), `s` the inverse RMS of
/// each row when the norm's scale is folded into the weights. Overwrites the
/// gate products (see buildRowScaleEpilogue).
Value buildGatedEpilogue(OpBuilder &b, Location loc, Activation kind,
                         Value gate, Value up, Value inverseRms) {
  AffineMap identity = b.getMultiDimIdentityMap(3);
  SmallVector<Value> inputs{up};
  SmallVector<AffineMap> maps{identity};
  if (inverseRms) {
    inputs.push_back(inverseRms);
    maps.push_back(selectDims(b.getContext(), 3, {0}));
  }
  maps.push_back(identity);
  return buildGeneric(
             b, loc, "matmul_epilogue", inputs, gate, maps,
             SmallVector<IteratorType>(3, kParallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value gateValue = args.back(), upValue = args[0];
               if (inverseRms) {
                 gateValue = arith::MulFOp::create(nb, nl, gateValue, args[1]);
                 upValue = arith::MulFOp::create(nb, nl, upValue, args[1]);
               }
               return SmallVector<Value>{arith::MulFOp::create(
                   nb, nl, buildActivation(nb, nl, kind, gateValue), upValue)};
             })
      .front();
}

/// `kind(products + bias)` for the products of a float linear layer in
/// panel layout (`[S, NB, P]`), `biasPanels` (`[NB, P]`) optional.
/// Overwrites the products (see buildRowScaleEpilogue).
Value buildActivationEpilogue(OpBuilder &b, Location loc, Activation kind,
                              Value products, Value biasPanels) {
  AffineMap identity = b.getMultiDimIdentityMap(3);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  if (biasPanels) {
    inputs.push_back(biasPanels);
    maps.push_back(selectDims(b.getContext(), 3, {1, 2}));
  }
  maps.push_back(identity);
  return buildGeneric(
             b, loc, "matmul_epilogue", inputs, products, maps,
             SmallVector<IteratorType>(3, kParallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value value = args.back();
               if (biasPanels)
                 value = arith::AddFOp::create(nb, nl, value, args[0]);
               return SmallVector<Value>{buildActivation(nb, nl, kind, value)};
             })
      .front();
}

/// Panels `[first, first + count)` of packed weights `[NB, K, P]`.
Value panelRange(OpBuilder &b, Location loc, Value panels, int64_t first,
                 int64_t count) {
  auto type = cast<RankedTensorType>(panels.getType());
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(first), b.getIndexAttr(0),
                                    b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes{b.getIndexAttr(count),
                                  b.getIndexAttr(type.getDimSize(1)),
                                  b.getIndexAttr(type.getDimSize(2))};
  SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, panels, offsets, sizes,
                                        strides);
}

} // namespace

/// The weight of a linear layer in the layout the kernel reads: a
/// `tfm.param` is re-declared as panels of `panel` output features.
Value weightOperand(OpBuilder &b, Value weight, int64_t panel) {
  auto param = weight.getDefiningOp<ParamOp>();
  if (panel <= 0 || !param || quantTypeOf(param.getResult()))
    return weight;
  auto type = cast<RankedTensorType>(param.getType());
  int64_t outFeatures = type.getDimSize(0);
  int64_t inFeatures = type.getDimSize(1);
  int64_t panels = llvm::divideCeil(outFeatures, panel);
  auto packedType = RankedTensorType::get({panels, inFeatures, panel},
                                          type.getElementType());
  auto packed =
      ParamOp::create(b, param.getLoc(), packedType, param.getNameAttr(),
                      param.getPartsAttr(), param.getColumnScaleAttr(),
                      param.getPoolHeadsAttr());
  packed->setAttr(kPanelAttrName, b.getI64IntegerAttr(panel));
  return packed;
}

namespace {

/// `input x weight^T` with a quantized `weight` (raw block bytes): the
/// kernel-level tfm.quantized_matmul on buffers, with the result handed back
/// to tensors through a fresh buffer.
Value buildQuantizedMatmul(OpBuilder &b, Location loc, Value input,
                           Value weight, QuantType format,
                           int64_t outFeatures, Value residual = {},
                           Value normWeight = {}, FloatAttr normEps = {},
                           ActivationAttr gated = {}) {
  auto inputType = cast<RankedTensorType>(input.getType());
  auto weightType = cast<RankedTensorType>(weight.getType());
  auto readBuffer = [&](Value tensor, RankedTensorType type) -> Value {
    auto buffer = bufferization::ToBufferOp::create(
        b, loc, rowContiguousBufferType(type), tensor);
    buffer.setReadOnly(true);
    return buffer;
  };
  Value inputBuffer = readBuffer(input, inputType);
  Value weightBuffer = readBuffer(weight, weightType);
  auto resultType = RankedTensorType::get(
      {inputType.getDimSize(0), outFeatures}, b.getF32Type());
  SmallVector<Value> dynamicSizes;
  if (resultType.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, 0));
  Value output = memref::AllocOp::create(
      b, loc, MemRefType::get(resultType.getShape(), b.getF32Type()),
      dynamicSizes);
  // The input as the kernel reads it (8-bit blocks, or f32 rows for the
  // 16-bit float formats), per token.
  int64_t activationRowBytes = tfm_quantized_activation_row_bytes(
      format.getKernelFormat(), inputType.getDimSize(1));
  int64_t tokens = inputType.getDimSize(0);
  SmallVector<Value> scratchSizes;
  if (ShapedType::isDynamic(tokens))
    scratchSizes.push_back(arith::MulIOp::create(
        b, loc, dynamicSizes.front(),
        indexConstant(b, loc, activationRowBytes)));
  Value scratch = memref::AllocOp::create(
      b, loc,
      MemRefType::get({ShapedType::isDynamic(tokens)
                           ? ShapedType::kDynamic
                           : tokens * activationRowBytes},
                      b.getI8Type()),
      scratchSizes, b.getI64IntegerAttr(64));
  // A residual is copied into the output, the kernel adds the products.
  if (residual)
    memref::CopyOp::create(
        b, loc,
        readBuffer(residual, cast<RankedTensorType>(residual.getType())),
        output);
  Value normBuffer =
      normWeight ? readBuffer(normWeight,
                              cast<RankedTensorType>(normWeight.getType()))
                 : Value();
  QuantizedMatmulOp::create(b, loc, format, inputBuffer, normBuffer,
                            weightBuffer, output, scratch,
                            /*accumulate=*/residual != nullptr, normEps,
                            gated);
  return bufferization::ToTensorOp::create(b, loc, resultType, output,
                                           /*restrict=*/true,
                                           /*writable=*/true);
}

template <typename OpTy>
struct MatmulLowering : OpConversionPattern<OpTy> {
  MatmulLowering(const TypeConverter &converter, MLIRContext *context,
                 int64_t panel)
      : OpConversionPattern<OpTy>(converter, context), panel(panel) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t outFeatures =
        cast<RankedTensorType>(op.getType()).getShape().back();
    Value residual, normWeight, bias;
    FloatAttr normEps;
    ActivationAttr gated, activationKind;
    normWeight = adaptor.getNormWeight();
    normEps = op.getNormEpsAttr();
    if constexpr (std::is_same_v<OpTy, LinearOp>) {
      residual = adaptor.getResidual();
      gated = op.getGatedAttr();
      bias = adaptor.getBias();
      activationKind = op.getActivationAttr();
    }
    Value input = adaptor.getInput();
    Value result;
    if (QuantType format = quantTypeOf(op.getWeight())) {
      // The norm prologue runs inside the activation quantization, the
      // gated activation in the microkernel's epilogue.
      result = buildQuantizedMatmul(rewriter, loc, input, adaptor.getWeight(),
                                    format, outFeatures, residual, normWeight,
                                    normEps, gated);
    } else if (activationKind &&
               (result = lowerFloatLinearWithActivation(
                    rewriter, loc, input, adaptor.getWeight(), outFeatures,
                    normWeight, normEps, bias, activationKind.getValue()))) {
      // Bias and activation are in the products' epilogue.
      rewriter.replaceOp(op, result);
      return success();
    } else {
      result = lowerFloatLinear(rewriter, loc, input, adaptor.getWeight(),
                                outFeatures, residual, normWeight, normEps,
                                gated);
    }
    if (bias || activationKind)
      result = buildBiasAndActivation(rewriter, loc, result, bias,
                                      activationKind);
    rewriter.replaceOp(op, result);
    return success();
  }

  /// `kind(products + bias)` (either optional) as one element-wise pass.
  static Value buildBiasAndActivation(OpBuilder &b, Location loc,
                                      Value products, Value bias,
                                      ActivationAttr kind) {
    SmallVector<Value> inputs{products};
    SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(2)};
    if (bias) {
      inputs.push_back(bias);
      maps.push_back(lastDimMap(b.getContext(), 2));
    }
    return buildElementwise(
        b, loc, products, inputs, maps,
        [&](OpBuilder &nb, Location nl, ValueRange x) -> Value {
          Value value = x[0];
          if (bias)
            value = arith::AddFOp::create(nb, nl, value, x[1]);
          return kind ? buildActivation(nb, nl, kind.getValue(), value) : value;
        });
  }

  /// A float linear layer with an activation whose products come in whole
  /// panels: the bias and the activation as a `matmul_epilogue` over them,
  /// which tfm-fuse-matmul-epilogues computes in the matmul's thread steps.
  /// Null when the layer takes another form (a folded norm, row-major or
  /// partial panels); the caller then finishes it element-wise.
  Value lowerFloatLinearWithActivation(OpBuilder &b, Location loc, Value input,
                                       Value weight, int64_t outFeatures,
                                       Value normWeight, FloatAttr normEps,
                                       Value bias, Activation kind) const {
    // Only whole panels of a float parameter (what weightOperand packs);
    // checked before it creates the packed parameter.
    if ((normEps && !normWeight) || panel <= 0 || outFeatures % panel != 0 ||
        !weight.getDefiningOp<ParamOp>())
      return {};
    Value panels = weightOperand(b, weight, panel);
    if (normEps)
      input = buildRMSNorm(b, loc, input, normWeight,
                           normEps.getValueAsDouble());
    Value biasPanels =
        bias ? splitLastDim(b, loc, bias, {outFeatures / panel, panel})
             : Value();
    return mergeTrailingDims(
        b, loc,
        buildActivationEpilogue(b, loc, kind,
                                buildPanelProducts(b, loc, input, panels),
                                biasPanels),
        1);
  }

  /// A linear layer with float weights. A norm prologue with a weight is
  /// a separate normalization; one whose scale is folded into the weights
  /// (norm_eps alone) and a gated activation are epilogues over the panel
  /// products.
  Value lowerFloatLinear(OpBuilder &b, Location loc, Value input,
                         Value weight, int64_t outFeatures, Value residual,
                         Value normWeight, FloatAttr normEps,
                         ActivationAttr gated) const {
    Value inverseRms;
    if (normEps && normWeight)
      input = buildRMSNorm(b, loc, input, normWeight,
                           normEps.getValueAsDouble());
    else if (normEps)
      inverseRms = buildInverseRMS(b, loc, input, normEps.getValueAsDouble());
    weight = weightOperand(b, weight, panel);
    bool packed = cast<RankedTensorType>(weight.getType()).getRank() == 3;
    if (gated) {
      if (packed && outFeatures % panel == 0) {
        int64_t half = outFeatures / panel;
        Value gate =
            buildPanelProducts(b, loc, input, panelRange(b, loc, weight, 0, half));
        Value up = buildPanelProducts(b, loc, input,
                                      panelRange(b, loc, weight, half, half));
        return mergeTrailingDims(
            b, loc,
            buildGatedEpilogue(b, loc, gated.getValue(), gate, up, inverseRms),
            1);
      }
      // Halves that split a panel: both halves, then the activation.
      Value both = buildMatmul(b, loc, input, weight, 2 * outFeatures);
      if (inverseRms)
        both = buildRowScaleEpilogue(b, loc, both, inverseRms, {});
      auto half = [&](int64_t column) -> Value {
        SmallVector<OpFoldResult> offsets{b.getIndexAttr(0),
                                          b.getIndexAttr(column)};
        SmallVector<OpFoldResult> sizes{dimOf(b, loc, both, 0),
                                        b.getIndexAttr(outFeatures)};
        SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
        return tensor::ExtractSliceOp::create(b, loc, both, offsets, sizes,
                                              strides);
      };
      return buildGatedActivation(b, loc, gated.getValue(), half(0),
                                  half(outFeatures));
    }
    // The residual goes into panels when it splits into whole panels;
    // otherwise it is added after the padded columns are cut.
    bool intoPanels = !packed || outFeatures % panel == 0;
    Value result;
    if (!inverseRms) {
      // Products accumulate onto the residual.
      result = buildMatmul(b, loc, input, weight, outFeatures,
                           intoPanels ? residual : Value());
    } else if (!packed) {
      result = buildRowScaleEpilogue(
          b, loc, buildMatmul(b, loc, input, weight, outFeatures), inverseRms,
          residual);
    } else {
      auto type = cast<RankedTensorType>(weight.getType());
      Value panelResidual =
          residual && intoPanels
              ? splitLastDim(b, loc, residual,
                             {type.getDimSize(0), type.getDimSize(2)})
              : Value();
      result = mergeTrailingDims(
          b, loc,
          buildRowScaleEpilogue(b, loc, buildPanelProducts(b, loc, input, weight),
                                inverseRms, panelResidual),
          1);
      if (type.getDimSize(0) * panel != outFeatures) {
        SmallVector<OpFoldResult> offsets(2, b.getIndexAttr(0));
        SmallVector<OpFoldResult> sizes{dimOf(b, loc, input, 0),
                                        b.getIndexAttr(outFeatures)};
        SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
        result = tensor::ExtractSliceOp::create(b, loc, result, offsets, sizes,
                                                strides);
      }
    }
    if (residual && !intoPanels)
      result = buildElementwise(
          b, loc, result, ValueRange{result, residual},
          {b.getMultiDimIdentityMap(2), b.getMultiDimIdentityMap(2)},
          [](OpBuilder &nb, Location nl, ValueRange x) -> Value {
            return arith::AddFOp::create(nb, nl, x[0], x[1]);
          });
    return result;
  }

  int64_t panel;
};

/// A quantized weight becomes the raw bytes of its blocks, the format moving
/// to a `tfm.format` attribute the weights file is written from.
struct QuantizedParamLowering : OpConversionPattern<ParamOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ParamOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    QuantType format = quantTypeOf(op.getResult());
    if (!format)
      return failure();
    Type bytes = getTypeConverter()->convertType(op.getType());
    auto lowered = ParamOp::create(rewriter, op.getLoc(), bytes,
                                   op.getNameAttr(), op.getPartsAttr(),
                                   /*column_scale=*/nullptr,
                                   op.getPoolHeadsAttr());
    lowered->setAttr(kQuantFormatAttrName, TypeAttr::get(format));
    rewriter.replaceOp(op, lowered);
    return success();
  }
};

} // namespace

void populateLinearLoweringPatterns(const TypeConverter &converter,
                                    RewritePatternSet &patterns,
                                    int64_t weightPanel) {
  MLIRContext *context = patterns.getContext();
  patterns.add<QuantizedParamLowering>(converter, context);
  patterns.add<MatmulLowering<LinearOp>, MatmulLowering<LogitsOp>>(
      converter, context, weightPanel);
}

} // namespace mlir::tfm::tfm_to_linalg
