import SynapseCore
// The architecture entries of the sequence layers (embeddings, positions, norms, attention,
// transformer blocks, LSTM/GRU): their checks, shape rules and parameter counts, in one place.
// Per-example shapes leave the batch axis out: token ids are [T], vectors along a sequence [T, C].

/// Which recurrent layer a ``LayerSpec/recurrent(_:inputs:hidden:layers:bias:)`` entry builds.
public enum RecurrentKind: String, Sendable, Equatable, Codable {
    /// ``LSTM`` (4 gates).
    case lstm
    /// ``GRU`` (3 gates).
    case gru

    /// The gates per hidden unit: the rows of each weight matrix are `gates × hidden`.
    public var gates: Int { self == .lstm ? 4 : 3 }
}

extension LayerSpec {
    /// Whether this entry is one of the sequence layers of this file.
    var isSequenceLayer: Bool {
        switch self {
        case .embedding, .positionalEmbedding, .sinusoidalPositionalEncoding, .layerNorm, .rmsNorm, .multiheadAttention,
             .transformerBlock, .recurrent: return true
        default: return false
        }
    }

    /// What is wrong with a sequence layer's sizes from a file (nil when they are sound); sizes may
    /// be 0 (inferred) when `least` is 0.
    func sequenceLayerProblem(maximumParameters: Int, least: Int) -> String? {
        let largest = 1 << 24
        switch self {
        case .embedding(let vocabulary, let width):
            guard (least...largest).contains(vocabulary), (1...largest).contains(width),
                  let size = [vocabulary, width].checkedProduct(), size <= maximumParameters else {
                return "embedding of \(vocabulary) tokens × \(width) is not a valid size for this file"
            }
        case .positionalEmbedding(let maxLength, let width):
            guard (least...(1 << 20)).contains(maxLength), (least...largest).contains(width),
                  let size = [maxLength, width].checkedProduct(), size <= maximumParameters else {
                return "positional_embedding of \(maxLength) positions × \(width) is not a valid size for this file"
            }
        case .sinusoidalPositionalEncoding(let width):
            guard (least...largest).contains(width) else { return "sinusoidal_positions needs a width in 1...\(largest), got \(width)" }
        case .layerNorm(let features, let epsilon, _):
            guard (least...largest).contains(features), features <= maximumParameters, epsilon > 0, epsilon.isFinite else {
                return "layernorm needs a size in 1...\(largest) and a positive epsilon"
            }
        case .rmsNorm(let features, let epsilon, _):
            guard (least...largest).contains(features), features <= maximumParameters, epsilon.map({ $0 >= 0 && $0.isFinite }) ?? true else {
                return "rmsnorm needs a size in 1...\(largest) and an epsilon ≥ 0"
            }
        case .multiheadAttention(let width, let heads, _, _):
            guard (1...4096).contains(heads), (least...largest).contains(width), width % heads == 0,
                  let size = [4, width, width].checkedProduct(), size <= maximumParameters else {
                return "attention of width \(width) with \(heads) heads is not valid for this file (1 to 4096 heads dividing the width)"
            }
        case .transformerBlock(let width, let heads, let feedForward, let dropout, _):
            guard (1...4096).contains(heads), (least...largest).contains(width), width % heads == 0, (0...largest).contains(feedForward),
                  dropout >= 0, dropout < 1, let attention = [4, width, width].checkedProduct(),
                  let mlp = [2, width, feedForward == 0 ? 4 * width : feedForward].checkedProduct(),
                  attention.addingReportingOverflow(mlp).partialValue <= maximumParameters else {
                return "transformer_block of width \(width) with \(heads) heads, feed-forward \(feedForward) and dropout \(dropout) is not valid for this file"
            }
        case .recurrent(let kind, let inputs, let hidden, let layers, _):
            guard (least...largest).contains(inputs), (1...largest).contains(hidden), (1...64).contains(layers),
                  let size = [kind.gates, hidden, inputs + hidden, layers].checkedProduct(), size <= maximumParameters else {
                return "\(kind.rawValue) of \(inputs) → \(hidden) with \(layers) layers is not a valid size for this file (1 to 64 layers)"
            }
        default: return nil
        }
        return nil
    }

