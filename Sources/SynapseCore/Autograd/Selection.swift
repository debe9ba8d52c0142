// Elementwise selection by a boolean mask, forward and backward side by side: `Tensor.where`
// (torch.where) and `maskedFill` (torch.masked_fill, the causal mask of attention). The mask is a
// constant of the graph, so the gradient flows to the selected side only.

/// A boolean tensor: the condition of `Tensor.where(condition, a, b)` and the mask of
/// ``maskedFill(_:mask:value:)`` (PyTorch's `torch.bool` tensors). Row-major, like ``Tensor``.
public struct TensorMask: Sendable, Equatable {
    /// The size of each dimension, outermost first.
    public let shape: [Int]
    /// The elements in row-major order.
    public let values: [Bool]

    /// A mask of the given shape holding `values` in row-major order.
    /// - Precondition: `values.count` is the product of `shape`.
    public init(shape: [Int], values: [Bool]) {
        precondition(shape.allSatisfy { $0 >= 0 } && shape.reduce(1, *) == values.count,
                     "a mask of shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values
    }

    /// True where `tensor` is nonzero (NaN counts as true, as `tensor.bool()` in PyTorch); the
    /// masks that comparisons such as `a .> b` return convert this way.
    public init<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>) {
        self.init(shape: tensor.shape, values: tensor.withUnsafeBufferPointer { $0.map { $0 != 0 } })
    }

    /// A `[size, size]` mask, true strictly above diagonal `diagonal − 1`, i.e. where
    /// `column − row ≥ diagonal` (`torch.triu(torch.ones(size, size), diagonal).bool()`). With the
    /// default `diagonal: 1` it marks the future positions a causal attention must not see.
    public static func upperTriangular(size: Int, diagonal: Int = 1) -> TensorMask {
        precondition(size >= 0, "a mask size cannot be negative")
        var values = [Bool](repeating: false, count: size * size)
        for row in 0..<size {
            for column in 0..<size where column - row >= diagonal { values[row * size + column] = true }
        }
        return TensorMask(shape: [size, size], values: values)
    }
}

/// Strides of `shape` (aligned to the right) in elements, inside a broadcast `target`: 0 along the
/// axes it is broadcast over (missing or size 1).
private func broadcastStrides(_ shape: [Int], in target: [Int]) -> [Int] {
    var strides = [Int](repeating: 0, count: target.count)
    var step = 1
    for d in stride(from: shape.count - 1, through: 0, by: -1) {
        let t = d + target.count - shape.count
        strides[t] = shape[d] == 1 ? 0 : step
        step *= shape[d]
    }
    return strides
}

/// Walks `shape` (up to three operands with `strides` inside it) one innermost run at a time:
/// `body(outputOffset, offsets, length, innerStrides)`, offsets and strides per operand. Size-1
/// axes are dropped and axes every operand walks contiguously are merged first, so a `[T, T]`
/// mask over `[B, H, T, T]` scores is two loops: `B·H` runs of `T·T`.
private func forEachBroadcastRun(_ shape: [Int], _ strides: [[Int]],
                                 _ body: (Int, SIMD3<Int>, Int, SIMD3<Int>) -> Void) {
    let count = shape.reduce(1, *)
    if count == 0 { return }
    var dims: [Int] = [], merged: [SIMD3<Int>] = []
    for d in shape.indices where shape[d] != 1 {
        let s = SIMD3(strides[0][d], strides.count > 1 ? strides[1][d] : 0, strides.count > 2 ? strides[2][d] : 0)
        if let previous = merged.last, previous == s &* SIMD3(repeating: shape[d]) {
            dims[dims.count - 1] *= shape[d]
            merged[merged.count - 1] = s
        } else {
            dims.append(shape[d])
            merged.append(s)
        }
    }
    if dims.isEmpty { body(0, .zero, 1, .zero); return }
    let innerSize = dims[dims.count - 1], innerStrides = merged[merged.count - 1]
    let outerRank = dims.count - 1
    var index = [Int](repeating: 0, count: outerRank)
    var offsets = SIMD3<Int>.zero
    var output = 0
    for _ in 0..<(count / innerSize) {
        body(output, offsets, innerSize, innerStrides)
        output += innerSize
        var d = outerRank - 1
        while d >= 0 {
            index[d] += 1
            offsets &+= merged[d]
            if index[d] < dims[d] { break }
            offsets &-= merged[d] &* SIMD3(repeating: dims[d])
            index[d] = 0
            d -= 1
        }
    }
}

