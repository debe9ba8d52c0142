import SynapseCore
/// Batch normalisation over the channel axis of `[N, C]` (PyTorch's `nn.BatchNorm1d`) or
/// `[N, C, H, W]` inputs (`nn.BatchNorm2d`); see ``batchNorm(_:weight:bias:runningMean:runningVariance:training:momentum:epsilon:)``.
///
/// In training mode it normalises with the batch's statistics and updates the running mean and
/// variance; in evaluation mode (``Layer/eval()``) it uses the running statistics. Parameters
/// `weight` (γ) and `bias` (β) and buffers `running_mean` and `running_var` are named as in PyTorch,
/// so a model file loads into `nn.BatchNorm1d/2d` (PyTorch fills in its `num_batches_tracked`).
public final class BatchNorm<Scalar: TensorScalar>: Layer {
    /// γ, one per channel (starts at 1), or nil without the affine part.
    public let weight: Tensor<Scalar>?
    /// β, one per channel (starts at 0), or nil.
    public let bias: Tensor<Scalar>?
    /// The running mean per channel (starts at 0).
    public let runningMean: Tensor<Scalar>
    /// The running (unbiased) variance per channel (starts at 1).
    public let runningVariance: Tensor<Scalar>
    /// The weight of a new batch in the running statistics (PyTorch's convention: 0.1; Keras's 0.99 is 1 − this).
    public let momentum: Double
    /// Added to the variance before the square root.
    public let epsilon: Double
    /// Batch statistics (true) or running statistics (false).
    public var isTraining = true

    /// The number of channels normalised.
    public var features: Int { runningMean.count }

    /// A batch-normalisation layer over `features` channels.
    public init(features: Int, momentum: Double = 0.1, epsilon: Double = 1e-5, affine: Bool = true) {
        precondition(features > 0, "BatchNorm needs at least one channel")
        precondition(momentum >= 0 && momentum <= 1 && epsilon > 0, "BatchNorm needs momentum in [0, 1] and a positive epsilon")
        weight = affine ? Tensor(repeating: 1, shape: [features]) : nil
        bias = affine ? Tensor(zeros: [features]) : nil
        weight?.requiresGrad = true
        bias?.requiresGrad = true
        runningMean = Tensor(zeros: [features])
        runningVariance = Tensor(repeating: 1, shape: [features])
        self.momentum = momentum
        self.epsilon = epsilon
    }

    /// Normalises `x` with batch statistics (training) or running statistics (evaluation).
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition((x.rank == 2 || x.rank == 4) && x.shape[1] == features,
                     "BatchNorm expected input [N, \(features)] or [N, \(features), H, W], got \(x.shape)")
        return batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                         training: isTraining, momentum: momentum, epsilon: epsilon)
    }

    /// `running_mean` and `running_var`, saved with the model.
    public var namedBuffers: [(name: String, tensor: Tensor<Scalar>)] {
        [("running_mean", runningMean), ("running_var", runningVariance)]
    }
}