    /// A sequence layer with sizes left out taken from `input`, and its output for one example.
    func resolvedSequenceLayer(for input: [Int], mismatch: (String) -> ShapeError) throws(ShapeError) -> (spec: LayerSpec, output: [Int]) {
        func size(_ given: Int, _ name: String) -> String { given == 0 ? name : String(given) }
        switch self {
        case .embedding(let vocabulary, let width):
            guard vocabulary > 0 else {
                throw ShapeError("\(title): its vocabulary is not known (it is the text's in 'synapse train --task language-model')")
            }
            guard !input.isEmpty else { throw mismatch("[N, T] token ids") }
            return (self, input + [width])
        case .positionalEmbedding(let maxLength, let width):
            guard input.count == 2, width == 0 || input[1] == width else { throw mismatch("[N, T, \(size(width, "C"))]") }
            guard maxLength == 0 || input[0] <= maxLength else {
                throw ShapeError("\(title): it covers \(maxLength) positions, the input has \(input[0]) (input \(Self.format(input)))")
            }
            return (.positionalEmbedding(maxLength: maxLength == 0 ? input[0] : maxLength, width: input[1]), input)
        case .sinusoidalPositionalEncoding(let width):
            guard input.count == 2, width == 0 || input[1] == width else { throw mismatch("[N, T, \(size(width, "C"))]") }
            return (.sinusoidalPositionalEncoding(width: input[1]), input)
        case .layerNorm(let features, let epsilon, let affine):
            guard let last = input.last, features == 0 || last == features else { throw mismatch("[N, …, \(size(features, "C"))]") }
            return (.layerNorm(features: last, epsilon: epsilon, affine: affine), input)
        case .rmsNorm(let features, let epsilon, let affine):
            guard let last = input.last, features == 0 || last == features else { throw mismatch("[N, …, \(size(features, "C"))]") }
            return (.rmsNorm(features: last, epsilon: epsilon, affine: affine), input)
        case .multiheadAttention(let width, let heads, let causal, let bias):
            guard input.count == 2, width == 0 || input[1] == width else { throw mismatch("[N, T, \(size(width, "C"))]") }
            guard input[1] % heads == 0 else { throw ShapeError("\(title): a width of \(input[1]) does not split into \(heads) heads") }
            return (.multiheadAttention(width: input[1], heads: heads, causal: causal, bias: bias), input)
        case .transformerBlock(let width, let heads, let feedForward, let dropout, let causal):
            guard input.count == 2, width == 0 || input[1] == width else { throw mismatch("[N, T, \(size(width, "C"))]") }
            guard input[1] % heads == 0 else { throw ShapeError("\(title): a width of \(input[1]) does not split into \(heads) heads") }
            return (.transformerBlock(width: input[1], heads: heads, feedForward: feedForward == 0 ? 4 * input[1] : feedForward,
                                      dropout: dropout, causal: causal), input)
        case .recurrent(let kind, let inputs, let hidden, let layers, let bias):
            guard input.count == 2, inputs == 0 || input[1] == inputs else { throw mismatch("[N, T, \(size(inputs, "F"))]") }
            return (.recurrent(kind, inputs: input[1], hidden: hidden, layers: layers, bias: bias), [input[0], hidden])
        default:
            preconditionFailure("not a sequence layer: \(self)")
        }
    }

    /// The trainable parameters of a sequence layer (nil on overflow).
    var sequenceLayerParameterCount: Int? {
        func product(_ terms: [Int]) -> Int? { terms.checkedProduct() }
        func sum(_ terms: [Int?]) -> Int? {
            var total = 0
            for term in terms {
                guard let term, case let (next, false) = total.addingReportingOverflow(term) else { return nil }
                total = next
            }
            return total
        }
        switch self {
        case .embedding(let vocabulary, let width): return product([vocabulary, width])
        case .positionalEmbedding(let maxLength, let width): return product([maxLength, width])
        case .sinusoidalPositionalEncoding: return 0
        case .layerNorm(let features, _, let affine): return affine ? product([2, features]) : 0
        case .rmsNorm(let features, _, let affine): return affine ? features : 0
        case .multiheadAttention(let width, _, _, let bias):
            return sum([product([4, width, width]), bias ? product([4, width]) : 0])
        case .transformerBlock(let width, _, let feedForward, _, _):
            let hidden = feedForward == 0 ? product([4, width]) : feedForward
            // attention (with biases), linear1 and linear2 with biases, two LayerNorms.
            return sum([product([4, width, width]), product([4, width]), hidden.flatMap { product([2, width, $0]) }, hidden,
                        width, product([4, width])])
        case .recurrent(let kind, let inputs, let hidden, let layers, let bias):
            let rows = kind.gates * hidden
            let first = sum([product([rows, inputs]), product([rows, hidden]), bias ? product([2, rows]) : 0])
            let later = sum([product([rows, hidden, 2]), bias ? product([2, rows]) : 0])
            return sum([first, later.flatMap { product([$0, layers - 1]) }])
        default: return nil
        }
    }

