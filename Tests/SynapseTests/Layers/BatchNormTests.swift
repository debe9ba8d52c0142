import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Batch normalisation")
struct BatchNormTests {
    @Test("Float64 gradients in training and evaluation, 1-D and 2-D, with and without γ, β", arguments: [[6, 3], [4, 3, 2, 5]])
    func gradients(_ shape: [Int]) {
        var g = RandomGenerator(seed: 11)
        let x = Tensor<Double>(randomNormal: shape, mean: 2, standardDeviation: 3, generator: &g)
        let gamma = Tensor<Double>(randomUniform: [3], low: 0.5, high: 2, generator: &g)
        let beta = Tensor<Double>(randomNormal: [3], generator: &g)
        let runningMean = Tensor<Double>(randomNormal: [3], generator: &g)
        let runningVariance = Tensor<Double>(randomUniform: [3], low: 0.5, high: 2, generator: &g)
        // Entries of ∂L/∂x are small differences (g − mean g − x̂·mean(g x̂)) of ~1e-3; the finite difference of
        // a loss of ~100 carries ~3e-8 of round-off there, hence 1e-4 (a wrong formula is off by O(1)).
        for training in [true, false] {
            let affine = checkGradients(at: [x, gamma, beta]) {
                batchNorm($0[0], weight: $0[1], bias: $0[2], runningMean: runningMean.copy(), runningVariance: runningVariance.copy(), training: training)
            }
            #expect(affine.maxRelativeError < 1e-4, "training \(training): \(affine)")
            let plain = checkGradients(at: [x]) {
                batchNorm($0[0], weight: nil, bias: nil, runningMean: runningMean.copy(), runningVariance: runningVariance.copy(), training: training)
            }
            #expect(plain.maxRelativeError < 1e-4, "training \(training), no affine: \(plain)")
        }
    }

    @Test("training normalises each channel and moves the running statistics (PyTorch's momentum 0.1, unbiased variance)")
    func runningStatistics() {
        // Channel 0 holds 1, 2, 3, 4 across two examples and two positions; channel 1 holds 10, 10, 30, 30.
        let x = Tensor<Double>(shape: [2, 2, 1, 2], scalars: [1, 2, 10, 10, 3, 4, 30, 30])
        let layer = BatchNorm<Double>(features: 2)
        #expect(layer.namedState.map(\.name) == ["weight", "bias", "running_mean", "running_var"])
        let y = layer(x)
        // channel 0: μ 2.5, σ² 1.25 → (x − 2.5)/√(1.25 + 1e-5)
        #expect(abs(y.scalars[0] - (1 - 2.5) / (1.25 + 1e-5).squareRoot()) < 1e-12)
        #expect(abs(y.scalars[2] - (10 - 20) / (100 + 1e-5).squareRoot()) < 1e-12)
        #expect(layer.runningMean.scalars.enumerated().allSatisfy { abs($0.element - [0.25, 2.0][$0.offset]) < 1e-12 })
        // unbiased variances: 5/3 and 400/3
        #expect(abs(layer.runningVariance.scalars[0] - (0.9 + 0.1 * 5 / 3)) < 1e-12)
        #expect(abs(layer.runningVariance.scalars[1] - (0.9 + 0.1 * 400 / 3)) < 1e-12)

        layer.eval()
        let before = layer.runningMean.scalars
        let z = layer(x)
        #expect(layer.runningMean.scalars == before, "evaluation must not update the statistics")
        let expected = (1 - 0.25) / (layer.runningVariance.scalars[0] + 1e-5).squareRoot()
        #expect(abs(z.scalars[0] - expected) < 1e-12)
    }

    @Test("a descriptive error names the expected and the actual shape")
    func shapeMessage() {
        let spec = LayerSpec.batchNorm(features: 3, momentum: 0.1, epsilon: 1e-5, affine: true)
        #expect(throws: ShapeError.self) { try spec.outputShape(for: [1, 28, 28]) }
        do { _ = try spec.outputShape(for: [1, 28, 28]) } catch {
            #expect("\(error)" == "BatchNorm(3) expected input [N, 3] or [N, 3, H, W], got [N, 1, 28, 28]")
        }
    }
}
