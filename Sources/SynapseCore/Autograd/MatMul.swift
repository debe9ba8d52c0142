// Matrix product, forward and backward. Every product in Synapse — here, in layers, in the
// tutorial's port — goes through `Scalar.gemm`, the single GEMM entry point (Kernels/GEMM.swift).

extension Tensor {
    /// `op(a) · op(b)` for rank-2 tensors, with no recording.
    static func product(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2, "matmul needs rank-2 tensors, got \(a.shape) and \(b.shape)")
        let m = transposeA ? a.shape[1] : a.shape[0]
        let k = transposeA ? a.shape[0] : a.shape[1]
        let kb = transposeB ? b.shape[1] : b.shape[0]
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition(k == kb, "matmul inner dimensions differ: \(transposeA ? "\(a.shape)ᵀ" : "\(a.shape)") · \(transposeB ? "\(b.shape)ᵀ" : "\(b.shape)")")
        let out = Tensor(uninitializedShape: [m, n])
        Scalar.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                    alpha: 1, a: a.data, lda: a.shape[1], b: b.data, ldb: b.shape[1],
                    beta: 0, c: out.data, ldc: n)
        return out
    }
}

/// The matrix product `op(a) · op(b)`, where `op(x)` is `x` or `xᵀ` (of its last two axes):
/// for rank-2 tensors `np.dot(a, b)` (`np.dot(a.T, b)` is `matmul(a, b, transposeA: true)` with no
/// copy of `aᵀ`); when either has rank ≥ 3, one product per element of the leading axes, which
/// broadcast as in NumPy (`torch.matmul`; see `BatchedMatMul.swift`).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func matmul<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>,
                           transposeA: Bool = false, transposeB: Bool = false) -> Tensor<Scalar> {
    if a.rank > 2 || b.rank > 2 { return batchedMatmul(a, b, transposeA: transposeA, transposeB: transposeB) }
    let out = Tensor.product(a, b, transposeA: transposeA, transposeB: transposeB)
    if Tensor.recordsGradient(a, b) {
        // C = A·B:  ∂L/∂A = G·Bᵀ,  ∂L/∂B = Aᵀ·G   (the transposed cases follow by transposing this)
        out.recordGradient("matmul", inputs: [a, b]) { g, _ in
            var ga: Tensor<Scalar>? = nil, gb: Tensor<Scalar>? = nil
            switch (transposeA, transposeB) {
            case (false, false):  // C = A·B
                if a.requiresGrad { ga = .product(g, b, transposeA: false, transposeB: true) }   // G·Bᵀ
                if b.requiresGrad { gb = .product(a, g, transposeA: true, transposeB: false) }   // Aᵀ·G
            case (true, false):   // C = Aᵀ·B
                if a.requiresGrad { ga = .product(b, g, transposeA: false, transposeB: true) }   // B·Gᵀ
                if b.requiresGrad { gb = .product(a, g, transposeA: false, transposeB: false) }  // A·G
            case (false, true):   // C = A·Bᵀ
                if a.requiresGrad { ga = .product(g, b, transposeA: false, transposeB: false) }  // G·B
                if b.requiresGrad { gb = .product(g, a, transposeA: true, transposeB: false) }   // Gᵀ·A
            case (true, true):    // C = Aᵀ·Bᵀ
                if a.requiresGrad { ga = .product(b, g, transposeA: true, transposeB: true) }    // Bᵀ·Gᵀ
                if b.requiresGrad { gb = .product(g, a, transposeA: true, transposeB: true) }    // Gᵀ·Aᵀ
            }
            return [ga, gb]
        }
    }
    return out
}

extension Tensor {
    /// `self · other` (see ``matmul(_:_:transposeA:transposeB:)``).
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        SynapseCore.matmul(self, other, transposeA: transposeSelf, transposeB: transposeOther)
    }
}
