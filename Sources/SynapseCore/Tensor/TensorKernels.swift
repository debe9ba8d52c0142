/// The forward computations of tensor operations, without any gradient bookkeeping: each one
/// allocates the result and runs one kernel over the whole buffer. The differentiable public
/// operations (in `Autograd/`) call these and record their backward beside them.
extension Tensor {
    /// `op(self)` elementwise, into a new tensor of the same shape (large tensors in fixed chunks
    /// over the cores: each element's result does not depend on the split).
    func applying(_ op: UnaryOperation<Scalar>) -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        let (x, y) = (data, result.data)
        ElementwiseChunks.run(count: count) { start, n in Scalar.map(op, x + start, y + start, count: n) }
        return result
    }

    /// `op(x, y)` elementwise under NumPy broadcasting (same shapes: in chunks over the cores).
    static func combining(_ op: BinaryOperation, _ x: Tensor, _ y: Tensor) -> Tensor {
        if x.shape == y.shape {
            let result = Tensor(uninitializedShape: x.shape)
            let (a, b, z) = (x.data, y.data, result.data)
            ElementwiseChunks.run(count: x.count) { start, n in
                Scalar.combine(op, a + start, b + start, z + start, layout: BroadcastLayout(elementwise: n))
            }
            return result
        }
        guard let shape = BroadcastLayout.broadcastShape(x.shape, y.shape) else {
            preconditionFailure("shapes \(x.shape) and \(y.shape) cannot be broadcast together")
        }
        let result = Tensor(uninitializedShape: shape)
        Scalar.combine(op, x.data, y.data, result.data, layout: BroadcastLayout(x: x.shape, y: y.shape, result: shape))
        return result
    }

    /// Normalises a possibly negative axis (`-1` is the last) and checks it.
    func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for shape \(shape)")
        return a
    }

    /// Reduces one axis with `op`; the axis is kept with size 1.
    func reducing(_ op: ReductionOperation, axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        var resultShape = shape
        resultShape[a] = 1
        let result = Tensor(uninitializedShape: resultShape)
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        if result.count > 0 {
            precondition(shape[a] > 0, "cannot reduce an empty axis \(a) of shape \(shape)")
            Scalar.reduce(op, data, result.data, outer: outer, axis: shape[a], inner: inner)
        }
        return result
    }

    /// Reduces every element with `op` into a rank-0 tensor.
    func reducingAll(_ op: ReductionOperation) -> Tensor {
        precondition(count > 0 || op == .sum, "cannot take the \(op) of an empty tensor")
        let result = Tensor(uninitializedShape: [])
        if count == 0 { result.data[0] = 0 } else { Scalar.reduce(op, data, result.data, outer: 1, axis: count, inner: 1) }
        return result
    }

    /// Sums a broadcast gradient back to `shape`: over the leading dimensions `shape` lacks and
    /// over the dimensions where `shape` has size 1 — the backward of NumPy broadcasting.
    func unbroadcast(to target: [Int]) -> Tensor {
        if shape == target { return self }
        var g = self
        while g.rank > target.count { g = g.reducing(.sum, axis: 0).reshapedView([Int](g.shape.dropFirst())) }
        for axis in 0..<target.count where target[axis] == 1 && g.shape[axis] != 1 {
            g = g.reducing(.sum, axis: axis)
        }
        return g
    }

    /// A view with another shape of the same element count (no recording).
    func reshapedView(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        return Tensor(viewOf: self, offset: 0, shape: newShape)
    }
}
