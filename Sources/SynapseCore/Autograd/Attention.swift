// Scaled dot-product attention, forward and backward side by side as ONE fused op (PyTorch's
// `F.scaled_dot_product_attention`). This is the place to read "the backward of attention":
//
//   forward    S = scale · Q Kᵀ (+ mask: −∞ where a key may not be seen)
//              P = softmax(S) row by row                      O = P V
//   backward   dV = Pᵀ dO
//              dP = dO Vᵀ
//              dS = P ⊙ (dP − δ),  δ = rowsum(P ⊙ dP) = rowsum(dO ⊙ O)   (softmax's backward)
//              dQ = scale · dS K,   dK = scale · dSᵀ Q
//
// Written naively, S and P are T × T per head: memory quadratic in the sequence length. The
// kernel (`Kernels/AttentionKernels.swift`) works instead on tiles of queries × keys with an
// online softmax (a running row maximum and sum), keeps only O and each row's log-sum-exp
// L = log Σⱼ e^{Sᵢⱼ}, and the backward recomputes P = e^{S − L} tile by tile: memory grows
// linearly in T (FlashAttention, Dao et al. 2022, on the CPU).

/// Scaled dot-product attention of `query` `[B, H, Tq, D]` over `key` `[B, H, Tk, D]` and `value`
/// `[B, H, Tk, Dv]`, giving `[B, H, Tq, Dv]`: `softmax(scale · Q Kᵀ + mask) · V` for every batch
/// element and head (`F.scaled_dot_product_attention`), computed and differentiated as one fused,
/// tiled operation whose memory grows linearly in the sequence lengths.
///
/// - Parameters:
///   - causal: query `i` sees key `j` only when `j ≤ i + (Tk − Tq)`: the mask is aligned so that
///     the *last* query sees every key — what a key-value cache needs (the Tk − Tq earlier keys are
///     the cached past). For Tq = Tk this is the usual lower-triangular mask. (PyTorch's
///     `is_causal` aligns the top-left corner instead; the two differ only when Tq ≠ Tk.)
///   - keyPadding: nil, or one array of Tk flags per batch element, `true` where the key is
///     padding and must be ignored — PyTorch's `key_padding_mask` convention.
///   - scale: the factor on Q Kᵀ; nil for `1/√D`.
/// - Returns: the attention output. A query that may see no key at all (all its keys padding, or
///   a causal query when Tq > Tk puts it before the first key) gets a row of zeros and passes no
///   gradient back (PyTorch gives NaN there).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func scaledDotProductAttention<Scalar>(query: Tensor<Scalar>, key: Tensor<Scalar>, value: Tensor<Scalar>,
                                              causal: Bool = false, keyPadding: [[Bool]]? = nil,
                                              scale: Double? = nil) -> Tensor<Scalar> {
    precondition(query.rank == 4 && key.rank == 4 && value.rank == 4,
                 "attention expects query [B, H, Tq, D], key [B, H, Tk, D], value [B, H, Tk, Dv], got \(query.shape), \(key.shape), \(value.shape)")
    let (batch, heads, queries, depth) = (query.shape[0], query.shape[1], query.shape[2], query.shape[3])
    let (keys, valueDepth) = (key.shape[2], value.shape[3])
    precondition(key.shape == [batch, heads, keys, depth] && value.shape == [batch, heads, keys, valueDepth],
                 "attention: query \(query.shape), key \(key.shape) and value \(value.shape) do not match ([B, H, Tq, D], [B, H, Tk, D], [B, H, Tk, Dv])")
    let problem = AttentionProblem(batch: batch, heads: heads, queries: queries, keys: keys, depth: depth, valueDepth: valueDepth,
                                   causal: causal, scale: scale ?? 1 / Double(Swift.max(depth, 1)).squareRoot(),
                                   keyPadding: flattenedPadding(keyPadding, batch: batch, keys: keys))
    func operand(_ t: Tensor<Scalar>, rows: Int, columns: Int) -> AttentionOperand<Scalar> {
        AttentionOperand(base: t.data, batchStride: heads * rows * columns, headStride: rows * columns, rowStride: columns)
    }
    let out = Tensor<Scalar>(uninitializedShape: [batch, heads, queries, valueDepth])
    let lse = Tensor<Scalar>(uninitializedShape: [batch, heads, queries])   // each row's log-sum-exp, for backward
    AttentionMemoryMeter.installed?.allocate((out.count + lse.count) * MemoryLayout<Scalar>.stride)
    let (q, k, v, o) = (operand(query, rows: queries, columns: depth), operand(key, rows: keys, columns: depth),
                        operand(value, rows: keys, columns: valueDepth), operand(out, rows: queries, columns: valueDepth))
    AttentionKernels.runForward(problem, q: q, k: k, v: v, o: o, lse: lse.data)

    if [query, key, value].contains(where: { Tensor.recordsGradient($0) }) {
        // dV = Pᵀ dO;  dS = P ⊙ (dO Vᵀ − rowsum(dO ⊙ O));  dQ = scale · dS K;  dK = scale · dSᵀ Q
        // (P recomputed tile by tile from Q, K and L; see AttentionKernels.backward)
        out.recordGradient("scaledDotProductAttention", inputs: [query, key, value]) { gradient, output in
            let gq = query.requiresGrad ? Tensor<Scalar>(zeros: query.shape) : nil
            let gk = key.requiresGrad ? Tensor<Scalar>(zeros: key.shape) : nil
            let gv = value.requiresGrad ? Tensor<Scalar>(zeros: value.shape) : nil
            AttentionMemoryMeter.installed?.allocate(([gq, gk, gv].reduce(0) { $0 + ($1?.count ?? 0) }) * MemoryLayout<Scalar>.stride)
            withExtendedLifetime(lse) {
                AttentionKernels.runBackward(problem, q: q, k: k, v: v, o: operand(output, rows: queries, columns: valueDepth),
                                             dout: operand(gradient, rows: queries, columns: valueDepth), lse: lse.data,
                                             dq: gq.map { operand($0, rows: queries, columns: depth) },
                                             dk: gk.map { operand($0, rows: keys, columns: depth) },
                                             dv: gv.map { operand($0, rows: keys, columns: valueDepth) })
            }
            return [gq, gk, gv]
        }
    }
    return out
}

