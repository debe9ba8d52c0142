import SynapseCore
/// A fully connected layer (PyTorch's `nn.Linear`, Keras's `Dense`): `y = act(x · Wᵀ + b)`.
///
/// `weight` has PyTorch's layout `[outputSize, inputSize]` and `bias` is `[outputSize]`, so a
/// model file's `0.weight` / `0.bias` load straight into `torch.nn.Linear`. (The tutorial's port
/// keeps the tutorial's `[in, out]` layout instead.)
public final class Dense<Scalar: TensorScalar>: Layer {
    /// `[outputSize, inputSize]`, requiring gradients.
    public let weight: Tensor<Scalar>
    /// `[outputSize]`, or nil for a layer without bias.
    public let bias: Tensor<Scalar>?
    /// Applied after the affine map (`.identity` for none).
    public let activation: ActivationFunction
    /// Ignored (a dense layer behaves the same in training and evaluation).
    public var isTraining = true

    /// The number of input features.
    public var inputSize: Int { weight.shape[1] }
    /// The number of outputs.
    public var outputSize: Int { weight.shape[0] }

    /// A layer with freshly initialised parameters drawn from `generator`.
    ///
    /// - Parameters:
    ///   - weightInitializer: defaults to PyTorch's `nn.Linear` default, U(±1/√inputSize).
    ///   - biasInitializer: defaults to PyTorch's default too; pass `.zeros` for Keras's.
    public init(inputSize: Int, outputSize: Int, activation: ActivationFunction = .identity, useBias: Bool = true,
                weightInitializer: Initializer = .pytorchDefault, biasInitializer: Initializer = .pytorchDefault,
                generator: inout RandomGenerator) {
        precondition(inputSize > 0 && outputSize > 0, "Dense needs positive sizes, got \(inputSize) → \(outputSize)")
        weight = weightInitializer.makeTensor([outputSize, inputSize], fanIn: inputSize, fanOut: outputSize, generator: &generator)
        bias = useBias ? biasInitializer.makeTensor([outputSize], fanIn: inputSize, fanOut: outputSize, generator: &generator) : nil
        self.activation = activation
    }

    /// A layer with the given parameters (`weight` `[out, in]`, `bias` `[out]`), e.g. loaded from a file.
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, activation: ActivationFunction = .identity) {
        precondition(weight.rank == 2, "Dense weight must be [out, in], got \(weight.shape)")
        precondition(bias == nil || bias!.shape == [weight.shape[0]], "Dense bias must be [\(weight.shape[0])], got \(bias!.shape)")
        weight.requiresGrad = true
        bias?.requiresGrad = true
        self.weight = weight
        self.bias = bias
        self.activation = activation
    }

    /// `act(x · Wᵀ + b)` for `x` of shape `[batch, inputSize]`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(x.rank >= 2 && x.shape[x.rank - 1] == inputSize,
                     "Dense(\(inputSize) → \(outputSize)) expected input [N, …, \(inputSize)], got \(x.shape)")
        return activation(linear(x, weight: weight, bias: bias))
    }
}
