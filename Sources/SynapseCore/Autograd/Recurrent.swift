import CSynapseKernels

// Recurrent layers (PyTorch's nn.LSTM and nn.GRU, one layer, batch-first), forward and backward
// through time side by side. Each call is ONE operation over the whole sequence — one gradient node,
// not one per step — so the work is a few large products and one fused loop per time step:
//
//   forward:  A = x·W_ihᵀ + b            one GEMM for every time step at once, [B·T, G]
//             for t in 0..<T:            A[:, t] += h_{t−1}·W_hhᵀ (one GEMM), then the gate loop
//   backward: for t in T−1 … 0:          dh_t = g_t + dA_{t+1}·W_hh (one GEMM), then the gate loop
//             dW_ih = dAᵀ·x,  dx = dA·W_ih,  dW_hh = dAᵀ·h_{t−1},  db = Σ dA   (one GEMM each)
//
// Buffers are batch-first ([B, T, …]) so x, the output and every saved activation keep the caller's
// layout; a time step is a strided block of rows. The steps are split over the cores one of two ways
// (``RecurrentProduct/forEachStep(_:_:)``): with enough sequences (and the FMA kernels), by sequence — each core runs the
// whole recurrence for its own rows of the batch, with no synchronisation between steps at all — and
// otherwise by hidden unit within each step (a task computes the gate pre-activations of its units,
// the GEMM columns k·H + u of every gate k, then the gate loop for those units: one synchronisation
// per step). Every element is computed the same way under both, whatever the thread count. For Float
// with the FMA micro-kernels, the recurrent weight is packed once per call, not once per step.

/// The per-step product of a recurrent layer, for a block of rows and hidden units:
/// `C[i, k·H + u] = Σₚ A[i, p] · op(B)[p, k·H + u] + β·C[i, k·H + u]` for rows i, every gate block k
/// and units u. `op(B)[p, j]` is read at `b[p·bRow + j·bColumn]`.
///
/// For `Float` with the AVX-512 / AVX2 kernels, op(B) is packed once into the micro-kernel's column
/// strips (the recurrent weight is the same at every step) and A — the previous step's h or dA — is
/// read in place, a tile of 8 or 6 rows (AVX-512; 6 with AVX2) at a time, whichever pads the rows
/// less: a batch of 32 sequences split over two cores is two full 8-row tiles per core, where 6-row
/// tiles would compute 36 rows for 32.
/// Otherwise each block goes through `Scalar.gemm`. Each output element is one dot product over p
/// in order, so it comes out the same whichever block of rows and units computes it.
final class RecurrentProduct<T: TensorScalar> {
    /// The micro-kernel of the `Float` path: the backend's, or ``RecurrentKernel/forced`` (tests).
    static var floatKernel: GEMM.MicroKernel { RecurrentKernel.forced ?? GEMM.floatKernel }

    let b: UnsafePointer<T>, bRow: Int, bColumn: Int
    /// The inner dimension, the width of one gate block (H), the number of blocks, and the rows of A.
    let depth: Int, width: Int, blocks: Int, rows: Int
    let kernel: GEMM.MicroKernel
    /// Rows per micro-kernel tile (the row groups of a split by sequence are made of whole tiles).
    let tileRows: Int
    /// The hidden units of each chunk (one parallel task each per step when split by unit; a partition of 0..<width).
    let chunks: [Range<Int>]
    /// The rows of each core when the recurrence is split by sequence (whole tiles), or nil to split
    /// every step by unit. A split by sequence needs a tile of rows for every thread and the FMA
    /// micro-kernels: through `Scalar.gemm`, OpenBLAS may sum a row differently when a call holds
    /// other rows, so the other backends make the same calls on any thread count.
    let rowGroups: [Range<Int>]?
    private let packedB: UnsafeMutablePointer<Float>?
    private let strips: Int

    init(b: UnsafePointer<T>, bRow: Int, bColumn: Int, depth: Int, width: Int, blocks: Int, rows: Int) {
        (self.b, self.bRow, self.bColumn, self.depth, self.width, self.blocks, self.rows) = (b, bRow, bColumn, depth, width, blocks, rows)
        kernel = T.self == Float.self ? Self.floatKernel : .swift
        // The tile height that computes the fewest padded rows per core: 8 (AVX-512, fewer loads per
        // multiply-add) unless 6 fits the rows better (24 sequences on 2 cores: 12 each, 2 × 6).
        let threads = Parallel.threadCount
        func cost(_ height: Int) -> Int {
            let tiles = (rows + height - 1) / height
            return (threads > 1 && tiles >= threads ? (tiles + threads - 1) / threads : tiles) * height
        }
        tileRows = kernel == .avx512 && cost(8) <= cost(GEMM.mr) ? 8 : GEMM.mr
        if kernel != .swift {
            let nr = kernel.nr
            let strips = (width + nr - 1) / nr
            self.strips = strips
            let packed = UnsafeMutablePointer<Float>.allocate(capacity: blocks * strips * nr * depth)
            let fb = UnsafeRawPointer(b).assumingMemoryBound(to: Float.self)
            // A large weight (a megabyte at the benchmark's size) is packed one gate block per task.
            let perTask = depth * width * blocks >= 1 << 16 ? 1 : blocks
            let (bRow, bColumn) = (bRow, bColumn)
            Parallel.forEach(tasks: (blocks + perTask - 1) / perTask) { task in
                for k in (task * perTask)..<Swift.min(blocks, (task + 1) * perTask) {
                    synapse_pack_b_f32(fb + k * width * bColumn, bRow, bColumn, depth, width, nr, packed + k * strips * nr * depth)
                }
            }
            packedB = packed
            chunks = (0..<strips).map { ($0 * nr)..<Swift.min(width, ($0 + 1) * nr) }
        } else {
            strips = 0
            packedB = nil
            chunks = stride(from: 0, to: width, by: 64).map { $0..<Swift.min(width, $0 + 64) }
        }
        let tileRows = tileRows
        let rowTiles = (rows + tileRows - 1) / tileRows
        if kernel != .swift && threads > 1 && rowTiles >= threads {
            // Tiles dealt out evenly, in order: group g holds tiles [g·n/threads, (g+1)·n/threads).
            rowGroups = (0..<threads).map { g in
                (g * rowTiles / threads * tileRows)..<Swift.min(rows, (g + 1) * rowTiles / threads * tileRows)
            }
        } else {
            rowGroups = nil
        }
    }

