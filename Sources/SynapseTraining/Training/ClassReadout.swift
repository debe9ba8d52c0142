import SynapseCore
import SynapseNN
import Foundation

/// How a classifier's outputs read as class probabilities and classes, by the loss it was trained
/// with — the one rule `Model.predictClasses`, `Model.evaluate` and `synapse predict` share:
///
/// | loss | outputs `[N, k]` | probability of class j | class |
/// |---|---|---|---|
/// | `cross_entropy` | logits | softmax: e^{x_j − m} / Σ e^{x_i − m} | arg-max of the outputs |
/// | `nll` | log-probabilities | e^{x_j} | arg-max of the outputs |
/// | `bce_logits` | one logit x | [1 − σ(x), σ(x)] | 1 when x > 0 |
/// | `bce` | one probability p | [1 − p, p] | 1 when p > 0.5 |
///
/// The class is always the arg-max of the probabilities (the first on a tie), computed without them.
extension Loss {
    /// Per-row class probabilities from network `outputs` of shape `[N, k]` (`[N, 1]` for the binary losses).
    public func probabilities<Scalar: TensorScalar>(fromOutputs outputs: Tensor<Scalar>) -> [[Double]] {
        let rows = outputs.shape.first ?? 0, columns = outputs.count / Swift.max(rows, 1)
        let values = outputs.doubleScalars
        return (0..<rows).map { r in
            let row = values[(r * columns)..<((r + 1) * columns)]
            switch self {
            case .binaryCrossEntropy: return [1 - row[row.startIndex], row[row.startIndex]]
            case .binaryCrossEntropyWithLogits:
                let p = 1 / (1 + exp(-row[row.startIndex]))
                return [1 - p, p]
            case .negativeLogLikelihood: return row.map { exp($0) }
            default:
                let m = row.max() ?? 0
                let e = row.map { exp($0 - m) }, s = e.reduce(0, +)
                return e.map { $0 / s }
            }
        }
    }

    /// The predicted class of each row of network `outputs` (see the table above).
    public func classes<Scalar: TensorScalar>(fromOutputs outputs: Tensor<Scalar>) -> [Int] {
        if outputs.rank == 2 && outputs.shape[1] == 1 {
            let threshold: Scalar = self == .binaryCrossEntropy ? 0.5 : 0
            return outputs.scalars.map { $0 > threshold ? 1 : 0 }
        }
        return outputs.argmax(axis: -1)
    }
}
