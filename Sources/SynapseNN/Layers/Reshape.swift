import SynapseCore
/// Reshapes each example: `[N, d₁, …] → [N] + shape` (a view, no copy). Puts flat rows back into
/// images for a convolution, e.g. `Reshape([1, 28, 28])` on MNIST's 784 pixels (PyTorch's
/// `nn.Unflatten(1, (1, 28, 28))`, Keras's `Reshape`).
public final class Reshape<Scalar: TensorScalar>: Layer {
    /// The shape of one example after the layer.
    public let shape: [Int]
    /// Ignored.
    public var isTraining = true

    /// A layer giving each example the shape `shape` (its element count must match the input's).
    public init(_ shape: [Int]) {
        precondition(!shape.isEmpty && shape.allSatisfy { $0 > 0 }, "Reshape needs positive sizes, got \(shape)")
        self.shape = shape
    }

    /// `x.reshaped([N] + shape)`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let size = shape.reduce(1, *)
        precondition(x.rank >= 1 && (x.shape[0] == 0 || x.count / x.shape[0] == size),
                     "Reshape to [N, \(shape.map(String.init).joined(separator: ", "))] expected \(size) values per example, got input \(x.shape)")
        return x.reshaped([x.shape[0]] + shape)
    }
}