    deinit {
        packedB?.deallocate()
    }

    /// Runs `body(step, rows, units)` for steps `0..<steps` in order, over blocks that cover every
    /// row and unit of each step: split by sequence (one task per row group runs every step), or
    /// by unit (one parallel pass per step over ``chunks``, every row).
    @inline(__always)
    func forEachStep(_ steps: Int, _ body: (Int, Range<Int>, Range<Int>) -> Void) {
        if let rowGroups {
            Parallel.forEach(tasks: rowGroups.count) { group in
                for step in 0..<steps { body(step, rowGroups[group], 0..<width) }
            }
        } else {
            for step in 0..<steps {
                Parallel.forEach(tasks: chunks.count) { chunk in body(step, 0..<rows, chunks[chunk]) }
            }
        }
    }

    /// C (+)= A · op(B) for the rows `rows` and the units `units` (starting on a column strip) of
    /// every gate block, A being `[·, depth]` at `a` with row stride `lda`.
    @inline(__always)
    func multiply(rows: Range<Int>, units u: Range<Int>, a: UnsafePointer<T>, lda: Int, c: UnsafeMutablePointer<T>, ldc: Int, beta: T) {
        guard !rows.isEmpty else { return }
        guard let packedB else {
            for k in 0..<blocks {
                let transposeB = bColumn != 1
                T.gemm(transposeA: false, transposeB: transposeB, m: rows.count, n: u.count, k: depth, alpha: 1,
                       a: a + rows.lowerBound * lda, lda: lda, b: b + (k * width + u.lowerBound) * bColumn, ldb: transposeB ? bColumn : bRow,
                       beta: beta, c: c + rows.lowerBound * ldc + k * width + u.lowerBound, ldc: ldc)
            }
            return
        }
        let (nr, mr) = (kernel.nr, tileRows)
        let fa = UnsafeRawPointer(a).assumingMemoryBound(to: Float.self)
        let fc = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self)
        let fBeta = unsafeBitCast(beta, to: Float.self)
        for k in 0..<blocks {
            var j = u.lowerBound
            while j < u.upperBound {
                // One column strip of B (in L1 while every row tile of the block uses it).
                let (strip, columns) = (packedB + (k * strips + j / nr) * nr * depth, Swift.min(nr, u.upperBound - j))
                var i = rows.lowerBound
                while i < rows.upperBound {
                    let (tile, tileA, height) = (fc + i * ldc + k * width + j, fa + i * lda, Swift.min(mr, rows.upperBound - i))
                    if kernel == .avx512 && mr == 8 {
                        synapse_sgemm_8x32_avx512(depth, tileA, lda, 1, strip, nr, tile, ldc, height, columns, 1, fBeta)
                    } else if kernel == .avx512 {
                        synapse_sgemm_6x32_avx512(depth, tileA, lda, 1, strip, nr, tile, ldc, height, columns, 1, fBeta)
                    } else {
                        synapse_sgemm_6x16_avx2(depth, tileA, lda, 1, strip, nr, tile, ldc, height, columns, 1, fBeta)
                    }
                    i += mr
                }
                j += nr
            }
        }
    }
}

/// A choice of the recurrent product's micro-kernel for the calls of one task (tests force the
/// AVX2 tile on an AVX-512 machine; the CPU must support the kernel forced).
enum RecurrentKernel {
    @TaskLocal static var forced: GEMM.MicroKernel?
}

/// e^x for 16 Floats (Cephes' `expf`: x = n·ln2 + r, a degree-6 polynomial for e^r, 2ⁿ built in the
/// exponent bits; ≈ 1 ulp), in SSE arithmetic without target flags. x is clamped to [−87.3, 88.4].
@inline(__always)
private func exponential16(_ v: SIMD16<Float>) -> SIMD16<Float> {
    // (comparisons with a literal compile to cmpps; against a vector variable Swift scalarises them)
    let low = Lanes.select(v .< -87.336_54, SIMD16<Float>(repeating: -87.336_54), v)
    let x = Lanes.select(low .> 88.376_26, SIMD16<Float>(repeating: 88.376_26), low)
    let magic = SIMD16<Float>(repeating: 12_582_912)             // 1.5·2²³: adding it rounds to an integer
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    let r = (x - n * 0.693_359_375) - n * -2.121_944_40e-4
    var p = r * 1.987_569_15e-4 + 1.398_199_95e-3
    p = p * r + 8.333_451_91e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 1.666_666_55e-1
    p = p * r + 5.000_000_12e-1
    let y = p * (r * r) + r + 1
    let exponent = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23   // the bits of 2ⁿ
    return y * unsafeBitCast(exponent, to: SIMD16<Float>.self)
}

/// σ(v) for 16 Floats.
@inline(__always)
private func sigmoid16(_ v: SIMD16<Float>) -> SIMD16<Float> { 1 / (1 + exponential16(-v)) }

