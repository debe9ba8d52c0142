// Inverted dropout as a function, forward and backward side by side: the mask is drawn once and
// the backward multiplies by the same mask.

/// `x` with each element zeroed with probability `rate` and the others scaled by 1/(1 − rate)
/// ("inverted dropout", `F.dropout(x, rate, training=True)`), on any rank. The mask comes from
/// `generator`: one uniform draw u per element, kept where u > rate (the same draws as
/// `Tensor(randomUniform: x.shape, generator:)`). `rate` 0 returns `x` itself; `rate` 1 gives zeros.
///
///     y = x ⊙ m,  m = [u > rate] / (1 − rate);   ∂L/∂x = g ⊙ m
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func dropout<Scalar>(_ x: Tensor<Scalar>, rate: Double, generator: inout RandomGenerator) -> Tensor<Scalar> {
    precondition(rate >= 0 && rate <= 1, "dropout rate must be in [0, 1], got \(rate)")
    if rate == 0 { return x }
    let mask = Tensor<Scalar>(randomUniform: x.shape, generator: &generator)
    let (threshold, scale) = (Scalar(rate), rate < 1 ? Scalar(1 / (1 - rate)) : 0)
    let out = Tensor<Scalar>(uninitializedShape: x.shape)
    let (m, source, target) = (mask.data, x.data, out.data)
    for i in 0..<x.count {
        m[i] = m[i] > threshold ? scale : 0
        target[i] = source[i] * m[i]
    }
    if Tensor.recordsGradient(x) {
        // ∂L/∂x = g ⊙ m   (the forward's mask, kept by the closure)
        out.recordGradient("dropout", inputs: [x]) { g, _ in [Tensor.combining(.multiply, g, mask)] }
    }
    return out
}
