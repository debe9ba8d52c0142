/// Reductions along one axis of a row-major buffer seen as `[outer, axis, inner]`.
///
/// * `inner == 1` (the reduced axis is the last one): each output is a reduction of a contiguous
///   run, done with SIMD accumulators, summed in a fixed order so results never depend on threads.
/// * `inner > 1`: rows of length `inner` are combined one after another (`y = x₀; y ⊕= x₁; …`),
///   SIMD across `inner` — the same order NumPy uses for `sum(axis=0)` of a C-ordered array.
enum Reduction {
    typealias Vector<T: SIMDScalar> = SIMD16<T>

    @inline(__always)
    static func combine<T: TensorScalar>(_ op: ReductionOperation, _ a: T, _ b: T) -> T {
        switch op {
        case .sum: return a + b
        case .max: return a >= b || a.isNaN ? a : b
        case .min: return a <= b || a.isNaN ? a : b
        }
    }

    @inline(__always)
    static func combine<T: TensorScalar>(_ op: ReductionOperation, _ a: Vector<T>, _ b: Vector<T>) -> Vector<T> {
        switch op {
        case .sum: return a + b
        case .max: return Lanes.select(b .!= b, b, Lanes.select(a .!= a, a, Lanes.maximum(a, b)))   // NaN propagates
        case .min: return Lanes.select(b .!= b, b, Lanes.select(a .!= a, a, Lanes.minimum(a, b)))
        }
    }

    /// Reduces `count` contiguous elements. Short runs are reduced left to right (as NumPy does
    /// below 8 elements); long runs use four SIMD accumulators, combined in a fixed order.
    @inline(__always)
    static func reduceContiguous<T: TensorScalar>(_ op: ReductionOperation, _ x: UnsafePointer<T>, count: Int) -> T {
        let width = Vector<T>.scalarCount
        if count < 4 * width {
            var r = x[0]
            var i = 1
            while i < count { r = combine(op, r, x[i]); i += 1 }
            return r
        }
        func load(_ i: Int) -> Vector<T> { UnsafeRawPointer(x + i).loadUnaligned(as: Vector<T>.self) }
        var a0 = load(0), a1 = load(width), a2 = load(2 * width), a3 = load(3 * width)
        var i = 4 * width
        while i + 4 * width <= count {
            a0 = combine(op, a0, load(i)); a1 = combine(op, a1, load(i + width))
            a2 = combine(op, a2, load(i + 2 * width)); a3 = combine(op, a3, load(i + 3 * width))
            i += 4 * width
        }
        while i + width <= count { a0 = combine(op, a0, load(i)); i += width }
        let v = combine(op, combine(op, a0, a1), combine(op, a2, a3))
        var r = v[0]
        for l in 1..<width { r = combine(op, r, v[l]) }
        while i < count { r = combine(op, r, x[i]); i += 1 }
        return r
    }

    /// `y[o, j] = ⊕ₐ x[o, a, j]` for `axis ≥ 1` elements per output.
    @inline(__always)
    static func reduce<T: TensorScalar>(_ op: ReductionOperation, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
                                        outer: Int, axis: Int, inner: Int) {
        precondition(axis > 0, "cannot reduce an empty axis")
        if inner == 1 {
            for o in 0..<outer { y[o] = reduceContiguous(op, x + o * axis, count: axis) }
            return
        }
        let width = Vector<T>.scalarCount
        for o in 0..<outer {
            let src = x + o * axis * inner
            let dst = y + o * inner
            dst.update(from: src, count: inner)
            for a in 1..<axis {
                let row = src + a * inner
                var j = 0
                while j + width <= inner {
                    let acc = UnsafeRawPointer(dst + j).loadUnaligned(as: Vector<T>.self)
                    let v = UnsafeRawPointer(row + j).loadUnaligned(as: Vector<T>.self)
                    UnsafeMutableRawPointer(dst + j).storeBytes(of: combine(op, acc, v), as: Vector<T>.self)
                    j += width
                }
                while j < inner { dst[j] = combine(op, dst[j], row[j]); j += 1 }
            }
        }
    }
}