/// tanh(v) for 16 Floats (Cephes' `tanhf`): an odd polynomial below |v| = 0.625, 1 − 2/(e^{2v} + 1) above.
@inline(__always)
private func tanh16(_ v: SIMD16<Float>) -> SIMD16<Float> {
    let z = v * v
    var p = z * -5.704_988_72e-3 + 2.063_908_88e-2
    p = p * z - 5.373_971_56e-2
    p = p * z + 1.333_144_22e-1
    p = p * z - 3.333_328_19e-1
    let small = p * z * v + v
    let large = 1 - 2 / (exponential16(v + v) + 1)
    return Lanes.select(z .< 0.390_625, small, large)          // 0.625²
}

/// 16 values from `p[0..<count]` (zeros past count).
@inline(__always)
private func load16(_ p: UnsafePointer<Float>, _ count: Int) -> SIMD16<Float> {
    if count == 16 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }
    var v = SIMD16<Float>()
    for i in 0..<count { v[i] = p[i] }
    return v
}

/// Stores the first `count` lanes of `v` at `p`.
@inline(__always)
private func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count == 16 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self); return }
    for i in 0..<count { p[i] = v[i] }
}

/// The LSTM cell for one row and `units`: gate pre-activations `a` (i, f, g, o blocks of H) become
/// the activations, and c_t, tanh(c_t) and h_t are written. Float runs 16 units at a time with the
/// polynomial σ and tanh; Double uses the C library's.
@inline(__always)
private func lstmCell<T: TensorScalar>(_ a: UnsafeMutablePointer<T>, H: Int, cPrev: UnsafePointer<T>, c: UnsafeMutablePointer<T>,
                                       tanhC: UnsafeMutablePointer<T>, h: UnsafeMutablePointer<T>, units: Range<Int>) {
    if T.self == Float.self {
        func f(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }
        let (a, cPrev, c, tanhC, h) = (f(a), UnsafePointer(f(UnsafeMutablePointer(mutating: cPrev))), f(c), f(tanhC), f(h))
        if GEMM.backend == .native {
            // The same cell in C on the widest vectors (CSynapseKernels/activations.c).
            synapse_lstm_cell_forward_f32(a, H, cPrev, c, tanhC, h, units.lowerBound, units.upperBound, -1)
            return
        }
        var u = units.lowerBound
        while u < units.upperBound {
            let n = Swift.min(16, units.upperBound - u)
            let i = sigmoid16(load16(a + u, n)), fg = sigmoid16(load16(a + H + u, n))
            let g = tanh16(load16(a + 2 * H + u, n)), o = sigmoid16(load16(a + 3 * H + u, n))
            let cNew = fg * load16(cPrev + u, n) + i * g
            let th = tanh16(cNew)
            store16(i, a + u, n); store16(fg, a + H + u, n); store16(g, a + 2 * H + u, n); store16(o, a + 3 * H + u, n)
            store16(cNew, c + u, n); store16(th, tanhC + u, n); store16(o * th, h + u, n)
            u += n
        }
        return
    }
    for u in units {
        let i = sigmoid(a[u]), f = sigmoid(a[H + u]), g = T.hyperbolicTangent(a[2 * H + u]), o = sigmoid(a[3 * H + u])
        let cNew = f * cPrev[u] + i * g
        let th = T.hyperbolicTangent(cNew)
        (a[u], a[H + u], a[2 * H + u], a[3 * H + u]) = (i, f, g, o)
        c[u] = cNew
        tanhC[u] = th
        h[u] = o * th
    }
}

