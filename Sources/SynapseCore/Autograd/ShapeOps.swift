// Shape operations: reshape, transpose and first-axis slicing, forward and backward.

extension Tensor {
    /// The same elements with another shape (a view: no copy). One dimension may be `-1`, inferred.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        if let unknown = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != unknown }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
            resolved[unknown] = count / known
        }
        let out = reshapedView(resolved)
        if Tensor.recordsGradient(self) {
            // ∂reshape(x)/∂x: the gradient reshaped back
            out.recordGradient("reshape", inputs: [self]) { [shape] g, _ in [g.reshapedView(shape)] }
        }
        return out
    }

    /// The dimensions permuted (`np.transpose(x, axes)`); for rank 2 with no argument, the matrix transpose.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func transposed(_ permutation: [Int]? = nil) -> Tensor {
        let perm = permutation ?? Array((0..<rank).reversed())
        precondition(perm.sorted() == Array(0..<rank), "\(perm) is not a permutation of the \(rank) axes of \(shape)")
        let out = permutedCopy(perm)
        if Tensor.recordsGradient(self) {
            // ∂transpose(x)/∂x: the gradient transposed back by the inverse permutation
            var inverse = [Int](repeating: 0, count: perm.count)
            for (i, p) in perm.enumerated() { inverse[p] = i }
            out.recordGradient("transpose", inputs: [self]) { g, _ in [g.permutedCopy(inverse)] }
        }
        return out
    }

    /// A contiguous copy with dimensions permuted (no recording).
    func permutedCopy(_ perm: [Int]) -> Tensor {
        let newShape = perm.map { shape[$0] }
        let out = Tensor(uninitializedShape: newShape)
        if count == 0 { return out }
        if rank == 2 && perm == [1, 0] {
            // Blocked 2-D transpose: tiles of 32 × 32 keep both reads and writes in cache.
            let rows = shape[0], cols = shape[1], tile = 32
            for i0 in stride(from: 0, to: rows, by: tile) {
                for j0 in stride(from: 0, to: cols, by: tile) {
                    for i in i0..<Swift.min(i0 + tile, rows) {
                        for j in j0..<Swift.min(j0 + tile, cols) { out.data[j * rows + i] = data[i * cols + j] }
                    }
                }
            }
            return out
        }
        var strides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        let permutedStrides = perm.map { strides[$0] }
        var index = [Int](repeating: 0, count: rank)
        var source = 0
        for i in 0..<count {
            out.data[i] = data[source]
            var d = rank - 1
            while d >= 0 {
                index[d] += 1
                source += permutedStrides[d]
                if index[d] < newShape[d] { break }
                source -= permutedStrides[d] * newShape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// The matrix transpose of a rank-2 tensor (NumPy's `.T`).
    public var T: Tensor {
        precondition(rank == 2, ".T needs a rank-2 tensor, got shape \(shape)")
        return transposed()
    }

    /// The rows `range` along the first (batch) axis — a view sharing storage, like `x[a:b]` in NumPy.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1, "rows(_:) needs rank ≥ 1")
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows \(range) out of range for first dimension \(shape[0])")
        let rowSize = shape[0] == 0 ? 0 : count / shape[0]
        var newShape = shape
        newShape[0] = range.count
        let out = Tensor(viewOf: self, offset: range.lowerBound * rowSize, shape: newShape)
        if Tensor.recordsGradient(self) {
            // ∂x[a:b]/∂x: the gradient placed in rows a..<b of zeros
            out.recordGradient("rows", inputs: [self]) { [shape] g, _ in
                let full = Tensor(zeros: shape)
                (full.data + range.lowerBound * rowSize).update(from: g.data, count: g.count)
                return [full]
            }
        }
        return out
    }

    /// The rows at `indices` along the first axis, in that order (a copy; `x[indices]` in NumPy).
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func gatheringRows(_ indices: [Int]) -> Tensor {
        precondition(rank >= 1, "gatheringRows(_:) needs rank ≥ 1")
        let rowSize = shape[0] == 0 ? 0 : count / shape[0]
        var newShape = shape
        newShape[0] = indices.count
        let out = Tensor(uninitializedShape: newShape)
        for index in indices { precondition(index >= 0 && index < shape[0], "row index \(index) out of range for \(shape[0]) rows") }
        // Large gathers (a shuffled mini-batch of images) are split over the cores.
        let tasks = indices.count * rowSize >= 1 << 16 ? Swift.min(Parallel.threadCount, indices.count) : 1
        let perTask = (indices.count + tasks - 1) / Swift.max(tasks, 1)
        let (source, target) = (data, out.data)
        indices.withUnsafeBufferPointer { rows in
            Parallel.forEach(tasks: tasks) { task in
                for r in (task * perTask)..<Swift.min(rows.count, (task + 1) * perTask) {
                    (target + r * rowSize).initialize(from: source + rows[r] * rowSize, count: rowSize)
                }
            }
        }
        if Tensor.recordsGradient(self) {
            // ∂x[idx]/∂x: each gradient row added back to the row it came from
            out.recordGradient("gather rows", inputs: [self]) { [shape] g, _ in
                let full = Tensor(zeros: shape)
                for (r, index) in indices.enumerated() {
                    let dst = full.data + index * rowSize, src = g.data + r * rowSize
                    for j in 0..<rowSize { dst[j] += src[j] }
                }
                return [full]
            }
        }
        return out
    }
}

extension Tensor {
    /// The rows of several tensors stacked along the first axis (`np.concatenate(parts)`), not recorded.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public static func concatenatingRows(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "nothing to concatenate")
        let rowShape = Array(parts[0].shape.dropFirst())
        precondition(parts.allSatisfy { Array($0.shape.dropFirst()) == rowShape }, "rows of different shapes cannot be concatenated")
        let result = Tensor(uninitializedShape: [parts.reduce(0) { $0 + $1.shape[0] }] + rowShape)
        var offset = 0
        for part in parts {
            (result.data + offset).initialize(from: part.data, count: part.count)
            offset += part.count
        }
        return result
    }
}
