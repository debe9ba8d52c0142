// log Σ eˣ along one axis, stable for any input, forward and backward side by side.

/// `log Σⱼ e^{xⱼ}` along `axis` (default: the last; negative axes count from the end) of `x` of any
/// rank (`torch.logsumexp(x, dim=axis, keepdim=keepDims)`), computed as `m + log Σⱼ e^{xⱼ − m}`
/// with m the maximum, so no eˣ overflows. A row that is all −∞ gives −∞ (an empty axis too);
/// a row holding +∞ gives +∞.
///
///     ∂L/∂xⱼ = g · e^{xⱼ − y} = g · softmax(x)ⱼ
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func logSumExp<Scalar>(_ x: Tensor<Scalar>, axis: Int = -1, keepDims: Bool = false) -> Tensor<Scalar> {
    precondition(x.rank >= 1, "logSumExp needs an axis, got a scalar")
    let a = x.normalizedAxis(axis)
    let outer = x.shape[..<a].reduce(1, *), length = x.shape[a], inner = x.shape[(a + 1)...].reduce(1, *)
    var shape = x.shape
    if keepDims { shape[a] = 1 } else { shape.remove(at: a) }
    let out = Tensor<Scalar>(uninitializedShape: shape)
    // Per index of the other axes: the maximum (kept in `out`), then Σ e^{x − m} (in `sums`), in
    // passes over the axis that read `inner` consecutive elements at a time.
    var sums = [Scalar](repeating: 0, count: inner)
    sums.withUnsafeMutableBufferPointer { sums in
        let s = sums.baseAddress!
        for o in 0..<outer {
            let (source, m) = (x.data + o * length * inner, out.data + o * inner)
            m.update(repeating: -.infinity, count: inner)
            s.update(repeating: 0, count: inner)
            for l in 0..<length {
                let row = source + l * inner
                for i in 0..<inner where row[i] > m[i] { m[i] = row[i] }
            }
            for l in 0..<length {
                let row = source + l * inner
                for i in 0..<inner { s[i] += Scalar.exponential(row[i] - m[i]) }
            }
            for i in 0..<inner where m[i].isFinite { m[i] += Scalar.logarithm(s[i]) }
            // (m = ±∞ stays: log Σ is −∞ for an all −∞ row, +∞ when a term is +∞)
        }
    }
    if Tensor.recordsGradient(x) {
        // ∂L/∂x = g · e^{x − y}  (softmax along the axis; 0 for an all −∞ row)
        out.recordGradient("logSumExp", inputs: [x]) { g, y in
            let gradient = Tensor<Scalar>(uninitializedShape: x.shape)
            for o in 0..<outer {
                let (source, target) = (x.data + o * length * inner, gradient.data + o * length * inner)
                let (total, upstream) = (y.data + o * inner, g.data + o * inner)
                for l in 0..<length {
                    let (row, result) = (source + l * inner, target + l * inner)
                    for i in 0..<inner {
                        result[i] = total[i] == -.infinity ? 0 : upstream[i] * Scalar.exponential(row[i] - total[i])
                    }
                }
            }
            return [gradient]
        }
    }
    return out
}