/// The GRU cell for one row and `units`: input-side pre-activations `a` (r, z, n blocks of H) become
/// r, z, n; `s` holds W_hh h + b_hh of the step; `hn` keeps its n block, and h_t is written.
@inline(__always)
private func gruCell<T: TensorScalar>(_ a: UnsafeMutablePointer<T>, _ s: UnsafePointer<T>, H: Int, hPrev: UnsafePointer<T>,
                                      hn: UnsafeMutablePointer<T>, h: UnsafeMutablePointer<T>, units: Range<Int>) {
    if T.self == Float.self {
        func f(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }
        func f(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
        let (a, s, hPrev, hn, h) = (f(a), f(s), f(hPrev), f(hn), f(h))
        var u = units.lowerBound
        while u < units.upperBound {
            let n = Swift.min(16, units.upperBound - u)
            let r = sigmoid16(load16(a + u, n) + load16(s + u, n)), z = sigmoid16(load16(a + H + u, n) + load16(s + H + u, n))
            let sn = load16(s + 2 * H + u, n)
            let candidate = tanh16(load16(a + 2 * H + u, n) + r * sn)
            store16(r, a + u, n); store16(z, a + H + u, n); store16(candidate, a + 2 * H + u, n)
            store16(sn, hn + u, n)
            store16((1 - z) * candidate + z * load16(hPrev + u, n), h + u, n)
            u += n
        }
        return
    }
    for u in units {
        let r = sigmoid(a[u] + s[u]), z = sigmoid(a[H + u] + s[H + u])
        let n = T.hyperbolicTangent(a[2 * H + u] + r * s[2 * H + u])
        (a[u], a[H + u], a[2 * H + u]) = (r, z, n)
        hn[u] = s[2 * H + u]
        h[u] = (1 - z) * n + z * hPrev[u]
    }
}

/// σ(v) = 1 / (1 + e^{−v}) (e^{−v} = ∞ for very negative v gives 0, never NaN).
@inline(__always)
private func sigmoid<T: TensorScalar>(_ v: T) -> T { 1 / (1 + T.exponential(-v)) }

/// The bias a recurrent layer adds to its input side: b_ih + b_hh, the one given, or nil for none.
private func biasSum<T: TensorScalar>(_ first: Tensor<T>?, _ second: Tensor<T>?, width: Int) -> Tensor<T>? {
    guard first != nil || second != nil else { return nil }
    let sum = Tensor<T>(uninitializedShape: [width])
    for j in 0..<width { sum.data[j] = (first?.data[j] ?? 0) + (second?.data[j] ?? 0) }
    return sum
}

/// One row of one step's input side, before the recurrent product accumulates onto it:
/// `a = p + bias` on the columns `k·H + u` (k < `blocks`, u in `units`). `p` is the input product
/// (x·W_ihᵀ, made for every step at once, possibly in `a` itself) or a given projection. Done inside
/// the step's task, so it runs on every core and while the row is in cache.
@inline(__always)
private func addInput<T: TensorScalar>(_ p: UnsafePointer<T>, bias: UnsafePointer<T>?, into a: UnsafeMutablePointer<T>,
                                       width H: Int, blocks: Int, units: Range<Int>) {
    for k in 0..<blocks {
        let (source, target) = (p + k * H + units.lowerBound, a + k * H + units.lowerBound)
        if let bias {
            let b = bias + k * H + units.lowerBound
            if T.self == Float.self && GEMM.backend == .native {
                // (the same sums, vectorised in C: the Swift loop below stays scalar, as target may be source)
                synapse_combine_f32(Int32(SYNAPSE_ADD.rawValue), floatPointer(UnsafeMutablePointer(mutating: source)),
                                    floatPointer(UnsafeMutablePointer(mutating: b)), floatPointer(target), units.count)
                continue
            }
            for u in 0..<units.count { target[u] = source[u] + b[u] }
        } else if UnsafePointer(target) != source {
            target.update(from: source, count: units.count)
        }
    }
}

/// Σ over rows of a `[rows, width]` buffer (a bias gradient), in row order; large buffers split by
/// columns over the cores (each column's sum keeps its order on any thread count).
@inline(__always)
private func columnSums<T: TensorScalar>(_ g: UnsafePointer<T>, rows: Int, width: Int) -> Tensor<T> {
    let sums = Tensor<T>(zeros: [width])
    let s = sums.data
    let block = 64
    let tasks = rows * width >= 1 << 16 ? (width + block - 1) / block : 1
    Parallel.forEach(tasks: tasks) { task in
        let columns = tasks == 1 ? 0..<width : (task * block)..<Swift.min(width, (task + 1) * block)
        for r in 0..<rows {
            let row = g + r * width
            for j in columns { s[j] += row[j] }
        }
    }
    return sums
}

/// Checks the shapes shared by ``lstm(_:weightIH:weightHH:biasIH:biasHH:hidden:cell:)`` and
/// ``gru(_:weightIH:weightHH:biasIH:biasHH:hidden:)``; returns (B, T, I, H).
private func recurrentShapes<T: TensorScalar>(_ name: String, gates: Int, x: Tensor<T>, weightIH: Tensor<T>?, weightHH: Tensor<T>,
                                              biasIH: Tensor<T>?, biasHH: Tensor<T>?, states: [Tensor<T>?]) -> (Int, Int, Int, Int) {
    precondition(x.rank == 3 && x.shape[0] > 0 && x.shape[1] > 0, "\(name) expects a batch-first input [B, T, inputSize] with B, T ≥ 1, got \(x.shape)")
    let (batch, steps, inputs) = (x.shape[0], x.shape[1], x.shape[2])
    precondition(weightHH.rank == 2 && weightHH.shape[1] > 0 && weightHH.shape[0] == gates * weightHH.shape[1],
                 "\(name) weight_hh must be [\(gates)H, H], got \(weightHH.shape)")
    let hidden = weightHH.shape[1]
    if let weightIH {
        precondition(weightIH.shape == [gates * hidden, inputs], "\(name) weight_ih must be [\(gates * hidden), \(inputs)] for input \(x.shape), got \(weightIH.shape)")
    } else {
        precondition(inputs == gates * hidden, "\(name) fed projected inputs expects [B, T, \(gates * hidden)], got \(x.shape)")
    }
    for bias in [biasIH, biasHH] {
        precondition(bias == nil || bias!.shape == [gates * hidden], "\(name) biases must be [\(gates * hidden)], got \(bias!.shape)")
    }
    for state in states {
        precondition(state == nil || state!.shape == [batch, hidden], "\(name) states must be [\(batch), \(hidden)], got \(state!.shape)")
    }
    return (batch, steps, inputs, hidden)
}

/// The views of the packed result of a recurrent op: `[B, T, H]` followed by `count` states `[B, H]`.
private func unpack<T: TensorScalar>(_ all: Tensor<T>, batch: Int, steps: Int, hidden: Int, states: Int) -> [Tensor<T>] {
    let (sequence, state) = (batch * steps * hidden, batch * hidden)
    return [all.rows(0..<sequence).reshaped([batch, steps, hidden])]
        + (0..<states).map { all.rows((sequence + $0 * state)..<(sequence + ($0 + 1) * state)).reshaped([batch, hidden]) }
}

/// One LSTM layer over a batch-first sequence (PyTorch's `nn.LSTM` with `batch_first=True`, one
/// layer, one direction), gates in PyTorch's order i, f, g, o:
///
///     i = σ(W_ii x + b_ii + W_hi h + b_hi)     f = σ(W_if x + b_if + W_hf h + b_hf)
///     g = tanh(W_ig x + b_ig + W_hg h + b_hg)  o = σ(W_io x + b_io + W_ho h + b_ho)
///     c' = f ⊙ c + i ⊙ g                       h' = o ⊙ tanh(c')
///
/// - Parameters:
///   - x: `[B, T, I]`.
///   - weightIH: `weight_ih` `[4H, I]`; weightHH: `weight_hh` `[4H, H]`.
///   - biasIH, biasHH: `[4H]` each, or nil.
///   - hidden, cell: the initial h₀ and c₀ `[B, H]`, or nil for zeros.
/// - Returns: the hidden state of every step `[B, T, H]` and the final h and c `[B, H]`. All three
///   come from one recorded operation; gradients flow into x, the weights, the biases and h₀, c₀.
public func lstm<Scalar>(_ x: Tensor<Scalar>, weightIH: Tensor<Scalar>, weightHH: Tensor<Scalar>,
                         biasIH: Tensor<Scalar>?, biasHH: Tensor<Scalar>?,
                         hidden: Tensor<Scalar>?, cell: Tensor<Scalar>?) -> (output: Tensor<Scalar>, hidden: Tensor<Scalar>, cell: Tensor<Scalar>) {
    lstmSequence(x, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, hidden: hidden, cell: cell)
}

/// The same LSTM layer fed its input product already made: `projected` is x·W_ihᵀ `[B, T, 4H]`, for
/// instance `embedding(E·W_ihᵀ, ids)` — for token ids, the table's product taken once per vocabulary
/// row instead of once per token (`LSTM.callAsFunction(tokens:embeddedBy:state:)`). The op adds the
/// biases, runs the recurrence, and passes ∂L/∂A back as the gradient of `projected`.
public func lstm<Scalar>(projected: Tensor<Scalar>, weightHH: Tensor<Scalar>, biasIH: Tensor<Scalar>?, biasHH: Tensor<Scalar>?,
                         hidden: Tensor<Scalar>?, cell: Tensor<Scalar>?) -> (output: Tensor<Scalar>, hidden: Tensor<Scalar>, cell: Tensor<Scalar>) {
    lstmSequence(projected, weightIH: nil, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, hidden: hidden, cell: cell)
}

/// ``lstm(_:weightIH:weightHH:biasIH:biasHH:hidden:cell:)``, or with `weightIH` nil the input as its projection.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
private func lstmSequence<Scalar>(_ x: Tensor<Scalar>, weightIH: Tensor<Scalar>?, weightHH: Tensor<Scalar>,
                                  biasIH: Tensor<Scalar>?, biasHH: Tensor<Scalar>?,
                                  hidden: Tensor<Scalar>?, cell: Tensor<Scalar>?) -> (output: Tensor<Scalar>, hidden: Tensor<Scalar>, cell: Tensor<Scalar>) {
    let (B, T, I, H) = recurrentShapes("LSTM", gates: 4, x: x, weightIH: weightIH, weightHH: weightHH,
                                       biasIH: biasIH, biasHH: biasHH, states: [hidden, cell])
    let (G, rows) = (4 * H, B * T)
    // Saved for the backward: the gate activations (i, f, g, o) of every step, c_t and tanh(c_t), and
    // h_{t−1} of every step (the inputs of the recurrent product), all [B, T, ·].
    let gates = Tensor<Scalar>(uninitializedShape: [B, T, G])
    let cells = Tensor<Scalar>(uninitializedShape: [B, T, H]), tanhCells = Tensor<Scalar>(uninitializedShape: [B, T, H])
    let previous = Tensor<Scalar>(uninitializedShape: [B, T, H])
    let initialCell = cell?.copy() ?? Tensor<Scalar>(zeros: [B, H])
    // The result: every h_t [B, T, H], then h_T and c_T [B, H].
    let all = Tensor<Scalar>(uninitializedShape: [rows * H + 2 * B * H])
    let (gData, cData, tcData, pData, out) = (gates.data, cells.data, tanhCells.data, previous.data, all.data)
    for b in 0..<B {
        let h0 = pData + b * T * H
        if let hidden { h0.update(from: hidden.data + b * H, count: H) } else { h0.update(repeating: 0, count: H) }
    }
    do {
        // P = x·W_ihᵀ for all steps at once (or the given projection); each step adds b_ih + b_hh.
        if let weightIH {
            Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: G, k: I, alpha: 1, a: x.data, lda: I, b: weightIH.data, ldb: I,
                        beta: 0, c: gData, ldc: G)
        }
        let (input, bias) = (UnsafePointer(weightIH == nil ? x.data : gData), biasSum(biasIH, biasHH, width: G))
        let product = RecurrentProduct(b: UnsafePointer(weightHH.data), bRow: 1, bColumn: H, depth: H, width: H, blocks: 4, rows: B)
        let c0 = initialCell.data
        product.forEachStep(T) { t, sequences, units in
            // A[:, t] = P[:, t] + b_ih + b_hh + h_{t−1}·W_hhᵀ for these sequences and units of each gate
            for b in sequences { addInput(input + (b * T + t) * G, bias: bias?.data, into: gData + (b * T + t) * G, width: H, blocks: 4, units: units) }
            product.multiply(rows: sequences, units: units, a: pData + t * H, lda: T * H, c: gData + t * G, ldc: T * G, beta: 1)
            for b in sequences {
                let row = b * T + t
                lstmCell(gData + row * G, H: H, cPrev: t == 0 ? c0 + b * H : cData + (row - 1) * H, c: cData + row * H,
                         tanhC: tcData + row * H, h: out + row * H, units: units)
                if t + 1 < T { (pData + (row + 1) * H + units.lowerBound).update(from: out + row * H + units.lowerBound, count: units.count) }
            }
        }
    }
    for b in 0..<B {
        (out + rows * H + b * H).update(from: out + (b * T + T - 1) * H, count: H)              // h_T
        (out + rows * H + B * H + b * H).update(from: cData + (b * T + T - 1) * H, count: H)    // c_T
    }

    let inputs: [Tensor<Scalar>?] = [x, weightIH, weightHH, biasIH, biasHH, hidden, cell]
    if GradientMode.isEnabled && inputs.contains(where: { $0?.requiresGrad ?? false }) {
        // Per step, from dh = ∂L/∂h_t (output + recurrence) and the carried dc = ∂L/∂c_t:
        //   dc ← dc + dh·o·(1 − tanh²c_t),   dc_{t−1} = dc·f
        //   dA_i = dc·g·i(1−i),  dA_f = dc·c_{t−1}·f(1−f),  dA_g = dc·i·(1−g²),  dA_o = dh·tanh(c_t)·o(1−o)
        //   dh_{t−1} = dA_t·W_hh   (one GEMM, then added to the output's gradient at t−1)
        // then, over all steps:  dx = dA·W_ih,  dW_ih = dAᵀ·x,  dW_hh = dAᵀ·h_{t−1},  db_ih = db_hh = Σ dA.
        all.recordGradient("lstm", inputs: inputs.compactMap { $0 }) { gradient, _ in
            let g = gradient.data
            let (gData, cData, tcData, pData) = (gates.data, cells.data, tanhCells.data, previous.data)   // (keeps the saved tensors alive)
            let dA = Tensor<Scalar>(uninitializedShape: [B, T, G])
            let dh = Tensor<Scalar>(uninitializedShape: [B, H]), dc = Tensor<Scalar>(uninitializedShape: [B, H])
            dh.data.update(from: g + rows * H, count: B * H)              // ∂L/∂h_T
            dc.data.update(from: g + rows * H + B * H, count: B * H)      // ∂L/∂c_T
            let (dAData, dhData, dcData) = (dA.data, dh.data, dc.data)
            // db_ih = db_hh = Σ dA over all rows: summed per sequence while each step's rows are in cache
            // (each sequence's row always on one task: the same order on any thread count), then over sequences.
            let needsBias = (biasIH?.requiresGrad ?? false) || (biasHH?.requiresGrad ?? false)
            let biasRows = needsBias ? Tensor<Scalar>(zeros: [B, G]) : nil
            // The product's width is H (dh), its depth 4H.
            let product = RecurrentProduct(b: UnsafePointer(weightHH.data), bRow: H, bColumn: 1, depth: G, width: H, blocks: 1, rows: B)
            let c0 = initialCell.data
            product.forEachStep(T) { step, sequences, units in
                let t = T - 1 - step
                // dh_t (recurrent part) = dA_{t+1}·W_hh for these sequences and units
                if t + 1 < T {
                    product.multiply(rows: sequences, units: units, a: dAData + (t + 1) * G, lda: T * G, c: dhData, ldc: H, beta: 0)
                }
                for b in sequences {
                    let row = b * T + t
                    let (a, d) = (gData + row * G, dAData + row * G)
                    let cPrev = t == 0 ? c0 + b * H : cData + (row - 1) * H
                    let (tc, gOut, dhRow, dcRow) = (tcData + row * H, g + row * H, dhData + b * H, dcData + b * H)
                    let biasRow = biasRows.map { $0.data + b * G }
                    if Scalar.self == Float.self && GEMM.backend == .native {
                        // (the loops below, in C on the widest vectors)
                        synapse_lstm_cell_backward_f32(floatPointer(a), H, floatPointer(cPrev), floatPointer(tc),
                                                       floatPointer(gOut), floatPointer(dhRow), floatPointer(dcRow),
                                                       floatPointer(d), biasRow.map(floatPointer), units.lowerBound, units.upperBound, -1)
                        continue
                    }
                    for u in units {
                        let (i, f, gg, o) = (a[u], a[H + u], a[2 * H + u], a[3 * H + u])
                        let dhu = gOut[u] + dhRow[u], th = tc[u]
                        let dcu = dcRow[u] + dhu * o * (1 - th * th)
                        dcRow[u] = dcu * f
                        d[u] = dcu * gg * i * (1 - i)
                        d[H + u] = dcu * cPrev[u] * f * (1 - f)
                        d[2 * H + u] = dcu * i * (1 - gg * gg)
                        d[3 * H + u] = dhu * th * o * (1 - o)
                    }
                    if let biasRow {
                        for k in 0..<4 { for u in units { biasRow[k * H + u] += d[k * H + u] } }
                    }
                }
            }
            var dx: Tensor<Scalar>? = nil, dWih: Tensor<Scalar>? = nil, dWhh: Tensor<Scalar>? = nil
            if x.requiresGrad, let weightIH {
                dx = Tensor<Scalar>(uninitializedShape: x.shape)
                Scalar.gemm(transposeA: false, transposeB: false, m: rows, n: I, k: G, alpha: 1, a: dAData, lda: G,
                            b: weightIH.data, ldb: I, beta: 0, c: dx!.data, ldc: I)
            } else if x.requiresGrad {
                dx = dA            // ∂L/∂(projection) = ∂L/∂A
            }
            if let weightIH, weightIH.requiresGrad {
                dWih = Tensor<Scalar>(uninitializedShape: weightIH.shape)
                Scalar.gemm(transposeA: true, transposeB: false, m: G, n: I, k: rows, alpha: 1, a: dAData, lda: G,
                            b: x.data, ldb: I, beta: 0, c: dWih!.data, ldc: I)
            }
            if weightHH.requiresGrad {
                dWhh = Tensor<Scalar>(uninitializedShape: weightHH.shape)
                Scalar.gemm(transposeA: true, transposeB: false, m: G, n: H, k: rows, alpha: 1, a: dAData, lda: G,
                            b: pData, ldb: H, beta: 0, c: dWhh!.data, ldc: H)
            }
            let dBias = biasRows.map { columnSums($0.data, rows: B, width: G) }
            var dh0: Tensor<Scalar>? = nil
            if hidden?.requiresGrad ?? false {
                // dh_0 = dA_0·W_hh
                dh0 = Tensor<Scalar>(uninitializedShape: [B, H])
                Scalar.gemm(transposeA: false, transposeB: false, m: B, n: H, k: G, alpha: 1, a: dAData, lda: T * G,
                            b: weightHH.data, ldb: H, beta: 0, c: dh0!.data, ldc: H)
            }
            var result: [Tensor<Scalar>?] = weightIH == nil ? [dx, dWhh] : [dx, dWih, dWhh]
            if let biasIH { result.append(biasIH.requiresGrad ? dBias : nil) }
            if let biasHH { result.append(biasHH.requiresGrad ? dBias?.copy() : nil) }
            if hidden != nil { result.append(dh0) }
            if cell != nil { result.append(dc) }
            return result
        }
    }
    let views = unpack(all, batch: B, steps: T, hidden: H, states: 2)
    return (views[0], views[1], views[2])
}

