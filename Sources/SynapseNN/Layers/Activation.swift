import SynapseCore
/// A layer that applies an activation function (Keras's `Activation('relu')`, PyTorch's `nn.ReLU()`).
public final class Activation<Scalar: TensorScalar>: Layer {
    /// The function applied.
    public let function: ActivationFunction
    /// Ignored (activations behave the same in training and evaluation).
    public var isTraining = true

    /// A layer applying `function`.
    public init(_ function: ActivationFunction) {
        self.function = function
    }

    /// `function(x)`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { function(x) }
}
