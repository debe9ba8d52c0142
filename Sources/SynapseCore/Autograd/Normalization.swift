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

    // Each channel is one task (its sums in a fixed order: the same bits on any number of threads).
    let tasks = x.count >= 1 << 15 ? channels : 1
    @inline(__always) func channelRange(_ task: Int) -> Range<Int> { tasks == 1 ? 0..<channels : task..<(task + 1) }
    @inline(__always) func plane(_ s: Int, _ c: Int) -> Int { (s * channels + c) * spatial }

    // Per-channel statistics: μ_c and 1/√(σ²_c + ε); then y = γ x̂ + β with x̂ = (x − μ) / √(σ² + ε),
    // as one affine map per channel: y = a·x + b.
    var mean = [Scalar](repeating: 0, count: channels), inverseDeviation = [Scalar](repeating: 0, count: channels)
    let (xData, rm, rv) = (x.data, runningMean.data, runningVariance.data)
    let out = Tensor<Scalar>(uninitializedShape: x.shape)
    let oData = out.data
    let (gammaData, betaData) = (weight?.data, bias?.data)
    mean.withUnsafeMutableBufferPointer { meanBuffer in
        inverseDeviation.withUnsafeMutableBufferPointer { inverseBuffer in
            let (means, inverses) = (meanBuffer.baseAddress!, inverseBuffer.baseAddress!)
            Parallel.forEach(tasks: tasks) { task in
                for c in channelRange(task) {
                    if training {
                        var sum: Scalar = 0
                        for s in 0..<n { sum += ChannelKernels.sum(xData + plane(s, c), count: spatial) }
                        let mu = sum / Scalar(m)
                        var squares: Scalar = 0
                        for s in 0..<n { squares += ChannelKernels.squaredDeviations(xData + plane(s, c), count: spatial, mean: mu) }
                        let variance = squares / Scalar(m)
                        means[c] = mu
                        inverses[c] = 1 / (variance + Scalar(epsilon)).squareRoot()
                        let rate = Scalar(momentum)
                        rm[c] = (1 - rate) * rm[c] + rate * mu
                        rv[c] = (1 - rate) * rv[c] + rate * squares / Scalar(m - 1)
                    } else {
                        means[c] = rm[c]
                        inverses[c] = 1 / (rv[c] + Scalar(epsilon)).squareRoot()
                    }
                    let gamma = gammaData?[c] ?? 1, beta = betaData?[c] ?? 0
                    let a = gamma * inverses[c], b = beta - a * means[c]
                    for s in 0..<n { ChannelKernels.affine(xData + plane(s, c), oData + plane(s, c), count: spatial, scale: a, shift: b) }
                }
            }
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
            let (gxData, gwData, gbData) = (gx?.data, gw?.data, gb?.data)
            Parallel.forEach(tasks: tasks) { task in
                for c in channelRange(task) {
                    let (mu, inverse) = (mean[c], inverseDeviation[c])
                    var sumG: Scalar = 0, sumGXCentered: Scalar = 0
                    for s in 0..<n {
                        let (g, d) = ChannelKernels.gradientSums(gData + plane(s, c), xData + plane(s, c), count: spatial, mean: mu)
                        sumG += g
                        sumGXCentered += d
                    }
                    let sumGXHat = sumGXCentered * inverse
                    gwData?[c] = sumGXHat
                    gbData?[c] = sumG
                    guard let gxData else { continue }
                    let scale = (gammaData?[c] ?? 1) * inverse
                    let (meanG, meanGXHat) = training ? (sumG / Scalar(m), sumGXHat / Scalar(m)) : (0, 0)
                    for s in 0..<n {
                        ChannelKernels.inputGradient(gData + plane(s, c), xData + plane(s, c), gxData + plane(s, c), count: spatial,
                                                     scale: scale, meanGradient: meanG, mean: mu, slope: inverse * meanGXHat)
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
