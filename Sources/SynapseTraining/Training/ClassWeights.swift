import SynapseCore
import SynapseNN

/// Weights per class for a classifier's loss, so that rare classes count as much as common ones
/// (``FitOptions/classWeights``; `synapse train --class-weight balanced`).
public enum ClassWeights {
    /// scikit-learn's `class_weight="balanced"`: class `c` weighs `n / (classes · n_c)` for `n`
    /// labels of which `n_c` are `c` (1 for every class when they are equally frequent); a class
    /// with no label weighs 0. Labels outside `0..<classes` are not counted.
    public static func balanced(labels: [Int], classes: Int) -> [Double] {
        guard classes > 0 else { return [] }
        var counts = [Int](repeating: 0, count: classes)
        for label in labels where (0..<classes).contains(label) { counts[label] += 1 }
        let total = counts.reduce(0, +)
        return counts.map { $0 == 0 ? 0 : Double(total) / (Double(classes) * Double($0)) }
    }

    /// The weighted softmax cross-entropy of `logits` `[N, classes]` against class indices `labels`
    /// (PyTorch's `CrossEntropyLoss(weight:)`): `Σᵢ w_{yᵢ}·(−log softmax(x)ᵢ,yᵢ) / Σᵢ w_{yᵢ}`, or 0
    /// when every weight in the batch is 0.
    public static func crossEntropy<Scalar: TensorScalar>(logits: Tensor<Scalar>, labels: [Int], weights: [Double]) -> Tensor<Scalar> {
        precondition(logits.rank == 2 && labels.count == logits.shape[0] && weights.count == logits.shape[1],
                     "weighted cross-entropy: \(labels.count) labels and \(weights.count) weights for logits \(logits.shape)")
        let (n, classes) = (logits.shape[0], logits.shape[1])
        let total = labels.reduce(0.0) { $0 + weights[$1] }
        // Soft targets w_y·N/Σw at the label: the mean over N rows of −t·log p is then the weighted mean.
        var targets = [Scalar](repeating: 0, count: n * classes)
        if total > 0 {
            for (i, label) in labels.enumerated() { targets[i * classes + label] = Scalar(weights[label] * Double(n) / total) }
        }
        return softmaxCrossEntropy(logits: logits, targets: Tensor<Scalar>(shape: [n, classes], scalars: targets))
    }
}
