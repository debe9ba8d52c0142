import SynapseCore
/// Multi-head self-attention (PyTorch's `nn.MultiheadAttention(C, H, bias=True, batch_first=True)`
/// called as `mha(x, x, x)`): the input `[B, T, C]` is projected to queries, keys and values by one
/// `[3C, C]` map, each of the H heads attends with its D = C/H columns
/// (``multiheadSelfAttention(packed:heads:causal:keyPadding:cache:)``, one fused op), and the heads'
/// outputs, side by side, go through the output projection: `[B, T, C]` again.
///
/// The state-dict names are PyTorch's — `in_proj_weight` `[3C, C]`, `in_proj_bias` `[3C]`,
/// `out_proj.weight` `[C, C]`, `out_proj.bias` `[C]` — so weights load into and from `torch` directly.
/// Continuing a sequence (``decode(_:cache:)``) keeps each position's keys and values in the
/// ``DecodingCache``, so generating one token costs attention over the cache, not a new forward pass.
public final class MultiheadAttention<Scalar: TensorScalar>: Layer, IncrementalLayer {
    /// `[3C, C]`: the query, key and value projections stacked (PyTorch's `in_proj_weight`).
    public let inputProjectionWeight: Tensor<Scalar>
    /// `[3C]` (PyTorch's `in_proj_bias`), or nil without biases.
    public let inputProjectionBias: Tensor<Scalar>?
    /// The map applied to the heads' concatenated outputs (PyTorch's `out_proj`).
    public let outputProjection: Dense<Scalar>
    /// C, the width of the input and output.
    public let width: Int
    /// H; each head works on C / H values.
    public let headCount: Int
    /// Whether position i sees only positions ≤ i (a decoder, GPT); fixed at initialisation.
    public let isCausal: Bool
    /// Ignored (no dropout inside attention).
    public var isTraining = true

    /// The values per head, C / H.
    public var headDepth: Int { width / headCount }

    /// A layer initialised as PyTorch does: `in_proj_weight` Xavier-uniform, U(±√(6 / (C + 3C))),
    /// `out_proj.weight` as `nn.Linear`, U(±1/√C), biases zero — drawn from `generator`.
    public init(width: Int, headCount: Int, causal: Bool = false, useBias: Bool = true, generator: inout RandomGenerator) {
        precondition(width > 0 && headCount > 0 && width % headCount == 0,
                     "MultiheadAttention needs a width divisible by the number of heads, got \(width) and \(headCount)")
        self.width = width
        self.headCount = headCount
        isCausal = causal
        inputProjectionWeight = Initializer.xavierUniform.makeTensor([3 * width, width], fanIn: width, fanOut: 3 * width, generator: &generator)
        inputProjectionBias = useBias ? Tensor(zeros: [3 * width], requiresGrad: true) : nil
        let weight: Tensor<Scalar> = Initializer.pytorchDefault.makeTensor([width, width], fanIn: width, fanOut: width, generator: &generator)
        outputProjection = Dense(weight: weight, bias: useBias ? Tensor(zeros: [width]) : nil)
    }

    /// A layer with the given parameters (PyTorch's layouts), e.g. loaded from a file.
    public init(inputProjectionWeight: Tensor<Scalar>, inputProjectionBias: Tensor<Scalar>?, outputProjection: Dense<Scalar>,
                headCount: Int, causal: Bool = false) {
        let width = outputProjection.inputSize
        precondition(inputProjectionWeight.shape == [3 * width, width] && outputProjection.outputSize == width,
                     "MultiheadAttention(\(width)) needs in_proj_weight [\(3 * width), \(width)] and out_proj [\(width), \(width)], got \(inputProjectionWeight.shape) and \(outputProjection.weight.shape)")
        precondition(inputProjectionBias == nil || inputProjectionBias!.shape == [3 * width], "in_proj_bias must be [\(3 * width)]")
        precondition(headCount > 0 && width % headCount == 0, "\(width) is not divisible by \(headCount) heads")
        inputProjectionWeight.requiresGrad = true
        inputProjectionBias?.requiresGrad = true
        self.inputProjectionWeight = inputProjectionWeight
        self.inputProjectionBias = inputProjectionBias
        self.outputProjection = outputProjection
        self.width = width
        self.headCount = headCount
        isCausal = causal
    }

    /// `in_proj_weight` and `in_proj_bias`, PyTorch's names.
    public var namedOwnParameters: [(name: String, tensor: Tensor<Scalar>)] {
        [("in_proj_weight", inputProjectionWeight)] + (inputProjectionBias.map { [("in_proj_bias", $0)] } ?? [])
    }

    /// `out_proj`, PyTorch's name.
    public var namedChildren: [(name: String, layer: any Layer<Scalar>)] { [("out_proj", outputProjection)] }

    /// `MultiheadAttention(128, 4 heads, causal)`.
    public var summary: String { "MultiheadAttention(\(width), \(headCount) heads\(isCausal ? ", causal" : ""))" }

    /// Self-attention over `x` `[B, T, C]`, giving `[B, T, C]`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { callAsFunction(x, keyPadding: nil) }

    /// Self-attention over `x` `[B, T, C]` ignoring padded positions as keys: `keyPadding` holds T
    /// flags per batch element, `true` for padding (PyTorch's `key_padding_mask`). A position that
    /// sees no key at all gets a zero attention output (PyTorch gives NaN).
    public func callAsFunction(_ x: Tensor<Scalar>, keyPadding: [[Bool]]?) -> Tensor<Scalar> {
        precondition(x.rank == 3 && x.shape[2] == width, "\(summary) expected input [B, T, \(width)], got \(x.shape)")
        let qkv = linear(x, weight: inputProjectionWeight, bias: inputProjectionBias)
        return outputProjection(multiheadSelfAttention(packed: qkv, heads: headCount, causal: isCausal, keyPadding: keyPadding))
    }

    /// The output for the new positions `x` `[B, t, C]`: their keys and values are appended to this
    /// layer's ``KeyValueCache`` in `cache`, and their queries attend over every cached position
    /// (causally within the new ones). For a causal layer this equals the last t positions of the
    /// forward pass over the whole sequence. Inference only: nothing is recorded for gradients.
    public func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        precondition(x.rank == 3 && x.shape[2] == width, "\(summary) expected input [B, t, \(width)], got \(x.shape)")
        let keysAndValues = cache.state(for: self) { KeyValueCache<Scalar>(heads: headCount, depth: headDepth) }
        return withoutGradients {
            let qkv = linear(x, weight: inputProjectionWeight, bias: inputProjectionBias)
            return outputProjection(multiheadSelfAttention(packed: qkv, heads: headCount, causal: isCausal, cache: keysAndValues))
        }
    }
}
