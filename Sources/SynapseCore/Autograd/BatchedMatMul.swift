// Batched matrix product over leading axes with broadcasting (`torch.matmul` for rank ≥ 3),
// forward and backward side by side: one GEMM per batch element, each an ordinary rank-2 product
// on a slice. Attention's Q·Kᵀ and P·V are such products over [batch, heads].

/// Where one batch element's matrices start in `a`, `b` and the output.
private struct BatchPlan {
    var shape: [Int]                 // the broadcast batch shape
    var offsets: [(a: Int, b: Int)]  // per output batch element, in row-major order: the slices of a and b

    /// The broadcast of `aBatch` and `bBatch` (NumPy's rules), and each output element's slices.
    init(aBatch: [Int], bBatch: [Int], aMatrix: Int, bMatrix: Int) {
        let rank = Swift.max(aBatch.count, bBatch.count)
        let (pa, pb) = ([Int](repeating: 1, count: rank - aBatch.count) + aBatch, [Int](repeating: 1, count: rank - bBatch.count) + bBatch)
        shape = zip(pa, pb).map { x, y in
            precondition(x == y || x == 1 || y == 1, "matmul: batch shapes \(aBatch) and \(bBatch) do not broadcast")
            return Swift.max(x, y)
        }
        // Row-major strides of each operand's batch axes, 0 along broadcast axes.
        func strides(_ dims: [Int], matrix: Int) -> [Int] {
            var result = [Int](repeating: 0, count: rank), step = matrix
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                result[axis] = dims[axis] == 1 ? 0 : step
                step *= dims[axis]
            }
            return result
        }
        let (sa, sb) = (strides(pa, matrix: aMatrix), strides(pb, matrix: bMatrix))
        var index = [Int](repeating: 0, count: rank)
        offsets = []
        for _ in 0..<shape.reduce(1, *) {
            offsets.append((zip(index, sa).reduce(0) { $0 + $1.0 * $1.1 }, zip(index, sb).reduce(0) { $0 + $1.0 * $1.1 }))
            var axis = rank - 1
            while axis >= 0 { index[axis] += 1; if index[axis] < shape[axis] { break }; index[axis] = 0; axis -= 1 }
        }
    }
}

/// `op(a) · op(b)` over the leading axes of `a` `[…, m, k]` and `b` `[…, k, n]` (broadcast as in
/// NumPy; either may be rank 2), giving `[…, m, n]`; `op` transposes the last two axes when asked.
func batchedMatmul<Scalar>(_ a: Tensor<Scalar>, _ b: Tensor<Scalar>, transposeA: Bool, transposeB: Bool) -> Tensor<Scalar> {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs tensors of rank ≥ 2, got \(a.shape) and \(b.shape)")
    let (ar, ac, br, bc) = (a.shape[a.rank - 2], a.shape[a.rank - 1], b.shape[b.rank - 2], b.shape[b.rank - 1])
    let (m, k, kb, n) = (transposeA ? ac : ar, transposeA ? ar : ac, transposeB ? bc : br, transposeB ? br : bc)
    precondition(k == kb, "matmul inner dimensions differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let plan = BatchPlan(aBatch: Array(a.shape.dropLast(2)), bBatch: Array(b.shape.dropLast(2)), aMatrix: ar * ac, bMatrix: br * bc)
    let out = Tensor<Scalar>(uninitializedShape: plan.shape + [m, n])
    for (i, (oa, ob)) in plan.offsets.enumerated() {
        Scalar.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 1, a: a.data + oa, lda: ac,
                    b: b.data + ob, ldb: bc, beta: 0, c: out.data + i * m * n, ldc: n)
    }
    if Tensor.recordsGradient(a, b) {
        // Per batch element C = op(A)·op(B) (as in `matmul`): ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G for the plain
        // case, the transposed cases by transposing; a slice shared by several elements (broadcast)
        // receives the sum of their gradients, accumulated in batch order.
        out.recordGradient("batchedMatmul", inputs: [a, b]) { g, _ in
            let ga = a.requiresGrad ? Tensor<Scalar>(zeros: a.shape) : nil
            let gb = b.requiresGrad ? Tensor<Scalar>(zeros: b.shape) : nil
            for (i, (oa, ob)) in plan.offsets.enumerated() {
                let gi = g.data + i * m * n
                if let ga {
                    // ∂A: G·op(B)ᵀ laid out as A ([m, k] or, transposed, [k, m] = op(B)·Gᵀ)
                    if transposeA {
                        Scalar.gemm(transposeA: transposeB, transposeB: true, m: k, n: m, k: n, alpha: 1, a: b.data + ob, lda: bc,
                                    b: gi, ldb: n, beta: 1, c: ga.data + oa, ldc: ac)
                    } else {
                        Scalar.gemm(transposeA: false, transposeB: !transposeB, m: m, n: k, k: n, alpha: 1, a: gi, lda: n,
                                    b: b.data + ob, ldb: bc, beta: 1, c: ga.data + oa, ldc: ac)
                    }
                }
                if let gb {
                    // ∂B: op(A)ᵀ·G laid out as B ([k, n] or, transposed, [n, k] = Gᵀ·op(A))
                    if transposeB {
                        Scalar.gemm(transposeA: true, transposeB: transposeA, m: n, n: k, k: m, alpha: 1, a: gi, lda: n,
                                    b: a.data + oa, ldb: ac, beta: 1, c: gb.data + ob, ldc: bc)
                    } else {
                        Scalar.gemm(transposeA: !transposeA, transposeB: false, m: k, n: n, k: m, alpha: 1, a: a.data + oa, lda: ac,
                                    b: gi, ldb: n, beta: 1, c: gb.data + ob, ldc: bc)
                    }
                }
            }
            return [ga, gb]
        }
    }
    return out
}