/// One GRU layer over a batch-first sequence (PyTorch's `nn.GRU` with `batch_first=True`, one layer,
/// one direction), gates in PyTorch's order r, z, n:
///
///     r = σ(W_ir x + b_ir + W_hr h + b_hr)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
///     n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
///     h' = (1 − z) ⊙ n + z ⊙ h
///
/// - Parameters:
///   - x: `[B, T, I]`.
///   - weightIH: `weight_ih` `[3H, I]`; weightHH: `weight_hh` `[3H, H]`.
///   - biasIH, biasHH: `[3H]` each, or nil.
///   - hidden: the initial h₀ `[B, H]`, or nil for zeros.
/// - Returns: the hidden state of every step `[B, T, H]` and the final h `[B, H]`, from one recorded
///   operation; gradients flow into x, the weights, the biases and h₀.
public func gru<Scalar>(_ x: Tensor<Scalar>, weightIH: Tensor<Scalar>, weightHH: Tensor<Scalar>,
                        biasIH: Tensor<Scalar>?, biasHH: Tensor<Scalar>?,
                        hidden: Tensor<Scalar>?) -> (output: Tensor<Scalar>, hidden: Tensor<Scalar>) {
    gruSequence(x, weightIH: weightIH, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, hidden: hidden)
}

/// The same GRU layer fed its input product already made: `projected` is x·W_ihᵀ `[B, T, 3H]` (see
/// ``lstm(projected:weightHH:biasIH:biasHH:hidden:cell:)``); its gradient is ∂L/∂(x·W_ihᵀ + b_ih).
public func gru<Scalar>(projected: Tensor<Scalar>, weightHH: Tensor<Scalar>, biasIH: Tensor<Scalar>?, biasHH: Tensor<Scalar>?,
                        hidden: Tensor<Scalar>?) -> (output: Tensor<Scalar>, hidden: Tensor<Scalar>) {
    gruSequence(projected, weightIH: nil, weightHH: weightHH, biasIH: biasIH, biasHH: biasHH, hidden: hidden)
}

