import SynapseCore
import SynapseNN
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
            // Sequences ([N, T, classes] with targets [N, T]): every position is one example.
            if outputs.rank > 2 { return self(outputs.reshaped([-1, outputs.shape[outputs.rank - 1]]), targets.reshaped([-1])) }
            return self == .softmaxCrossEntropy ? SynapseCore.softmaxCrossEntropy(logits: outputs, labels: labels)
                                                : SynapseCore.negativeLogLikelihood(logProbabilities: outputs, labels: labels)
        }
        precondition(targets.count == outputs.count, "\(rawValue) loss: targets \(targets.shape) do not match outputs \(outputs.shape)")
        let y = targets.shape == outputs.shape ? targets : targets.reshaped(outputs.shape)
        switch self {
        case .meanSquaredError: return SynapseCore.meanSquaredError(outputs, y)
        case .meanAbsoluteError: return SynapseCore.meanAbsoluteError(outputs, y)
        case .huber: return SynapseCore.huberLoss(outputs, y, delta: 1)
        case .binaryCrossEntropy: return SynapseCore.binaryCrossEntropy(outputs, y)
        case .binaryCrossEntropyWithLogits: return SynapseCore.binaryCrossEntropyWithLogits(outputs, y)
        case .softmaxCrossEntropy, .negativeLogLikelihood: preconditionFailure("handled above")
        }
    }
}

/// A loss that does not fit a task (mean squared error on a classifier, say), or a task whose size is out of range.
public struct TaskMismatch: Error, Equatable, CustomStringConvertible {
    /// What does not fit, in words.
    public let description: String
}

extension Model {
    /// The number of outputs the network needs for `task` under `loss`: the classes (one logit for
    /// binary cross-entropy on 2 classes), or the regression outputs.
    /// - Throws: ``TaskMismatch`` when the loss is for the other kind of task, binary cross-entropy
    ///   is asked of more than 2 classes, or the task has fewer than 2 classes (or no outputs) or
    ///   more than ``ResourceLimits/classes`` classes.
    public static func outputSize(for task: Task, loss: Loss) throws(TaskMismatch) -> Int {
        switch task {
        case .classification(let classes):
            let limit = ResourceLimits.current.classes
            guard classes >= 2 else { throw TaskMismatch(description: "a classifier needs at least 2 classes, got \(classes)") }
            guard classes <= limit else {
                throw TaskMismatch(description: "\(classes) classes are more than the limit of \(limit) (SYNAPSE_MAX_CLASSES raises it)")
            }
            switch loss {
            case .meanSquaredError, .meanAbsoluteError, .huber:
                throw TaskMismatch(description: "loss '\(loss.rawValue)' is for regression; classification uses cross_entropy, nll, bce_logits or bce")
            case .binaryCrossEntropy, .binaryCrossEntropyWithLogits:
                guard classes == 2 else { throw TaskMismatch(description: "loss '\(loss.rawValue)' needs exactly 2 classes, the data has \(classes)") }
                return 1
            case .softmaxCrossEntropy, .negativeLogLikelihood:
                return classes
            }
        case .languageModel(let vocabulary):
            guard (1...256).contains(vocabulary) else { throw TaskMismatch(description: "a byte-level language model has 1 to 256 tokens, got \(vocabulary)") }
            guard loss == .softmaxCrossEntropy else {
                throw TaskMismatch(description: "loss '\(loss.rawValue)' does not fit a language model; it is trained with cross_entropy")
            }
            return vocabulary
        case .regression(let outputs):
            guard (1...(1 << 24)).contains(outputs) else { throw TaskMismatch(description: "a regression needs 1 to 16777216 outputs, got \(outputs)") }
            guard [.meanSquaredError, .meanAbsoluteError, .huber].contains(loss) else {
                throw TaskMismatch(description: "loss '\(loss.rawValue)' is for classification; regression uses mse, mae or huber")
            }
            return outputs
        }
    }
}
