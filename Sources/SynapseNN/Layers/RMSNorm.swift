import SynapseCore
/// Root-mean-square normalisation over the last axis (PyTorch's `nn.RMSNorm(C)`): each row of C
/// values is divided by its root mean square, then scaled by `weight` (γ, starts at 1). The same
/// in training and evaluation.
public final class RMSNorm<Scalar: TensorScalar>: Layer {
    /// γ, `[C]`, or nil without the affine part.
    public let weight: Tensor<Scalar>?
    /// The number of values per row.
    public let features: Int
    /// Added to the mean square; nil means PyTorch's default, the machine epsilon of `Scalar`
    /// (`torch.finfo(dtype).eps`).
    public let epsilon: Double?
    /// Ignored.
    public var isTraining = true

    /// An RMS norm over `features` values (`nn.RMSNorm(features, eps=epsilon,
    /// elementwise_affine=affine)`).
    public init(features: Int, epsilon: Double? = nil, affine: Bool = true) {
        precondition(features > 0, "RMSNorm needs a positive size")
        precondition(epsilon.map { $0 >= 0 } ?? true, "RMSNorm's epsilon cannot be negative")
        self.features = features
        self.epsilon = epsilon
        weight = affine ? Tensor(ones: [features], requiresGrad: true) : nil
    }

    /// `rmsNorm(x, weight, epsilon)` over the last axis: `[…, C] → […, C]`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        rmsNorm(x, weight: weight, epsilon: epsilon)
    }
}