/// ``gru(_:weightIH:weightHH:biasIH:biasHH:hidden:)``, or with `weightIH` nil the input as its projection.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
private func gruSequence<Scalar>(_ x: Tensor<Scalar>, weightIH: Tensor<Scalar>?, weightHH: Tensor<Scalar>,
                                 biasIH: Tensor<Scalar>?, biasHH: Tensor<Scalar>?,
                                 hidden: Tensor<Scalar>?) -> (output: Tensor<Scalar>, hidden: Tensor<Scalar>) {
    let (B, T, I, H) = recurrentShapes("GRU", gates: 3, x: x, weightIH: weightIH, weightHH: weightHH,
                                       biasIH: biasIH, biasHH: biasHH, states: [hidden])
    let (G, rows) = (3 * H, B * T)
    // Saved for the backward: r, z, n of every step, W_hn h_{t−1} + b_hn, and h_{t−1}, all [B, T, ·].
    let gates = Tensor<Scalar>(uninitializedShape: [B, T, G])
    let hiddenNew = Tensor<Scalar>(uninitializedShape: [B, T, H])
    let previous = Tensor<Scalar>(uninitializedShape: [B, T, H])
    let all = Tensor<Scalar>(uninitializedShape: [rows * H + B * H])
    let (gData, hnData, pData, out) = (gates.data, hiddenNew.data, previous.data, all.data)
    for b in 0..<B {
        let h0 = pData + b * T * H
        if let hidden { h0.update(from: hidden.data + b * H, count: H) } else { h0.update(repeating: 0, count: H) }
    }
    do {
        // P = x·W_ihᵀ for all steps at once (or the given projection); each step adds b_ih.
        if let weightIH {
            Scalar.gemm(transposeA: false, transposeB: true, m: rows, n: G, k: I, alpha: 1, a: x.data, lda: I, b: weightIH.data, ldb: I,
                        beta: 0, c: gData, ldc: G)
        }
        let (input, bias) = (UnsafePointer(weightIH == nil ? x.data : gData), biasSum(biasIH, nil, width: G))
        let product = RecurrentProduct(b: UnsafePointer(weightHH.data), bRow: 1, bColumn: H, depth: H, width: H, blocks: 3, rows: B)
        let step = Tensor<Scalar>(uninitializedShape: [B, G])   // h_{t−1}·W_hhᵀ + b_hh of one step
        let sData = step.data
        product.forEachStep(T) { t, sequences, units in
            for b in sequences { addInput(input + (b * T + t) * G, bias: bias?.data, into: gData + (b * T + t) * G, width: H, blocks: 3, units: units) }
            if let biasHH {
                for b in sequences { for k in 0..<3 { (sData + b * G + k * H + units.lowerBound).update(from: biasHH.data + k * H + units.lowerBound, count: units.count) } }
            }
            // S = h_{t−1}·W_hhᵀ + b_hh for these sequences and units of each gate
            product.multiply(rows: sequences, units: units, a: pData + t * H, lda: T * H, c: sData, ldc: G, beta: biasHH == nil ? 0 : 1)
            for b in sequences {
                let row = b * T + t
                gruCell(gData + row * G, sData + b * G, H: H, hPrev: pData + row * H, hn: hnData + row * H, h: out + row * H, units: units)
                if t + 1 < T { (pData + (row + 1) * H + units.lowerBound).update(from: out + row * H + units.lowerBound, count: units.count) }
            }
        }
    }
    for b in 0..<B { (out + rows * H + b * H).update(from: out + (b * T + T - 1) * H, count: H) }   // h_T

    let inputs: [Tensor<Scalar>?] = [x, weightIH, weightHH, biasIH, biasHH, hidden]
    if GradientMode.isEnabled && inputs.contains(where: { $0?.requiresGrad ?? false }) {
        // Per step, from dh = ∂L/∂h_t (output + recurrence):
        //   dA_n = dh·(1−z)·(1−n²),  dA_z = dh·(h_{t−1} − n)·z(1−z),  dA_r = dA_n·(W_hn h + b_hn)·r(1−r)
        //   input side dX = (dA_r, dA_z, dA_n),  hidden side dS = (dA_r, dA_z, dA_n·r)
        //   dh_{t−1} = dh·z + dS_t·W_hh   (one GEMM)
        // then:  dx = dX·W_ih,  dW_ih = dXᵀ·x,  db_ih = Σ dX,  dW_hh = dSᵀ·h_{t−1},  db_hh = Σ dS.
        all.recordGradient("gru", inputs: inputs.compactMap { $0 }) { gradient, _ in
            let g = gradient.data
            let (gData, hnData, pData) = (gates.data, hiddenNew.data, previous.data)   // (keeps the saved tensors alive)
            let dX = Tensor<Scalar>(uninitializedShape: [B, T, G]), dS = Tensor<Scalar>(uninitializedShape: [B, T, G])
            // dh = dhDirect (the z path, carried per unit) + dhRecurrent (the product).
            let dhDirect = Tensor<Scalar>(uninitializedShape: [B, H]), dhRecurrent = Tensor<Scalar>(zeros: [B, H])
            dhDirect.data.update(from: g + rows * H, count: B * H)        // ∂L/∂h_T
            let (dXData, dSData, ddData, dRecData) = (dX.data, dS.data, dhDirect.data, dhRecurrent.data)
            let product = RecurrentProduct(b: UnsafePointer(weightHH.data), bRow: H, bColumn: 1, depth: G, width: H, blocks: 1, rows: B)
            product.forEachStep(T) { step, sequences, units in
                let t = T - 1 - step
                if t + 1 < T {
                    product.multiply(rows: sequences, units: units, a: dSData + (t + 1) * G, lda: T * G, c: dRecData, ldc: H, beta: 0)
                }
                for b in sequences {
                    let row = b * T + t
                    let (a, dx, ds) = (gData + row * G, dXData + row * G, dSData + row * G)
                    let (hPrev, hn, gOut, dd, dRec) = (pData + row * H, hnData + row * H, g + row * H, ddData + b * H, dRecData + b * H)
                    for u in units {
                        let (r, z, n) = (a[u], a[H + u], a[2 * H + u])
                        let dhu = gOut[u] + dd[u] + dRec[u]
                        let dn = dhu * (1 - z) * (1 - n * n)
                        let dz = dhu * (hPrev[u] - n) * z * (1 - z)
                        let dar = dn * hn[u] * r * (1 - r)
                        dd[u] = dhu * z
                        (dx[u], dx[H + u], dx[2 * H + u]) = (dar, dz, dn)
                        (ds[u], ds[H + u], ds[2 * H + u]) = (dar, dz, dn * r)
                    }
                }
            }
            var dx: Tensor<Scalar>? = nil, dWih: Tensor<Scalar>? = nil, dWhh: Tensor<Scalar>? = nil
            if x.requiresGrad, let weightIH {
                dx = Tensor<Scalar>(uninitializedShape: x.shape)
                Scalar.gemm(transposeA: false, transposeB: false, m: rows, n: I, k: G, alpha: 1, a: dXData, lda: G,
                            b: weightIH.data, ldb: I, beta: 0, c: dx!.data, ldc: I)
            } else if x.requiresGrad {
                dx = dX            // ∂L/∂(projection) = ∂L/∂A
            }
            if let weightIH, weightIH.requiresGrad {
                dWih = Tensor<Scalar>(uninitializedShape: weightIH.shape)
                Scalar.gemm(transposeA: true, transposeB: false, m: G, n: I, k: rows, alpha: 1, a: dXData, lda: G,
                            b: x.data, ldb: I, beta: 0, c: dWih!.data, ldc: I)
            }
            if weightHH.requiresGrad {
                dWhh = Tensor<Scalar>(uninitializedShape: weightHH.shape)
                Scalar.gemm(transposeA: true, transposeB: false, m: G, n: H, k: rows, alpha: 1, a: dSData, lda: G,
                            b: pData, ldb: H, beta: 0, c: dWhh!.data, ldc: H)
            }
            var result: [Tensor<Scalar>?] = weightIH == nil ? [dx, dWhh] : [dx, dWih, dWhh]
            if let biasIH { result.append(biasIH.requiresGrad ? columnSums(dXData, rows: rows, width: G) : nil) }
            if let biasHH { result.append(biasHH.requiresGrad ? columnSums(dSData, rows: rows, width: G) : nil) }
            if hidden?.requiresGrad ?? false {
                // dh_0 = dh·z (carried) + dS_0·W_hh
                let dh0 = dhDirect
                Scalar.gemm(transposeA: false, transposeB: false, m: B, n: H, k: G, alpha: 1, a: dSData, lda: T * G,
                            b: weightHH.data, ldb: H, beta: 1, c: dh0.data, ldc: H)
                result.append(dh0)
            } else if hidden != nil {
                result.append(nil)
            }
            return result
        }
    }
    let views = unpack(all, batch: B, steps: T, hidden: H, states: 1)
    return (views[0], views[1])
}
