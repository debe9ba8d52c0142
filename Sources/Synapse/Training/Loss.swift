/// A loss function as a value, for `fit` and for model files: it knows how to compare a network's
/// outputs with a dataset's targets (class indices or values) and which outputs it expects.
public enum Loss: String, Sendable, Equatable, Codable, CaseIterable {
    /// Mean squared error (regression).
    case meanSquaredError = "mse"
    /// Mean absolute error, L1 (regression).
    case meanAbsoluteError = "mae"
    /// Huber loss with δ = 1 (regression, robust to outliers).
    case huber
    /// Binary cross-entropy on probabilities (a sigmoid output, targets 0/1).
    case binaryCrossEntropy = "bce"
    /// Binary cross-entropy on logits (no final sigmoid; numerically stable).
    case binaryCrossEntropyWithLogits = "bce_logits"
    /// Softmax cross-entropy on logits with class-index targets (classification).
    case softmaxCrossEntropy = "cross_entropy"
    /// Negative log-likelihood of log-probabilities (a log-softmax output) with class-index targets.
    case negativeLogLikelihood = "nll"

    /// Whether the targets are class indices (`[N]`) rather than values shaped like the outputs.
    public var usesClassIndices: Bool { self == .softmaxCrossEntropy || self == .negativeLogLikelihood }

    /// The mean loss of `outputs` against `targets` (class indices `[N]`, or values reshaped to the outputs' shape).
    public func callAsFunction<Scalar: TensorScalar>(_ outputs: Tensor<Scalar>, _ targets: Tensor<Scalar>) -> Tensor<Scalar> {
        if usesClassIndices {
            let labels = targets.integerScalars
            return self == .softmaxCrossEntropy ? Synapse.softmaxCrossEntropy(logits: outputs, labels: labels)
                                                : Synapse.negativeLogLikelihood(logProbabilities: outputs, labels: labels)
        }
        precondition(targets.count == outputs.count, "\(rawValue) loss: targets \(targets.shape) do not match outputs \(outputs.shape)")
        let y = targets.shape == outputs.shape ? targets : targets.reshaped(outputs.shape)
        switch self {
        case .meanSquaredError: return Synapse.meanSquaredError(outputs, y)
        case .meanAbsoluteError: return Synapse.meanAbsoluteError(outputs, y)
        case .huber: return Synapse.huberLoss(outputs, y, delta: 1)
        case .binaryCrossEntropy: return Synapse.binaryCrossEntropy(outputs, y)
        case .binaryCrossEntropyWithLogits: return Synapse.binaryCrossEntropyWithLogits(outputs, y)
        case .softmaxCrossEntropy, .negativeLogLikelihood: preconditionFailure("handled above")
        }
    }
}
