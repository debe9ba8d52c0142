import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Mean and variance of a tensor's elements.
private func moments(_ t: Tensor<Double>) -> (mean: Double, variance: Double) {
    let v = t.scalars
    let mean = v.reduce(0, +) / Double(v.count)
    return (mean, v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count))
}

@Suite("Initializers")
struct InitializerTests {
    static let fanIn = 300, fanOut = 200

    @Test("variance matches each fan-in/fan-out formula", arguments: [
        (Initializer.xavierUniform, 2.0 / Double(fanIn + fanOut)),
        (.xavierNormal, 2.0 / Double(fanIn + fanOut)),
        (.heUniform, 2.0 / Double(fanIn)),
        (.heNormal, 2.0 / Double(fanIn)),
        (.lecunUniform, 1.0 / Double(fanIn)),
        (.lecunNormal, 1.0 / Double(fanIn)),
        (.pytorchDefault, 1.0 / (3.0 * Double(fanIn))),
        (.standardNormal, 1.0),
        (.uniform(low: -2, high: 2), 16.0 / 12.0),
        (.normal(mean: 0, standardDeviation: 0.5), 0.25),
    ])
    func variance(initializer: Initializer, expected: Double) {
        var g = RandomGenerator(seed: 5)
        let t: Tensor<Double> = initializer.makeTensor([Self.fanOut, Self.fanIn], fanIn: Self.fanIn, fanOut: Self.fanOut, generator: &g)
        let (mean, variance) = moments(t)
        #expect(abs(mean) < 5 * (expected / Double(t.count)).squareRoot(), "mean \(mean) is more than 5 standard errors from 0")
        #expect(abs(variance / expected - 1) < 0.03, "variance \(variance), expected \(expected)")
        #expect(t.requiresGrad)
    }

    @Test("uniform bounds are respected; constants and zeros are exact")
    func bounds() {
        var g = RandomGenerator(seed: 6)
        let t: Tensor<Double> = Initializer.heUniform.makeTensor([50, 40], fanIn: 40, fanOut: 50, generator: &g)
        let bound = (6.0 / 40).squareRoot()
        #expect(t.scalars.allSatisfy { abs($0) <= bound })
        #expect(t.scalars.max()! > 0.9 * bound)
        let c: Tensor<Float> = Initializer.constant(0.25).makeTensor([3], fanIn: 1, fanOut: 1, generator: &g)
        #expect(c.scalars == [0.25, 0.25, 0.25])
        let z: Tensor<Float> = Initializer.zeros.makeTensor([2], fanIn: 1, fanOut: 1, generator: &g)
        #expect(z.scalars == [0, 0])
    }

    @Test("standardNormal draws the tutorial's randn stream")
    func tutorialStream() {
        var g = RandomGenerator(seed: 42)
        let w: Tensor<Double> = Initializer.standardNormal.makeTensor([2, 2], fanIn: 2, fanOut: 2, generator: &g)
        #expect(w.scalars == Tutorial.initializeNetwork(inputSize: 2, hiddenSize: 2, outputSize: 1).W1.scalars)
    }
}
