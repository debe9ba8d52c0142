/// The affine map of a ``Dense`` layer, `x · Wᵀ + b`, as one operation: the bias rows are written
/// into the output first and the matrix product accumulates onto them (`beta = 1`), so there is no
/// separate broadcast addition and no intermediate tensor (PyTorch's `nn.functional.linear`).
///
/// - Parameters:
///   - x: inputs `[N, in]`.
///   - weight: `[out, in]` (PyTorch's layout).
///   - bias: `[out]`, or nil.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func linear<Scalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>?) -> Tensor<Scalar> {
    precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                 "linear: input \(x.shape) does not match weight \(weight.shape) ([out, in])")
    precondition(bias == nil || bias!.shape == [weight.shape[0]], "linear: bias \(bias!.shape) must be [\(weight.shape[0])]")
    let (rows, inputs, outputs) = (x.shape[0], x.shape[1], weight.shape[0])
    let out = Tensor<Scalar>(uninitializedShape: [rows, outputs])
    if let bias {
        for r in 0..<rows { (out.data + r * outputs).update(from: bias.data, count: outputs) }
    }
    // y = x·Wᵀ (+ b, already in y)
    Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs, alpha: 1, a: x.data, lda: inputs,
                b: weight.data, ldb: inputs, beta: bias == nil ? 0 : 1, c: out.data, ldc: outputs)
    let inputsNeedGradient = bias.map { Tensor.recordsGradient(x, weight) || Tensor.recordsGradient($0) } ?? Tensor.recordsGradient(x, weight)
    if inputsNeedGradient {
        // ∂L/∂x = G·W,  ∂L/∂W = Gᵀ·x,  ∂L/∂b = Σ_rows G
        let inputs: [Tensor<Scalar>] = bias.map { [x, weight, $0] } ?? [x, weight]
        out.recordGradient("linear", inputs: inputs) { g, _ in
            let gx = x.requiresGrad ? Tensor.product(g, weight, transposeA: false, transposeB: false) : nil
            let gw = weight.requiresGrad ? Tensor.product(g, x, transposeA: true, transposeB: false) : nil
            let gb = (bias?.requiresGrad ?? false) ? Tensor(viewOf: g.reducing(.sum, axis: 0), offset: 0, shape: [outputs]) : nil
            return bias == nil ? [gx, gw] : [gx, gw, gb]
        }
    }
    return out
}
