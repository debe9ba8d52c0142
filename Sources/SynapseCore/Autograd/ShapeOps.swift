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

    /// A contiguous copy with dimensions permuted (no recording). Size-1 axes are dropped and axes
    /// that stay adjacent and in order are merged first; then a trailing block that keeps its place
    /// is copied in contiguous runs (attention's `[B, T, H, D] → [B, H, T, D]` copies runs of D), a
    /// swap of the last two merged axes is a blocked transpose per leading index, and any other
    /// permutation is copied element by element.
    func permutedCopy(_ perm: [Int]) -> Tensor {
        let newShape = perm.map { shape[$0] }
        let out = Tensor(uninitializedShape: newShape)
        if count == 0 { return out }
        // Merge: number the axes of size > 1, then group output-consecutive runs of input-consecutive axes.
        var kept = [Int](repeating: -1, count: rank), keptCount = 0
        for d in 0..<rank where shape[d] != 1 { kept[d] = keptCount; keptCount += 1 }
        var groups: [(first: Int, size: Int, last: Int)] = []       // in output order; first/last: kept-axis numbers
        for p in perm where shape[p] != 1 {
            if let g = groups.last, g.last + 1 == kept[p] {
                groups[groups.count - 1] = (g.first, g.size * shape[p], kept[p])
            } else {
                groups.append((kept[p], shape[p], kept[p]))
            }
        }
        let m = groups.count
        if m <= 1 {
            out.data.initialize(from: data, count: count)
            return out
        }
        // The merged input (groups in input order) and the merged permutation.
        let inputOrder = groups.indices.sorted { groups[$0].first < groups[$1].first }
        var mergedPermutation = [Int](repeating: 0, count: m)
        for (inputIndex, group) in inputOrder.enumerated() { mergedPermutation[group] = inputIndex }
        let inputShape = inputOrder.map { groups[$0].size }
        var inputStrides = [Int](repeating: 1, count: m)
        for d in stride(from: m - 2, through: 0, by: -1) { inputStrides[d] = inputStrides[d + 1] * inputShape[d + 1] }
        let outputShape = mergedPermutation.map { inputShape[$0] }
        let sourceStrides = mergedPermutation.map { inputStrides[$0] }   // per output axis

        if mergedPermutation[m - 1] == m - 1 {
            // The last axis stays: copy runs of `run` contiguous elements.
            let run = inputShape[m - 1]
            let innerAxis = m - 2, innerSize = outputShape[innerAxis], innerStride = sourceStrides[innerAxis]
            let outerCount = outputShape[..<innerAxis].reduce(1, *)
            var index = [Int](repeating: 0, count: innerAxis), source = 0
            var target = out.data
            for _ in 0..<outerCount {
                var from = data + source
                for _ in 0..<innerSize {
                    target.initialize(from: from, count: run)
                    target += run
                    from += innerStride
                }
                var d = innerAxis - 1
                while d >= 0 {
                    index[d] += 1
                    source += sourceStrides[d]
                    if index[d] < outputShape[d] { break }
                    source -= sourceStrides[d] * outputShape[d]
                    index[d] = 0
                    d -= 1
                }
            }
            return out
        }
        if mergedPermutation[m - 1] == m - 2 && mergedPermutation[m - 2] == m - 1
            && (0..<(m - 2)).allSatisfy({ mergedPermutation[$0] == $0 }) {
            // A matrix transpose per leading index, in tiles of 32 × 32 that keep reads and writes in cache.
            let rows = inputShape[m - 2], cols = inputShape[m - 1], tile = 32
            let batches = inputShape[..<(m - 2)].reduce(1, *)
            for b in 0..<batches {
                let (source, target) = (data + b * rows * cols, out.data + b * rows * cols)
                for i0 in stride(from: 0, to: rows, by: tile) {
                    for j0 in stride(from: 0, to: cols, by: tile) {
                        for i in i0..<Swift.min(i0 + tile, rows) {
                            for j in j0..<Swift.min(j0 + tile, cols) { target[j * rows + i] = source[i * cols + j] }
                        }
                    }
                }
            }
            return out
        }
        var index = [Int](repeating: 0, count: m)
        var source = 0
        for i in 0..<count {
            out.data[i] = data[source]
            var d = m - 1
            while d >= 0 {
                index[d] += 1
                source += sourceStrides[d]
                if index[d] < outputShape[d] { break }
                source -= sourceStrides[d] * outputShape[d]
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
