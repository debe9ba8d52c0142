import SynapseCore
/// A building block of a network, like PyTorch's `nn.Module`: a callable transformation of a tensor
/// that may own parameters (tensors with `requiresGrad`) and child layers.
///
/// Conform a class, store its parameters and sub-layers as properties, and implement
/// `callAsFunction(_:)`. Parameters and children are discovered by reflection — no hand-written
/// lists — and named the PyTorch way (`weight`, `0.bias`, `encoder.1.weight`).
///
/// ```swift
/// final class TwoLayer: Layer {
///     let hidden: Dense<Float>, output: Dense<Float>
///     var isTraining = true
///     init(generator: inout RandomGenerator) {
///         hidden = Dense(inputSize: 4, outputSize: 8, activation: .relu, generator: &generator)
///         output = Dense(inputSize: 8, outputSize: 3, generator: &generator)
///     }
///     func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { output(hidden(x)) }
/// }
/// ```
public protocol Layer<Scalar>: AnyObject {
    /// The scalar type of the layer's parameters and activations.
    associatedtype Scalar: TensorScalar

    /// The forward pass. Gradients are recorded when the parameters require them (they do,
    /// unless called inside `withoutGradients { }`).
    func callAsFunction(_ input: Tensor<Scalar>) -> Tensor<Scalar>

    /// Training mode (true: dropout active, …) or evaluation mode (false). Set it for a whole
    /// network with ``train(_:)`` or ``eval()``.
    var isTraining: Bool { get set }

    /// The direct sub-layers with their names. The default discovers stored properties that are
    /// layers or arrays of layers; containers such as ``Sequential`` name their children `0`, `1`, ….
    var namedChildren: [(name: String, layer: any Layer<Scalar>)] { get }

    /// This layer's own parameters (not its children's) with their names. The default discovers
    /// stored `Tensor` properties that require gradients.
    var namedOwnParameters: [(name: String, tensor: Tensor<Scalar>)] { get }

    /// Other state that is saved with the model but not trained (BatchNorm's running statistics).
    var namedBuffers: [(name: String, tensor: Tensor<Scalar>)] { get }

    /// A short description of the layer's configuration, e.g. `Dense(784 → 128, relu)`.
    var summary: String { get }
}

extension Layer {
    /// Discovers sub-layers among stored properties (and arrays of layers), by reflection.
    public var namedChildren: [(name: String, layer: any Layer<Scalar>)] {
        var result: [(name: String, layer: any Layer<Scalar>)] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror {
            for child in m.children {
                let name = child.label ?? "\(result.count)"
                if let layer = child.value as? any Layer<Scalar> {
                    result.append((name, layer))
                } else if let layers = child.value as? [any Layer<Scalar>] {
                    for (i, layer) in layers.enumerated() { result.append(("\(name).\(i)", layer)) }
                }
            }
            mirror = m.superclassMirror
        }
        return result
    }

    /// Discovers parameters among stored `Tensor` properties that require gradients, by reflection.
    public var namedOwnParameters: [(name: String, tensor: Tensor<Scalar>)] {
        var result: [(name: String, tensor: Tensor<Scalar>)] = []
        var mirror: Mirror? = Mirror(reflecting: self)
        while let m = mirror {
            for child in m.children {
                // (an optional property holding a tensor casts too: `as?` looks through Optional)
                if let tensor = child.value as? Tensor<Scalar>, tensor.requiresGrad, let label = child.label {
                    result.append((label, tensor))
                }
            }
            mirror = m.superclassMirror
        }
        return result
    }

    /// No buffers by default.
    public var namedBuffers: [(name: String, tensor: Tensor<Scalar>)] { [] }

    /// The architecture's summary of this layer (``LayerSpec/summary``, the one home of every layer
    /// kind's description); a custom layer the architecture cannot describe shows its type name.
    public var summary: String { (try? LayerSpec(describing: self))?.summary ?? "\(type(of: self))" }

    /// Every parameter of this layer and its descendants, with dotted PyTorch-style names
    /// (`0.weight`, `0.bias`, `2.weight`, …), in a stable order.
    public var namedParameters: [(name: String, tensor: Tensor<Scalar>)] {
        var result = namedOwnParameters
        for (childName, child) in namedChildren {
            result += child.namedParameters.map { ("\(childName).\($0.name)", $0.tensor) }
        }
        return result
    }

    /// Parameters and buffers together: everything a model file stores (PyTorch's `state_dict`).
    public var namedState: [(name: String, tensor: Tensor<Scalar>)] {
        var result = namedOwnParameters + namedBuffers
        for (childName, child) in namedChildren {
            result += child.namedState.map { ("\(childName).\($0.name)", $0.tensor) }
        }
        return result
    }

    /// Every trainable tensor, for an optimizer.
    public var parameters: [Tensor<Scalar>] { namedParameters.map(\.tensor) }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Clears the gradients of every parameter (before a new backward pass).
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }

    /// Sets training mode (or evaluation mode with `false`) on this layer and all its descendants.
    public func train(_ mode: Bool = true) {
        isTraining = mode
        for (_, child) in namedChildren { child.train(mode) }
    }

    /// Sets evaluation mode on this layer and all its descendants (PyTorch's `model.eval()`).
    public func eval() { train(false) }
}
