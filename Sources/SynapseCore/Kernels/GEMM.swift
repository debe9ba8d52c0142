import CSynapseKernels
import Foundation
#if OpenBLAS
import CBLAS
#endif

/// The single matrix-product entry point of the library:
/// `C = alpha · op(A) · op(B) + beta · C` on row-major matrices, where `op(X)` is `X` or `Xᵀ`
/// (BLAS's `gemm`). Every product in Synapse — matmul and its gradients, layers — calls it.
///
/// The kernel is the Goto/BLIS design in pure Swift:
///
/// ```text
/// for each KC-deep slice p of the inner dimension:          (C accumulates slice after slice)
///     pack B[p, :] into NR-wide column strips                 (contiguous, transposes absorbed)
///     for each MC-tall block of rows of C (in parallel):
///         pack A[rows, p] into MR-tall row strips             (Swift kernel only)
///         for each NR strip × MR strip: micro-kernel           (MR × NR accumulators in registers)
/// ```
///
/// The native (C, FMA) micro-kernels read a row-major op(A) in place through its row stride instead
/// of a packed copy: each step broadcasts one element of each of the 6 rows, which costs the same
/// load whether the rows are packed or not, so packing it (≈ 10 % of a GPT step) bought nothing. A
/// transposed op(A) is packed when its row block is large: read in place, every step of the inner
/// dimension would be a row stride away and miss the cache again for every strip of B. Blocks that
/// fit the L1 cache (`cacheResident`: attention's tiles) are read in place whatever their layout, and
/// so are a long weight gradient's Gᵀ and X (`splitDepth`), whose row strips each serve every strip
/// of B before they leave the cache.
///
/// The micro-kernel keeps a 6 × 8 tile of C in SIMD8 registers and, for each step of the inner
/// dimension, multiplies one broadcast element of A by one 8-wide row of B. Packing makes both
/// streams contiguous, whatever the transposes. Tiny products (the tutorial's 4 × 2 · 2 × 2) skip
/// packing and threads entirely. Every element of C is summed over the inner dimension in order,
/// independent of the thread count, so results are deterministic.
///
/// Built without target flags, Swift turns `SIMD16<Float>` arithmetic into SSE multiplies and adds
/// (FMA would need `-march` flags; see README, Design).
public enum GEMM {
    /// Which implementation computes `Float` products.
    public enum Backend: String, Sendable, CaseIterable {
        /// The pure-Swift kernel (SIMD8 multiply and add; SSE without target flags).
        case swift
        /// The FMA micro-kernels of `CSynapseKernels` (AVX-512 or AVX2, checked at run time);
        /// the Swift kernel on CPUs without FMA.
        case native
        #if OpenBLAS
        /// OpenBLAS's `cblas_sgemm` / `cblas_dgemm` (only when built with the `OpenBLAS` trait).
        case blas
        #endif
    }

    /// The backend used for `Float` products (and `Double` ones with `blas`):
    /// `SYNAPSE_GEMM=swift|native|blas` in the environment, or
    /// `native` by default. Set it before starting work, not while products run.
    nonisolated(unsafe) public static var backend: Backend =
        ProcessInfo.processInfo.environment["SYNAPSE_GEMM"].flatMap(Backend.init(rawValue:)) ?? .native

