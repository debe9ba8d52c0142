import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Metrics")
struct MetricsTests {
    // predicted vs labels for 3 classes (checked by hand; scikit-learn gives the same numbers).
    static let labels = [0, 0, 1, 1, 1, 2, 2, 2, 2, 0]
    static let predicted = [0, 1, 1, 1, 0, 2, 2, 1, 2, 0]

    @Test("accuracy and the confusion matrix")
    func accuracyAndConfusion() {
        #expect(Metrics.accuracy(predicted: Self.predicted, labels: Self.labels) == 0.7)
        #expect(Metrics.confusionMatrix(predicted: Self.predicted, labels: Self.labels, classes: 3) ==
                [[2, 1, 0], [1, 2, 0], [0, 1, 3]])
    }

    @Test("precision, recall, F1 per class and macro")
    func report() {
        let r = Metrics.classificationReport(predicted: Self.predicted, labels: Self.labels, classes: 3)
        let precision: [Double] = [2.0 / 3, 0.5, 1]
        let recall: [Double] = [2.0 / 3, 2.0 / 3, 0.75]
        #expect(r.precision == precision)
        #expect(r.recall == recall)
        let f1: Double = 2 * 0.5 * (2.0 / 3) / (0.5 + 2.0 / 3)
        #expect(abs(r.f1[1] - f1) < 1e-15)
        #expect(r.support == [3, 3, 4])
        #expect(abs(r.macroF1 - (r.f1[0] + r.f1[1] + r.f1[2]) / 3) < 1e-15)
        // A class never predicted has precision 0, not NaN.
        let empty = Metrics.classificationReport(predicted: [0, 0], labels: [0, 1], classes: 2)
        #expect(empty.precision == [0.5, 0] && empty.f1[1] == 0)
    }

    @Test("top-k accuracy")
    func topK() {
        let scores = Tensor<Float>(shape: [3, 4], scalars: [0.1, 0.5, 0.3, 0.1,   0.7, 0.1, 0.1, 0.1,   0.2, 0.2, 0.3, 0.3])
        #expect(Metrics.topKAccuracy(scores: scores, labels: [2, 1, 0], k: 1) == 0)
        #expect(Metrics.topKAccuracy(scores: scores, labels: [2, 1, 0], k: 2) == 2.0 / 3)   // row 1's tie with class 2, 3 goes to the lower index, as argmax does
        #expect(Metrics.topKAccuracy(scores: scores, labels: [2, 1, 0], k: 4) == 1)
    }

    @Test("regression: MSE, MAE, R²")
    func regression() {
        let y = [3.0, -0.5, 2, 7], p = [2.5, 0.0, 2, 8]
        #expect(Metrics.meanSquaredError(predicted: p, targets: y) == 0.375)
        #expect(Metrics.meanAbsoluteError(predicted: p, targets: y) == 0.5)
        #expect(abs(Metrics.r2Score(predicted: p, targets: y) - 0.9486081370449679) < 1e-15)  // sklearn's example
        #expect(Metrics.r2Score(predicted: y, targets: y) == 1)
    }
}
