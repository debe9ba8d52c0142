import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// A Double tensor of normal draws, optionally shifted away from kinks (0 for abs, bounds for clamp).
private func random(_ shape: [Int], seed: UInt32, offset: Double = 0, scale: Double = 1) -> Tensor<Double> {
    var g = RandomGenerator(seed: seed)
    return Tensor<Double>(randomNormal: shape, mean: offset, standardDeviation: scale, generator: &g)
}

/// Positive values in [0.5, 2) (for log, sqrt, fractional powers).
private func positive(_ shape: [Int], seed: UInt32) -> Tensor<Double> {
    var g = RandomGenerator(seed: seed)
    return Tensor<Double>(randomUniform: shape, low: 0.5, high: 2, generator: &g)
}

private func expectGradients(_ inputs: [Tensor<Double>], sourceLocation: SourceLocation = #_sourceLocation,
                             _ f: @escaping ([Tensor<Double>]) -> Tensor<Double>) {
    let result = checkGradients(at: inputs, of: f)
    #expect(result.maxRelativeError < 1e-6, "\(result)", sourceLocation: sourceLocation)
}

@Suite("Finite-difference gradient checks (Float64, max relative error < 1e-6)")
struct GradientCheckTests {
    // Shape pairs that exercise NumPy broadcasting: equal, row vector, column, missing leading axes, scalar.
    static let broadcastPairs: [([Int], [Int])] = [([3, 4], [3, 4]), ([3, 4], [1, 4]), ([3, 4], [4]), ([3, 1], [1, 4]),
                                                    ([2, 3, 4], [3, 1]), ([3, 4], []), ([1], [2, 3])]

    @Test("add, subtract, multiply, divide with broadcasting", arguments: broadcastPairs)
    func arithmetic(shapes: ([Int], [Int])) {
        let a = random(shapes.0, seed: 1), b = random(shapes.1, seed: 2)
        expectGradients([a, b]) { $0[0] + $0[1] }
        expectGradients([a, b]) { $0[0] - $0[1] }
        expectGradients([a, b]) { $0[0] * $0[1] }
        expectGradients([a, positive(shapes.1, seed: 3)]) { $0[0] / $0[1] }
    }

    @Test("concatenate along every axis, with parts of different lengths (torch.cat)")
    func concatenation() {
        let a = random([2, 3, 4], seed: 11)
        for axis in [0, 1, 2, -1] {
            var shape = [2, 3, 4]
            shape[(axis + 3) % 3] = 2
            let b = random(shape, seed: 12)
            expectGradients([a, b]) { concatenate($0, axis: axis) * $0[0].sum() }   // non-trivial ∂L/∂y
        }
        // A part used twice: its gradients accumulate.
        expectGradients([a]) { concatenate([$0[0], $0[0] * $0[0]], axis: 1) }
        // Forward values against the definition.
        let x = Tensor<Double>(shape: [2, 2], scalars: [1, 2, 3, 4]), y = Tensor<Double>(shape: [2, 1], scalars: [5, 6])
        #expect(concatenate([x, y], axis: 1).scalars == [1, 2, 5, 3, 4, 6])
        #expect(concatenate([x, x], axis: 0).shape == [4, 2])
    }

    @Test("negation and tensor–scalar arithmetic")
    func scalarArithmetic() {
        let a = random([3, 5], seed: 4), p = positive([3, 5], seed: 5)
        expectGradients([a]) { -$0[0] }
        expectGradients([a]) { $0[0] + 1.5 }
        expectGradients([a]) { 1.5 + $0[0] }
        expectGradients([a]) { $0[0] - 0.25 }
        expectGradients([a]) { 2 - $0[0] }
        expectGradients([a]) { $0[0] * -3 }
        expectGradients([a]) { 0.5 * $0[0] }
        expectGradients([a]) { $0[0] / 4 }
        expectGradients([p]) { 3 / $0[0] }
    }