    /// The largest activation of a sequence layer for one example (the attention scores are never
    /// materialised: the fused op works tile by tile), else nil.
    func sequenceLayerActivation(for input: [Int], output: [Int]) -> Int? {
        let t = input.first ?? 1
        switch self {
        case .multiheadAttention(let width, _, _, _): return [3, t, width].checkedProduct()
        case .transformerBlock(let width, _, let feedForward, _, _): return [t, Swift.max(3 * width, feedForward)].checkedProduct()
        case .recurrent(let kind, _, let hidden, _, _): return [kind.gates, t, hidden].checkedProduct()
        default: return nil
        }
    }

    /// The layer's name and sizes (`?` for sizes still to be inferred).
    func describeSequenceLayer(detailed: Bool) -> String {
        func size(_ n: Int) -> String { n == 0 ? "?" : String(n) }
        switch self {
        case .embedding(let vocabulary, let width): return "Embedding(\(size(vocabulary)) → \(width))"
        case .positionalEmbedding(let maxLength, let width): return "PositionalEmbedding(\(size(maxLength)) × \(size(width)))"
        case .sinusoidalPositionalEncoding(let width): return "SinusoidalPositionalEncoding(\(size(width)))"
        case .layerNorm(let features, _, let affine): return "LayerNorm(\(size(features))\(detailed && !affine ? ", no affine" : ""))"
        case .rmsNorm(let features, _, let affine): return "RMSNorm(\(size(features))\(detailed && !affine ? ", no affine" : ""))"
        case .multiheadAttention(let width, let heads, let causal, _):
            return "MultiheadAttention(\(size(width)), \(heads) heads\(causal ? ", causal" : ""))"
        case .transformerBlock(let width, let heads, let feedForward, let dropout, let causal):
            return "TransformerBlock(\(size(width)), \(heads) heads, MLP \(size(feedForward))\(causal ? ", causal" : "")\(detailed && dropout > 0 ? ", dropout \(dropout)" : ""))"
        case .recurrent(let kind, let inputs, let hidden, let layers, _):
            return "\(kind == .lstm ? "LSTM" : "GRU")(\(size(inputs)) → \(hidden)\(layers > 1 ? ", \(layers) layers" : ""))"
        default: return ""
        }
    }

    /// A language model's architecture with the text's vocabulary filled in: embeddings of an
    /// unknown vocabulary (0), and dense layers whose `"out"` is `"vocabulary"` (0), take `vocabulary`.
    public func fillingVocabulary(_ vocabulary: Int) -> LayerSpec {
        switch self {
        case .embedding(0, let width): return .embedding(vocabulary: vocabulary, width: width)
        case .dense(let inputs, 0, let bias, let activation): return .dense(inputs: inputs, outputs: vocabulary, bias: bias, activation: activation)
        case .sequential(let layers): return .sequential(layers.map { $0.fillingVocabulary(vocabulary) })
        case .residual(let block, let shortcut):
            return .residual(block: block.fillingVocabulary(vocabulary), shortcut: shortcut?.fillingVocabulary(vocabulary))
        case .graph(let graph):
            return .graph(GraphSpec(inputs: graph.inputs, nodes: graph.nodes.map {
                GraphSpec.Node(name: $0.name, layer: $0.layer.fillingVocabulary(vocabulary), inputs: $0.inputs)
            }, outputs: graph.outputs))
        default: return self
        }
    }

