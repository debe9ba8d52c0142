import SynapseCore
/// A pre-LayerNorm transformer block (GPT-2's block; PyTorch's `nn.TransformerEncoderLayer(C, H,
/// dim_feedforward=F, dropout=p, activation="gelu", batch_first=True, norm_first=True)` called with
/// a causal mask): attention and a GELU MLP, each on a normalised copy of its input and added back.
///
///     x = x + dropout(attention(norm1(x)))
///     x = x + dropout(linear2(dropout(gelu(linear1(norm2(x))))))
///
/// The children carry PyTorch's names — `self_attn` (``MultiheadAttention``), `linear1`, `linear2`,
/// `norm1`, `norm2` — so a block's weights load into `nn.TransformerEncoderLayer` with
/// `load_state_dict(strict=True)`. Input and output are `[B, T, C]`.
public final class TransformerBlock<Scalar: TensorScalar>: Layer, IncrementalLayer {
    /// Self-attention over the normalised input (`self_attn`).
    public let attention: MultiheadAttention<Scalar>
    /// The MLP's expansion C → F (`linear1`).
    public let expansion: Dense<Scalar>
    /// The MLP's projection back F → C (`linear2`).
    public let projection: Dense<Scalar>
    /// The normalisation before attention (`norm1`).
    public let attentionNorm: LayerNorm<Scalar>
    /// The normalisation before the MLP (`norm2`).
    public let mlpNorm: LayerNorm<Scalar>
    /// Dropout after attention, inside the MLP and after it (PyTorch's `dropout1`, `dropout`, `dropout2`).
    let dropouts: [Dropout<Scalar>]
    /// Training mode (dropout active) or evaluation.
    public var isTraining = true

    /// C, the width of the block's input and output.
    public var width: Int { attention.width }
    /// F, the width of the MLP's hidden layer.
    public var feedForwardWidth: Int { expansion.outputSize }
    /// The dropout probability.
    public var dropoutRate: Double { dropouts[0].rate }

    /// A block of width `width` with `headCount` heads and an MLP of `feedForwardWidth` (GPT: 4 × width),
    /// initialised as PyTorch initialises its parts, drawn from `generator`.
    public init(width: Int, headCount: Int, feedForwardWidth: Int? = nil, dropout: Double = 0, causal: Bool = true,
                generator: inout RandomGenerator) {
        let hidden = feedForwardWidth ?? 4 * width
        attention = MultiheadAttention(width: width, headCount: headCount, causal: causal, generator: &generator)
        expansion = Dense(inputSize: width, outputSize: hidden, generator: &generator)
        projection = Dense(inputSize: hidden, outputSize: width, generator: &generator)
        attentionNorm = LayerNorm(features: width)
        mlpNorm = LayerNorm(features: width)
        dropouts = (0..<3).map { _ in Dropout(rate: dropout, seed: generator.nextUInt32()) }
    }

    /// PyTorch's names, in `nn.TransformerEncoderLayer`'s order (the dropouts hold no tensors).
    public var namedChildren: [(name: String, layer: any Layer<Scalar>)] {
        [("self_attn", attention), ("linear1", expansion), ("dropout", dropouts[1]), ("linear2", projection), ("norm1", attentionNorm),
         ("norm2", mlpNorm), ("dropout1", dropouts[0]), ("dropout2", dropouts[2])]
    }

    /// The block over a whole sequence.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        run(x) { attention($0) }
    }

    /// The block for new positions, attention continuing from the keys and values in `cache`.
    public func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        run(x) { attention.decode($0, cache: cache) }
    }

    /// A container: attention decides.
    public var boundsContext: Bool { false }

    /// y = x + attend(norm1(x));  out = y + MLP(norm2(y)). Each sum's gradient flows to both terms.
    private func run(_ x: Tensor<Scalar>, attend: (Tensor<Scalar>) -> Tensor<Scalar>) -> Tensor<Scalar> {
        let y = x + dropouts[0](attend(attentionNorm(x)))
        let hidden = dropouts[1](gelu(expansion(mlpNorm(y))))
        return y + dropouts[2](projection(hidden))
    }
}
