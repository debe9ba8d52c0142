import SynapseCore

/// The state an ``LSTM`` carries between calls: h and c of every layer, `[layerCount, B, H]` each
/// (PyTorch's `(h_n, c_n)`).
public struct LSTMState<Scalar: TensorScalar> {
    /// The hidden states `[layerCount, B, H]`.
    public var hidden: Tensor<Scalar>
    /// The cell states `[layerCount, B, H]`.
    public var cell: Tensor<Scalar>

    /// A state from its two tensors.
    public init(hidden: Tensor<Scalar>, cell: Tensor<Scalar>) {
        precondition(hidden.shape == cell.shape && hidden.rank == 3, "LSTM states h and c must both be [layerCount, B, H], got \(hidden.shape) and \(cell.shape)")
        self.hidden = hidden
        self.cell = cell
    }

    /// The same values with no recorded history: pass the previous batch's final state this way as the
    /// next batch's initial state (truncated back-propagation through time).
    public func detached() -> LSTMState { LSTMState(hidden: hidden.detached(), cell: cell.detached()) }
}

/// What an ``LSTM`` keeps in a ``DecodingCache`` between decode calls: the state reached so far.
public final class LSTMDecodingState<Scalar: TensorScalar> {
    /// The final state of the last decode call, or nil before the first (zeros).
    public var state: LSTMState<Scalar>?

    /// An empty state (the sequence has not started).
    public init(state: LSTMState<Scalar>? = nil) { self.state = state }
}

/// A multi-layer long short-term memory network (PyTorch's `nn.LSTM(batch_first=True)`): input
/// `[B, T, inputSize]` → the last layer's hidden states `[B, T, hiddenSize]`. Each layer runs the
/// fused ``lstm(_:weightIH:weightHH:biasIH:biasHH:hidden:cell:)`` over the whole sequence; layer l > 0
/// reads layer l − 1's hidden states. Gates in PyTorch's order i, f, g, o.
///
/// Parameters use PyTorch's names and layouts, so a state dict loads either way: `weight_ih_l0`
/// `[4H, inputSize]`, `weight_hh_l0` `[4H, H]`, `bias_ih_l0`, `bias_hh_l0` `[4H]`, `weight_ih_l1`
/// `[4H, H]`, ….
///
/// ```swift
/// let lstm = LSTM<Float>(inputSize: 32, hiddenSize: 64, layerCount: 2, generator: &rng)
/// var state: LSTMState<Float>? = nil
/// for batch in batches {                           // truncated BPTT over consecutive chunks
///     let (y, final) = lstm(batch, state: state)
///     state = final.detached()
///     …
/// }
/// ```
public final class LSTM<Scalar: TensorScalar>: Layer, IncrementalLayer, EmbeddingConsumer {
    /// The features of each input step.
    public let inputSize: Int
    /// H, the features of each hidden state.
    public let hiddenSize: Int
    /// The number of stacked layers.
    public let layerCount: Int
    /// `weight_ih_l{k}` of every layer: `[4H, inputSize]` for layer 0, `[4H, H]` after.
    public let inputWeights: [Tensor<Scalar>]
    /// `weight_hh_l{k}` of every layer, `[4H, H]`.
    public let hiddenWeights: [Tensor<Scalar>]
    /// `bias_ih_l{k}` of every layer, `[4H]` (empty without bias).
    public let inputBiases: [Tensor<Scalar>]
    /// `bias_hh_l{k}` of every layer, `[4H]` (empty without bias).
    public let hiddenBiases: [Tensor<Scalar>]
    /// Ignored (no dropout between layers).
    public var isTraining = true

    /// Whether the layers have biases.
    public var usesBias: Bool { !inputBiases.isEmpty }

