import CSynapseKernels
import Foundation

/// Where one attention operand's matrices lie in memory: element `[b, h, row, column]` is at
/// `base + b·batchStride + h·headStride + row·rowStride + column`. The public `[B, H, T, D]`
/// layout, the packed `[B, T, 3C]` projections of a multi-head layer (heads side by side in a row)
/// and a key-value cache with spare capacity are all such layouts, so the kernel reads each in
/// place, without transposing copies.
struct AttentionOperand<T> {
    var base: UnsafeMutablePointer<T>
    var batchStride: Int, headStride: Int, rowStride: Int

    /// The first row of the matrix of batch element `b`, head `h`.
    @inline(__always)
    func matrix(_ b: Int, _ h: Int) -> UnsafeMutablePointer<T> { base + b * batchStride + h * headStride }
}

/// The sizes and masks of one attention call.
struct AttentionProblem {
    var batch: Int, heads: Int
    /// Tq, Tk: query and key positions.
    var queries: Int, keys: Int
    /// D (queries and keys) and Dv (values and the output).
    var depth: Int, valueDepth: Int
    /// Query i sees key j only when j ≤ i + (Tk − Tq).
    var causal: Bool
    /// The factor on Q·Kᵀ.
    var scale: Double
    /// [batch · keys], true where a key is padding (ignored), or nil.
    var keyPadding: [Bool]?
    /// Backward: write the gradients over whatever dq, dk, dv hold (false: add into them).
    var overwritesGradients = false

    /// Tk − Tq: how far the causal diagonal is shifted right (the number of cached keys).
    var causalOffset: Int { keys - queries }

    /// The number of keys (from the first) that query `i` may see before padding, in `0...keys`.
    @inline(__always)
    func visibleKeys(query i: Int) -> Int {
        causal ? Swift.max(0, Swift.min(keys, i + causalOffset + 1)) : keys
    }
}

/// Counts the bytes fused attention allocates while a meter is installed (for tests of its
/// memory use): workspace tiles while they live, and the tensors it creates (outputs, saved
/// log-sum-exps, gradients), which are counted once and never subtracted.
final class AttentionMemoryMeter: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0, highest = 0

    /// The most bytes allocated at once.
    var peak: Int { lock.withLock { highest } }

    /// Records `bytes` more (from any thread).
    func allocate(_ bytes: Int) { lock.withLock { current += bytes; highest = Swift.max(highest, current) } }
    /// Records `bytes` returned.
    func free(_ bytes: Int) { lock.withLock { current -= bytes } }

    /// The meter calls on the current task report to (nil: none).
    @TaskLocal static var installed: AttentionMemoryMeter?
}

/// FlashAttention's algorithm on the CPU: attention computed tile by tile, so the T × T matrix of
/// scores never exists — only one `queryTile × keyTile` block of it per thread at a time.
///
/// Forward, for each tile of queries Qᵢ (rows i), over the tiles of keys Kⱼ, Vⱼ it may see:
///
/// ```text
/// S   = scale · Qᵢ Kⱼᵀ                         (masked entries −∞)
/// m'  = max(m, rowmax S)                       running row maximum
/// P   = exp(S − m')                            this tile's unnormalised probabilities
/// ℓ   = ℓ · exp(m − m') + rowsum P             running row sum (old terms rescaled)
/// O   = O · exp(m − m') + P Vⱼ                 running unnormalised output
/// ```
/// then `O /= ℓ` and `L = m + log ℓ` (the row's log-sum-exp, the only thing kept for backward).
///
/// Backward, for each tile of keys Kⱼ, Vⱼ, over the query tiles Qᵢ that see it, with
/// `δ = rowsum(dO ⊙ O)` computed once per row:
///
/// ```text
/// P   = exp(scale · Qᵢ Kⱼᵀ − L)                the probabilities, recomputed exactly
/// dVⱼ += Pᵀ dOᵢ
/// dP  = dOᵢ Vⱼᵀ
/// dS  = P ⊙ (dP − δ)                           the softmax's backward, row by row
/// dQᵢ += scale · dS Kⱼ
/// dKⱼ += scale · dSᵀ Qᵢ
/// ```
///
/// Each (batch, head) pair is done by one task, start to finish, in a fixed order, so results do
/// not depend on the number of threads. Rows that see no key at all (all padding, or a causal
/// query before the first key) give 0 and receive no gradient.
enum AttentionKernels {
    /// Queries per tile (rows of a score tile).
    static let queryTile = 64
    /// Keys per tile (columns of a score tile).
    static let keyTile = 64
    /// Other tile sizes (queries, keys) for calls on the current task — tests use tiny tiles so
    /// that small problems cross many tile edges.
    @TaskLocal static var tileOverride: Tiles?

