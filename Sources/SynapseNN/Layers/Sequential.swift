import SynapseCore
/// Layers applied one after another (PyTorch's `nn.Sequential`, Keras's `Sequential`).
///
/// Children are named by position, so parameters are `0.weight`, `0.bias`, `2.weight`, … exactly
/// as in the equivalent `torch.nn.Sequential`.
///
/// ```swift
/// var rng = RandomGenerator(seed: 42)
/// let model = Sequential<Float>([
///     Dense(inputSize: 784, outputSize: 128, generator: &rng), Activation(.relu),
///     Dense(inputSize: 128, outputSize: 10, generator: &rng),
/// ])
/// ```
public final class Sequential<Scalar: TensorScalar>: Layer {
    /// The layers, in order.
    public private(set) var layers: [any Layer<Scalar>]
    /// Training or evaluation mode (use ``Layer/train(_:)`` / ``Layer/eval()`` to set it recursively).
    public var isTraining = true

    /// A container applying `layers` in order.
    public init(_ layers: [any Layer<Scalar>]) {
        self.layers = layers
    }

    /// Appends a layer.
    public func append(_ layer: any Layer<Scalar>) {
        layers.append(layer)
    }

    /// Each layer applied to the previous one's output. An embedding followed by a layer that can take
    /// token ids through it (``EmbeddingConsumer``, e.g. an LSTM) hands both to the latter, which
    /// computes the same result with less work.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        var (y, i) = (x, 0)
        while i < layers.count {
            if i + 1 < layers.count, let table = layers[i] as? Embedding<Scalar>, let next = layers[i + 1] as? any EmbeddingConsumer<Scalar> {
                y = next.callAsFunction(tokens: y, embeddedBy: table)
                i += 2
            } else {
                y = layers[i](y)
                i += 1
            }
        }
        return y
    }

    /// Children named `0`, `1`, … as in PyTorch.
    public var namedChildren: [(name: String, layer: any Layer<Scalar>)] {
        layers.enumerated().map { ("\($0.offset)", $0.element) }
    }

    /// One line per layer with its parameter count, and the total.
    public var summary: String {
        var lines = ["Sequential("]
        for (i, layer) in layers.enumerated() {
            lines.append("  (\(i)) \(layer.summary)   \(layer.parameterCount) parameters")
        }
        lines.append(") \(parameterCount) parameters")
        return lines.joined(separator: "\n")
    }
}

extension Sequential {
    /// A multilayer perceptron: a ``Dense`` layer between each pair of consecutive `sizes` (input,
    /// hidden…, output), each but the last followed by `activation` — what `synapse train --layers`
    /// builds (`sizes` `[4, 16, 3]`: `Dense(4 → 16)`, `activation`, `Dense(16 → 3)`). Weights are
    /// drawn from `generator` layer by layer, in order.
    /// - Precondition: at least two sizes, all positive.
    public static func mlp(sizes: [Int], activation: ActivationFunction = .relu,
                           generator: inout RandomGenerator) -> Sequential<Scalar> {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "an MLP needs an input and an output size, all positive: \(sizes)")
        var layers: [any Layer<Scalar>] = []
        for (index, (inputs, outputs)) in zip(sizes, sizes.dropFirst()).enumerated() {
            layers.append(Dense(inputSize: inputs, outputSize: outputs, generator: &generator))
            if index < sizes.count - 2 { layers.append(Activation(activation)) }
        }
        return Sequential(layers)
    }
}