    /// A network with every weight and bias drawn from U(−1/√H, 1/√H) (PyTorch's initialisation),
    /// layer by layer in the state dict's order.
    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, useBias: Bool = true, generator: inout RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0 && layerCount > 0,
                     "LSTM needs positive sizes, got inputSize \(inputSize), hiddenSize \(hiddenSize), layerCount \(layerCount)")
        let tensors = RecurrentWeights<Scalar>.draw(gates: 4, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
                                                    useBias: useBias, generator: &generator)
        (self.inputSize, self.hiddenSize, self.layerCount) = (inputSize, hiddenSize, layerCount)
        (inputWeights, hiddenWeights, inputBiases, hiddenBiases) = (tensors.inputWeights, tensors.hiddenWeights, tensors.inputBiases, tensors.hiddenBiases)
    }

    /// A network with the given parameters (one array entry per layer, PyTorch's layouts), e.g. loaded
    /// from a file; pass empty bias arrays for a network without biases.
    public init(inputWeights: [Tensor<Scalar>], hiddenWeights: [Tensor<Scalar>], inputBiases: [Tensor<Scalar>], hiddenBiases: [Tensor<Scalar>]) {
        let sizes = RecurrentWeights.check(gates: 4, inputWeights: inputWeights, hiddenWeights: hiddenWeights,
                                           inputBiases: inputBiases, hiddenBiases: hiddenBiases, kind: "LSTM")
        (inputSize, hiddenSize, layerCount) = sizes
        (self.inputWeights, self.hiddenWeights, self.inputBiases, self.hiddenBiases) = (inputWeights, hiddenWeights, inputBiases, hiddenBiases)
        for tensor in inputWeights + hiddenWeights + inputBiases + hiddenBiases { tensor.requiresGrad = true }
    }

    /// PyTorch's state-dict names: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `weight_ih_l1`, ….
    public var namedOwnParameters: [(name: String, tensor: Tensor<Scalar>)] {
        RecurrentWeights.named(inputWeights, hiddenWeights, inputBiases, hiddenBiases)
    }

    /// `LSTM(32 → 64, 2 layers)`.
    public var summary: String {
        "LSTM(\(inputSize) → \(hiddenSize)\(layerCount == 1 ? "" : ", \(layerCount) layers")\(usesBias ? "" : ", no bias"))"
    }

    /// The last layer's hidden states `[B, T, H]` for `x` `[B, T, inputSize]`, starting from zeros.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        callAsFunction(x, state: nil).output
    }

    /// The last layer's hidden states `[B, T, H]` for `x` `[B, T, inputSize]`, starting from `state`
    /// (zeros when nil), and the final state of every layer. Gradients flow into an initial state
    /// that requires them; pass ``LSTMState/detached()`` to cut the history (truncated BPTT).
    public func callAsFunction(_ x: Tensor<Scalar>, state: LSTMState<Scalar>?) -> (output: Tensor<Scalar>, state: LSTMState<Scalar>) {
        precondition(x.rank == 3 && x.shape[2] == inputSize, "\(summary) expected input [B, T, \(inputSize)], got \(x.shape)")
        return run(x, firstLayerProjected: false, state: state)
    }

    /// The layers in turn; with `firstLayerProjected`, `x` is already layer 0's x·W_ihᵀ `[B, T, 4H]`.
    private func run(_ x: Tensor<Scalar>, firstLayerProjected: Bool, state: LSTMState<Scalar>?) -> (output: Tensor<Scalar>, state: LSTMState<Scalar>) {
        if let state {
            precondition(state.hidden.shape == [layerCount, x.shape[0], hiddenSize],
                         "\(summary) expected states [\(layerCount), \(x.shape[0]), \(hiddenSize)], got \(state.hidden.shape)")
        }
        var sequence = x
        var hidden: [Tensor<Scalar>] = [], cell: [Tensor<Scalar>] = []
        for l in 0..<layerCount {
            let (h0, c0) = (state.map { RecurrentWeights.layer($0.hidden, l) }, state.map { RecurrentWeights.layer($0.cell, l) })
            let (bih, bhh) = (usesBias ? inputBiases[l] : nil, usesBias ? hiddenBiases[l] : nil)
            let result = l == 0 && firstLayerProjected
                ? lstm(projected: sequence, weightHH: hiddenWeights[l], biasIH: bih, biasHH: bhh, hidden: h0, cell: c0)
                : lstm(sequence, weightIH: inputWeights[l], weightHH: hiddenWeights[l], biasIH: bih, biasHH: bhh, hidden: h0, cell: c0)
            sequence = result.output
            hidden.append(result.hidden)
            cell.append(result.cell)
        }
        return (sequence, LSTMState(hidden: RecurrentWeights.stack(hidden), cell: RecurrentWeights.stack(cell)))
    }

    /// Continues the sequence from the state in `cache` (zeros at first) and stores the new state:
    /// feeding a sequence one step at a time gives the full forward pass's outputs.
    /// A recurrent layer carries its state over any length: no context bound.
    /// The layer applied to `embedding(tokens)`. When the batch holds more tokens than the table has
    /// rows, layer 0's input product is taken per table row — (E·W_ihᵀ)[id] = E[id]·W_ihᵀ — and gathered
    /// (`lstm(projected:…)`): [V, E]·[E, 4H] instead of [B·T, E]·[E, 4H], forward and backward (the
    /// table's gradient is a scatter-add of ∂L/∂A, then two small products give ∂L/∂E and ∂L/∂W_ih).
    public func callAsFunction(tokens: Tensor<Scalar>, embeddedBy table: Embedding<Scalar>) -> Tensor<Scalar> {
        callAsFunction(tokens: tokens, embeddedBy: table, state: nil).output
    }

    /// ``callAsFunction(tokens:embeddedBy:)`` with initial states (see ``callAsFunction(_:state:)``).
    public func callAsFunction(tokens: Tensor<Scalar>, embeddedBy table: Embedding<Scalar>,
                               state: LSTMState<Scalar>?) -> (output: Tensor<Scalar>, state: LSTMState<Scalar>) {
        guard let projected = RecurrentWeights.foldedProjection(tokens, table, inputWeights[0]) else {
            return callAsFunction(table(tokens), state: state)
        }
        return run(projected, firstLayerProjected: true, state: state)
    }

    public var boundsContext: Bool { false }

    public func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        let saved = cache.state(for: self) { LSTMDecodingState<Scalar>() }
        let (output, state) = callAsFunction(x, state: saved.state)
        saved.state = state
        return output
    }
}

