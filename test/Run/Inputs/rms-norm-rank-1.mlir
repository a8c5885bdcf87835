func.func @f(%x: tensor<64xf32>, %w: tensor<64xf32>) {
  %y = tfm.rms_norm %x, %w {eps = 1.0e-5 : f64} : tensor<64xf32>, tensor<64xf32>
  return
}
