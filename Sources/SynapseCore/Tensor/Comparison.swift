// Comparisons and arg-reductions. Their results are masks (1 where true, 0 where false) or
// indices, so they are not differentiable and record nothing. The dotted operators are the
// standard library's pointwise comparisons (as on SIMD vectors), extended to tensors.

extension Tensor {
    /// 1 where `a < b` elementwise (with broadcasting), else 0.
    public static func .< (a: Tensor, b: Tensor) -> Tensor { combining(.less, a, b) }
    /// 1 where `a <= b` elementwise, else 0.
    public static func .<= (a: Tensor, b: Tensor) -> Tensor { combining(.lessOrEqual, a, b) }
    /// 1 where `a > b` elementwise, else 0.
    public static func .> (a: Tensor, b: Tensor) -> Tensor { combining(.greater, a, b) }
    /// 1 where `a >= b` elementwise, else 0.
    public static func .>= (a: Tensor, b: Tensor) -> Tensor { combining(.greaterOrEqual, a, b) }
    /// 1 where `a == b` elementwise, else 0.
    public static func .== (a: Tensor, b: Tensor) -> Tensor { combining(.equal, a, b) }
    /// 1 where `a != b` elementwise, else 0.
    public static func .!= (a: Tensor, b: Tensor) -> Tensor { combining(.notEqual, a, b) }
    /// 1 where `a > s`, else 0 (`predictions .> 0.5`).
    public static func .> (a: Tensor, s: Scalar) -> Tensor { a.applying(.greaterThan(s)) }
    /// 1 where `a < s`, else 0.
    public static func .< (a: Tensor, s: Scalar) -> Tensor { a.applying(.lessThan(s)) }

    /// Elementwise maximum of two tensors with broadcasting (not differentiable here; see `max()` for reductions).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { combining(.maximum, a, b) }
    /// Elementwise minimum of two tensors with broadcasting.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor { combining(.minimum, a, b) }

    /// The flat row-major index of the largest element (the first one among ties; NaN counts as largest).
    public func argmax() -> Int {
        precondition(count > 0, "argmax of an empty tensor")
        var best = 0
        for i in 1..<count where data[i] > data[best] || (data[i].isNaN && !data[best].isNaN) { best = i }
        return best
    }

    /// The indices of the largest elements along `axis` (first among ties), in the shape with that axis removed,
    /// flattened row-major: for a `[batch, classes]` tensor, `argmax(axis: 1)` is each row's predicted class.
    public func argmax(axis: Int) -> [Int] {
        let a = normalizedAxis(axis)
        precondition(shape[a] > 0, "argmax along an empty axis")
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var result = [Int](repeating: 0, count: outer * inner)
        for o in 0..<outer {
            for j in 0..<inner {
                let base = data + o * n * inner + j
                var best = 0
                for i in 1..<n where base[i * inner] > base[best * inner] { best = i }
                result[o * inner + j] = best
            }
        }
        return result
    }
}

extension Tensor {
    /// The index of the first NaN or infinite value (row-major), or nil when every value is finite —
    /// for reporting bad input data where it is. One vectorised sum decides the common case; only a
    /// tensor with a non-finite sum is searched element by element.
    public func firstNonFiniteIndex() -> [Int]? {
        if withoutGradients({ sum() }).scalar.isFinite { return nil }
        guard let flat = withUnsafeBufferPointer({ $0.firstIndex { !$0.isFinite } }) else { return nil }   // the sum overflowed
        var index: [Int] = [], rest = flat
        for size in shape.reversed() {
            index.append(rest % size)
            rest /= size
        }
        return index.reversed()
    }
}
