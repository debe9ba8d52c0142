import SynapseCore
/// Passes its input through unchanged (PyTorch's `nn.Identity`): the shortcut of a residual block
/// that keeps its shape, or a named pass-through node of a ``Graph``.
public final class Identity<Scalar: TensorScalar>: Layer {
    /// Ignored.
    public var isTraining = true

    /// An identity layer.
    public init() {}

    /// `x` itself (its gradient flows straight back: ∂y/∂x = I).
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x }
}
