import SynapseCore
/// Max pooling over 2-D windows on NCHW inputs (PyTorch's `nn.MaxPool2d`): each output is the
/// largest value of its window; the gradient flows to that one input.
public final class MaxPool2D<Scalar: TensorScalar>: Layer {
    /// Window size.
    public let kernelSize: Pair2D
    /// Window steps (default: the window size).
    public let stride: Pair2D
    /// Padding on each side (padded positions never win).
    public let padding: Pair2D
    /// Training or evaluation mode (no effect).
    public var isTraining = true

    /// A max-pooling layer; `stride` defaults to the window size, as in PyTorch.
    public init(kernelSize: Pair2D, stride: Pair2D? = nil, padding: Pair2D = 0) {
        precondition(kernelSize.y > 0 && kernelSize.x > 0, "MaxPool2D needs a positive window, got \(kernelSize.y)×\(kernelSize.x)")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    /// `pool2d(x, .max, …)`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        pool2d(x, .max, kernel: kernelSize, stride: stride, padding: padding)
    }
}

/// Average pooling over 2-D windows on NCHW inputs (PyTorch's `nn.AvgPool2d`, padding counted as zeros).
public final class AvgPool2D<Scalar: TensorScalar>: Layer {
    /// Window size.
    public let kernelSize: Pair2D
    /// Window steps (default: the window size).
    public let stride: Pair2D
    /// Padding on each side.
    public let padding: Pair2D
    /// Training or evaluation mode (no effect).
    public var isTraining = true

    /// An average-pooling layer; `stride` defaults to the window size, as in PyTorch.
    public init(kernelSize: Pair2D, stride: Pair2D? = nil, padding: Pair2D = 0) {
        precondition(kernelSize.y > 0 && kernelSize.x > 0, "AvgPool2D needs a positive window, got \(kernelSize.y)×\(kernelSize.x)")
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    /// `pool2d(x, .average, …)`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        pool2d(x, .average, kernel: kernelSize, stride: stride, padding: padding)
    }
}

/// The mean of each channel over its height and width: `[N, C, H, W] → [N, C]` (Keras's
/// `GlobalAveragePooling2D`; PyTorch's `AdaptiveAvgPool2d(1)` followed by a flatten).
public final class GlobalAveragePool<Scalar: TensorScalar>: Layer {
    /// Training or evaluation mode (no effect).
    public var isTraining = true

    /// A global average pooling layer.
    public init() {}

    /// `x.reshaped([N, C, H·W]).mean(axis: 2)`; its gradient spreads `g / (H·W)` over each plane.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(x.rank == 4, "GlobalAveragePool expected input [N, C, H, W], got \(x.shape)")
        return x.reshaped([x.shape[0], x.shape[1], x.shape[2] * x.shape[3]]).mean(axis: 2)
    }
}