/// The parameter bookkeeping ``LSTM`` and ``GRU`` share: drawing, checking and naming the per-layer
/// weights, and splitting or stacking `[layerCount, B, H]` states.
enum RecurrentWeights<Scalar: TensorScalar> {
    /// Weights and biases drawn from U(−1/√H, 1/√H) in state-dict order (PyTorch's initialisation).
    static func draw(gates: Int, inputSize: Int, hiddenSize: Int, layerCount: Int, useBias: Bool, generator: inout RandomGenerator)
        -> (inputWeights: [Tensor<Scalar>], hiddenWeights: [Tensor<Scalar>], inputBiases: [Tensor<Scalar>], hiddenBiases: [Tensor<Scalar>]) {
        let bound = 1 / Double(hiddenSize).squareRoot()
        var result: ([Tensor<Scalar>], [Tensor<Scalar>], [Tensor<Scalar>], [Tensor<Scalar>]) = ([], [], [], [])
        for l in 0..<layerCount {
            let width = l == 0 ? inputSize : hiddenSize
            result.0.append(Tensor(randomUniform: [gates * hiddenSize, width], low: -bound, high: bound, generator: &generator, requiresGrad: true))
            result.1.append(Tensor(randomUniform: [gates * hiddenSize, hiddenSize], low: -bound, high: bound, generator: &generator, requiresGrad: true))
            if useBias {
                result.2.append(Tensor(randomUniform: [gates * hiddenSize], low: -bound, high: bound, generator: &generator, requiresGrad: true))
                result.3.append(Tensor(randomUniform: [gates * hiddenSize], low: -bound, high: bound, generator: &generator, requiresGrad: true))
            }
        }
        return result
    }

