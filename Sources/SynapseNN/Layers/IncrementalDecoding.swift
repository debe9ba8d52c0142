import SynapseCore
/// What layers carry from one call to the next while a sequence model generates one token at a
/// time: attention's keys and values (the KV cache), a recurrent layer's state, and the number of
/// positions already processed (for positional encodings).
///
/// A generation loop makes one cache, feeds the prompt `[B, T]` through
/// ``Layer/incrementalForward(_:cache:)``, then each new token `[B, 1]`, and calls ``advance(by:)`` after each
/// call. Layers find their own state by identity, so one cache serves a whole network.
public final class DecodingCache<Scalar: TensorScalar> {
    /// The number of positions the network has already seen (the first new position's index).
    public private(set) var position = 0
    private var entries: [ObjectIdentifier: AnyObject] = [:]

    /// An empty cache: nothing seen yet.
    public init() {}

    /// The state `layer` stored, or the one `make` creates on its first call.
    public func state<State: AnyObject>(for layer: AnyObject, make: () -> State) -> State {
        let key = ObjectIdentifier(layer)
        if let existing = entries[key] as? State { return existing }
        let created = make()
        entries[key] = created
        return created
    }

    /// Records that `count` more positions have been processed (call after every decode step).
    public func advance(by count: Int) {
        precondition(count >= 0, "positions only move forward")
        position += count
    }

    /// Forgets every state (a new sequence).
    public func reset() {
        entries.removeAll()
        position = 0
    }
}

/// A layer whose output at a position depends on earlier positions (attention, recurrent layers,
/// positional encodings) or which contains such layers, and so can continue a sequence from a
/// ``DecodingCache`` instead of recomputing it from the start.
public protocol IncrementalLayer<Scalar>: Layer {
    /// The output for the new positions `x` (`[B, t, …]`, positions `cache.position ..<
    /// cache.position + t`), using and updating this layer's state in `cache`. Equals the last t
    /// positions of the forward pass over the whole sequence.
    func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar>

    /// Whether this layer itself only works over a bounded context (attention and positional
    /// encodings, trained on sequences of the block size), so that generation must restart from the
    /// last tokens when the sequence grows past it; false for recurrent layers, which carry their
    /// state forever, and for containers (their children decide). Defaults to true.
    var boundsContext: Bool { get }
}

extension IncrementalLayer {
    /// Attention and positions: bounded unless the layer says otherwise.
    public var boundsContext: Bool { true }
}

extension Layer {
    /// Continues the sequence in `cache`: layers that depend on earlier positions use their state,
    /// position-wise layers (Dense, LayerNorm, activations) simply run their forward pass.
    public func incrementalForward(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        if let incremental = self as? any IncrementalLayer<Scalar> { return incremental.decode(x, cache: cache) }
        return self(x)
    }

    /// Whether this layer or any of its descendants bounds the context (``IncrementalLayer/boundsContext``).
    public var hasBoundedContext: Bool {
        if let incremental = self as? any IncrementalLayer<Scalar>, incremental.boundsContext { return true }
        return namedChildren.contains { $0.layer.hasBoundedContext }
    }
}

extension Sequential: IncrementalLayer {
    /// A container: its layers decide.
    public var boundsContext: Bool { false }

    /// Each layer continues the sequence in turn.
    public func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        layers.reduce(x) { $1.incrementalForward($0, cache: cache) }
    }
}

extension Residual: IncrementalLayer {
    /// A container: its branches decide.
    public var boundsContext: Bool { false }

    /// `block` and `shortcut` continue the sequence; their outputs are added.
    public func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        block.incrementalForward(x, cache: cache) + (shortcut?.incrementalForward(x, cache: cache) ?? x)
    }
}

extension Graph: IncrementalLayer {
    /// A container: its nodes decide.
    public var boundsContext: Bool { false }

    /// Each node continues the sequence in topological order (merges combine their inputs' new positions).
    /// - Precondition: one input and one output, as ``callAsFunction(_:)-(Tensor)``.
    public func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        precondition(inputNames.count == 1 && outputNames.count == 1, "decoding needs a graph with one input and one output")
        var values: [Tensor<Scalar>] = [x]
        for (node, slots) in zip(nodes, sources) {
            if let merge = node.layer as? any MergeLayer<Scalar> {
                values.append(merge(slots.map { values[$0] }))
            } else {
                values.append(node.layer.incrementalForward(values[slots[0]], cache: cache))
            }
        }
        return values[outputSlots[0]]
    }
}