/// Multi-head self-attention on packed projections, as `nn.MultiheadAttention` computes it between
/// its two linear maps: `qkv` `[B, T, 3C]` holds each position's query, key and value side by side
/// (`[q | k | v]`, each C = H·D wide with head h in columns `h·D ..< (h+1)·D`, the layout of
/// `in_proj_weight`), and the result `[B, T, C]` holds the heads' outputs side by side (the input of
/// `out_proj`). Scale 1/√D. The kernel reads and writes those layouts in place (no transposes).
///
/// - Parameters:
///   - heads: H, dividing C.
///   - causal: position i sees positions `≤ i` (with a cache: every cached position too).
///   - keyPadding: as in ``scaledDotProductAttention(query:key:value:causal:keyPadding:scale:)``:
///     T flags per batch element, `true` for padding. Not allowed together with a cache.
///   - cache: when given, the new positions' keys and values are appended to it first and the
///     queries attend over every cached position (generation one token at a time); nothing is
///     recorded for gradients then.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func multiheadSelfAttention<Scalar>(packed qkv: Tensor<Scalar>, heads: Int, causal: Bool = false,
                                           keyPadding: [[Bool]]? = nil,
                                           cache: KeyValueCache<Scalar>? = nil) -> Tensor<Scalar> {
    precondition(qkv.rank == 3 && heads > 0 && qkv.shape[2] % (3 * heads) == 0,
                 "packed attention expects [B, T, 3C] with C divisible by \(heads) heads, got \(qkv.shape)")
    let (batch, length, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
    let depth = width / heads
    let out = Tensor<Scalar>(uninitializedShape: [batch, length, width])
    let q = AttentionOperand(base: qkv.data, batchStride: length * 3 * width, headStride: depth, rowStride: 3 * width)
    let o = AttentionOperand(base: out.data, batchStride: length * width, headStride: depth, rowStride: width)
    let scale = 1 / Double(Swift.max(depth, 1)).squareRoot()

    if let cache {
        precondition(keyPadding == nil, "key padding is not supported with a key-value cache")
        cache.append(qkv)
        let problem = AttentionProblem(batch: batch, heads: heads, queries: length, keys: cache.length, depth: depth,
                                       valueDepth: depth, causal: causal, scale: scale, keyPadding: nil)
        let lse = UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(1, batch * heads * length))
        defer { lse.deallocate() }
        AttentionKernels.runForward(problem, q: q, k: cache.operand(cache.keys), v: cache.operand(cache.values), o: o, lse: lse)
        return out
    }

    let k = AttentionOperand(base: qkv.data + width, batchStride: q.batchStride, headStride: depth, rowStride: 3 * width)
    let v = AttentionOperand(base: qkv.data + 2 * width, batchStride: q.batchStride, headStride: depth, rowStride: 3 * width)
    let problem = AttentionProblem(batch: batch, heads: heads, queries: length, keys: length, depth: depth, valueDepth: depth,
                                   causal: causal, scale: scale, keyPadding: flattenedPadding(keyPadding, batch: batch, keys: length))
    let lse = Tensor<Scalar>(uninitializedShape: [batch, heads, length])
    AttentionMemoryMeter.installed?.allocate((out.count + lse.count) * MemoryLayout<Scalar>.stride)
    AttentionKernels.runForward(problem, q: q, k: k, v: v, o: o, lse: lse.data)

    if Tensor.recordsGradient(qkv) {
        // The same backward as scaledDotProductAttention, with dQ, dK, dV written into the three
        // column blocks of one [B, T, 3C] gradient.
        out.recordGradient("multiheadSelfAttention", inputs: [qkv]) { gradient, output in
            let g = Tensor<Scalar>(uninitializedShape: qkv.shape)   // (every element written below)
            AttentionMemoryMeter.installed?.allocate(g.count * MemoryLayout<Scalar>.stride)
            var problem = problem
            problem.overwritesGradients = true
            func shifted(_ operand: AttentionOperand<Scalar>, to base: UnsafeMutablePointer<Scalar>) -> AttentionOperand<Scalar> {
                var result = operand
                result.base = base
                return result
            }
            withExtendedLifetime(lse) {
                AttentionKernels.runBackward(problem, q: q, k: k, v: v, o: shifted(o, to: output.data), dout: shifted(o, to: gradient.data),
                                             lse: lse.data, dq: shifted(q, to: g.data), dk: shifted(k, to: g.data + width),
                                             dv: shifted(v, to: g.data + 2 * width))
            }
            return [g]
        }
    }
    return out
}

