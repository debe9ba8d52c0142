import SynapseCore

/// What a ``GRU`` keeps in a ``DecodingCache`` between decode calls: the hidden state reached so far.
public final class GRUDecodingState<Scalar: TensorScalar> {
    /// The final hidden state `[layerCount, B, H]` of the last decode call, or nil before the first (zeros).
    public var hidden: Tensor<Scalar>?

    /// An empty state (the sequence has not started).
    public init(hidden: Tensor<Scalar>? = nil) { self.hidden = hidden }
}

/// A multi-layer gated recurrent unit network (PyTorch's `nn.GRU(batch_first=True)`): input
/// `[B, T, inputSize]` → the last layer's hidden states `[B, T, hiddenSize]`. Each layer runs the
/// fused ``gru(_:weightIH:weightHH:biasIH:biasHH:hidden:)`` over the whole sequence, gates in
/// PyTorch's order r, z, n with `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`.
///
/// Parameters use PyTorch's names and layouts: `weight_ih_l0` `[3H, inputSize]`, `weight_hh_l0`
/// `[3H, H]`, `bias_ih_l0`, `bias_hh_l0` `[3H]`, `weight_ih_l1` `[3H, H]`, ….
public final class GRU<Scalar: TensorScalar>: Layer, IncrementalLayer, EmbeddingConsumer {
    /// The features of each input step.
    public let inputSize: Int
    /// H, the features of each hidden state.
    public let hiddenSize: Int
    /// The number of stacked layers.
    public let layerCount: Int
    /// `weight_ih_l{k}` of every layer: `[3H, inputSize]` for layer 0, `[3H, H]` after.
    public let inputWeights: [Tensor<Scalar>]
    /// `weight_hh_l{k}` of every layer, `[3H, H]`.
    public let hiddenWeights: [Tensor<Scalar>]
    /// `bias_ih_l{k}` of every layer, `[3H]` (empty without bias).
    public let inputBiases: [Tensor<Scalar>]
    /// `bias_hh_l{k}` of every layer, `[3H]` (empty without bias).
    public let hiddenBiases: [Tensor<Scalar>]
    /// Ignored (no dropout between layers).
    public var isTraining = true

    /// Whether the layers have biases.
    public var usesBias: Bool { !inputBiases.isEmpty }

