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
        default:
            throw UnsupportedLayerError(layerType: "\(type(of: layer))")
        }
    }

    /// A new layer with this architecture; parameters are zero until a state is loaded into them.
    public func makeLayer<Scalar: TensorScalar>(as type: Scalar.Type = Scalar.self) -> any Layer<Scalar> {
        switch self {
        case .dense(let inputs, let outputs, let bias, let activation):
            return Dense<Scalar>(weight: Tensor(zeros: [outputs, inputs]), bias: bias ? Tensor(zeros: [outputs]) : nil, activation: activation)
        case .activation(let function): return Activation<Scalar>(function)
        case .dropout(let rate): return Dropout<Scalar>(rate: rate)
        case .flatten: return Flatten<Scalar>()
        case .conv2d(let inputs, let outputs, let kernel, let stride, let padding, let dilation, let bias):
            return Conv2D<Scalar>(weight: Tensor(zeros: [outputs, inputs, kernel.y, kernel.x]), bias: bias ? Tensor(zeros: [outputs]) : nil,
                                  stride: stride, padding: padding, dilation: dilation)
        case .pool2d(.max, let kernel, let stride, let padding): return MaxPool2D<Scalar>(kernelSize: kernel, stride: stride, padding: padding)
        case .pool2d(.average, let kernel, let stride, let padding): return AvgPool2D<Scalar>(kernelSize: kernel, stride: stride, padding: padding)
        case .globalAveragePool: return GlobalAveragePool<Scalar>()
        case .batchNorm(let features, let momentum, let epsilon, let affine):
            return BatchNorm<Scalar>(features: features, momentum: momentum, epsilon: epsilon, affine: affine)
        case .reshape(let shape): return Reshape<Scalar>(shape)
        case .sequential(let layers): return Sequential<Scalar>(layers.map { $0.makeLayer(as: Scalar.self) })
        }
    }

    /// A new layer with this architecture and freshly initialised parameters (PyTorch's default
    /// initialisation for dense and convolution layers; BatchNorm starts at γ = 1, β = 0), for training
    /// an architecture read from JSON. Every size must be known (see ``resolved(for:)``).
    public func makeLayer<Scalar: TensorScalar>(as type: Scalar.Type = Scalar.self, generator: inout RandomGenerator) -> any Layer<Scalar> {
        switch self {
        case .dense(let inputs, let outputs, let bias, let activation):
            return Dense<Scalar>(inputSize: inputs, outputSize: outputs, activation: activation, useBias: bias, generator: &generator)
        case .conv2d(let inputs, let outputs, let kernel, let stride, let padding, let dilation, let bias):
            return Conv2D<Scalar>(inputChannels: inputs, outputChannels: outputs, kernelSize: kernel, stride: stride, padding: padding,
                                  dilation: dilation, useBias: bias, generator: &generator)
        case .dropout(let rate):
            return Dropout<Scalar>(rate: rate, seed: generator.nextUInt32())
        case .sequential(let layers):
            return Sequential<Scalar>(layers.map { $0.makeLayer(as: Scalar.self, generator: &generator) })
        default:
            return makeLayer(as: Scalar.self)
        }
    }

    /// Checks sizes a hostile or corrupted file could get wrong, before anything is allocated.
    /// With `allowingInferredSizes`, input sizes may be 0 (left out of a hand-written spec, taken from the data later).
    public func validate(maximumParameters: Int, allowingInferredSizes: Bool = false) throws {
        let least = allowingInferredSizes ? 0 : 1
        switch self {
        case .dense(let inputs, let outputs, _, _):
            guard inputs >= least, outputs > 0, let weights = [inputs, outputs].checkedProduct(), weights <= maximumParameters else {
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
        case .activation, .flatten, .globalAveragePool: break
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
    /// What cannot be described, and what can.
    public var description: String {
        "cannot describe a layer of type \(layerType) in a model file (Sequential, Dense, Conv2D, MaxPool2D, AvgPool2D, GlobalAveragePool, BatchNorm, Activation, Dropout, Flatten and Reshape can be saved)"
    }
}
