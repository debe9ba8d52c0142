/// The loops of batch normalisation (`Autograd/Normalization.swift`) over one channel's run of
/// contiguous values (one sample's plane): sums in four SIMD16 accumulators combined in a fixed
/// order, so a channel's statistics are the same bits on any number of threads, and the per-value
/// maps on whole vectors.
enum ChannelKernels {
    typealias Vector<T: SIMDScalar> = SIMD16<T>

    @inline(__always)
    private static func load<T: TensorScalar>(_ p: UnsafePointer<T>) -> Vector<T> {
        UnsafeRawPointer(p).loadUnaligned(as: Vector<T>.self)
    }

    @inline(__always)
    private static func store<T: TensorScalar>(_ v: Vector<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector<T>.self)
    }

    /// Σ xᵢ over a run.
    @inline(__always)
    static func sum<T: TensorScalar>(_ x: UnsafePointer<T>, count: Int) -> T {
        let width = Vector<T>.scalarCount
        var (a0, a1, a2, a3) = (Vector<T>(), Vector<T>(), Vector<T>(), Vector<T>())
        var i = 0
        while i + 4 * width <= count {
            a0 += load(x + i); a1 += load(x + i + width); a2 += load(x + i + 2 * width); a3 += load(x + i + 3 * width)
            i += 4 * width
        }
        while i + width <= count { a0 += load(x + i); i += width }
        var r = ((a0 + a1) + (a2 + a3)).sum()
        while i < count { r += x[i]; i += 1 }
        return r
    }

    /// Σ (xᵢ − μ)² over a run.
    @inline(__always)
    static func squaredDeviations<T: TensorScalar>(_ x: UnsafePointer<T>, count: Int, mean mu: T) -> T {
        let width = Vector<T>.scalarCount
        let center = Vector<T>(repeating: mu)
        var (a0, a1) = (Vector<T>(), Vector<T>())
        var i = 0
        while i + 2 * width <= count {
            let (d0, d1) = (load(x + i) - center, load(x + i + width) - center)
            a0 += d0 * d0; a1 += d1 * d1
            i += 2 * width
        }
        while i + width <= count { let d = load(x + i) - center; a0 += d * d; i += width }
        var r = (a0 + a1).sum()
        while i < count { let d = x[i] - mu; r += d * d; i += 1 }
        return r
    }

    /// (Σ g, Σ g·(x − μ)) over a run.
    @inline(__always)
    static func gradientSums<T: TensorScalar>(_ g: UnsafePointer<T>, _ x: UnsafePointer<T>, count: Int, mean mu: T) -> (T, T) {
        let width = Vector<T>.scalarCount
        let center = Vector<T>(repeating: mu)
        var (s0, s1, p0, p1) = (Vector<T>(), Vector<T>(), Vector<T>(), Vector<T>())
        var i = 0
        while i + 2 * width <= count {
            let (g0, g1) = (load(g + i), load(g + i + width))
            s0 += g0; s1 += g1
            p0 += g0 * (load(x + i) - center); p1 += g1 * (load(x + i + width) - center)
            i += 2 * width
        }
        while i + width <= count { let gv = load(g + i); s0 += gv; p0 += gv * (load(x + i) - center); i += width }
        var (s, p) = ((s0 + s1).sum(), (p0 + p1).sum())
        while i < count { s += g[i]; p += g[i] * (x[i] - mu); i += 1 }
        return (s, p)
    }

    /// y = a·x + b over a run.
    @inline(__always)
    static func affine<T: TensorScalar>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int, scale a: T, shift b: T) {
        let width = Vector<T>.scalarCount
        let (av, bv) = (Vector<T>(repeating: a), Vector<T>(repeating: b))
        var i = 0
        while i + width <= count { store(av * load(x + i) + bv, y + i); i += width }
        while i < count { y[i] = a * x[i] + b; i += 1 }
    }

    /// dx = s·(g − ḡ − (x − μ)·k) over a run, with s = γ/√(σ² + ε), ḡ = mean g, k = r·mean(g·x̂).
    @inline(__always)
    static func inputGradient<T: TensorScalar>(_ g: UnsafePointer<T>, _ x: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, count: Int,
                                               scale s: T, meanGradient gm: T, mean mu: T, slope k: T) {
        let width = Vector<T>.scalarCount
        let (sv, gv, mv, kv) = (Vector<T>(repeating: s), Vector<T>(repeating: gm), Vector<T>(repeating: mu), Vector<T>(repeating: k))
        var i = 0
        while i + width <= count { store(sv * (load(g + i) - gv - (load(x + i) - mv) * kv), dx + i); i += width }
        while i < count { dx[i] = s * (g[i] - gm - (x[i] - mu) * k); i += 1 }
    }
}