    /// Checks given parameters' shapes; returns (inputSize, hiddenSize, layerCount).
    static func check(gates: Int, inputWeights: [Tensor<Scalar>], hiddenWeights: [Tensor<Scalar>], inputBiases: [Tensor<Scalar>],
                      hiddenBiases: [Tensor<Scalar>], kind: String) -> (Int, Int, Int) {
        let layers = inputWeights.count
        precondition(layers > 0 && hiddenWeights.count == layers && (inputBiases.isEmpty || inputBiases.count == layers)
                     && inputBiases.count == hiddenBiases.count, "\(kind) needs one weight_ih, weight_hh (and both biases or none) per layer")
        precondition(hiddenWeights[0].rank == 2 && inputWeights[0].rank == 2, "\(kind) weights must be matrices")
        let hidden = hiddenWeights[0].shape[1], input = inputWeights[0].shape[1]
        for l in 0..<layers {
            precondition(inputWeights[l].shape == [gates * hidden, l == 0 ? input : hidden] && hiddenWeights[l].shape == [gates * hidden, hidden],
                         "\(kind) layer \(l): weight_ih \(inputWeights[l].shape) / weight_hh \(hiddenWeights[l].shape) do not fit hidden size \(hidden)")
            if !inputBiases.isEmpty {
                precondition(inputBiases[l].shape == [gates * hidden] && hiddenBiases[l].shape == [gates * hidden],
                             "\(kind) layer \(l): biases must be [\(gates * hidden)]")
            }
        }
        return (input, hidden, layers)
    }

    /// `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `weight_ih_l1`, … (PyTorch's order).
    static func named(_ inputWeights: [Tensor<Scalar>], _ hiddenWeights: [Tensor<Scalar>], _ inputBiases: [Tensor<Scalar>],
                      _ hiddenBiases: [Tensor<Scalar>]) -> [(name: String, tensor: Tensor<Scalar>)] {
        var result: [(name: String, tensor: Tensor<Scalar>)] = []
        for l in inputWeights.indices {
            result += [("weight_ih_l\(l)", inputWeights[l]), ("weight_hh_l\(l)", hiddenWeights[l])]
            if !inputBiases.isEmpty { result += [("bias_ih_l\(l)", inputBiases[l]), ("bias_hh_l\(l)", hiddenBiases[l])] }
        }
        return result
    }

    /// Layer `l`'s `[B, H]` of a stacked `[layerCount, B, H]` state (a recorded view).
    /// Layer 0's input product for `table(tokens)`, `(E·W_ihᵀ)[id]` gathered per token `[B, T, gates·H]`,
    /// or nil when folding does not pay (no more tokens than table rows) or does not apply.
    static func foldedProjection(_ tokens: Tensor<Scalar>, _ table: Embedding<Scalar>, _ inputWeight: Tensor<Scalar>) -> Tensor<Scalar>? {
        guard tokens.rank == 2, tokens.count > table.vocabularySize, table.width == inputWeight.shape[1] else { return nil }
        let projection = matmul(table.weight, inputWeight, transposeB: true)          // [V, gates·H]
        return embedding(projection, indices: table.tokenIndices(tokens), shape: tokens.shape)
    }

    static func layer(_ state: Tensor<Scalar>, _ l: Int) -> Tensor<Scalar> {
        state.rows(l..<(l + 1)).reshaped(Array(state.shape.dropFirst()))
    }

    /// Per-layer `[B, H]` states stacked into `[layerCount, B, H]` (recorded).
    static func stack(_ states: [Tensor<Scalar>]) -> Tensor<Scalar> {
        let stacked = states.map { $0.reshaped([1] + $0.shape) }
        return stacked.count == 1 ? stacked[0] : concatenate(stacked, axis: 0)
    }
}