    /// A tile shape, queries × keys.
    struct Tiles: Sendable { var queries: Int, keys: Int }

    /// The tile shape of the current call.
    static var tiles: (Int, Int) { tileOverride.map { ($0.queries, $0.keys) } ?? (queryTile, keyTile) }

    /// Runs `body(b, h, workspace)` for every (batch, head) pair, one task per pair (the pool hands
    /// tasks out one at a time, so a core slowed by another process takes fewer), each with a
    /// private workspace of `size` scalars while it runs.
    @inline(__always)
    static func forEachPair<T>(_ problem: AttentionProblem, workspace size: Int, _ type: T.Type,
                               _ body: (Int, Int, UnsafeMutablePointer<T>) -> Void) {
        let pairs = problem.batch * problem.heads
        let bytes = size * MemoryLayout<T>.stride
        let meter = AttentionMemoryMeter.installed
        Parallel.forEach(tasks: pairs) { pair in
            let workspace = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, size))
            meter?.allocate(bytes)
            body(pair / problem.heads, pair % problem.heads, workspace)
            meter?.free(bytes)
            workspace.deallocate()
        }
    }

    /// Whether a call copies each pair's keys (and values) transposed, `Kᵀ` with the keys contiguous,
    /// so that the products `Q Kᵀ` and `dO Vᵀ` read a row-major right operand in place instead of
    /// packing a transposed one for every tile. A few queries (decoding with the cache) take dot
    /// products along K's rows directly, where the copy would double the work.
    @inline(__always)
    static func transposesKeys(_ problem: AttentionProblem) -> Bool { problem.queries >= 16 }

    /// The register tile for the pair kernels in C on the current task (tests force `.avx2`, or
    /// `.swift` for the generic loops); nil: the GEMM's tile for `Float`.
    @TaskLocal static var forcedKernel: GEMM.MicroKernel?

    /// The C pair kernels' tile (2: AVX-512, 1: AVX2), shape and workspace for this call, or nil
    /// when the generic loops run it: other scalar types, key padding, a few queries (decoding),
    /// no FMA tile, a depth that is not a multiple of the tile's width, or test tiles.
    static func pairKernel<T>(_ problem: AttentionProblem, _ type: T.Type) -> (kernel: Int32, shape: synapse_attention_shape, workspace: Int)? {
        guard T.self == Float.self, problem.keyPadding == nil, transposesKeys(problem), tileOverride == nil else { return nil }
        let kernel: Int32
        switch forcedKernel ?? GEMM.floatKernel {
        case .avx512: kernel = 2
        case .avx2: kernel = 1
        case .swift: return nil
        }
        var shape = synapse_attention_shape(queries: problem.queries, keys: problem.keys, depth: problem.depth,
                                            value_depth: problem.valueDepth, causal: problem.causal ? 1 : 0, scale: Float(problem.scale))
        let size = synapse_attention_workspace_f32(&shape, kernel)
        return size < 0 ? nil : (kernel, shape, size)
    }

    /// The operand's matrix of pair (b, h) as `Float` (`T == Float`, checked by the caller).
    @inline(__always)
    static func floats<T>(_ operand: AttentionOperand<T>, _ b: Int, _ h: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(operand.matrix(b, h)).assumingMemoryBound(to: Float.self)
    }

    /// `out = Xᵀ` for a `rows × columns` matrix X whose rows are `stride` apart (out: `columns × rows`,
    /// contiguous). Sixteen rows at a time, so the writes of a block stay in a few cache lines
    /// (`Float`: the C loop, which also prefetches the next block's rows).
    @inline(__always)
    static func transpose<T>(_ x: UnsafePointer<T>, rows: Int, columns: Int, stride: Int, into out: UnsafeMutablePointer<T>) {
        if T.self == Float.self {
            synapse_attention_transpose_f32(UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), rows, columns, stride,
                                            UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self))
            return
        }
        var r0 = 0
        while r0 < rows {
            let r1 = Swift.min(rows, r0 &+ 16)
            var r = r0
            while r < r1 {
                let source = x + r &* stride
                var target = out + r
                for c in 0..<columns {
                    target.pointee = source[c]
                    target += rows
                }
                r &+= 1
            }
            r0 = r1
        }
    }

    /// `Σ_c x[c]·y[c]` in sixteen lane sums (a fixed order), then the lanes in order, then the tail.
    @inline(__always)
    static func dot<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafePointer<T>, count n: Int) -> T {
        var lanes = SIMD16<T>()
        var c = 0
        while c &+ 16 <= n {
            lanes += UnsafeRawPointer(x + c).loadUnaligned(as: SIMD16<T>.self) * UnsafeRawPointer(y + c).loadUnaligned(as: SIMD16<T>.self)
            c &+= 16
        }
        var sum: T = 0
        for lane in 0..<16 { sum += lanes[lane] }
        while c < n {
            sum += x[c] * y[c]
            c &+= 1
        }
        return sum
    }

    /// `S = scale · Q Kᵀ` for a `rows × columns` tile (`depth` deep) into contiguous `s`: from the
    /// transposed copy `kT` (row stride `ldkT`) when there is one, else from K's rows.
    @inline(__always)
    static func scaledScores<T: TensorScalar>(rows: Int, columns: Int, depth: Int, scale: T, q: UnsafePointer<T>, ldq: Int,
                                              k: UnsafePointer<T>, ldk: Int, kT: UnsafePointer<T>?, ldkT: Int,
                                              into s: UnsafeMutablePointer<T>) {
        if let kT {
            T.gemm(transposeA: false, transposeB: false, m: rows, n: columns, k: depth, alpha: scale,
                   a: q, lda: ldq, b: kT, ldb: ldkT, beta: 0, c: s, ldc: columns)
        } else {
            T.gemm(transposeA: false, transposeB: true, m: rows, n: columns, k: depth, alpha: scale,
                   a: q, lda: ldq, b: k, ldb: ldk, beta: 0, c: s, ldc: columns)
        }
    }

    /// `p[j] = exp(s[j] − shift)` for `j < n`, returning Σ p (0 for −∞ entries).
    @inline(__always)
    static func exponentials<T: TensorScalar>(_ s: UnsafeMutablePointer<T>, count n: Int, shift: T) -> T {
        if T.self == Float.self {
            let f = UnsafeMutableRawPointer(s).assumingMemoryBound(to: Float.self)
            return unsafeBitCast(synapse_attention_exp_row_f32(f, n, unsafeBitCast(shift, to: Float.self)), to: T.self)
        }
        var sum: T = 0
        for j in 0..<n {
            let e = T.exponential(s[j] - shift)
            s[j] = e
            sum += e
        }
        return sum
    }

    /// Writes −∞ into the entries of a score-tile row `row` (`columns` keys from `j0`) that query `i`
    /// may not see, and returns how many leading entries are visible before the causal limit.
    @inline(__always)
    static func mask<T: TensorScalar>(_ row: UnsafeMutablePointer<T>, columns: Int, firstKey j0: Int, query i: Int,
                                      problem: AttentionProblem, padding: UnsafePointer<Bool>?) -> Int {
        let visible = Swift.max(0, Swift.min(columns, problem.visibleKeys(query: i) - j0))
        for j in visible..<columns { row[j] = -.infinity }
        if let padding {
            for j in 0..<visible where padding[j0 + j] { row[j] = -.infinity }
        }
        return visible
    }

    /// The forward pass: `o` (and the log-sum-exp of every row, `[B, H, Tq]` contiguous, in `lse`).
    @inline(__always)
    static func forward<T: TensorScalar>(_ problem: AttentionProblem, q: AttentionOperand<T>, k: AttentionOperand<T>,
                                         v: AttentionOperand<T>, o: AttentionOperand<T>, lse: UnsafeMutablePointer<T>) {
        if let (kernel, shape, size) = pairKernel(problem, T.self) {
            // Float on an FMA tile: the pair kernel in C (CSynapseKernels/attention.c), same algorithm.
            let rowLSE = UnsafeMutableRawPointer(lse).assumingMemoryBound(to: Float.self)
            forEachPair(problem, workspace: size, Float.self) { b, h, work in
                var shape = shape
                let done = synapse_attention_forward_f32(&shape, kernel, floats(q, b, h), q.rowStride, floats(k, b, h), k.rowStride,
                                                         floats(v, b, h), v.rowStride, floats(o, b, h), o.rowStride,
                                                         rowLSE + (b * problem.heads + h) * problem.queries, work)
                precondition(done == 1, "attention pair kernel refused a shape it accepted")
            }
            return
        }
        let (bq, bk) = tiles
        let (tq, tk, d, dv) = (problem.queries, problem.keys, problem.depth, problem.valueDepth)
        let scale = T(problem.scale)
        let padding = problem.keyPadding
        padding.withUnsafeBufferPointerIfAny { paddingBase in
            // Per task: a score tile, each tile row's running maximum and sum, and Kᵀ when it pays.
            let transposing = transposesKeys(problem)
            forEachPair(problem, workspace: bq * bk + 2 * bq + (transposing ? d * tk : 0), T.self) { b, h, work in
                let scores = work, runningMax = work + bq * bk, runningSum = work + bq * bk + bq
                let (qm, km, vm, om) = (q.matrix(b, h), k.matrix(b, h), v.matrix(b, h), o.matrix(b, h))
                let keysT = work + bq * bk + 2 * bq
                if transposing { transpose(km, rows: tk, columns: d, stride: k.rowStride, into: keysT) }
                let rowLSE = lse + (b * problem.heads + h) * tq
                let pad = paddingBase.map { UnsafePointer($0 + b * tk) }
                for i0 in stride(from: 0, to: tq, by: bq) {
                    let rows = Swift.min(bq, tq - i0)
                    for a in 0..<rows {
                        runningMax[a] = -.infinity
                        runningSum[a] = 0
                        (om + (i0 + a) * o.rowStride).update(repeating: 0, count: dv)
                    }
                    // Keys any row of this tile may see (causal: up to the last row's diagonal).
                    let keyEnd = problem.visibleKeys(query: i0 + rows - 1)
                    for j0 in stride(from: 0, to: keyEnd, by: bk) {
                        let columns = Swift.min(bk, keyEnd - j0)
                        // S = scale · Qᵢ Kⱼᵀ
                        scaledScores(rows: rows, columns: columns, depth: d, scale: scale, q: qm + i0 * q.rowStride, ldq: q.rowStride,
                                     k: km + j0 * k.rowStride, ldk: k.rowStride, kT: transposing ? keysT + j0 : nil, ldkT: tk, into: scores)
                        for a in 0..<rows {
                            let row = scores + a * columns
                            let visible = mask(row, columns: columns, firstKey: j0, query: i0 + a, problem: problem, padding: pad)
                            var tileMax = -T.infinity
                            for j in 0..<visible where row[j] > tileMax { tileMax = row[j] }
                            guard tileMax > -.infinity else {
                                row.update(repeating: 0, count: columns)   // nothing visible here: P = 0
                                continue
                            }
                            // m' = max(m, rowmax S);  P = exp(S − m');  ℓ = ℓ·e^{m − m'} + ΣP;  O = O·e^{m − m'}
                            let newMax = Swift.max(runningMax[a], tileMax)
                            let correction = T.exponential(runningMax[a] - newMax)
                            let sum = exponentials(row, count: columns, shift: newMax)
                            runningSum[a] = runningSum[a] * correction + sum
                            runningMax[a] = newMax
                            if correction != 1 {
                                let out = om + (i0 + a) * o.rowStride
                                for c in 0..<dv { out[c] *= correction }
                            }
                        }
                        // O += P Vⱼ
                        T.gemm(transposeA: false, transposeB: false, m: rows, n: dv, k: columns, alpha: 1,
                               a: scores, lda: columns, b: vm + j0 * v.rowStride, ldb: v.rowStride,
                               beta: 1, c: om + i0 * o.rowStride, ldc: o.rowStride)
                    }
                    // O /= ℓ;  L = m + log ℓ  (a row that saw nothing: O = 0, L = +∞ so that P = 0 in backward)
                    for a in 0..<rows {
                        let sum = runningSum[a]
                        guard sum > 0 else { rowLSE[i0 + a] = .infinity; continue }
                        let out = om + (i0 + a) * o.rowStride, inverse = 1 / sum
                        for c in 0..<dv { out[c] *= inverse }
                        rowLSE[i0 + a] = runningMax[a] + T.logarithm(sum)
                    }
                }
            }
        }
    }

    /// The backward pass: adds ∂L/∂Q, ∂L/∂K, ∂L/∂V into `dq`, `dk`, `dv` (each optional; they must
    /// hold zeros or earlier gradients, unless `problem.overwritesGradients`), given the output `o`,
    /// its gradient `dout` and `lse`.
    @inline(__always)
    static func backward<T: TensorScalar>(_ problem: AttentionProblem, q: AttentionOperand<T>, k: AttentionOperand<T>,
                                          v: AttentionOperand<T>, o: AttentionOperand<T>, dout: AttentionOperand<T>,
                                          lse: UnsafePointer<T>, dq: AttentionOperand<T>?, dk: AttentionOperand<T>?,
                                          dv: AttentionOperand<T>?) {
        let (bq, bk) = tiles
        let (tq, tk, d, dvDepth) = (problem.queries, problem.keys, problem.depth, problem.valueDepth)
        let scale = T(problem.scale)
        let needScores = dq != nil || dk != nil
        guard needScores || dv != nil else { return }
        if let (kernel, shape, size) = pairKernel(problem, T.self) {
            let rowLSE = UnsafeRawPointer(lse).assumingMemoryBound(to: Float.self)
            forEachPair(problem, workspace: size, Float.self) { b, h, work in
                var shape = shape
                let done = synapse_attention_backward_f32(&shape, kernel, floats(q, b, h), q.rowStride, floats(k, b, h), k.rowStride,
                                                          floats(v, b, h), v.rowStride, floats(o, b, h), o.rowStride,
                                                          floats(dout, b, h), dout.rowStride, rowLSE + (b * problem.heads + h) * problem.queries,
                                                          dq.map { floats($0, b, h) }, dq?.rowStride ?? 0, dk.map { floats($0, b, h) }, dk?.rowStride ?? 0,
                                                          dv.map { floats($0, b, h) }, dv?.rowStride ?? 0,
                                                          problem.overwritesGradients ? 0 : 1, work)
                precondition(done == 1, "attention pair kernel refused a shape it accepted")
            }
            return
        }
        problem.keyPadding.withUnsafeBufferPointerIfAny { paddingBase in
            // Per task: P and dP tiles, δ for every query row of the pair, and Kᵀ, Vᵀ when they pay.
            let transposing = transposesKeys(problem)
            forEachPair(problem, workspace: 2 * bq * bk + tq + (transposing ? (d + dvDepth) * tk : 0), T.self) { b, h, work in
                let probabilities = work, dScores = work + bq * bk, delta = work + 2 * bq * bk
                let (qm, km, vm, om, gm) = (q.matrix(b, h), k.matrix(b, h), v.matrix(b, h), o.matrix(b, h), dout.matrix(b, h))
                let keysT = delta + tq, valuesT = delta + tq + d * tk
                if transposing {
                    transpose(km, rows: tk, columns: d, stride: k.rowStride, into: keysT)
                    transpose(vm, rows: tk, columns: dvDepth, stride: v.rowStride, into: valuesT)
                }
                let rowLSE = lse + (b * problem.heads + h) * tq
                let pad = paddingBase.map { UnsafePointer($0 + b * tk) }
                if problem.overwritesGradients {
                    for (operand, rows, width) in [(dq, tq, d), (dk, tk, d), (dv, tk, dvDepth)] {
                        guard let operand else { continue }
                        for r in 0..<rows { (operand.matrix(b, h) + r * operand.rowStride).update(repeating: 0, count: width) }
                    }
                }
                // δᵢ = Σ_c dOᵢ꜀ Oᵢ꜀  (= rowsum(P ⊙ dP), the softmax backward's subtracted term)
                for i in 0..<tq { delta[i] = dot(om + i * o.rowStride, gm + i * dout.rowStride, count: dvDepth) }
                for j0 in stride(from: 0, to: tk, by: bk) {
                    let columns = Swift.min(bk, tk - j0)
                    // Queries that may see key j0 (causal: i + Tk − Tq ≥ j0).
                    let firstQuery = problem.causal ? Swift.max(0, j0 - problem.causalOffset) : 0
                    for i0 in stride(from: firstQuery, to: tq, by: bq) {
                        let rows = Swift.min(bq, tq - i0)
                        // P = exp(scale · Qᵢ Kⱼᵀ − L)
                        scaledScores(rows: rows, columns: columns, depth: d, scale: scale, q: qm + i0 * q.rowStride, ldq: q.rowStride,
                                     k: km + j0 * k.rowStride, ldk: k.rowStride, kT: transposing ? keysT + j0 : nil, ldkT: tk,
                                     into: probabilities)
                        for a in 0..<rows {
                            let row = probabilities + a * columns
                            _ = mask(row, columns: columns, firstKey: j0, query: i0 + a, problem: problem, padding: pad)
                            _ = exponentials(row, count: columns, shift: rowLSE[i0 + a])
                        }
                        if let dv {
                            // dVⱼ += Pᵀ dOᵢ
                            T.gemm(transposeA: true, transposeB: false, m: columns, n: dvDepth, k: rows, alpha: 1,
                                   a: probabilities, lda: columns, b: gm + i0 * dout.rowStride, ldb: dout.rowStride,
                                   beta: 1, c: dv.matrix(b, h) + j0 * dv.rowStride, ldc: dv.rowStride)
                        }
                        guard needScores else { continue }
                        // dP = dOᵢ Vⱼᵀ
                        scaledScores(rows: rows, columns: columns, depth: dvDepth, scale: 1, q: gm + i0 * dout.rowStride, ldq: dout.rowStride,
                                     k: vm + j0 * v.rowStride, ldk: v.rowStride, kT: transposing ? valuesT + j0 : nil, ldkT: tk,
                                     into: dScores)
                        // dS = P ⊙ (dP − δ)
                        for a in 0..<rows {
                            let (p, ds, rowDelta) = (probabilities + a * columns, dScores + a * columns, delta[i0 + a])
                            for j in 0..<columns { ds[j] = p[j] * (ds[j] - rowDelta) }
                        }
                        if let dq {
                            // dQᵢ += scale · dS Kⱼ
                            T.gemm(transposeA: false, transposeB: false, m: rows, n: d, k: columns, alpha: scale,
                                   a: dScores, lda: columns, b: km + j0 * k.rowStride, ldb: k.rowStride,
                                   beta: 1, c: dq.matrix(b, h) + i0 * dq.rowStride, ldc: dq.rowStride)
                        }
                        if let dk {
                            // dKⱼ += scale · dSᵀ Qᵢ
                            T.gemm(transposeA: true, transposeB: false, m: columns, n: d, k: rows, alpha: scale,
                                   a: dScores, lda: columns, b: qm + i0 * q.rowStride, ldb: q.rowStride,
                                   beta: 1, c: dk.matrix(b, h) + j0 * dk.rowStride, ldc: dk.rowStride)
                        }
                    }
                }
            }
        }
    }

    /// The concrete `Float` forward (see ``forward(_:q:k:v:o:lse:)``).
    static func forwardFloat(_ problem: AttentionProblem, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                             v: AttentionOperand<Float>, o: AttentionOperand<Float>, lse: UnsafeMutablePointer<Float>) {
        forward(problem, q: q, k: k, v: v, o: o, lse: lse)
    }

    /// The concrete `Double` forward.
    static func forwardDouble(_ problem: AttentionProblem, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                              v: AttentionOperand<Double>, o: AttentionOperand<Double>, lse: UnsafeMutablePointer<Double>) {
        forward(problem, q: q, k: k, v: v, o: o, lse: lse)
    }

    /// The concrete `Float` backward.
    static func backwardFloat(_ problem: AttentionProblem, q: AttentionOperand<Float>, k: AttentionOperand<Float>,
                              v: AttentionOperand<Float>, o: AttentionOperand<Float>, dout: AttentionOperand<Float>,
                              lse: UnsafePointer<Float>, dq: AttentionOperand<Float>?, dk: AttentionOperand<Float>?,
                              dv: AttentionOperand<Float>?) {
        backward(problem, q: q, k: k, v: v, o: o, dout: dout, lse: lse, dq: dq, dk: dk, dv: dv)
    }

    /// The concrete `Double` backward.
    static func backwardDouble(_ problem: AttentionProblem, q: AttentionOperand<Double>, k: AttentionOperand<Double>,
                               v: AttentionOperand<Double>, o: AttentionOperand<Double>, dout: AttentionOperand<Double>,
                               lse: UnsafePointer<Double>, dq: AttentionOperand<Double>?, dk: AttentionOperand<Double>?,
                               dv: AttentionOperand<Double>?) {
        backward(problem, q: q, k: k, v: v, o: o, dout: dout, lse: lse, dq: dq, dk: dk, dv: dv)
    }

    /// Dispatches a generic forward to the concrete entry point of its scalar type.
    static func runForward<T: TensorScalar>(_ problem: AttentionProblem, q: AttentionOperand<T>, k: AttentionOperand<T>,
                                            v: AttentionOperand<T>, o: AttentionOperand<T>, lse: UnsafeMutablePointer<T>) {
        if T.self == Float.self {
            forwardFloat(problem, q: cast(q), k: cast(k), v: cast(v), o: cast(o), lse: UnsafeMutableRawPointer(lse).assumingMemoryBound(to: Float.self))
        } else if T.self == Double.self {
            forwardDouble(problem, q: cast(q), k: cast(k), v: cast(v), o: cast(o), lse: UnsafeMutableRawPointer(lse).assumingMemoryBound(to: Double.self))
        } else {
            forward(problem, q: q, k: k, v: v, o: o, lse: lse)
        }
    }

    /// Dispatches a generic backward to the concrete entry point of its scalar type.
    static func runBackward<T: TensorScalar>(_ problem: AttentionProblem, q: AttentionOperand<T>, k: AttentionOperand<T>,
                                             v: AttentionOperand<T>, o: AttentionOperand<T>, dout: AttentionOperand<T>,
                                             lse: UnsafePointer<T>, dq: AttentionOperand<T>?, dk: AttentionOperand<T>?,
                                             dv: AttentionOperand<T>?) {
        if T.self == Float.self {
            backwardFloat(problem, q: cast(q), k: cast(k), v: cast(v), o: cast(o), dout: cast(dout),
                          lse: UnsafeRawPointer(lse).assumingMemoryBound(to: Float.self), dq: dq.map(cast), dk: dk.map(cast), dv: dv.map(cast))
        } else if T.self == Double.self {
            backwardDouble(problem, q: cast(q), k: cast(k), v: cast(v), o: cast(o), dout: cast(dout),
                           lse: UnsafeRawPointer(lse).assumingMemoryBound(to: Double.self), dq: dq.map(cast), dk: dk.map(cast), dv: dv.map(cast))
        } else {
            backward(problem, q: q, k: k, v: v, o: o, dout: dout, lse: lse, dq: dq, dk: dk, dv: dv)
        }
    }

    /// The same operand seen with its concrete scalar type (`T == U`, checked by the caller).
    @inline(__always)
    static func cast<T, U>(_ operand: AttentionOperand<T>) -> AttentionOperand<U> {
        AttentionOperand(base: UnsafeMutableRawPointer(operand.base).assumingMemoryBound(to: U.self),
                         batchStride: operand.batchStride, headStride: operand.headStride, rowStride: operand.rowStride)
    }
}

extension Optional where Wrapped == [Bool] {
    /// `body` with the array's storage, or nil.
    @inline(__always)
    func withUnsafeBufferPointerIfAny<R>(_ body: (UnsafePointer<Bool>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
