import SynapseCore
/// Layer normalisation over the last axis (PyTorch's `nn.LayerNorm(C)`): each row of C values is
/// normalised by its own mean and variance, then scaled by `weight` (γ, starts at 1) and shifted by
/// `bias` (β, starts at 0). The same in training and evaluation.
public final class LayerNorm<Scalar: TensorScalar>: Layer {
    /// γ, `[C]`, or nil without the affine part.
    public let weight: Tensor<Scalar>?
    /// β, `[C]`, or nil.
    public let bias: Tensor<Scalar>?
    /// The number of values per row.
    public let features: Int
    /// Added to the variance.
    public let epsilon: Double
    /// Ignored.
    public var isTraining = true

    /// A layer norm over `features` values (PyTorch's `elementwise_affine` is `affine`).
    public init(features: Int, epsilon: Double = 1e-5, affine: Bool = true) {
        precondition(features > 0, "LayerNorm needs a positive size")
        self.features = features
        self.epsilon = epsilon
        weight = affine ? Tensor(ones: [features], requiresGrad: true) : nil
        bias = affine ? Tensor(zeros: [features], requiresGrad: true) : nil
    }

    /// `layerNorm(x, weight, bias, epsilon)` over the last axis.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        layerNorm(x, weight: weight, bias: bias, epsilon: epsilon)
    }
}