    #if OpenBLAS
    /// `C = alpha · op(A) · op(B) + beta · C` through OpenBLAS (row-major CBLAS).
    static func blas(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0 && n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(Swift.max(lda, 1)), b, blasint(Swift.max(ldb, 1)),
                    beta, c, blasint(Swift.max(ldc, 1)))
    }

    /// The `Double` version of ``blas(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)-(_,_,_,_,_,Float,_,_,_,_,Float,_,_)``.
    static func blas(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                     b: UnsafePointer<Double>, ldb: Int, beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        guard m > 0 && n > 0 else { return }
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(Swift.max(lda, 1)), b, blasint(Swift.max(ldb, 1)),
                    beta, c, blasint(Swift.max(ldc, 1)))
    }
    #endif

    /// The micro-kernel `native` runs on this CPU: `avx512`, `avx2`, or `swift` when the CPU lacks FMA.
    public static let nativeKernel: MicroKernel = [.swift, .avx2, .avx512][Int(synapse_cpu_level())]

    /// A register-tile implementation and the width of the B strips it reads.
    public enum MicroKernel: String, Sendable, CustomStringConvertible {
        /// The pure-Swift 6×8 tile (SIMD8; SSE without target flags).
        case swift
        /// The C 6×16 tile with AVX2 and FMA.
        case avx2
        /// The C 6×32 tile with AVX-512.
        case avx512

        /// The kernel's name (`avx512`), as `synapse bench` prints it.
        public var description: String { rawValue }

        /// Columns of B per strip.
        var nr: Int {
            switch self {
            case .swift: return 8
            case .avx2: return 16
            case .avx512: return 32
            }
        }
    }

    /// The micro-kernel for `Float` under the current backend.
    static var floatKernel: MicroKernel {
        backend == .native ? nativeKernel : .swift
    }

    /// The machine's measured fp32 FLOP limit: a loop of independent fused multiply-adds on the
    /// widest vectors the CPU has, run on `threads` threads at once (0 without FMA).
    public static func measuredPeakGFLOPS(threads: Int = Parallel.threadCount) -> Double {
        let iterations = 20_000_000
        _ = synapse_fma_peak(100_000)   // warm up the vector units
        let start = DispatchTime.now().uptimeNanoseconds
        let flops = UnsafeMutablePointer<Double>.allocate(capacity: threads)
        defer { flops.deallocate() }
        Parallel.forEach(tasks: threads) { t in flops[t] = synapse_fma_peak(iterations) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return (0..<threads).reduce(0) { $0 + flops[$1] } / seconds / 1e9
    }

    /// Rows of C per micro-tile.
    static let mr = 6
    /// Columns of C per micro-tile of the Swift kernel (one SIMD8 vector).
    static let nr = 8
    /// Depth of a packed slice of the inner dimension (A and B strips stay in L1/L2). Inner
    /// dimensions up to `2 · kc` are done in one slice (one pass, one synchronisation).
    static let kc = 512
    /// Rows of C per parallel block.
    static let mc = 72
    /// Elements of an operand block (32 KB of `Float`) that the native kernels read in place, unpacked,
    /// whatever its layout: a block this small stays in the L1 cache for all the strips that reuse it.
    static let cacheResident = 8192
    /// Below this many multiply-adds, a direct loop beats packing.
    static let directThreshold = 16 * 16 * 16

    /// `C = alpha · op(A) · op(B) + beta · C` for `Float`. `lda`, `ldb`, `ldc` are the row strides of
    /// the stored matrices; with `beta == 0`, C is not read (it may hold garbage).
    public static func multiply(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                alpha: Float, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        #if OpenBLAS
        if backend == .blas {
            blas(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        #endif
        run(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
            b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, kernel: floatKernel)
    }

    /// `C = alpha · op(A) · op(B) + beta · C` for `Double` (same contract as the `Float` version).
    public static func multiply(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                alpha: Double, a: UnsafePointer<Double>, lda: Int,
                                b: UnsafePointer<Double>, ldb: Int,
                                beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        #if OpenBLAS
        if backend == .blas {
            blas(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                 b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        #endif
        run(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
            b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, kernel: .swift)
    }

    /// The algorithm, written once and specialised for `Float` and `Double` by the two entry points.
    @inline(__always)
    static func run<T: TensorScalar>(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                     alpha: T, a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
                                     beta: T, c: UnsafeMutablePointer<T>, ldc: Int, kernel: MicroKernel) {
        guard m > 0 && n > 0 else { return }
        if k == 0 || alpha == 0 {
            scale(c, rows: m, columns: n, ldc: ldc, by: beta)
            return
        }
        // Element accessors for op(A)[i, p] and op(B)[p, j].
        let aRow = transposeA ? 1 : lda, aColumn = transposeA ? lda : 1
        let bRow = transposeB ? 1 : ldb, bColumn = transposeB ? ldb : 1
        let nativeDots = kernel != .swift && aColumn == 1 && bRow == 1
        if m < mr && (m * n * k > directThreshold || nativeDots) {
            // A few rows (batch-1 inference): vector loops along the contiguous dimension.
            rowsTimesMatrix(m: m, n: n, k: k, alpha: alpha, a: a, aRow: aRow, aColumn: aColumn, b: b, bRow: bRow, bColumn: bColumn,
                            beta: beta, c: c, ldc: ldc, kernel: kernel)
            return
        }
        if kernel == .avx512 && nativeDots && m <= 16 && n <= 256 && k >= 512 && alpha == 1 && beta == 0 {
            // Small m and n, long inner dimension, both operands contiguous along it (a convolution's weight
            // gradient): 4 × 4 tiles of dot products read each row once per tile, without packing.
            synapse_sgemm_nt_rows(UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), aRow,
                                  UnsafeRawPointer(b).assumingMemoryBound(to: Float.self), bColumn,
                                  UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self), ldc, m, n, k)
            return
        }
        if m * n * k <= directThreshold || m < mr {
            direct(m: m, n: n, k: k, alpha: alpha, a: a, aRow: aRow, aColumn: aColumn, b: b, bRow: bRow, bColumn: bColumn,
                   beta: beta, c: c, ldc: ldc)
            return
        }

        let nr = kernel.nr
        let strips = (n + nr - 1) / nr
        let sliceDepth = k <= 2 * kc ? k : kc
        if kernel != .swift && sliceDepth < k && m * n <= 1 << 18 {
            // A long inner dimension and a small C (a weight gradient Gᵀ·X over every row of a batch):
            // one task per slice, into its own partial C, added up in slice order (see splitDepth).
            splitDepth(m: m, n: n, k: k, alpha: alpha, a: a, aRow: aRow, aColumn: aColumn, b: b, bRow: bRow, bColumn: bColumn,
                       beta: beta, c: c, ldc: ldc, kernel: kernel)
            return
        }
        let packedB = UnsafeMutablePointer<T>.allocate(capacity: strips * nr * sliceDepth)
        defer { packedB.deallocate() }
        // Row blocks of whole micro-kernel strips, at most about `mc` rows each, as many as a multiple
        // of the thread count, evenly filled: 128 rows on 2 threads are 66 + 62 rows, not 72 + 56
        // (the blocking never changes a result: each element of C is one micro-kernel's sum over p).
        let rowStripCount = (m + mr - 1) / mr
        let threads = Swift.max(1, Parallel.threadCount)
        // At least 4 blocks per thread when there are strips enough (2 each): tasks claimed one at a
        // time then keep a core whose partner the OS has descheduled busy with the rest of C.
        let fewestBlocks = threads > 1 && rowStripCount >= 8 * threads ? 4 * threads : 1
        let blockCount = (Swift.max((m + mc - 1) / mc, fewestBlocks) + threads - 1) / threads * threads
        let blockRows = Swift.max(1, (rowStripCount + blockCount - 1) / blockCount) * mr
        let rowBlocks = (m + blockRows - 1) / blockRows
        // When C has few row blocks, also split its columns so both cores get work.
        let columnGroups = Swift.min(strips, Swift.max(1, (Parallel.threadCount + rowBlocks - 1) / rowBlocks))
        let stripsPerGroup = (strips + columnGroups - 1) / columnGroups

        // A short A (a convolution's few output channels) uses each B strip only a few times, so packing B
        // would cost a full copy of it for little reuse: the native kernels then read row-major B in place,
        // except a partial last strip (the kernels read whole rows of `nr` columns), which is packed.
        // So does a B small enough to stay in the L1 cache while every row block reads it (an attention
        // tile): packing it would only add a copy.
        let inPlaceStrips = kernel != .swift && bColumn == 1 && (m <= 3 * mr || sliceDepth * n <= cacheResident) ? n / nr : 0

        var p0 = 0
        while p0 < k {
            let depth = Swift.min(sliceDepth, k - p0)
            if inPlaceStrips > 0 {
                if inPlaceStrips < strips {
                    synapse_pack_b_f32(UnsafeRawPointer(b + p0 * bRow + inPlaceStrips * nr).assumingMemoryBound(to: Float.self),
                                       bRow, bColumn, depth, n - inPlaceStrips * nr, nr,
                                       UnsafeMutableRawPointer(packedB + inPlaceStrips * nr * depth).assumingMemoryBound(to: Float.self))
                }
            } else {
            // Pack B's strips in parallel when there is enough of it.
            let packTasks = depth * n >= 32_768 ? Swift.min(Parallel.threadCount, strips) : 1
            let stripsPerTask = (strips + packTasks - 1) / packTasks
            Parallel.forEach(tasks: packTasks) { t in
                let first = t * stripsPerTask, last = Swift.min(strips, first + stripsPerTask)
                guard first < last else { return }
                let width = Swift.min(n - first * nr, (last - first) * nr)
                if kernel == .swift {
                    packB(b + p0 * bRow + first * nr * bColumn, bRow: bRow, bColumn: bColumn, depth: depth,
                          n: width, nr: nr, into: packedB + first * nr * depth)
                } else {
                    synapse_pack_b_f32(UnsafeRawPointer(b + p0 * bRow + first * nr * bColumn).assumingMemoryBound(to: Float.self),
                                       bRow, bColumn, depth, width, nr,
                                       UnsafeMutableRawPointer(packedB + first * nr * depth).assumingMemoryBound(to: Float.self))
                }
            }
            }
            let firstSlice = p0 == 0
            let aSlice = a + p0 * aColumn
            Parallel.forEach(tasks: rowBlocks * columnGroups) { task in
                let block = task / columnGroups, group = task % columnGroups
                let i0 = block * blockRows, rows = Swift.min(blockRows, m - i0)
                let s0 = group * stripsPerGroup, s1 = Swift.min(strips, s0 + stripsPerGroup)
                guard s0 < s1 else { return }
                let rowStrips = (rows + mr - 1) / mr
                if kernel != .swift {
                    // The native kernels read a row-major op(A) in place (six rows, each read along p); a
                    // transposed one (each step of p a row stride away) is packed first, as its strided
                    // reads would miss the cache once per step and per strip of B — unless the block is
                    // small enough to stay in the L1 cache (an attention tile's Pᵀ), when they cannot.
                    var (fa, aRowStride, aDepthStride) = (UnsafeRawPointer(aSlice + i0 * aRow).assumingMemoryBound(to: Float.self), aRow, aColumn)
                    var packedA: UnsafeMutablePointer<Float>? = nil
                    defer { packedA?.deallocate() }
                    if aColumn != 1 && rows * depth > cacheResident {
                        let packed = UnsafeMutablePointer<Float>.allocate(capacity: rowStrips * mr * depth)
                        synapse_pack_a_f32(fa, aRow, aColumn, rows, depth, packed)
                        (packedA, fa, aRowStride, aDepthStride) = (packed, UnsafePointer(packed), 1, mr)
                    }
                    let fc = UnsafeMutableRawPointer(c + i0 * ldc).assumingMemoryBound(to: Float.self)
                    let fAlpha = unsafeBitCast(alpha, to: Float.self)
                    let fBeta = unsafeBitCast(firstSlice ? beta : 1, to: Float.self)
                    for s in s0..<s1 {
                        let j0 = s * nr, columns = Swift.min(nr, n - j0)
                        let inPlace = s < inPlaceStrips
                        let fb = UnsafeRawPointer(inPlace ? b + p0 * bRow + j0 : UnsafePointer(packedB + s * nr * depth))
                            .assumingMemoryBound(to: Float.self)
                        let stripStride = inPlace ? bRow : nr
                        for r in 0..<rowStrips {
                            let ir = r * mr, tileRows = Swift.min(mr, rows - ir)
                            // (a packed strip starts at ir·depth = r·mr·depth, its row stride being 1)
                            let tileA = fa + (packedA != nil ? ir * depth : ir * aRowStride)
                            if kernel == .avx512 {
                                synapse_sgemm_6x32_avx512(depth, tileA, aRowStride, aDepthStride, fb, stripStride, fc + ir * ldc + j0, ldc,
                                                          tileRows, columns, fAlpha, fBeta)
                            } else {
                                synapse_sgemm_6x16_avx2(depth, tileA, aRowStride, aDepthStride, fb, stripStride, fc + ir * ldc + j0, ldc,
                                                        tileRows, columns, fAlpha, fBeta)
                            }
                        }
                    }
                    return
                }
                let packedA = UnsafeMutablePointer<T>.allocate(capacity: rowStrips * mr * depth)
                defer { packedA.deallocate() }
                packA(aSlice + i0 * aRow, aRow: aRow, aColumn: aColumn, rows: rows, depth: depth, into: packedA)
                for s in s0..<s1 {
                    let j0 = s * nr, columns = Swift.min(nr, n - j0)
                    for r in 0..<rowStrips {
                        let ir = r * mr, tileRows = Swift.min(mr, rows - ir)
                        microKernel(depth: depth, a: packedA + r * mr * depth, b: packedB + s * nr * depth, c: c + (i0 + ir) * ldc + j0,
                                    ldc: ldc, rows: tileRows, columns: columns, alpha: alpha, beta: firstSlice ? beta : 1)
                    }
                }
            }
            p0 += depth
        }
    }

    /// The slices of a long inner dimension as parallel tasks (`Float`, native kernels only): task s
    /// packs op(A) and op(B) of slice s (the same `kc`-deep slices as the sequential loop) and
    /// multiplies them into its own partial `m × n` buffer; then C = alpha·P₀ + beta·C, C += alpha·Pₛ
    /// for s = 1, 2, … in order — exactly the arithmetic of the slice-after-slice loop (whose
    /// micro-kernels store alpha·acc + C), so results are identical to it and independent of the
    /// thread count, but the cores share the slices instead of synchronising once per slice on a
    /// few uneven row blocks.
    @inline(__always)
    static func splitDepth<T: TensorScalar>(m: Int, n: Int, k: Int, alpha: T, a: UnsafePointer<T>, aRow: Int, aColumn: Int,
                                            b: UnsafePointer<T>, bRow: Int, bColumn: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int,
                                            kernel: MicroKernel) {
        let nr = kernel.nr
        let strips = (n + nr - 1) / nr, rowStrips = (m + mr - 1) / mr
        let slices = (k + kc - 1) / kc
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: slices * m * n)
        defer { partials.deallocate() }
        let fa = UnsafeRawPointer(a).assumingMemoryBound(to: Float.self), fb = UnsafeRawPointer(b).assumingMemoryBound(to: Float.self)
        // A row-major op(B) (the activations X of Gᵀ·X) is read in place, all but a partial last strip:
        // the slice stays in L2 while every row strip of A passes over it, so a packed copy would only
        // add a pass over memory. A transposed one is packed. So are both operands of a large C (an
        // LSTM's 1024 × 256 weight gradient: rows of G and X 4 KB and 1 KB apart fall in a few cache
        // sets; packed, a strip of A stays in L1 across the strips of B — 2–3 % of an LSTM step on Zen 4).
        let packsBoth = m * n >= 1 << 17
        let inPlaceStrips = bColumn == 1 && !packsBoth ? n / nr : 0
        Parallel.forEach(tasks: slices) { slice in
            let p0 = slice * kc, depth = Swift.min(kc, k - p0)
            let packedB = UnsafeMutablePointer<Float>.allocate(capacity: (strips - inPlaceStrips) * nr * depth)
            defer { packedB.deallocate() }
            if inPlaceStrips < strips {
                synapse_pack_b_f32(fb + p0 * bRow + inPlaceStrips * nr * bColumn, bRow, bColumn, depth, n - inPlaceStrips * nr, nr, packedB)
            }
            // op(A) is read in place, transposed or not: row strip after row strip, each used by every strip
            // of B while its few cache lines per step are still in L1 (a transposed Gᵀ's six values of a
            // step lie side by side in one row of G), so A streams from memory once, unpacked.
            let sliceA = fa + p0 * aColumn
            let partial = partials + slice * m * n
            let packedA = UnsafeMutablePointer<Float>.allocate(capacity: packsBoth ? mr * depth : 1)
            defer { packedA.deallocate() }
            for r in 0..<rowStrips {
                let i0 = r * mr, height = Swift.min(mr, m - i0)
                // The strip of A: packed (element (i, p) at i + p·6), or in place with its strides.
                if packsBoth { synapse_pack_a_f32(sliceA + i0 * aRow, aRow, aColumn, height, depth, packedA) }
                let (strip, stripRow, stripDepth) = packsBoth ? (UnsafePointer(packedA), 1, mr) : (sliceA + i0 * aRow, aRow, aColumn)
                for s in 0..<strips {
                    let j0 = s * nr, columns = Swift.min(nr, n - j0)
                    let (panel, panelStride) = s < inPlaceStrips ? (fb + p0 * bRow + j0, bRow) : (UnsafePointer(packedB + (s - inPlaceStrips) * nr * depth), nr)
                    if kernel == .avx512 {
                        synapse_sgemm_6x32_avx512(depth, strip, stripRow, stripDepth, panel, panelStride, partial + i0 * n + j0, n,
                                                  height, columns, 1, 0)
                    } else {
                        synapse_sgemm_6x16_avx2(depth, strip, stripRow, stripDepth, panel, panelStride, partial + i0 * n + j0, n,
                                                height, columns, 1, 0)
                    }
                }
            }
        }
        let fc = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self)
        let (fAlpha, fBeta) = (unsafeBitCast(alpha, to: Float.self), unsafeBitCast(beta, to: Float.self))
        // The sum in slice order, row blocks in parallel (each element's order is fixed: same bits on any thread count).
        let blocks = m * n * slices >= 1 << 16 ? Swift.min(m, 4 * Parallel.threadCount) : 1
        let blockRows = (m + blocks - 1) / blocks
        Parallel.forEach(tasks: blocks) { block in
            let (first, end) = (block * blockRows, Swift.min(m, (block + 1) * blockRows))
            guard first < end else { return }
            for i in first..<end {
                let row = fc + i * ldc
                for slice in 0..<slices {
                    let p = partials + slice * m * n + i * n
                    if slice == 0 {
                        // (as the micro-kernel's store: alpha·acc, plus beta·C unless beta is 0)
                        if fBeta == 0 { for j in 0..<n { row[j] = fAlpha * p[j] } } else { for j in 0..<n { row[j] = fAlpha * p[j] + fBeta * row[j] } }
                    } else {
                        for j in 0..<n { row[j] = fAlpha * p[j] + row[j] }
                    }
                }
            }
        }
    }

    /// `C = beta · C` (C cleared when beta is 0, even if it held NaN).
    @inline(__always)
    static func scale<T: TensorScalar>(_ c: UnsafeMutablePointer<T>, rows: Int, columns: Int, ldc: Int, by beta: T) {
        for i in 0..<rows {
            let row = c + i * ldc
            if beta == 0 { row.update(repeating: 0, count: columns) } else { for j in 0..<columns { row[j] *= beta } }
        }
    }

    /// Small products: no packing, no threads. Each C element is a left-to-right sum over p.
    @inline(__always)
    static func direct<T: TensorScalar>(m: Int, n: Int, k: Int, alpha: T, a: UnsafePointer<T>, aRow: Int, aColumn: Int,
                                        b: UnsafePointer<T>, bRow: Int, bColumn: Int,
                                        beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: T = 0
                for p in 0..<k { sum += a[i * aRow + p * aColumn] * b[p * bRow + j * bColumn] }
                let target = c + i * ldc + j
                target.pointee = beta == 0 ? alpha * sum : alpha * sum + beta * target.pointee
            }
        }
    }

    /// Packs `depth × n` of op(B) into strips of `nr` columns: strip s holds, for p in 0..<depth,
    /// the `nr` values op(B)[p, s·nr ..< s·nr + nr] contiguously (zero-padded past n).
    @inline(__always)
    static func packB<T: TensorScalar>(_ b: UnsafePointer<T>, bRow: Int, bColumn: Int, depth: Int, n: Int, nr: Int,
                                       into packed: UnsafeMutablePointer<T>) {
        let strips = (n + nr - 1) / nr
        for s in 0..<strips {
            let j0 = s * nr, width = Swift.min(nr, n - j0)
            let strip = packed + s * nr * depth
            if bColumn == 1 && width == nr {
                for p in 0..<depth { (strip + p * nr).update(from: b + p * bRow + j0, count: nr) }
            } else if bRow == 1 {
                // op(B) = Bᵀ (a Dense weight): read each stored row contiguously, write it down a column of the strip.
                for j in 0..<width {
                    let source = b + (j0 + j) * bColumn
                    for p in 0..<depth { strip[p * nr + j] = source[p] }
                }
                if width < nr { for p in 0..<depth { for j in width..<nr { strip[p * nr + j] = 0 } } }
            } else {
                for p in 0..<depth {
                    let dst = strip + p * nr
                    for j in 0..<width { dst[j] = b[p * bRow + (j0 + j) * bColumn] }
                    for j in width..<nr { dst[j] = 0 }
                }
            }
        }
    }

    /// `C = alpha · op(A) · op(B) + beta · C` for fewer than `mr` rows of A, without packing: each
    /// element is a dot product along a contiguous B column (`x · Wᵀ`, the layout of ``Dense``), or
    /// rows of B are accumulated with SIMD when B's rows are contiguous. Fixed order, no threads.
    @inline(__always)
    static func rowsTimesMatrix<T: TensorScalar>(m: Int, n: Int, k: Int, alpha: T, a: UnsafePointer<T>, aRow: Int, aColumn: Int,
                                                 b: UnsafePointer<T>, bRow: Int, bColumn: Int,
                                                 beta: T, c: UnsafeMutablePointer<T>, ldc: Int, kernel: MicroKernel) {
        typealias V = SIMD16<T>
        let width = V.scalarCount
        if aColumn == 1 && bRow == 1 && kernel != .swift {   // (native kernels are only chosen for Float)
            // Float dot products with FMA (C, compiled per instruction set).
            let (fAlpha, fBeta) = (unsafeBitCast(alpha, to: Float.self), unsafeBitCast(beta, to: Float.self))
            for i in 0..<m {
                let x = UnsafeRawPointer(a + i * aRow).assumingMemoryBound(to: Float.self)
                let w = UnsafeRawPointer(b).assumingMemoryBound(to: Float.self)
                let target = UnsafeMutableRawPointer(c + i * ldc).assumingMemoryBound(to: Float.self)
                if fAlpha == 1 && (fBeta == 0 || fBeta == 1) {
                    // Straight into C (1·Σ + 1·C = Σ + C). A large matrix is read from memory once per
                    // call, so its rows are split over the cores (each core's cache keeps its half).
                    let tasks = n * k >= 1 << 16 ? Swift.min(Parallel.threadCount, n / 16) : 1
                    let perTask = (n + tasks - 1) / Swift.max(tasks, 1)
                    Parallel.forEach(tasks: tasks) { t in
                        let first = t * perTask, count = Swift.min(perTask, n - first)
                        guard count > 0 else { return }
                        synapse_sdot_rows(x, w + first * bColumn, k, count, bColumn, target + first, fBeta == 1 ? 1 : 0)
                    }
                    continue
                }
                let row = UnsafeMutablePointer<Float>.allocate(capacity: n)
                defer { row.deallocate() }
                synapse_sdot_rows(x, w, k, n, bColumn, row, 0)
                for j in 0..<n { target[j] = fBeta == 0 ? fAlpha * row[j] : fAlpha * row[j] + fBeta * target[j] }
            }
            return
        }
        if aColumn == 1 && bRow == 1 {
            // Dot products: both operands contiguous along p.
            for i in 0..<m {
                let x = UnsafeRawPointer(a + i * aRow)
                for j in 0..<n {
                    let w = UnsafeRawPointer(b + j * bColumn)
                    var partial = V()
                    var p = 0
                    while p + width <= k {
                        let offset = p * MemoryLayout<T>.stride
                        partial = partial + x.loadUnaligned(fromByteOffset: offset, as: V.self) * w.loadUnaligned(fromByteOffset: offset, as: V.self)
                        p += width
                    }
                    var sum = partial.sum()
                    while p < k { sum += a[i * aRow + p] * b[j * bColumn + p]; p += 1 }
                    let target = c + i * ldc + j
                    target.pointee = beta == 0 ? alpha * sum : alpha * sum + beta * target.pointee
                }
            }
            return
        }
        // Otherwise accumulate a row of C at a time: C[i, :] = Σₚ op(A)[i, p] · op(B)[p, :].
        let row = UnsafeMutablePointer<T>.allocate(capacity: n)
        defer { row.deallocate() }
        for i in 0..<m {
            row.update(repeating: 0, count: n)
            for p in 0..<k {
                let scale = a[i * aRow + p * aColumn]
                if bColumn == 1 {
                    let source = UnsafeRawPointer(b + p * bRow), target = UnsafeMutableRawPointer(row)
                    var j = 0
                    while j + width <= n {
                        let offset = j * MemoryLayout<T>.stride
                        let updated = target.loadUnaligned(fromByteOffset: offset, as: V.self) + V(repeating: scale) * source.loadUnaligned(fromByteOffset: offset, as: V.self)
                        target.storeBytes(of: updated, toByteOffset: offset, as: V.self)
                        j += width
                    }
                    while j < n { row[j] += scale * b[p * bRow + j]; j += 1 }
                } else {
                    for j in 0..<n { row[j] += scale * b[p * bRow + j * bColumn] }
                }
            }
            let target = c + i * ldc
            for j in 0..<n { target[j] = beta == 0 ? alpha * row[j] : alpha * row[j] + beta * target[j] }
        }
    }

    /// Packs `rows × depth` of op(A) into strips of `mr` rows: strip r holds, for p in 0..<depth,
    /// the `mr` values op(A)[r·mr ..< r·mr + mr, p] contiguously (zero-padded past the last row).
    @inline(__always)
    static func packA<T: TensorScalar>(_ a: UnsafePointer<T>, aRow: Int, aColumn: Int, rows: Int, depth: Int,
                                       into packed: UnsafeMutablePointer<T>) {
        let strips = (rows + mr - 1) / mr
        for r in 0..<strips {
            let i0 = r * mr, height = Swift.min(mr, rows - i0)
            let strip = packed + r * mr * depth
            for p in 0..<depth {
                let dst = strip + p * mr
                for i in 0..<height { dst[i] = a[(i0 + i) * aRow + p * aColumn] }
                for i in height..<mr { dst[i] = 0 }
            }
        }
    }

    /// The register tile: `C[0..<rows, 0..<columns] = alpha · Σₚ a[p] ⊗ b[p] + beta · C`, where each
    /// step adds the outer product of 6 packed A values and 8 packed B values to 6 SIMD8 accumulators
    /// (12 SSE registers for Float without target flags: the largest tile that does not spill).
    @inline(__always)
    static func microKernel<T: TensorScalar>(depth: Int, a: UnsafePointer<T>, b: UnsafePointer<T>,
                                             c: UnsafeMutablePointer<T>, ldc: Int, rows: Int, columns: Int,
                                             alpha: T, beta: T) {
        typealias V = SIMD8<T>
        var c0 = V(), c1 = V(), c2 = V(), c3 = V(), c4 = V(), c5 = V()
        var pa = a, pb = b
        for _ in 0..<depth {
            let bv = UnsafeRawPointer(pb).loadUnaligned(as: V.self)
            c0 = c0 + V(repeating: pa[0]) * bv
            c1 = c1 + V(repeating: pa[1]) * bv
            c2 = c2 + V(repeating: pa[2]) * bv
            c3 = c3 + V(repeating: pa[3]) * bv
            c4 = c4 + V(repeating: pa[4]) * bv
            c5 = c5 + V(repeating: pa[5]) * bv
            pa += mr
            pb += nr
        }
        // Write back one accumulator row: whole vectors for full tiles, element by element at edges.
        @inline(__always) func store(_ accumulator: V, row i: Int) {
            guard i < rows else { return }
            let row = c + i * ldc
            if columns == nr {
                let target = UnsafeMutableRawPointer(row)
                var value = accumulator * alpha
                if beta != 0 { value = value + target.loadUnaligned(as: V.self) * beta }
                target.storeBytes(of: value, as: V.self)
            } else {
                for j in 0..<columns { row[j] = beta == 0 ? alpha * accumulator[j] : alpha * accumulator[j] + beta * row[j] }
            }
        }
        store(c0, row: 0); store(c1, row: 1); store(c2, row: 2); store(c3, row: 3); store(c4, row: 4); store(c5, row: 5)
    }
}
