// Embedding lookup (a row gather), forward and backward side by side: token i becomes row i of a
// [V, C] table; the backward adds each output row's gradient into the row it came from (a
// scatter-add, so a token used several times gets the sum of its uses).

/// The rows of `weight` `[V, C]` named by `indices` (each in `0..<V`), shaped `shape + [C]`
/// (`F.embedding(indices, weight)`): y[p, :] = weight[indices[p], :].
/// - Precondition: `indices.count` is the product of `shape` and every index is in `0..<V` (data
///   readers check token ids before they reach a network).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func embedding<Scalar>(_ weight: Tensor<Scalar>, indices: [Int], shape: [Int]) -> Tensor<Scalar> {
    precondition(weight.rank == 2, "an embedding table is [V, C], got \(weight.shape)")
    let (vocabulary, width) = (weight.shape[0], weight.shape[1])
    precondition(shape.reduce(1, *) == indices.count, "\(indices.count) indices do not fill the shape \(shape)")
    if let bad = indices.first(where: { !(0..<vocabulary).contains($0) }) {
        preconditionFailure("index \(bad) is outside the embedding's \(vocabulary) rows")
    }
    let out = Tensor<Scalar>(uninitializedShape: shape + [width])
    // Large lookups (an LSTM's folded [V, 4H] table gathered for every token) are split over the cores:
    // the forward by positions, the backward by columns, so each sum keeps its order on any thread count.
    let tasks = indices.count * width >= 1 << 16 ? Swift.min(8 * Parallel.threadCount, Swift.max(1, width / 16)) : 1
    let (oData, wData) = (out.data, weight.data)
    Parallel.forEach(tasks: tasks) { task in
        for p in (indices.count * task / tasks)..<(indices.count * (task + 1) / tasks) {
            (oData + p * width).update(from: wData + indices[p] * width, count: width)
        }
    }
    if Tensor.recordsGradient(weight) {
        // ∂L/∂weight[v, :] = Σ_{p : indices[p] = v} g[p, :]   (a scatter-add, in index order)
        out.recordGradient("embedding", inputs: [weight]) { gradient, _ in
            let table = Tensor<Scalar>(zeros: weight.shape)
            let (tData, gData) = (table.data, gradient.data)
            Parallel.forEach(tasks: tasks) { task in
                let columns = (width * task / tasks)..<(width * (task + 1) / tasks)
                for (p, index) in indices.enumerated() {
                    let (row, g) = (tData + index * width, gData + p * width)
                    for c in columns { row[c] += g[c] }
                }
            }
            return [table]
        }
    }
    return out
}
