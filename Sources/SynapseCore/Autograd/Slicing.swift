// Slicing along any axis, splitting, stacking and swapping two axes, forward and backward side by
// side: the shape plumbing of sequence models (a fused qkv projection split in three, heads moved
// with `[B, T, H, D] → [B, H, T, D]`). Every copy moves contiguous runs: along `axis`, one index
// of the axes before it owns a slab of `size · inner` consecutive elements.

extension Tensor {
    /// The elements at `range` along `axis` (`x[..., a:b, ...]`; negative axes count from the end).
    /// A view sharing storage when the axes before `axis` all have size 1 (as `rows(_:)`), a copy
    /// otherwise.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func slice(axis: Int, range: Range<Int>) -> Tensor {
        precondition(rank >= 1, "slice(axis:range:) needs rank ≥ 1, got a scalar")
        let a = normalizedAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "slice \(range) out of range for axis \(a) of size \(shape[a]) (shape \(shape))")
        let outer = shape[..<a].reduce(1, *), inner = shape[(a + 1)...].reduce(1, *)
        let out = slab(range, axis: a, outer: outer, inner: inner)
        if Tensor.recordsGradient(self) {
            // ∂x[..., a:b, ...]/∂x: the gradient placed at a..<b along `axis` in zeros
            out.recordGradient("slice", inputs: [self]) { [shape] g, _ in
                let full = Tensor(zeros: shape)
                let (row, piece) = (shape[a] * inner, range.count * inner)
                for o in 0..<outer {
                    (full.data + o * row + range.lowerBound * inner).update(from: g.data + o * piece, count: piece)
                }
                return [full]
            }
        }
        return out
    }

    /// The elements at `range` along the normalised `axis`, without recording: a view when `outer`
    /// is 1, else one contiguous slab copy per index of the axes before `axis`.
    func slab(_ range: Range<Int>, axis a: Int, outer: Int, inner: Int) -> Tensor {
        var newShape = shape
        newShape[a] = range.count
        if outer == 1 { return Tensor(viewOf: self, offset: range.lowerBound * inner, shape: newShape) }
        let out = Tensor(uninitializedShape: newShape)
        let (row, piece) = (shape[a] * inner, range.count * inner)
        if piece > 0 {
            for o in 0..<outer {
                (out.data + o * piece).initialize(from: data + o * row + range.lowerBound * inner, count: piece)
            }
        }
        return out
    }

    /// `axis0` and `axis1` swapped (`torch.transpose(x, axis0, axis1)`; negative axes count from
    /// the end), as a contiguous copy; e.g. `x.transposed(1, 2)` turns `[B, T, H, D]` into `[B, H, T, D]`.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func transposed(_ axis0: Int, _ axis1: Int) -> Tensor {
        var permutation = Array(0..<rank)
        permutation.swapAt(normalizedAxis(axis0), normalizedAxis(axis1))
        return transposed(permutation)
    }
}

/// The accumulator of a split's backward: the pieces write their gradients into one buffer the
/// size of the input (each into its own slab), so the input's gradient is their concatenation
/// without per-piece full-size tensors or sums.
private final class SplitGradient<Scalar: TensorScalar> {
    /// The input's gradient being assembled in the current backward pass (nil between passes).
    var buffer: Tensor<Scalar>?
    /// Which pieces have written their slab into `buffer` in this pass.
    var written: [Bool]

    init(pieces: Int) { written = [Bool](repeating: false, count: pieces) }
}

/// `x` cut along `axis` into consecutive pieces of `sizes` (`torch.split(x, sizes, dim=axis)`;
/// negative axes count from the end). The sizes must add up to the axis' size. Pieces are views
/// when the axes before `axis` all have size 1, copies otherwise.
///
///     pieceᵢ[o, l, r] = x[o, Σ_{j<i} sizesⱼ + l, r]      (o: axes before, l: along `axis`, r: axes after)
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func split<Scalar>(_ x: Tensor<Scalar>, sizes: [Int], axis: Int = 0) -> [Tensor<Scalar>] {
    precondition(x.rank >= 1, "split needs rank ≥ 1, got a scalar")
    let a = x.normalizedAxis(axis)
    precondition(sizes.allSatisfy { $0 >= 0 } && sizes.reduce(0, +) == x.shape[a],
                 "split sizes \(sizes) do not add up to axis \(a) of \(x.shape)")
    let outer = x.shape[..<a].reduce(1, *), inner = x.shape[(a + 1)...].reduce(1, *)
    var starts: [Int] = [], start = 0
    for size in sizes { starts.append(start); start += size }
    let pieces = zip(starts, sizes).map { x.slab($0..<($0 + $1), axis: a, outer: outer, inner: inner) }
    guard Tensor.recordsGradient(x) else { return pieces }

    // The pieces hang from one private node (a view of x, used by nothing else): each piece's
    // backward writes its slab of that node's gradient, the first one hands the buffer on, and
    // the node's own backward, which runs after every piece's, zeroes the slabs of pieces that got
    // no gradient and passes the whole to x. (A plain per-piece backward would allocate and add
    // one input-sized tensor per piece.)
    let accumulator = SplitGradient<Scalar>(pieces: sizes.count)
    let row = x.shape[a] * inner
    let hub = x.detached()
    // ∂L/∂x = concatenate(∂L/∂piece₀, ∂L/∂piece₁, …) along `axis` (zeros for unused pieces)
    hub.recordGradient("split", inputs: [x]) { g, _ in
        for (i, wrote) in accumulator.written.enumerated() where !wrote && sizes[i] > 0 {
            for o in 0..<outer {
                (g.data + o * row + starts[i] * inner).update(repeating: 0, count: sizes[i] * inner)
            }
        }
        accumulator.buffer = nil
        accumulator.written = [Bool](repeating: false, count: sizes.count)
        return [g]
    }
    for (i, piece) in pieces.enumerated() {
        let slab = sizes[i] * inner
        piece.recordGradient("split piece", inputs: [hub]) { [shape = x.shape] g, _ in
            let handsOn = accumulator.buffer == nil
            let buffer = accumulator.buffer ?? Tensor<Scalar>(uninitializedShape: shape)
            accumulator.buffer = buffer
            if slab > 0 {
                for o in 0..<outer {
                    (buffer.data + o * row + starts[i] * inner).update(from: g.data + o * slab, count: slab)
                }
            }
            accumulator.written[i] = true
            return [handsOn ? buffer : nil]
        }
    }
    return pieces
}

/// `parts` (all of one shape) stacked along a new axis `axis` (`torch.stack(parts, dim=axis)`;
/// `axis` in `-(rank + 1)...rank`, negative counting from the end of the result's axes):
/// `y[o, i, r] = partsᵢ[o, r]`. Each part is viewed with a size-1 axis inserted and the views are
/// concatenated, so the backward is concatenate's (each part gets its slab of the gradient).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func stack<Scalar>(_ parts: [Tensor<Scalar>], axis: Int = 0) -> Tensor<Scalar> {
    precondition(!parts.isEmpty, "stack needs at least one tensor")
    let shape = parts[0].shape
    precondition(parts.allSatisfy { $0.shape == shape }, "stack needs tensors of one shape, got \(parts.map(\.shape))")
    let a = axis < 0 ? axis + shape.count + 1 : axis
    precondition((0...shape.count).contains(a), "stack axis \(axis) is out of range for parts of rank \(shape.count)")
    var expanded = shape
    expanded.insert(1, at: a)
    return concatenate(parts.map { $0.reshaped(expanded) }, axis: a)
}
