import SynapseCore
import SynapseNN
/// Evaluation metrics, as plain functions of predictions and targets (scikit-learn's definitions).
public enum Metrics {
    /// The fraction of predictions equal to their label.
    public static func accuracy(predicted: [Int], labels: [Int]) -> Double {
        precondition(predicted.count == labels.count, "accuracy: \(predicted.count) predictions for \(labels.count) labels")
        guard !labels.isEmpty else { return 0 }
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// The fraction of rows whose label is among the `k` highest scores (`scores` is `[N, classes]`).
    public static func topKAccuracy<Scalar: TensorScalar>(scores: Tensor<Scalar>, labels: [Int], k: Int) -> Double {
        precondition(scores.rank == 2 && scores.shape[0] == labels.count, "topKAccuracy: scores \(scores.shape) for \(labels.count) labels")
        precondition(k >= 1, "k must be at least 1")
        let classes = scores.shape[1]
        guard !labels.isEmpty else { return 0 }
        var hits = 0
        scores.withUnsafeBufferPointer { s in
            for (row, label) in labels.enumerated() {
                let target = s[row * classes + label]
                // The label is in the top k when fewer than k classes score strictly higher
                // (ties count in the label's favour for lower indices, as argmax does).
                var better = 0
                for c in 0..<classes where s[row * classes + c] > target || (s[row * classes + c] == target && c < label) { better += 1 }
                if better < k { hits += 1 }
            }
        }
        return Double(hits) / Double(labels.count)
    }

    /// `matrix[true][predicted]` counts over `classes` classes.
    public static func confusionMatrix(predicted: [Int], labels: [Int], classes: Int) -> [[Int]] {
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (p, t) in zip(predicted, labels) {
            precondition(p >= 0 && p < classes && t >= 0 && t < classes, "class index out of range 0..<\(classes): predicted \(p), label \(t)")
            matrix[t][p] += 1
        }
        return matrix
    }

    /// Precision, recall, F1 and support of each class, and their macro averages.
    public struct ClassificationReport: Sendable, Equatable, Codable {
        /// TP / (TP + FP) per class (0 when nothing was predicted as the class).
        public var precision: [Double]
        /// TP / (TP + FN) per class (0 when the class never occurs).
        public var recall: [Double]
        /// 2·P·R / (P + R) per class (0 when both are 0).
        public var f1: [Double]
        /// How many examples of each class there are.
        public var support: [Int]
        /// Unweighted mean of the per-class precisions.
        public var macroPrecision: Double { mean(precision) }
        /// Unweighted mean of the per-class recalls.
        public var macroRecall: Double { mean(recall) }
        /// Unweighted mean of the per-class F1 scores.
        public var macroF1: Double { mean(f1) }

        private func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
    }

    /// The per-class and macro precision/recall/F1 of `predicted` against `labels`.
    public static func classificationReport(predicted: [Int], labels: [Int], classes: Int) -> ClassificationReport {
        let matrix = confusionMatrix(predicted: predicted, labels: labels, classes: classes)
        var report = ClassificationReport(precision: [], recall: [], f1: [], support: [])
        for c in 0..<classes {
            let truePositives = Double(matrix[c][c])
            let predictedAsC = Double((0..<classes).reduce(0) { $0 + matrix[$1][c] })
            let actualC = matrix[c].reduce(0, +)
            let p = predictedAsC > 0 ? truePositives / predictedAsC : 0
            let r = actualC > 0 ? truePositives / Double(actualC) : 0
            report.precision.append(p)
            report.recall.append(r)
            report.f1.append(p + r > 0 ? 2 * p * r / (p + r) : 0)
            report.support.append(actualC)
        }
        return report
    }

    /// Mean squared error `Σ(ŷ − y)² / n` over all elements.
    public static func meanSquaredError(predicted: [Double], targets: [Double]) -> Double {
        precondition(predicted.count == targets.count && !targets.isEmpty, "meanSquaredError needs equal, non-empty inputs")
        return zip(predicted, targets).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(targets.count)
    }

    /// Mean absolute error `Σ|ŷ − y| / n`.
    public static func meanAbsoluteError(predicted: [Double], targets: [Double]) -> Double {
        precondition(predicted.count == targets.count && !targets.isEmpty, "meanAbsoluteError needs equal, non-empty inputs")
        return zip(predicted, targets).reduce(0) { $0 + Swift.abs($1.0 - $1.1) } / Double(targets.count)
    }

    /// The coefficient of determination `1 − SS_res / SS_tot` (1 is perfect; 0 is predicting the mean).
    public static func r2Score(predicted: [Double], targets: [Double]) -> Double {
        precondition(predicted.count == targets.count && !targets.isEmpty, "r2Score needs equal, non-empty inputs")
        let mean = targets.reduce(0, +) / Double(targets.count)
        let residual = zip(predicted, targets).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let total = targets.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return total > 0 ? 1 - residual / total : (residual == 0 ? 1 : 0)
    }
}
