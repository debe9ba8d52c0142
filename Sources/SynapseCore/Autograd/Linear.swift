/// The affine map of a ``Dense`` layer, `x · Wᵀ + b`, as one operation: the bias rows are written
/// into the output first and the matrix product accumulates onto them (`beta = 1`), so there is no
/// separate broadcast addition and no intermediate tensor (PyTorch's `nn.functional.linear`).
///
/// - Parameters:
///   - x: inputs `[…, in]` of any rank ≥ 1: every row along the last axis is mapped (a sequence
///     `[N, T, in]` gives `[N, T, out]`), as `nn.Linear` does.
///   - weight: `[out, in]` (PyTorch's layout).
///   - bias: `[out]`, or nil.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func linear<Scalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>?) -> Tensor<Scalar> {
    precondition(x.rank >= 1 && weight.rank == 2 && x.shape[x.rank - 1] == weight.shape[1],
                 "linear: input \(x.shape) does not match weight \(weight.shape) ([out, in])")
    precondition(bias == nil || bias!.shape == [weight.shape[0]], "linear: bias \(bias!.shape) must be [\(weight.shape[0])]")
    let (inputs, outputs) = (weight.shape[1], weight.shape[0])
    let rows = inputs == 0 ? x.shape.dropLast().reduce(1, *) : x.count / inputs
    let out = Tensor<Scalar>(uninitializedShape: Array(x.shape.dropLast()) + [outputs])
    if let bias {
        // The bias rows (the product's initial C), in chunks of rows over the cores when there are many.
        let chunk = Swift.max(1, (1 << 16) / Swift.max(1, outputs))
        Parallel.forEach(tasks: (rows + chunk - 1) / chunk) { c in
            for r in (c * chunk)..<Swift.min(rows, (c + 1) * chunk) { (out.data + r * outputs).update(from: bias.data, count: outputs) }
        }
    }
    // y = x·Wᵀ (+ b, already in y), x seen as [rows, in]
    Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs, alpha: 1, a: x.data, lda: inputs,
                b: weight.data, ldb: inputs, beta: bias == nil ? 0 : 1, c: out.data, ldc: outputs)
    let inputsNeedGradient = bias.map { Tensor.recordsGradient(x, weight) || Tensor.recordsGradient($0) } ?? Tensor.recordsGradient(x, weight)
    if inputsNeedGradient {
        // ∂L/∂x = G·W,  ∂L/∂W = Gᵀ·x,  ∂L/∂b = Σ_rows G   (G and x seen as [rows, out] and [rows, in])
        let inputs2D: [Tensor<Scalar>] = bias.map { [x, weight, $0] } ?? [x, weight]
        out.recordGradient("linear", inputs: inputs2D) { g, _ in
            let (g2, x2) = (Tensor(viewOf: g, offset: 0, shape: [rows, outputs]), Tensor(viewOf: x, offset: 0, shape: [rows, inputs]))
            let gx = x.requiresGrad ? Tensor(viewOf: Tensor.product(g2, weight, transposeA: false, transposeB: false), offset: 0, shape: x.shape) : nil
            let gw = weight.requiresGrad ? Tensor.product(g2, x2, transposeA: true, transposeB: false) : nil
            let gb = (bias?.requiresGrad ?? false) ? Tensor(viewOf: g2.reducing(.sum, axis: 0), offset: 0, shape: [outputs]) : nil
            return bias == nil ? [gx, gw] : [gx, gw, gb]
        }
    }
    return out
}
