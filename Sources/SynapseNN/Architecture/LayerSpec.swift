import SynapseCore
import Foundation

/// A layer's architecture without its weights: what a model file records so that loading can
/// rebuild the same network. Its JSON is readable by anyone:
///
/// ```json
/// {"type": "sequential", "layers": [
///   {"type": "dense", "in": 784, "out": 128, "bias": true, "activation": "identity"},
///   {"type": "activation", "function": "relu"},
///   {"type": "dense", "in": 128, "out": 10, "bias": true, "activation": "identity"}]}
/// ```
public indirect enum LayerSpec: Sendable, Equatable, Codable {
    /// ``Dense``: `weight [out, in]`, optional `bias [out]`, an activation applied after.
    case dense(inputs: Int, outputs: Int, bias: Bool, activation: ActivationFunction)
    /// ``Activation``.
    case activation(ActivationFunction)
    /// ``Dropout`` with its rate.
    case dropout(rate: Double)
    /// ``Flatten``.
    case flatten
    /// ``Conv2D``: `weight [out, in, kh, kw]`, optional `bias [out]`.
    case conv2d(inputs: Int, outputs: Int, kernel: Pair2D, stride: Pair2D, padding: Pair2D, dilation: Pair2D, bias: Bool)
    /// ``MaxPool2D`` or ``AvgPool2D``.
    case pool2d(PoolingKind, kernel: Pair2D, stride: Pair2D, padding: Pair2D)
    /// ``GlobalAveragePool``.
    case globalAveragePool
    /// ``BatchNorm`` over `features` channels (1-D or 2-D by the input's rank).
    case batchNorm(features: Int, momentum: Double, epsilon: Double, affine: Bool)
    /// ``Reshape`` of each example to `shape`.
    case reshape([Int])
    /// ``Sequential`` of the given layers.
    case sequential([LayerSpec])
    /// ``Identity``.
    case identity
    /// ``Add`` (a merge: a graph node with two or more inputs).
    case add
    /// ``Concatenate`` along `axis` (a merge: a graph node with two or more inputs).
    case concatenate(axis: Int)
    /// ``Residual``: `block(x) + shortcut(x)`, or `block(x) + x` without a shortcut.
    case residual(block: LayerSpec, shortcut: LayerSpec?)
    /// ``Graph`` of named nodes.
    case graph(GraphSpec)
    /// A registered ``SerializableLayer``: its ``SerializableLayer/typeName`` and configuration.
    case custom(type: String, configuration: JSONValue)
    /// ``Embedding``: `weight [vocabulary, width]` (vocabulary 0: the text's, filled in by ``fillingVocabulary(_:)``).
    case embedding(vocabulary: Int, width: Int)
    /// ``PositionalEmbedding``: `weight [maxLength, width]`.
    case positionalEmbedding(maxLength: Int, width: Int)
    /// ``SinusoidalPositionalEncoding`` of `width` values per position.
    case sinusoidalPositionalEncoding(width: Int)
    /// ``LayerNorm`` over the last axis of `features` values.
    case layerNorm(features: Int, epsilon: Double, affine: Bool)
    /// ``RMSNorm`` over the last axis (`epsilon` nil: PyTorch's default, the scalar type's machine epsilon).
    case rmsNorm(features: Int, epsilon: Double?, affine: Bool)
    /// ``MultiheadAttention`` (self-attention) of `width` with `heads` heads.
    case multiheadAttention(width: Int, heads: Int, causal: Bool, bias: Bool)
    /// ``TransformerBlock``: pre-LayerNorm attention and a GELU MLP of `feedForward` (0: 4 × width).
    case transformerBlock(width: Int, heads: Int, feedForward: Int, dropout: Double, causal: Bool)
    /// ``LSTM`` or ``GRU`` of `layers` stacked layers, batch-first.
    case recurrent(RecurrentKind, inputs: Int, hidden: Int, layers: Int, bias: Bool)

    /// The `"type"` of every built-in layer in architecture JSON (a custom layer may not take one).
    public static let builtInTypeNames: Set<String> = [
        "dense", "conv2d", "maxpool2d", "avgpool2d", "global_avg_pool", "batchnorm", "activation", "dropout", "flatten", "reshape",
        "sequential", "identity", "add", "concat", "residual", "graph", "custom", "embedding", "positional_embedding",
        "sinusoidal_positions", "layernorm", "rmsnorm", "attention", "transformer_block", "lstm", "gru",
    ]

    /// Describes `layer`.
    /// - Throws: ``UnsupportedLayerError`` for layers this format cannot describe (custom classes).
    public init<Scalar: TensorScalar>(describing layer: any Layer<Scalar>) throws {
        switch layer {
        case let dense as Dense<Scalar>:
            self = .dense(inputs: dense.inputSize, outputs: dense.outputSize, bias: dense.bias != nil, activation: dense.activation)
        case let activation as Activation<Scalar>:
            self = .activation(activation.function)
        case let dropout as Dropout<Scalar>:
            self = .dropout(rate: dropout.rate)
        case is Flatten<Scalar>:
            self = .flatten
        case let conv as Conv2D<Scalar>:
            self = .conv2d(inputs: conv.inputChannels, outputs: conv.outputChannels, kernel: conv.kernelSize, stride: conv.stride,
                           padding: conv.padding, dilation: conv.dilation, bias: conv.bias != nil)
        case let pool as MaxPool2D<Scalar>:
            self = .pool2d(.max, kernel: pool.kernelSize, stride: pool.stride, padding: pool.padding)
        case let pool as AvgPool2D<Scalar>:
            self = .pool2d(.average, kernel: pool.kernelSize, stride: pool.stride, padding: pool.padding)
        case is GlobalAveragePool<Scalar>:
            self = .globalAveragePool
        case let norm as BatchNorm<Scalar>:
            self = .batchNorm(features: norm.features, momentum: norm.momentum, epsilon: norm.epsilon, affine: norm.weight != nil)
        case let reshape as Reshape<Scalar>:
            self = .reshape(reshape.shape)
        case let sequential as Sequential<Scalar>:
            self = .sequential(try sequential.layers.map { try LayerSpec(describing: $0) })
        case is Identity<Scalar>:
            self = .identity
        case is Add<Scalar>:
            self = .add
        case let concatenation as Concatenate<Scalar>:
            self = .concatenate(axis: concatenation.axis)
        case let residual as Residual<Scalar>:
            self = .residual(block: try LayerSpec(describing: residual.block), shortcut: try residual.shortcut.map { try LayerSpec(describing: $0) })
        case let graph as Graph<Scalar>:
            self = .graph(GraphSpec(inputs: graph.inputNames,
                                    nodes: try graph.nodes.map { GraphSpec.Node(name: $0.name, layer: try LayerSpec(describing: $0.layer), inputs: $0.inputs) },
                                    outputs: graph.outputNames))
        case let embedding as Embedding<Scalar>:
            self = .embedding(vocabulary: embedding.vocabularySize, width: embedding.width)
        case let positions as PositionalEmbedding<Scalar>:
            self = .positionalEmbedding(maxLength: positions.maxLength, width: positions.width)
        case let positions as SinusoidalPositionalEncoding<Scalar>:
            self = .sinusoidalPositionalEncoding(width: positions.width)
        case let norm as LayerNorm<Scalar>:
            self = .layerNorm(features: norm.features, epsilon: norm.epsilon, affine: norm.weight != nil)
        case let norm as RMSNorm<Scalar>:
            self = .rmsNorm(features: norm.features, epsilon: norm.epsilon, affine: norm.weight != nil)
        case let attention as MultiheadAttention<Scalar>:
            self = .multiheadAttention(width: attention.width, heads: attention.headCount, causal: attention.isCausal,
                                       bias: attention.inputProjectionBias != nil)
        case let block as TransformerBlock<Scalar>:
            guard block.attention.inputProjectionBias != nil else {
                throw UnsupportedLayerError(layerType: "\(type(of: layer))", reason: "a transformer block without attention biases has no architecture entry")
            }
            self = .transformerBlock(width: block.width, heads: block.attention.headCount, feedForward: block.feedForwardWidth,
                                     dropout: block.dropoutRate, causal: block.attention.isCausal)
        case let lstm as LSTM<Scalar>:
            self = .recurrent(.lstm, inputs: lstm.inputSize, hidden: lstm.hiddenSize, layers: lstm.layerCount, bias: lstm.usesBias)
        case let gru as GRU<Scalar>:
            self = .recurrent(.gru, inputs: gru.inputSize, hidden: gru.hiddenSize, layers: gru.layerCount, bias: gru.usesBias)
        case let custom as any SerializableLayer<Scalar>:
            self = try Self.describe(custom)
        default:
            throw UnsupportedLayerError(layerType: "\(type(of: layer))")
        }
    }

    /// A registered custom layer: its type name and its configuration as JSON.
    private static func describe<L: SerializableLayer>(_ layer: L) throws -> LayerSpec {
        guard LayerRegistry.contains(L.typeName) else {
            throw UnsupportedLayerError(layerType: "\(L.self)", reason: "its type name '\(L.typeName)' is not registered (LayerRegistry.register)")
        }
        do { return .custom(type: L.typeName, configuration: try JSONValue(encoding: layer.configuration)) } catch {
            throw UnsupportedLayerError(layerType: "\(L.self)", reason: "its configuration does not encode as JSON: \(error)")
        }
    }

    /// A new layer with this architecture; parameters are zero until a state is loaded into them
    /// (a registered custom layer's are what its initialiser makes).
    /// - Throws: ``LayerRegistryError`` for a custom layer type not registered for `Scalar`, or the
    ///   custom layer's own error for a configuration it refuses.
    public func makeLayer<Scalar: TensorScalar>(as type: Scalar.Type = Scalar.self) throws -> any Layer<Scalar> {
        var generator = RandomGenerator(seed: 0)
        return try build(as: Scalar.self, fresh: false, generator: &generator)
    }

    /// A new layer with this architecture and freshly initialised parameters (PyTorch's default
    /// initialisation for dense and convolution layers; BatchNorm starts at γ = 1, β = 0), for training
    /// an architecture read from JSON. Every size must be known (see ``resolved(for:)``).
    /// - Throws: as ``makeLayer(as:)``.
    public func makeLayer<Scalar: TensorScalar>(as type: Scalar.Type = Scalar.self, generator: inout RandomGenerator) throws -> any Layer<Scalar> {
        try build(as: Scalar.self, fresh: true, generator: &generator)
    }

    /// The layer, its parameters drawn from `generator` when `fresh`, else zero.
    private func build<Scalar: TensorScalar>(as: Scalar.Type, fresh: Bool, generator: inout RandomGenerator) throws -> any Layer<Scalar> {
        switch self {
        case .dense(let inputs, let outputs, let bias, let activation):
            if fresh { return Dense<Scalar>(inputSize: inputs, outputSize: outputs, activation: activation, useBias: bias, generator: &generator) }
            return Dense<Scalar>(weight: Tensor(zeros: [outputs, inputs]), bias: bias ? Tensor(zeros: [outputs]) : nil, activation: activation)
        case .conv2d(let inputs, let outputs, let kernel, let stride, let padding, let dilation, let bias):
            if fresh {
                return Conv2D<Scalar>(inputChannels: inputs, outputChannels: outputs, kernelSize: kernel, stride: stride, padding: padding,
                                      dilation: dilation, useBias: bias, generator: &generator)
            }
            return Conv2D<Scalar>(weight: Tensor(zeros: [outputs, inputs, kernel.y, kernel.x]), bias: bias ? Tensor(zeros: [outputs]) : nil,
                                  stride: stride, padding: padding, dilation: dilation)
        case .activation(let function): return Activation<Scalar>(function)
        case .dropout(let rate): return fresh ? Dropout<Scalar>(rate: rate, seed: generator.nextUInt32()) : Dropout<Scalar>(rate: rate)
        case .flatten: return Flatten<Scalar>()
        case .pool2d(.max, let kernel, let stride, let padding): return MaxPool2D<Scalar>(kernelSize: kernel, stride: stride, padding: padding)
        case .pool2d(.average, let kernel, let stride, let padding): return AvgPool2D<Scalar>(kernelSize: kernel, stride: stride, padding: padding)
        case .globalAveragePool: return GlobalAveragePool<Scalar>()
        case .batchNorm(let features, let momentum, let epsilon, let affine):
            return BatchNorm<Scalar>(features: features, momentum: momentum, epsilon: epsilon, affine: affine)
        case .reshape(let shape): return Reshape<Scalar>(shape)
        case .sequential(let layers):
            var built: [any Layer<Scalar>] = []
            for layer in layers { built.append(try layer.build(as: Scalar.self, fresh: fresh, generator: &generator)) }
            return Sequential<Scalar>(built)
        case .identity: return Identity<Scalar>()
        case .add: return Add<Scalar>()
        case .concatenate(let axis): return Concatenate<Scalar>(axis: axis)
        case .residual(let block, let shortcut):
            let body = try block.build(as: Scalar.self, fresh: fresh, generator: &generator)
            return Residual<Scalar>(body, shortcut: try shortcut?.build(as: Scalar.self, fresh: fresh, generator: &generator))
        case .graph(let graph):
            var nodes: [Graph<Scalar>.Node] = []
            for node in graph.nodes {
                nodes.append(.init(node.name, try node.layer.build(as: Scalar.self, fresh: fresh, generator: &generator), inputs: node.inputs))
            }
            return try Graph<Scalar>(inputs: graph.inputs, nodes: nodes, outputs: graph.outputs)
        case .custom(let type, let configuration):
            return try LayerRegistry.makeLayer(type, configuration: configuration, as: Scalar.self, generator: &generator)
        // Sequence layers are always built initialised (a loaded state then replaces the values).
        case .embedding(let vocabulary, let width):
            return Embedding<Scalar>(vocabularySize: vocabulary, width: width, generator: &generator)
        case .positionalEmbedding(let maxLength, let width):
            return PositionalEmbedding<Scalar>(maxLength: maxLength, width: width, generator: &generator)
        case .sinusoidalPositionalEncoding(let width):
            return SinusoidalPositionalEncoding<Scalar>(width: width)
        case .layerNorm(let features, let epsilon, let affine):
            return LayerNorm<Scalar>(features: features, epsilon: epsilon, affine: affine)
        case .rmsNorm(let features, let epsilon, let affine):
            return RMSNorm<Scalar>(features: features, epsilon: epsilon, affine: affine)
        case .multiheadAttention(let width, let heads, let causal, let bias):
            return MultiheadAttention<Scalar>(width: width, headCount: heads, causal: causal, useBias: bias, generator: &generator)
        case .transformerBlock(let width, let heads, let feedForward, let dropout, let causal):
            return TransformerBlock<Scalar>(width: width, headCount: heads, feedForwardWidth: feedForward == 0 ? 4 * width : feedForward,
                                            dropout: dropout, causal: causal, generator: &generator)
        case .recurrent(.lstm, let inputs, let hidden, let layers, let bias):
            return LSTM<Scalar>(inputSize: inputs, hiddenSize: hidden, layerCount: layers, useBias: bias, generator: &generator)
        case .recurrent(.gru, let inputs, let hidden, let layers, let bias):
            return GRU<Scalar>(inputSize: inputs, hiddenSize: hidden, layerCount: layers, useBias: bias, generator: &generator)
        }
    }

    /// Checks sizes a hostile or corrupted file could get wrong, before anything is allocated.
    /// With `allowingInferredSizes`, input sizes may be 0 (left out of a hand-written spec, taken from the data later).
    public func validate(maximumParameters: Int, allowingInferredSizes: Bool = false) throws {
        let least = allowingInferredSizes ? 0 : 1
        switch self {
        case .dense(let inputs, let outputs, _, _):
            guard inputs >= least, outputs >= least, let weights = [inputs, outputs].checkedProduct(), weights <= maximumParameters else {
                throw invalid("dense layer \(inputs) → \(outputs) is not a valid size for this file")
            }
        case .dropout(let rate):
            guard rate >= 0 && rate < 1 else {
                throw invalid("dropout rate \(rate) is outside [0, 1)")
            }
        case .conv2d(let inputs, let outputs, let kernel, let stride, let padding, let dilation, _):
            guard inputs >= least, outputs > 0, kernel.y > 0, kernel.x > 0,
                  let size = [outputs, inputs, kernel.y, kernel.x].checkedProduct(), size <= maximumParameters else {
                throw invalid("conv2d layer \(inputs) → \(outputs) with a \(kernel.y)×\(kernel.x) kernel is not a valid size for this file")
            }
            guard stride.y > 0, stride.x > 0, dilation.y > 0, dilation.x > 0, padding.y >= 0, padding.x >= 0,
                  [kernel.y, kernel.x, stride.y, stride.x, dilation.y, dilation.x, padding.y, padding.x].allSatisfy({ $0 <= 1 << 20 }) else {
                throw invalid("conv2d layer needs a kernel, stride and dilation in 1...1048576 and padding in 0...1048576")
            }
        case .pool2d(_, let kernel, let stride, let padding):
            guard kernel.y > 0, kernel.x > 0, stride.y > 0, stride.x > 0, padding.y >= 0, padding.x >= 0,
                  [kernel.y, kernel.x, stride.y, stride.x, padding.y, padding.x].allSatisfy({ $0 <= 1 << 20 }),
                  2 * padding.y <= kernel.y, 2 * padding.x <= kernel.x else {
                throw invalid("pooling layer needs a positive window and stride, and padding at most half the window")
            }
        case .batchNorm(let features, let momentum, let epsilon, _):
            guard features >= least, features <= maximumParameters, momentum >= 0, momentum <= 1, epsilon > 0, epsilon.isFinite else {
                throw invalid("batchnorm layer needs a positive size, momentum in [0, 1] and a positive epsilon")
            }
        case .reshape(let shape):
            guard !shape.isEmpty, shape.count <= 8, shape.allSatisfy({ $0 > 0 }), shape.checkedProduct() != nil else {
                throw invalid("reshape layer needs 1 to 8 positive sizes, got \(shape)")
            }
        case .sequential(let layers):
            try layers.forEach { try $0.validate(maximumParameters: maximumParameters, allowingInferredSizes: allowingInferredSizes) }
        case .concatenate(let axis):
            guard (1...8).contains(axis) || (-8 ... -1).contains(axis) else {
                throw invalid("concat needs an axis in 1...8 or -8...-1 (0 is the batch axis), got \(axis)")
            }
        case .residual(let block, let shortcut):
            try block.validate(maximumParameters: maximumParameters, allowingInferredSizes: allowingInferredSizes)
            try shortcut?.validate(maximumParameters: maximumParameters, allowingInferredSizes: allowingInferredSizes)
        case .graph(let graph):
            do { _ = try graph.order() } catch { throw invalid("graph: \(error.description)") }
            guard graph.inputs.count == 1, graph.outputs.count == 1 else {
                throw invalid("a graph in an architecture takes one input and gives one output, this one has \(graph.inputs.count) and \(graph.outputs.count)")
            }
            for node in graph.nodes {
                do { try node.layer.validate(maximumParameters: maximumParameters, allowingInferredSizes: allowingInferredSizes) } catch let DecodingError.dataCorrupted(context) {
                    throw invalid("node '\(node.name)': \(context.debugDescription)")
                }
            }
        case .custom(let type, let configuration):
            do { try LayerRegistry.check(type, configuration: configuration) } catch {
                throw invalid("layer '\(Excerpt.of(type))': \(error)")
            }
        case .activation, .flatten, .globalAveragePool, .identity, .add: break
        case .embedding, .positionalEmbedding, .sinusoidalPositionalEncoding, .layerNorm, .rmsNorm, .multiheadAttention,
             .transformerBlock, .recurrent:
            if let problem = sequenceLayerProblem(maximumParameters: maximumParameters, least: least) { throw invalid(problem) }
        }
    }

    /// A decoding error for a size a file cannot hold.
    private func invalid(_ message: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: message))
    }
}

/// A layer the architecture format cannot describe (a custom ``Layer`` class), so a model holding
/// it cannot be saved.
public struct UnsupportedLayerError: Error, Equatable, CustomStringConvertible {
    /// The layer's type, as Swift prints it.
    public var layerType: String
    /// Why it cannot be described, when known.
    public var reason: String?

    /// An error for a layer of `layerType`.
    public init(layerType: String, reason: String? = nil) {
        self.layerType = layerType
        self.reason = reason
    }

    /// What cannot be described, and what can.
    public var description: String {
        if let reason { return "cannot describe a layer of type \(layerType) in a model file: \(reason)" }
        return "cannot describe a layer of type \(layerType) in a model file (the built-in layers, Sequential, Residual, Graph, and custom layers conforming to SerializableLayer and registered with LayerRegistry.register can be saved)"
    }
}