    /// A network with every weight and bias drawn from U(−1/√H, 1/√H) (PyTorch's initialisation),
    /// layer by layer in the state dict's order.
    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, useBias: Bool = true, generator: inout RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0 && layerCount > 0,
                     "GRU needs positive sizes, got inputSize \(inputSize), hiddenSize \(hiddenSize), layerCount \(layerCount)")
        let tensors = RecurrentWeights<Scalar>.draw(gates: 3, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
                                                    useBias: useBias, generator: &generator)
        (self.inputSize, self.hiddenSize, self.layerCount) = (inputSize, hiddenSize, layerCount)
        (inputWeights, hiddenWeights, inputBiases, hiddenBiases) = (tensors.inputWeights, tensors.hiddenWeights, tensors.inputBiases, tensors.hiddenBiases)
    }

    /// A network with the given parameters (one array entry per layer, PyTorch's layouts), e.g. loaded
    /// from a file; pass empty bias arrays for a network without biases.
    public init(inputWeights: [Tensor<Scalar>], hiddenWeights: [Tensor<Scalar>], inputBiases: [Tensor<Scalar>], hiddenBiases: [Tensor<Scalar>]) {
        let sizes = RecurrentWeights.check(gates: 3, inputWeights: inputWeights, hiddenWeights: hiddenWeights,
                                           inputBiases: inputBiases, hiddenBiases: hiddenBiases, kind: "GRU")
        (inputSize, hiddenSize, layerCount) = sizes
        (self.inputWeights, self.hiddenWeights, self.inputBiases, self.hiddenBiases) = (inputWeights, hiddenWeights, inputBiases, hiddenBiases)
        for tensor in inputWeights + hiddenWeights + inputBiases + hiddenBiases { tensor.requiresGrad = true }
    }

    /// PyTorch's state-dict names: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, `weight_ih_l1`, ….
    public var namedOwnParameters: [(name: String, tensor: Tensor<Scalar>)] {
        RecurrentWeights.named(inputWeights, hiddenWeights, inputBiases, hiddenBiases)
    }

    /// `GRU(32 → 64, 2 layers)`.
    public var summary: String {
        "GRU(\(inputSize) → \(hiddenSize)\(layerCount == 1 ? "" : ", \(layerCount) layers")\(usesBias ? "" : ", no bias"))"
    }

    /// The last layer's hidden states `[B, T, H]` for `x` `[B, T, inputSize]`, starting from zeros.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        callAsFunction(x, state: nil).output
    }

    /// The last layer's hidden states `[B, T, H]` for `x` `[B, T, inputSize]`, starting from `state`
    /// `[layerCount, B, H]` (zeros when nil), and every layer's final hidden state `[layerCount, B, H]`
    /// (PyTorch's `h_n`). Gradients flow into an initial state that requires them; pass
    /// `state.detached()` to cut the history (truncated BPTT).
    public func callAsFunction(_ x: Tensor<Scalar>, state: Tensor<Scalar>?) -> (output: Tensor<Scalar>, state: Tensor<Scalar>) {
        precondition(x.rank == 3 && x.shape[2] == inputSize, "\(summary) expected input [B, T, \(inputSize)], got \(x.shape)")
        return run(x, firstLayerProjected: false, state: state)
    }

    /// The layer applied to `embedding(tokens)`, with layer 0's input product taken per table row when
    /// the batch holds more tokens than the table has rows (as ``LSTM/callAsFunction(tokens:embeddedBy:)``).
    public func callAsFunction(tokens: Tensor<Scalar>, embeddedBy table: Embedding<Scalar>) -> Tensor<Scalar> {
        callAsFunction(tokens: tokens, embeddedBy: table, state: nil).output
    }

    /// ``callAsFunction(tokens:embeddedBy:)`` with an initial state (see ``callAsFunction(_:state:)``).
    public func callAsFunction(tokens: Tensor<Scalar>, embeddedBy table: Embedding<Scalar>,
                               state: Tensor<Scalar>?) -> (output: Tensor<Scalar>, state: Tensor<Scalar>) {
        guard let projected = RecurrentWeights.foldedProjection(tokens, table, inputWeights[0]) else {
            return callAsFunction(table(tokens), state: state)
        }
        return run(projected, firstLayerProjected: true, state: state)
    }

    /// The layers in turn; with `firstLayerProjected`, `x` is already layer 0's x·W_ihᵀ `[B, T, 3H]`.
    private func run(_ x: Tensor<Scalar>, firstLayerProjected: Bool, state: Tensor<Scalar>?) -> (output: Tensor<Scalar>, state: Tensor<Scalar>) {
        if let state {
            precondition(state.shape == [layerCount, x.shape[0], hiddenSize],
                         "\(summary) expected a state [\(layerCount), \(x.shape[0]), \(hiddenSize)], got \(state.shape)")
        }
        var sequence = x
        var hidden: [Tensor<Scalar>] = []
        for l in 0..<layerCount {
            let (h0, bih, bhh) = (state.map { RecurrentWeights.layer($0, l) }, usesBias ? inputBiases[l] : nil, usesBias ? hiddenBiases[l] : nil)
            let result = l == 0 && firstLayerProjected
                ? gru(projected: sequence, weightHH: hiddenWeights[l], biasIH: bih, biasHH: bhh, hidden: h0)
                : gru(sequence, weightIH: inputWeights[l], weightHH: hiddenWeights[l], biasIH: bih, biasHH: bhh, hidden: h0)
            sequence = result.output
            hidden.append(result.hidden)
        }
        return (sequence, RecurrentWeights.stack(hidden))
    }

    /// Continues the sequence from the state in `cache` (zeros at first) and stores the new state:
    /// feeding a sequence one step at a time gives the full forward pass's outputs.
    /// A recurrent layer carries its state over any length: no context bound.
    public var boundsContext: Bool { false }

    public func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        let saved = cache.state(for: self) { GRUDecodingState<Scalar>() }
        let (output, state) = callAsFunction(x, state: saved.hidden)
        saved.hidden = state
        return output
    }
}
