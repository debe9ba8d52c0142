// Batch normalisation, forward and backward side by side. The input is seen as [N, C, S]:
// S = 1 for [N, C] (BatchNorm1d), S = H·W for [N, C, H, W] (BatchNorm2d); statistics are per channel c
// over the M = N·S values of that channel.

/// Batch normalisation (PyTorch's `F.batch_norm`) of `x` `[N, C]` or `[N, C, H, W]` per channel:
/// `y = γ · (x − μ) / √(σ² + ε) + β`.
///
/// In training (`training: true`) μ and σ² are the batch's mean and biased variance, and the running
/// statistics move toward them: `running = (1 − momentum) · running + momentum · batch` (the variance
/// fed to `runningVariance` is the unbiased one, as PyTorch). In evaluation μ and σ² are the running
/// statistics and nothing is updated. `weight` (γ) and `bias` (β) are `[C]` or nil (γ = 1, β = 0).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func batchNorm<Scalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>?, bias: Tensor<Scalar>?,
                              runningMean: Tensor<Scalar>, runningVariance: Tensor<Scalar>, training: Bool,
                              momentum: Double = 0.1, epsilon: Double = 1e-5) -> Tensor<Scalar> {
    precondition(x.rank == 2 || x.rank == 4, "BatchNorm expected input [N, C] or [N, C, H, W], got \(x.shape)")
    let (n, channels) = (x.shape[0], x.shape[1])
    let spatial = x.rank == 4 ? x.shape[2] * x.shape[3] : 1
    let m = n * spatial
    precondition(runningMean.shape == [channels] && runningVariance.shape == [channels]
                 && (weight?.shape ?? [channels]) == [channels] && (bias?.shape ?? [channels]) == [channels],
                 "BatchNorm with \(runningMean.count) channels expected input [N, \(runningMean.count), …], got \(x.shape)")
    precondition(!training || m > 1, "BatchNorm in training needs more than one value per channel, got input \(x.shape)")

    // Per-channel statistics: μ_c and 1/√(σ²_c + ε).
    var mean = [Scalar](repeating: 0, count: channels), inverseDeviation = [Scalar](repeating: 0, count: channels)
    let (xData, rm, rv) = (x.data, runningMean.data, runningVariance.data)
    for c in 0..<channels {
        if training {
            var sum: Scalar = 0
            for s in 0..<n { let plane = xData + (s * channels + c) * spatial; for i in 0..<spatial { sum += plane[i] } }
            let mu = sum / Scalar(m)
            var squares: Scalar = 0
            for s in 0..<n { let plane = xData + (s * channels + c) * spatial; for i in 0..<spatial { let d = plane[i] - mu; squares += d * d } }
            let variance = squares / Scalar(m)
            mean[c] = mu
            inverseDeviation[c] = 1 / (variance + Scalar(epsilon)).squareRoot()
            let rate = Scalar(momentum)
            rm[c] = (1 - rate) * rm[c] + rate * mu
            rv[c] = (1 - rate) * rv[c] + rate * squares / Scalar(m - 1)
        } else {
            mean[c] = rm[c]
            inverseDeviation[c] = 1 / (rv[c] + Scalar(epsilon)).squareRoot()
        }
    }
    // y = γ x̂ + β with x̂ = (x − μ) / √(σ² + ε), as one affine map per channel: y = a·x + b.
    let out = Tensor<Scalar>(uninitializedShape: x.shape)
    let oData = out.data
    for c in 0..<channels {
        let gamma = weight?.data[c] ?? 1, beta = bias?.data[c] ?? 0
        let a = gamma * inverseDeviation[c], b = beta - a * mean[c]
        for s in 0..<n {
            let offset = (s * channels + c) * spatial
            for i in 0..<spatial { oData[offset + i] = a * xData[offset + i] + b }
        }
    }

    let inputs = [x] + [weight, bias].compactMap { $0 }
    if inputs.contains(where: { Tensor.recordsGradient($0) }) {
        // ∂L/∂β = Σ g,  ∂L/∂γ = Σ g·x̂,
        // ∂L/∂x = γ/√(σ²+ε) · (g − Σg/M − x̂·Σ(g·x̂)/M) in training (μ, σ² depend on x), γ/√(σ²+ε) · g in evaluation.
        out.recordGradient("batchNorm", inputs: inputs) { [mean, inverseDeviation] gradient, _ in
            let gData = gradient.data
            let gx = x.requiresGrad ? Tensor<Scalar>(uninitializedShape: x.shape) : nil
            let gw = weight.map { $0.requiresGrad ? Tensor<Scalar>(uninitializedShape: [channels]) : nil } ?? nil
            let gb = bias.map { $0.requiresGrad ? Tensor<Scalar>(uninitializedShape: [channels]) : nil } ?? nil
            for c in 0..<channels {
                let (mu, inverse) = (mean[c], inverseDeviation[c])
                var sumG: Scalar = 0, sumGXHat: Scalar = 0
                for s in 0..<n {
                    let offset = (s * channels + c) * spatial
                    for i in 0..<spatial {
                        let g = gData[offset + i]
                        sumG += g
                        sumGXHat += g * (xData[offset + i] - mu) * inverse
                    }
                }
                gw?.data[c] = sumGXHat
                gb?.data[c] = sumG
                guard let gx else { continue }
                let scale = (weight?.data[c] ?? 1) * inverse
                let (meanG, meanGXHat) = training ? (sumG / Scalar(m), sumGXHat / Scalar(m)) : (0, 0)
                for s in 0..<n {
                    let offset = (s * channels + c) * spatial
                    for i in 0..<spatial {
                        let xHat = (xData[offset + i] - mu) * inverse
                        gx.data[offset + i] = scale * (gData[offset + i] - meanG - xHat * meanGXHat)
                    }
                }
            }
            var result: [Tensor<Scalar>?] = [gx]
            if weight != nil { result.append(gw) }
            if bias != nil { result.append(gb) }
            return result
        }
    }
    return out
}
