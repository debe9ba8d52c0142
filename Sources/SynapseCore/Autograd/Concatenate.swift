// Joining tensors along an axis (`torch.cat`), forward and backward side by side: the building
// block of branching networks (Inception-style branches, DenseNet's feature concatenation).

/// `parts` joined along `axis` (`torch.cat(parts, dim=axis)`; negative axes count from the end):
/// every other size must agree, and the result's `axis` size is the sum of the parts'.
///
///     y[o, Σ_{j<i} Lⱼ + l, r] = partᵢ[o, l, r]      (o: axes before, l: along `axis`, r: axes after)
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func concatenate<Scalar>(_ parts: [Tensor<Scalar>], axis: Int) -> Tensor<Scalar> {
    precondition(!parts.isEmpty, "concatenate needs at least one tensor")
    let rank = parts[0].rank
    let axis = axis < 0 ? axis + rank : axis
    precondition(rank > 0 && (0..<rank).contains(axis), "axis \(axis) is out of range for rank \(rank)")
    for part in parts {
        precondition(part.rank == rank && (0..<rank).allSatisfy { $0 == axis || part.shape[$0] == parts[0].shape[$0] },
                     "concatenate along axis \(axis) needs the other sizes to agree, got \(parts.map(\.shape))")
    }
    let outer = parts[0].shape[..<axis].reduce(1, *), inner = parts[0].shape[(axis + 1)...].reduce(1, *)
    let lengths = parts.map { $0.shape[axis] }
    var shape = parts[0].shape
    shape[axis] = lengths.reduce(0, +)
    let out = Tensor<Scalar>(uninitializedShape: shape)
    let rowLength = shape[axis] * inner        // one outer index's slab of the result
    var offset = 0                             // where part i's slab starts within each row
    for part in parts {
        let slab = part.shape[axis] * inner
        for o in 0..<outer { (out.data + o * rowLength + offset).initialize(from: part.data + o * slab, count: slab) }
        offset += slab
    }
    if parts.contains(where: { $0.requiresGrad }) && GradientMode.isEnabled {
        // ∂y/∂partᵢ: the gradient's slab of part i, row by row (a split, the adjoint of the join)
        out.recordGradient("concatenate", inputs: parts) { g, _ in
            var offset = 0
            return parts.map { part in
                let slab = part.shape[axis] * inner
                defer { offset += slab }
                guard part.requiresGrad else { return nil }
                let gradient = Tensor<Scalar>(uninitializedShape: part.shape)
                for o in 0..<outer { (gradient.data + o * slab).initialize(from: g.data + o * rowLength + offset, count: slab) }
                return gradient
            }
        }
    }
    return out
}