    /// The GPT of `synapse demo text` and the default of `synapse train --task language-model`
    /// (nanoGPT's model with PyTorch's `nn.TransformerEncoderLayer` blocks): token and learned
    /// position embeddings of `width`, `layers` causal pre-LayerNorm blocks of `heads` heads and a
    /// 4 × width GELU MLP, a final LayerNorm and a dense layer to the vocabulary (`"out": "vocabulary"`).
    public static func gpt(blockSize: Int, width: Int = 128, layers: Int = 4, heads: Int = 4, dropout: Double = 0) -> LayerSpec {
        .sequential([.embedding(vocabulary: 0, width: width), .positionalEmbedding(maxLength: blockSize, width: width)]
                    + Array(repeating: .transformerBlock(width: width, heads: heads, feedForward: 4 * width, dropout: dropout, causal: true), count: layers)
                    + [.layerNorm(features: width, epsilon: 1e-5, affine: true), .dense(inputs: width, outputs: 0, bias: true, activation: .identity)])
    }

    /// A recurrent language model: token embeddings of `width`, an LSTM (or GRU) of `layers` layers
    /// of `hidden` units, and a dense layer to the vocabulary.
    public static func recurrentLanguageModel(_ kind: RecurrentKind = .lstm, width: Int = 256, hidden: Int = 256, layers: Int = 2) -> LayerSpec {
        .sequential([.embedding(vocabulary: 0, width: width), .recurrent(kind, inputs: width, hidden: hidden, layers: layers, bias: true),
                     .dense(inputs: hidden, outputs: 0, bias: true, activation: .identity)])
    }
}

extension LayerSpec {
    /// The vocabulary of every embedding in the architecture, in order (token ids must be below
    /// each: a file's embedding smaller than its tokenizer would be indexed out of range).
    public var embeddingVocabularies: [Int] {
        switch self {
        case .embedding(let vocabulary, _): return [vocabulary]
        case .sequential(let layers): return layers.flatMap(\.embeddingVocabularies)
        case .residual(let block, let shortcut): return block.embeddingVocabularies + (shortcut?.embeddingVocabularies ?? [])
        case .graph(let graph): return graph.nodes.flatMap(\.layer.embeddingVocabularies)
        default: return []
        }
    }
}

extension LayerSpec {
    /// What keeps this architecture from being a language model's — one that turns token ids
    /// `[N, T]` into next-token logits at every position without looking ahead — or nil: token ids
    /// must reach exactly one embedding first (a layer before it would change the ids, a second
    /// embedding would get vectors), and every attention layer must be causal (one that sees the
    /// future learns to copy it).
    public var languageModelProblem: String? {
        guard embeddingVocabularies.count == 1 else {
            return "a language model has one embedding (its first layer), this network has \(embeddingVocabularies.count)"
        }
        guard startsWithEmbedding else { return "a language model's first layer must be its embedding: token ids go nowhere else" }
        if hasNonCausalAttention { return "its attention is not causal: a language model must not see the tokens it predicts (\"causal\": true)" }
        return nil
    }

    /// Whether the first layer (through sequentials) is an embedding.
    var startsWithEmbedding: Bool {
        switch self {
        case .embedding: return true
        case .sequential(let layers): return layers.first?.startsWithEmbedding ?? false
        default: return false
        }
    }

    /// Whether any attention layer or transformer block sees later positions.
    var hasNonCausalAttention: Bool {
        switch self {
        case .multiheadAttention(_, _, let causal, _), .transformerBlock(_, _, _, _, let causal): return !causal
        case .sequential(let layers): return layers.contains(where: \.hasNonCausalAttention)
        case .residual(let block, let shortcut): return block.hasNonCausalAttention || (shortcut?.hasNonCausalAttention ?? false)
        case .graph(let graph): return graph.nodes.contains { $0.layer.hasNonCausalAttention }
        default: return false
        }
    }

    /// Whether the architecture only works over a bounded context (attention or positional
    /// encodings), as ``Layer/hasBoundedContext`` says of a built network.
    public var boundsContext: Bool {
        switch self {
        case .multiheadAttention, .transformerBlock, .positionalEmbedding, .sinusoidalPositionalEncoding: return true
        case .sequential(let layers): return layers.contains(where: \.boundsContext)
        case .residual(let block, let shortcut): return block.boundsContext || (shortcut?.boundsContext ?? false)
        case .graph(let graph): return graph.nodes.contains { $0.layer.boundsContext }
        default: return false
        }
    }
}
