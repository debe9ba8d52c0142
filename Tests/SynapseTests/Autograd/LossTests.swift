import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Losses")
struct LossTests {
    private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
        abs(a - b) <= tolerance * max(1, abs(b))
    }

    @Test("regression losses: hand-computed mean and sum")
    func regression() {
        let p = Tensor<Double>([1, 2]), y = Tensor<Double>([0, 4])
        #expect(meanSquaredError(p, y).scalar == 2.5)                       // (1² + 2²) / 2
        #expect(meanSquaredError(p, y, reduction: .sum).scalar == 5)
        #expect(meanAbsoluteError(p, y).scalar == 1.5)                      // (1 + 2) / 2
        #expect(meanAbsoluteError(p, y, reduction: .sum).scalar == 3)
        let h = Tensor<Double>([0.5, -2])
        #expect(huberLoss(h, Tensor(zeros: [2])).scalar == 0.8125)          // (½·0.25 + 1·(2 − ½)) / 2
        #expect(huberLoss(h, Tensor(zeros: [2]), delta: 3, reduction: .sum).scalar == 0.125 + 2)   // both quadratic
    }

    @Test("binary cross-entropy on probabilities and on logits")
    func binary() {
        let p = Tensor<Double>([0.8, 0.3]), y = Tensor<Double>([1, 0])
        #expect(close(binaryCrossEntropy(p, y).scalar, -(log(0.8) + log(0.7)) / 2))
        #expect(close(binaryCrossEntropy(p, y, reduction: .sum).scalar, -(log(0.8) + log(0.7))))
        let logits = Tensor<Double>([0, 2])
        #expect(close(binaryCrossEntropyWithLogits(logits, y).scalar, (log(2) + 2.1269280110429727) / 2))   // ln 2, softplus(2)
        // The logits form equals the probability form after a sigmoid.
        let z = Tensor<Double>([-1.5, 0.25, 3])
        let t = Tensor<Double>([0, 1, 0.3])
        #expect(close(binaryCrossEntropyWithLogits(z, t).scalar, binaryCrossEntropy(sigmoid(z), t).scalar, 1e-12))
    }

    @Test("softmax cross-entropy with labels, one-hot and soft targets; NLL")
    func crossEntropy() {
        let logits = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 1, 2, 3])
        let expected = (0.4076059644443803 + 2.40760596444438) / 2          // −log softmax at classes 2 and 0
        #expect(close(softmaxCrossEntropy(logits: logits, labels: [2, 0]).scalar, expected))
        #expect(close(softmaxCrossEntropy(logits: logits, labels: [2, 0], reduction: .sum).scalar, 2 * expected))
        let oneHot = Tensor<Double>(shape: [2, 3], scalars: [0, 0, 1, 1, 0, 0])
        #expect(close(softmaxCrossEntropy(logits: logits, targets: oneHot).scalar, expected))
        let soft = Tensor<Double>(shape: [2, 3], scalars: [0.5, 0, 0.5, 0.5, 0, 0.5])
        #expect(close(softmaxCrossEntropy(logits: logits, targets: soft).scalar, expected))
        #expect(close(negativeLogLikelihood(logProbabilities: logSoftmax(logits), labels: [2, 0]).scalar, expected))
    }

    /// One case per loss for the gradient checks: inputs and the loss applied to them.
    struct Case: CustomStringConvertible, Sendable {
        let description: String
        let inputs: @Sendable (inout RandomGenerator) -> [Tensor<Double>]
        let loss: @Sendable ([Tensor<Double>]) -> Tensor<Double>
    }

    @Sendable static func normal(_ shape: [Int], _ g: inout RandomGenerator) -> Tensor<Double> { Tensor(randomNormal: shape, generator: &g) }
    @Sendable static func probabilities(_ g: inout RandomGenerator) -> Tensor<Double> { Tensor(randomUniform: [3, 2], low: 0.1, high: 0.9, generator: &g) }
    @Sendable static func distribution(_ g: inout RandomGenerator) -> Tensor<Double> { withoutGradients { softmax(normal([3, 4], &g)) } }

    static let cases: [Case] = {
        var result: [Case] = []
        for reduction in [LossReduction.mean, .sum] {
            result += [
                Case(description: "mse \(reduction)", inputs: { [normal([3, 2], &$0), normal([3, 2], &$0)] }) {
                    meanSquaredError($0[0], $0[1], reduction: reduction) },
                Case(description: "mae \(reduction)", inputs: { [normal([3, 2], &$0), normal([3, 2], &$0)] }) {
                    meanAbsoluteError($0[0], $0[1], reduction: reduction) },
                Case(description: "huber \(reduction)", inputs: { [normal([3, 2], &$0) * 2, normal([3, 2], &$0)] }) {
                    huberLoss($0[0], $0[1], delta: 0.7, reduction: reduction) },
                Case(description: "bce \(reduction)", inputs: { [probabilities(&$0), probabilities(&$0)] }) {
                    binaryCrossEntropy($0[0], $0[1], reduction: reduction) },
                Case(description: "bce logits \(reduction)", inputs: { [normal([3, 2], &$0) * 3, probabilities(&$0)] }) {
                    binaryCrossEntropyWithLogits($0[0], $0[1], reduction: reduction) },
                Case(description: "cross-entropy labels \(reduction)", inputs: { [normal([3, 4], &$0) * 2] }) {
                    softmaxCrossEntropy(logits: $0[0], labels: [3, 0, 1], reduction: reduction) },
                Case(description: "cross-entropy targets \(reduction)", inputs: { [normal([3, 4], &$0) * 2, distribution(&$0)] }) {
                    softmaxCrossEntropy(logits: $0[0], targets: $0[1], reduction: reduction) },
                Case(description: "nll \(reduction)", inputs: { [normal([3, 4], &$0)] }) {
                    negativeLogLikelihood(logProbabilities: logSoftmax($0[0]), labels: [1, 1, 2], reduction: reduction) },
            ]
        }
        return result
    }()

    @Test("Float64 gradient checks (predictions and targets)", arguments: cases)
    func gradients(_ c: Case) {
        var g = RandomGenerator(seed: 21)
        let result = checkGradients(at: c.inputs(&g), of: c.loss)
        #expect(result.maxRelativeError < 1e-6, "\(c): \(result)")
    }

    @Test("extreme logits and probabilities stay finite, in Float and Double")
    func extremes() {
        for big in [100.0, 1000.0] {
            // Cross-entropy with huge logits: the right class costs 0, the wrong one 2·big.
            let logits = Tensor<Double>(shape: [2, 2], scalars: [big, -big, big, -big], requiresGrad: true)
            let ce = softmaxCrossEntropy(logits: logits, labels: [0, 1], reduction: .sum)
            #expect(close(ce.scalar, 2 * big))
            ce.backward()
            #expect(zip(logits.grad!.scalars, [0.0, 0, 1, -1]).allSatisfy { abs($0 - $1) < 1e-40 })
            let floatLogits = Tensor<Float>(shape: [1, 2], scalars: [Float(big), Float(-big)], requiresGrad: true)
            let floatCE = softmaxCrossEntropy(logits: floatLogits, targets: Tensor<Float>(shape: [1, 2], scalars: [0.5, 0.5]))
            floatCE.backward()
            #expect(floatCE.scalar == Float(big) && floatLogits.grad!.scalars.allSatisfy(\.isFinite))
            #expect(close(negativeLogLikelihood(logProbabilities: logSoftmax(logits), labels: [1, 1]).scalar, 2 * big))

            // BCE with logits: softplus form never overflows.
            let z = Tensor<Float>([Float(big), Float(-big)], requiresGrad: true)
            let bce = binaryCrossEntropyWithLogits(z, Tensor<Float>([0, 0]), reduction: .sum)
            bce.backward()
            #expect(bce.scalar == Float(big) && z.grad!.scalars[0] == 1 && abs(z.grad!.scalars[1]) < 1e-30)
        }
        // BCE on probabilities at exactly 0 and 1: logs clamped at −100, gradients finite.
        let p = Tensor<Double>([0, 1, 1e-30], requiresGrad: true)
        let bce = binaryCrossEntropy(p, Tensor<Double>([1, 0, 0]), reduction: .sum)
        #expect(close(bce.scalar, 200))
        bce.backward()
        #expect(p.grad!.scalars.allSatisfy(\.isFinite) && p.grad!.scalars[0] < 0 && p.grad!.scalars[1] > 0)
    }
}