extension Tensor {
    /// `a` where `condition` holds, else `b`, elementwise (`torch.where(condition, a, b)`); the
    /// three shapes broadcast together (NumPy rules) to the result's.
    ///
    ///     ∂L/∂a = g where condition (summed over broadcast axes),  ∂L/∂b = g where not
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func `where`(_ condition: TensorMask, _ a: Tensor, _ b: Tensor) -> Tensor {
        guard let ab = BroadcastLayout.broadcastShape(a.shape, b.shape),
              let shape = BroadcastLayout.broadcastShape(condition.shape, ab) else {
            preconditionFailure("where: shapes \(condition.shape), \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        let out = Tensor(uninitializedShape: shape)
        let maskStrides = broadcastStrides(condition.shape, in: shape)
        condition.values.withUnsafeBufferPointer { mask in
            guard let m = mask.baseAddress else { return }     // no values: an empty result
            let (x, y, o) = (a.data, b.data, out.data)
            forEachBroadcastRun(shape, [maskStrides, broadcastStrides(a.shape, in: shape), broadcastStrides(b.shape, in: shape)]) {
                start, offsets, length, steps in
                let (mm, xx, yy, oo) = (m + offsets[0], x + offsets[1], y + offsets[2], o + start)
                let (ms, xs, ys) = (steps[0], steps[1], steps[2])
                for j in 0..<length { oo[j] = mm[j * ms] ? xx[j * xs] : yy[j * ys] }
            }
        }
        if recordsGradient(a, b) {
            // ∂L/∂a = g ⊙ condition,  ∂L/∂b = g ⊙ ¬condition   (each summed back to its shape)
            out.recordGradient("where", inputs: [a, b]) { g, _ in
                [a.requiresGrad ? g.masked(condition, strides: maskStrides, keepWhere: true).unbroadcast(to: a.shape) : nil,
                 b.requiresGrad ? g.masked(condition, strides: maskStrides, keepWhere: false).unbroadcast(to: b.shape) : nil]
            }
        }
        return out
    }

    /// `a` where `condition` is nonzero, else `b` (`torch.where(condition.bool(), a, b)`), with
    /// broadcasting; `condition` is typically a comparison's mask, as `Tensor.where(x .> 0, x, y)`.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        self.where(TensorMask(condition), a, b)
    }

    /// This tensor (of the broadcast result's shape) with the elements where `mask` differs from
    /// `keepWhere` set to zero (no recording); `strides` place the mask inside this shape.
    fileprivate func masked(_ mask: TensorMask, strides: [Int], keepWhere: Bool) -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        mask.values.withUnsafeBufferPointer { values in
            guard let m = values.baseAddress else { return }
            let (g, o) = (data, out.data)
            forEachBroadcastRun(shape, [strides]) { start, offsets, length, steps in
                let (mm, ms, gg, oo) = (m + offsets[0], steps[0], g + start, o + start)
                for j in 0..<length { oo[j] = mm[j * ms] == keepWhere ? gg[j] : 0 }
            }
        }
        return out
    }
}

/// `x` with `value` wherever `mask` is true (`x.masked_fill(mask, value)`); `mask` broadcasts to
/// `x`'s shape, which the result keeps. `maskedFill(scores, mask: .upperTriangular(size: T),
/// value: -.infinity)` hides the future from causal attention.
///
///     ∂L/∂x = g where the mask is false, 0 where it is true
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func maskedFill<Scalar>(_ x: Tensor<Scalar>, mask: TensorMask, value: Scalar) -> Tensor<Scalar> {
    precondition(BroadcastLayout.broadcastShape(mask.shape, x.shape) == x.shape,
                 "maskedFill: a mask of shape \(mask.shape) does not broadcast to \(x.shape)")
    let out = Tensor<Scalar>(uninitializedShape: x.shape)
    let maskStrides = broadcastStrides(mask.shape, in: x.shape)
    mask.values.withUnsafeBufferPointer { values in
        guard let m = values.baseAddress else { return }
        let (source, o) = (x.data, out.data)
        forEachBroadcastRun(x.shape, [maskStrides]) { start, offsets, length, steps in
            let (mm, ms, xx, oo) = (m + offsets[0], steps[0], source + start, o + start)
            for j in 0..<length { oo[j] = mm[j * ms] ? value : xx[j] }
        }
    }
    if Tensor.recordsGradient(x) {
        // ∂L/∂x = g ⊙ ¬mask
        out.recordGradient("maskedFill", inputs: [x]) { g, _ in [g.masked(mask, strides: maskStrides, keepWhere: false)] }
    }
    return out
}
