import SynapseCore
/// A 2-D convolution layer on NCHW inputs (PyTorch's `nn.Conv2d`, groups = 1): `weight`
/// `[out, in, kh, kw]`, optional `bias` `[out]`, saved as `weight`/`bias` like PyTorch.
public final class Conv2D<Scalar: TensorScalar>: Layer {
    /// The kernels, `[outChannels, inChannels, kernelHeight, kernelWidth]`.
    public let weight: Tensor<Scalar>
    /// One bias per output channel, or nil.
    public let bias: Tensor<Scalar>?
    /// Window steps.
    public let stride: Pair2D
    /// Zeros added on each side.
    public let padding: Pair2D
    /// Spacing of window taps.
    public let dilation: Pair2D
    /// Training or evaluation mode (no effect on a convolution).
    public var isTraining = true

    /// Input channels.
    public var inputChannels: Int { weight.shape[1] }
    /// Output channels.
    public var outputChannels: Int { weight.shape[0] }
    /// Window size.
    public var kernelSize: Pair2D { Pair2D(weight.shape[2], weight.shape[3]) }

    /// A convolution with fresh parameters (PyTorch's default initialisation, U(±1/√(in·kh·kw))).
    /// `padding: nil` means "same": for stride 1, the output keeps the input's height and width
    /// (the kernel's reach must then be odd).
    public convenience init(inputChannels: Int, outputChannels: Int, kernelSize: Pair2D, stride: Pair2D = 1, padding: Pair2D? = 0,
                dilation: Pair2D = 1, useBias: Bool = true, weightInitializer: Initializer = .pytorchDefault,
                biasInitializer: Initializer = .pytorchDefault, generator: inout RandomGenerator) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize.y > 0 && kernelSize.x > 0,
                     "Conv2D needs positive channels and kernel size")
        let fanIn = inputChannels * kernelSize.y * kernelSize.x, fanOut = outputChannels * kernelSize.y * kernelSize.x
        let weight: Tensor<Scalar> = weightInitializer.makeTensor([outputChannels, inputChannels, kernelSize.y, kernelSize.x], fanIn: fanIn, fanOut: fanOut,
                                                  generator: &generator)
        let bias: Tensor<Scalar>? = useBias ? biasInitializer.makeTensor([outputChannels], fanIn: fanIn, fanOut: fanOut, generator: &generator) : nil
        self.init(weight: weight, bias: bias, stride: stride, padding: padding ?? Self.samePadding(kernelSize, dilation: dilation),
                  dilation: dilation)
    }

    /// A convolution with the given parameters (e.g. loaded from a file).
    public init(weight: Tensor<Scalar>, bias: Tensor<Scalar>?, stride: Pair2D = 1, padding: Pair2D = 0, dilation: Pair2D = 1) {
        precondition(weight.rank == 4, "Conv2D weight must be [out, in, kh, kw], got \(weight.shape)")
        precondition(bias == nil || bias!.shape == [weight.shape[0]], "Conv2D bias must be [\(weight.shape[0])], got \(bias!.shape)")
        weight.requiresGrad = true
        bias?.requiresGrad = true
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// The padding that keeps the spatial size at stride 1 (``Pair2D/samePadding(kernel:dilation:)``);
    /// the kernel's reach must be even.
    public static func samePadding(_ kernel: Pair2D, dilation: Pair2D) -> Pair2D {
        guard let padding = Pair2D.samePadding(kernel: kernel, dilation: dilation) else {
            preconditionFailure("'same' padding needs an odd kernel reach, got kernel \(kernel.y)×\(kernel.x) dilation \(dilation.y)×\(dilation.x)")
        }
        return padding
    }

    /// `conv2d(x, weight, bias)`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, dilation: dilation)
    }
}
