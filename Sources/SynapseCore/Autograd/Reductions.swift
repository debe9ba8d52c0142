// Reductions: sum, mean, max and min over all elements or along axes, forward and backward.

extension Tensor {
    /// This tensor repeated along its size-1 (or missing leading) dimensions to `target` (no recording).
    func expanded(to target: [Int]) -> Tensor {
        if shape == target { return self }
        precondition(BroadcastLayout.broadcastShape(shape, target) == target, "cannot expand \(shape) to \(target)")
        let out = Tensor(uninitializedShape: target)
        var zero: Scalar = 0
        withUnsafePointer(to: &zero) { z in
            Scalar.combine(.add, data, z, out.data, layout: BroadcastLayout(x: shape, y: [], result: target))
        }
        return out
    }

    /// The shape after reducing `axes` (normalised, sorted), keeping them as size 1 or dropping them.
    private func reducedShape(_ axes: [Int], keepDims: Bool) -> [Int] {
        keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                 : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    }

    /// Reduces `axes` one after another with `op` (kept as size 1), without recording.
    private func reducing(_ op: ReductionOperation, axes: [Int]) -> Tensor {
        var result = self
        for axis in axes { result = result.reducing(op, axis: axis) }
        return result
    }

    /// Normalises, sorts and de-duplicates axes.
    private func normalizedAxes(_ axes: [Int]) -> [Int] {
        if axes.count == 1 { return [normalizedAxis(axes[0])] }
        var result: [Int] = []
        for axis in axes.map({ normalizedAxis($0) }).sorted() where result.last != axis { result.append(axis) }
        return result
    }

    // MARK: Sum

    /// The sum of all elements, as a rank-0 tensor.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func sum() -> Tensor {
        let out = reducingAll(.sum)
        if Tensor.recordsGradient(self) {
            // ∂(Σx)/∂xᵢ = 1
            out.recordGradient("sum", inputs: [self]) { [shape] g, _ in [g.expanded(to: shape)] }
        }
        return out
    }

    /// The sum along `axes` (NumPy's `sum(axis=..., keepdims=...)`).
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func sum(alongAxes axes: [Int], keepDims: Bool = false) -> Tensor {
        let axes = normalizedAxes(axes)
        let kept = reducing(.sum, axes: axes)
        let out = keepDims ? kept : kept.reshapedView(reducedShape(axes, keepDims: false))
        if Tensor.recordsGradient(self) {
            // ∂(Σₐ x)/∂x = 1, repeated along the summed axes
            out.recordGradient("sum along axes", inputs: [self]) { [shape, keptShape = kept.shape] g, _ in
                [g.reshapedView(keptShape).expanded(to: shape)]
            }
        }
        return out
    }

    /// The sum along one axis.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { sum(alongAxes: [axis], keepDims: keepDims) }

    // MARK: Mean

    /// The mean of all elements, as a rank-0 tensor.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func mean() -> Tensor {
        // mean = Σx / n  (composed, so its backward is 1/n for every element)
        sum() / Scalar(count)
    }

    /// The mean along `axes`.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func mean(alongAxes axes: [Int], keepDims: Bool = false) -> Tensor {
        let n = normalizedAxes(axes).reduce(1) { $0 * shape[$1] }
        return sum(alongAxes: axes, keepDims: keepDims) / Scalar(n)
    }

    /// The mean along one axis.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor { mean(alongAxes: [axis], keepDims: keepDims) }

    // MARK: Max and min

    /// Records the backward of an extremum: the gradient flows to the elements equal to the
    /// extremum, shared equally among ties (as PyTorch's `amax`).
    private func recordExtremum(_ out: Tensor, keptShape: [Int], axes: [Int], name: String) {
        // ∂(max x)/∂xᵢ = [xᵢ = max] / #ties
        out.recordGradient(name, inputs: [self]) { g, out in
            let mask = Tensor.combining(.equal, self, out.reshapedView(keptShape))
            let share = Tensor.combining(.divide, mask, mask.reducing(.sum, axes: axes))
            return [Tensor.combining(.multiply, share, g.reshapedView(keptShape))]
        }
    }

    /// The largest element, as a rank-0 tensor.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func max() -> Tensor { extremum(.max, axes: Array(0..<rank), keepDims: false) }
    /// The largest elements along `axes`.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func max(alongAxes axes: [Int], keepDims: Bool = false) -> Tensor { extremum(.max, axes: normalizedAxes(axes), keepDims: keepDims) }
    /// The largest elements along one axis.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func max(axis: Int, keepDims: Bool = false) -> Tensor { max(alongAxes: [axis], keepDims: keepDims) }
    /// The smallest element, as a rank-0 tensor.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func min() -> Tensor { extremum(.min, axes: Array(0..<rank), keepDims: false) }
    /// The smallest elements along `axes`.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func min(alongAxes axes: [Int], keepDims: Bool = false) -> Tensor { extremum(.min, axes: normalizedAxes(axes), keepDims: keepDims) }
    /// The smallest elements along one axis.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func min(axis: Int, keepDims: Bool = false) -> Tensor { min(alongAxes: [axis], keepDims: keepDims) }

    private func extremum(_ op: ReductionOperation, axes: [Int], keepDims: Bool) -> Tensor {
        precondition(count > 0, "cannot take the \(op) of an empty tensor")
        let kept = reducing(op, axes: axes)
        let out = keepDims ? kept : kept.reshapedView(reducedShape(axes, keepDims: false))
        if Tensor.recordsGradient(self) { recordExtremum(out, keptShape: kept.shape, axes: axes, name: "\(op)") }
        return out
    }
}
