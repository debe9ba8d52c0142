// Root-mean-square normalisation over the last axis, forward and backward side by side (one fused
// op, as PyTorch's `F.rms_norm(x, [C], weight, eps)`): every row of C values is divided by its
// root mean square — LayerNorm without the centring and the shift (LLaMA, T5, Gemma).

/// RMS normalisation (`F.rms_norm(x, [C], weight, eps)`) of `x` `[…, C]` over its last axis:
/// `y = x / √(mean(x²) + ε) · γ`, with `weight` (γ) `[C]` or nil (γ = 1).
/// `epsilon` nil means PyTorch's default, the machine epsilon of the scalar type
/// (`torch.finfo(dtype).eps`: 2⁻²³ ≈ 1.19e-7 for Float, 2⁻⁵² ≈ 2.2e-16 for Double).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func rmsNorm<Scalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>?, epsilon: Double? = nil) -> Tensor<Scalar> {
    precondition(x.rank >= 1, "RMSNorm needs an input with a last axis, got a scalar")
    let features = x.shape[x.rank - 1]
    precondition((weight?.shape ?? [features]) == [features],
                 "RMSNorm over \(weight?.count ?? features) features expected input […, \(weight?.count ?? features)], got \(x.shape)")
    let eps = epsilon.map { Scalar($0) } ?? Scalar.ulpOfOne
    let rows = features == 0 ? 0 : x.count / features
    // Per row: r = 1/√(mean(x²) + ε), kept for the backward.
    var inverseRMS = [Scalar](repeating: 0, count: rows)
    let out = Tensor<Scalar>(uninitializedShape: x.shape)
    let (xData, oData, gamma) = (x.data, out.data, weight?.data)
    for r in 0..<rows {
        let (row, o) = (xData + r * features, oData + r * features)
        var squares: Scalar = 0
        for i in 0..<features { squares += row[i] * row[i] }
        let inverse = 1 / (squares / Scalar(features) + eps).squareRoot()
        inverseRMS[r] = inverse
        if let gamma {
            for i in 0..<features { o[i] = row[i] * inverse * gamma[i] }
        } else {
            for i in 0..<features { o[i] = row[i] * inverse }
        }
    }

    let inputs = [x] + [weight].compactMap { $0 }
    if inputs.contains(where: { Tensor.recordsGradient($0) }) {
        // With r = 1/√(mean(x²)+ε) and ĝ = γ·g per row of C values:
        // ∂L/∂x = r · (ĝ − x · r² · mean(ĝ·x)),  ∂L/∂γ = Σ_rows g · x · r.
        out.recordGradient("rmsNorm", inputs: inputs) { [inverseRMS] gradient, _ in
            let gData = gradient.data
            let gx = x.requiresGrad ? Tensor<Scalar>(uninitializedShape: x.shape) : nil
            let gw = weight.map { $0.requiresGrad ? Tensor<Scalar>(zeros: [features]) : nil } ?? nil
            for r in 0..<rows {
                let (row, g, inverse) = (xData + r * features, gData + r * features, inverseRMS[r])
                if let gw {
                    let w = gw.data
                    for i in 0..<features { w[i] += g[i] * row[i] * inverse }
                }
                guard let gx else { continue }
                var dot: Scalar = 0                                   // Σ ĝ·x
                if let gamma {
                    for i in 0..<features { dot += g[i] * gamma[i] * row[i] }
                } else {
                    for i in 0..<features { dot += g[i] * row[i] }
                }
                let coefficient = inverse * inverse * dot / Scalar(features)   // r² · mean(ĝ·x)
                let target = gx.data + r * features
                if let gamma {
                    for i in 0..<features { target[i] = inverse * (g[i] * gamma[i] - row[i] * coefficient) }
                } else {
                    for i in 0..<features { target[i] = inverse * (g[i] - row[i] * coefficient) }
                }
            }
            return weight == nil ? [gx] : [gx, gw]
        }
    }
    return out
}
