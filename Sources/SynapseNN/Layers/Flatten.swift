import SynapseCore
/// Flattens every dimension after the first: `[N, d₁, d₂, …] → [N, d₁·d₂·…]` (a view, no copy).
public final class Flatten<Scalar: TensorScalar>: Layer {
    /// Ignored.
    public var isTraining = true

    /// A flatten layer.
    public init() {}

    /// `x.reshaped([N, -1])`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(x.rank >= 1, "Flatten needs a batch dimension, got a scalar")
        return x.reshaped([x.shape[0], x.shape[0] == 0 ? 0 : x.count / x.shape[0]])
    }
}