/// The keys and values a multi-head attention layer has seen, kept while a sequence is generated
/// (the "KV cache"): `[B, H, capacity, D]` each, filled up to ``length`` positions. Appending grows
/// the capacity by doubling, so generating T tokens copies O(T) values in all, not O(T²).
public final class KeyValueCache<Scalar: TensorScalar> {
    /// The batch size, the number of heads and the per-head depth (fixed by the first append).
    public private(set) var batch = 0, heads: Int, depth: Int
    /// The number of positions stored.
    public private(set) var length = 0
    /// The positions there is room for before the next growth.
    public private(set) var capacity = 0
    /// `[B, H, capacity, D]` storage.
    private(set) var keys: UnsafeMutablePointer<Scalar>
    private(set) var values: UnsafeMutablePointer<Scalar>

    /// An empty cache for `heads` heads of `depth` values each.
    public init(heads: Int, depth: Int) {
        precondition(heads > 0 && depth > 0, "a key-value cache needs positive heads and depth")
        self.heads = heads
        self.depth = depth
        keys = .allocate(capacity: 1)
        values = .allocate(capacity: 1)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Where a (batch, head)'s rows lie in `storage`.
    func operand(_ storage: UnsafeMutablePointer<Scalar>) -> AttentionOperand<Scalar> {
        AttentionOperand(base: storage, batchStride: heads * capacity * depth, headStride: capacity * depth, rowStride: depth)
    }

    /// Appends the keys and values of packed projections `[B, t, 3C]` (`[q | k | v]`, C = H·D).
    func append(_ qkv: Tensor<Scalar>) {
        let (b, t, width) = (qkv.shape[0], qkv.shape[1], heads * depth)
        precondition(qkv.shape[2] == 3 * width, "the cache holds \(heads) heads of \(depth), got projections \(qkv.shape)")
        precondition(length == 0 || b == batch, "the cache holds a batch of \(batch), got \(b)")
        if b != batch { (batch, capacity) = (b, 0) }   // (empty) storage sized for another batch
        if length + t > capacity { grow(to: Swift.max(2 * capacity, length + t, 16)) }
        for n in 0..<b {
            for h in 0..<heads {
                let base = (n * heads + h) * capacity * depth + length * depth
                for s in 0..<t {
                    let row = qkv.data + (n * t + s) * 3 * width + h * depth
                    (keys + base + s * depth).update(from: row + width, count: depth)
                    (values + base + s * depth).update(from: row + 2 * width, count: depth)
                }
            }
        }
        length += t
    }

    /// Moves the stored positions into storage with room for `newCapacity`.
    private func grow(to newCapacity: Int) {
        let count = batch * heads * newCapacity * depth
        let (newKeys, newValues) = (UnsafeMutablePointer<Scalar>.allocate(capacity: count), UnsafeMutablePointer<Scalar>.allocate(capacity: count))
        for pair in 0..<(length == 0 ? 0 : batch * heads) {
            (newKeys + pair * newCapacity * depth).update(from: keys + pair * capacity * depth, count: length * depth)
            (newValues + pair * newCapacity * depth).update(from: values + pair * capacity * depth, count: length * depth)
        }
        keys.deallocate()
        values.deallocate()
        (keys, values, capacity) = (newKeys, newValues, newCapacity)
    }

    /// Forgets the stored positions (keeps the storage).
    public func removeAll() { length = 0 }
}

/// `padding` as one flat `[B · Tk]` array, checked.
private func flattenedPadding(_ padding: [[Bool]]?, batch: Int, keys: Int) -> [Bool]? {
    guard let padding else { return nil }
    precondition(padding.count == batch && padding.allSatisfy { $0.count == keys },
                 "key padding must hold \(batch) arrays of \(keys) flags, got \(padding.map(\.count))")
    return padding.flatMap { $0 }
}