    @Test("matmul, all four transpose combinations", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matrixProduct(transposes: (Bool, Bool)) {
        let (ta, tb) = transposes
        let a = random(ta ? [4, 3] : [3, 4], seed: 6), b = random(tb ? [5, 4] : [4, 5], seed: 7)
        expectGradients([a, b]) { matmul($0[0], $0[1], transposeA: ta, transposeB: tb) }
    }

    @Test("sum and mean: all, one axis, several axes, negative axes, keepDims")
    func sumAndMean() {
        let x = random([2, 3, 4], seed: 8)
        expectGradients([x]) { $0[0].sum() }
        expectGradients([x]) { $0[0].mean() }
        for keep in [false, true] {
            expectGradients([x]) { $0[0].sum(axis: 1, keepDims: keep) }
            expectGradients([x]) { $0[0].sum(axis: -1, keepDims: keep) }
            expectGradients([x]) { $0[0].sum(alongAxes: [0, 2], keepDims: keep) }
            expectGradients([x]) { $0[0].mean(axis: 0, keepDims: keep) }
            expectGradients([x]) { $0[0].mean(alongAxes: [1, 2], keepDims: keep) }
        }
    }

    @Test("max and min: all and along axes")
    func extrema() {
        let x = random([3, 4, 2], seed: 9)
        expectGradients([x]) { $0[0].max() }
        expectGradients([x]) { $0[0].min() }
        for keep in [false, true] {
            expectGradients([x]) { $0[0].max(axis: 1, keepDims: keep) }
            expectGradients([x]) { $0[0].min(axis: 0, keepDims: keep) }
            expectGradients([x]) { $0[0].max(alongAxes: [0, 2], keepDims: keep) }
        }
    }

    @Test("exp, log, sqrt, tanh, abs, sigmoid, squared")
    func elementaryFunctions() {
        let x = random([4, 3], seed: 10), p = positive([4, 3], seed: 11)
        expectGradients([x]) { exp($0[0]) }
        expectGradients([p]) { log($0[0]) }
        expectGradients([p]) { sqrt($0[0]) }
        expectGradients([x]) { tanh($0[0]) }
        expectGradients([x]) { abs($0[0]) }
        expectGradients([random([4, 3], seed: 13, scale: 4)]) { sigmoid($0[0]) }
        expectGradients([x]) { $0[0].squared() }
    }

    @Test("pow with a constant and with a tensor exponent (broadcast)")
    func power() {
        let x = random([3, 4], seed: 14), p = positive([3, 4], seed: 15)
        expectGradients([x]) { pow($0[0], 2) }
        expectGradients([x]) { pow($0[0], 3) }
        expectGradients([p]) { pow($0[0], 0.5) }
        expectGradients([p]) { pow($0[0], -1.5) }
        expectGradients([p, random([4], seed: 16)]) { pow($0[0], $0[1]) }
    }

    @Test("clamp (inputs away from the bounds)")
    func clamping() {
        // Values at ±0.05 from the bounds would make finite differences straddle the kink; shift them.
        let x = Tensor<Double>(shape: [2, 4], scalars: [-2, -0.7, -0.3, 0, 0.2, 0.45, 0.9, 3])
        expectGradients([x]) { clamp($0[0], min: -0.5, max: 0.5) }
    }

    @Test("reshape, transpose (2-D and permutations), first-axis slices, row gathers")
    func shapeOperations() {
        let x = random([2, 3, 4], seed: 17)
        expectGradients([x]) { $0[0].reshaped([6, 4]) }
        expectGradients([x]) { $0[0].reshaped([-1, 2]) }
        expectGradients([random([3, 5], seed: 18)]) { $0[0].T }
        expectGradients([x]) { $0[0].transposed([2, 0, 1]) }
        expectGradients([random([5, 3], seed: 19)]) { $0[0].rows(1..<4) }
        expectGradients([random([5, 3], seed: 20)]) { $0[0].gatheringRows([4, 0, 4, 2]) }
    }

    @Test("a tensor used several times in a DAG gets the sum of its uses")
    func reusedTensors() {
        let x = random([3, 3], seed: 21), w = random([3, 3], seed: 22)
        expectGradients([x, w]) { inputs in
            let (x, w) = (inputs[0], inputs[1])
            let h = tanh(matmul(x, w))
            return (h * x + matmul(h, h, transposeB: true) - sigmoid(x) / (1 + h.squared())).sum(axis: 0)
        }
    }
}
