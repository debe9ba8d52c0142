import CSynapseKernels

// Layer normalisation over the last axis, forward and backward side by side (one fused op, as
// PyTorch's `F.layer_norm` with `normalized_shape = [C]`): every row of C values is normalised by
// its own mean and variance — the normalisation of transformers, independent of the batch.

/// Layer normalisation (`F.layer_norm(x, [C], weight, bias, eps)`) of `x` `[…, C]` over its last
/// axis: `y = γ · (x − μ) / √(σ² + ε) + β`, with μ and the biased σ² of each row of C values.
/// `weight` (γ) and `bias` (β) are `[C]` or nil (γ = 1, β = 0).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func layerNorm<Scalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>?, bias: Tensor<Scalar>?,
                              epsilon: Double = 1e-5) -> Tensor<Scalar> {
    precondition(x.rank >= 1, "LayerNorm needs an input with a last axis, got a scalar")
    let features = x.shape[x.rank - 1]
    precondition((weight?.shape ?? [features]) == [features] && (bias?.shape ?? [features]) == [features],
                 "LayerNorm over \(weight?.count ?? bias?.count ?? features) features expected input […, \(weight?.count ?? bias?.count ?? features)], got \(x.shape)")
    let rows = features == 0 ? 0 : x.count / features
    if Scalar.self == Float.self && rows > 0 { return layerNormFloat(x, weight: weight, bias: bias, epsilon: epsilon, rows: rows, features: features) }
    // Per row: μ and 1/√(σ² + ε), kept for the backward.
    var mean = [Scalar](repeating: 0, count: rows), inverseDeviation = [Scalar](repeating: 0, count: rows)
    let out = Tensor<Scalar>(uninitializedShape: x.shape)
    let (xData, oData) = (x.data, out.data)
    for r in 0..<rows {
        let row = xData + r * features
        var sum: Scalar = 0
        for i in 0..<features { sum += row[i] }
        let mu = sum / Scalar(features)
        var squares: Scalar = 0
        for i in 0..<features { let d = row[i] - mu; squares += d * d }
        let inverse = 1 / (squares / Scalar(features) + Scalar(epsilon)).squareRoot()
        mean[r] = mu
        inverseDeviation[r] = inverse
        let o = oData + r * features
        for i in 0..<features {
            o[i] = (row[i] - mu) * inverse * (weight?.data[i] ?? 1) + (bias?.data[i] ?? 0)
        }
    }

    let inputs = [x] + [weight, bias].compactMap { $0 }
    if inputs.contains(where: { Tensor.recordsGradient($0) }) {
        // With x̂ = (x − μ)/√(σ²+ε) and ĝ = γ·g per row of C values:
        // ∂L/∂x = 1/√(σ²+ε) · (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  ∂L/∂γ = Σ_rows g·x̂,  ∂L/∂β = Σ_rows g.
        out.recordGradient("layerNorm", inputs: inputs) { [mean, inverseDeviation] gradient, _ in
            let gData = gradient.data
            let gx = x.requiresGrad ? Tensor<Scalar>(uninitializedShape: x.shape) : nil
            let gw = weight.map { $0.requiresGrad ? Tensor<Scalar>(zeros: [features]) : nil } ?? nil
            let gb = bias.map { $0.requiresGrad ? Tensor<Scalar>(zeros: [features]) : nil } ?? nil
            for r in 0..<rows {
                let (row, g) = (xData + r * features, gData + r * features)
                let (mu, inverse) = (mean[r], inverseDeviation[r])
                var sumG: Scalar = 0, sumGXHat: Scalar = 0
                for i in 0..<features {
                    let xHat = (row[i] - mu) * inverse
                    let scaled = g[i] * (weight?.data[i] ?? 1)
                    sumG += scaled
                    sumGXHat += scaled * xHat
                    gw?.data[i] += g[i] * xHat
                    gb?.data[i] += g[i]
                }
                guard let gx else { continue }
                let (meanG, meanGXHat) = (sumG / Scalar(features), sumGXHat / Scalar(features))
                let out = gx.data + r * features
                for i in 0..<features {
                    let xHat = (row[i] - mu) * inverse
                    out[i] = inverse * (g[i] * (weight?.data[i] ?? 1) - meanG - xHat * meanGXHat)
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

/// Rows per task of the `Float` layer norm: a fixed partition, so the weight and bias gradients
/// (summed per block of rows, then the blocks in order) do not depend on the thread count.
private let layerNormRowBlock = 64

/// The `Float` layer norm: the same formulas as the generic loops above, as vectorised C rows
/// (`CSynapseKernels/activations.c`), blocks of rows split over the cores.
private func layerNormFloat<Scalar: TensorScalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>?, bias: Tensor<Scalar>?,
                                                  epsilon: Double, rows: Int, features: Int) -> Tensor<Scalar> {
    let out = Tensor<Scalar>(uninitializedShape: x.shape)
    // Per row: μ and 1/√(σ² + ε), kept for the backward.
    let statistics = Tensor<Float>(uninitializedShape: [2, rows])
    let (mean, inverse) = (statistics.data, statistics.data + rows)
    let (xf, of) = (floatPointer(x.data), floatPointer(out.data))
    let (wf, bf) = (weight.map { UnsafePointer(floatPointer($0.data)) }, bias.map { UnsafePointer(floatPointer($0.data)) })
    let blocks = (rows + layerNormRowBlock - 1) / layerNormRowBlock
    let parallel = rows * features >= 1 << 15
    func forEachBlock(_ body: (Int, Int) -> Void) {
        func run(_ block: Int) {
            let first = block * layerNormRowBlock
            body(first, Swift.min(layerNormRowBlock, rows - first))
        }
        if parallel { Parallel.forEach(tasks: blocks) { run($0) } } else { for block in 0..<blocks { run(block) } }
    }
    // y = (x − μ)·r·γ + β per row
    forEachBlock { first, count in
        synapse_layer_norm_forward_f32(xf + first * features, wf, bf, of + first * features, mean + first, inverse + first,
                                       count, features, Float(epsilon), -1)
    }
    let inputs = [x] + [weight, bias].compactMap { $0 }
    if inputs.contains(where: { Tensor.recordsGradient($0) }) {
        // ∂L/∂x = r · (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),  ∂L/∂γ = Σ_rows g·x̂,  ∂L/∂β = Σ_rows g  (ĝ = γ·g, x̂ = (x − μ)·r)
        out.recordGradient("layerNorm", inputs: inputs) { gradient, _ in
            let (xf, gf) = (floatPointer(x.data), UnsafePointer(floatPointer(gradient.data)))
            let (mean, inverse) = (UnsafePointer(statistics.data), UnsafePointer(statistics.data + rows))
            let wf = weight.map { UnsafePointer(floatPointer($0.data)) }
            let gx = x.requiresGrad ? Tensor<Scalar>(uninitializedShape: x.shape) : nil
            let needW = weight?.requiresGrad ?? false, needB = bias?.requiresGrad ?? false
            // Per block of rows: its partial sums of g·x̂ and g, added up in block order below.
            let partials = (needW || needB) ? Tensor<Float>(zeros: [blocks, 2, features]) : nil
            forEachBlock { first, count in
                let block = first / layerNormRowBlock
                let partial = partials.map { $0.data + block * 2 * features }
                synapse_layer_norm_backward_f32(xf + first * features, wf, gf + first * features, mean + first, inverse + first,
                                                gx.map { floatPointer($0.data) + first * features },
                                                needW ? partial : nil, needB ? partial.map { $0 + features } : nil,
                                                count, features, -1)
            }
            func total(_ offset: Int) -> Tensor<Scalar> {
                let sum = Tensor<Scalar>(zeros: [features])
                let s = floatPointer(sum.data)
                for block in 0..<blocks {
                    let p = partials!.data + block * 2 * features + offset
                    for i in 0..<features { s[i] += p[i] }
                }
                return sum
            }
            var result: [Tensor<Scalar>?] = [gx]
            if weight != nil { result.append(needW ? total(0) : nil) }
            if bias != nil { result.append(needB ? total(features) : nil) }
            return result
        }
    }
    return out
}
