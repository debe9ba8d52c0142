import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Tensor core")
struct TensorTests {
    @Test("creation: arrays, constants, ranges; shape and element access")
    func creation() {
        let t = Tensor<Float>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(t.shape == [2, 3] && t.rank == 2 && t.count == 6)
        #expect(t[1, 2] == 6)
        #expect(Tensor<Double>(zeros: [2, 2]).scalars == [0, 0, 0, 0])
        #expect(Tensor<Double>(ones: [3]).scalars == [1, 1, 1])
        #expect(Tensor<Float>(repeating: 7, shape: [2]).scalars == [7, 7])
        #expect(Tensor<Double>([[1, 2], [3, 4]]).shape == [2, 2])
        #expect(Tensor<Double>(rangeFrom: 0, count: 4, step: 0.5).scalars == [0, 0.5, 1, 1.5])
        #expect(Tensor<Double>(2.5).shape == [] && Tensor<Double>(2.5).scalar == 2.5)
        #expect(Tensor<Float>(zeros: [0, 3]).count == 0)
    }

    @Test("broadcasting follows NumPy's rules")
    func broadcasting() {
        let a = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect((a + Tensor([10, 20, 30])).scalars == [11, 22, 33, 14, 25, 36])
        #expect((a * Tensor(shape: [2, 1], scalars: [2, 3])).scalars == [2, 4, 6, 12, 15, 18])
        #expect((Tensor<Double>(shape: [3, 1], scalars: [1, 2, 3]) - Tensor([1, 2])).shape == [3, 2])
        #expect((Tensor<Double>(shape: [3, 1], scalars: [1, 2, 3]) - Tensor([1, 2])).scalars == [0, -1, 1, 0, 2, 1])
        #expect((a / Tensor(2)).scalars == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect(BroadcastLayout.broadcastShape([2, 1, 4], [3, 1]) == [2, 3, 4])
        #expect(BroadcastLayout.broadcastShape([2, 3], [4]) == nil)
        // A 3-D broadcast against a middle axis, larger than one SIMD vector.
        var g = RandomGenerator(seed: 3)
        let x = Tensor<Float>(randomNormal: [3, 5, 37], generator: &g), y = Tensor<Float>(randomNormal: [5, 1], generator: &g)
        let z = x + y
        for i in 0..<3 { for j in 0..<5 { for k in 0..<37 { #expect(z[i, j, k] == x[i, j, k] + y[j, 0]) } } }
    }

    @Test("scalar operators, negation, math functions")
    func elementwise() {
        let x = Tensor<Double>([-2, 0.5, 4])
        #expect((1 - x).scalars == [3, 0.5, -3])
        #expect((2 / x).scalars == [-1, 4, 0.5])
        #expect((-x).scalars == [2, -0.5, -4])
        #expect(abs(x).scalars == [2, 0.5, 4])
        #expect(clamp(x, min: 0, max: 1).scalars == [0, 0.5, 1])
        #expect(pow(x, 2).scalars == [4, 0.25, 16])
        #expect(sqrt(Tensor<Double>([4, 9])).scalars == [2, 3])
        #expect(abs(exp(Tensor<Double>([1])).scalar - 2.718281828459045) < 1e-15)
        #expect(abs(log(Tensor<Double>([2.718281828459045])).scalar - 1) < 1e-15)
        // The stable sigmoid neither overflows nor returns NaN at extreme inputs.
        let s = sigmoid(Tensor<Float>([-1000, -100, 0, 100, 1000])).scalars
        #expect(s[0] == 0 && s[2] == 0.5 && s[4] == 1 && s.allSatisfy { !$0.isNaN })
    }

    @Test("reductions: sum, mean, max, min along axes and in total")
    func reductions() {
        let t = Tensor<Double>(shape: [2, 3], scalars: [1, 5, 3, 4, 2, 6])
        #expect(t.sum().scalar == 21)
        #expect(t.sum(axis: 0).scalars == [5, 7, 9])
        #expect(t.sum(axis: 1, keepDims: true).shape == [2, 1])
        #expect(t.sum(axis: -1).scalars == [9, 12])
        #expect(t.mean().scalar == 3.5)
        #expect(t.max().scalar == 6 && t.min().scalar == 1)
        #expect(t.max(axis: 1).scalars == [5, 6])
        #expect(t.min(axis: 0).scalars == [1, 2, 3])
        #expect(t.sum(alongAxes: [0, 1]).shape == [])
        // Long runs take the SIMD path; compare with a plain Double sum.
        let long = Tensor<Double>(rangeFrom: 1, count: 1000)
        #expect(long.sum().scalar == 500_500)
        #expect(long.max().scalar == 1000)
    }

    @Test("argmax and comparisons")
    func comparisons() {
        let t = Tensor<Float>(shape: [2, 3], scalars: [1, 9, 3, 7, 2, 7])
        #expect(t.argmax() == 1)
        #expect(t.argmax(axis: 1) == [1, 0])
        #expect(t.argmax(axis: 0) == [1, 0, 1])
        #expect((t .> 2.5).scalars == [0, 1, 1, 1, 0, 1])
        #expect((t .== Tensor([7, 2, 7])).scalars == [0, 0, 0, 1, 1, 1])
        #expect((t .<= Tensor(shape: [2, 1], scalars: [3, 2])).scalars == [1, 0, 1, 0, 1, 0])
    }

    @Test("reshape and first-axis slices share storage; transpose copies")
    func views() {
        let t = Tensor<Float>(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
        let r = t.reshaped([2, 3])
        #expect(r.shape == [2, 3] && r.scalars == t.scalars)
        let rows = t.rows(1..<3)
        #expect(rows.shape == [2, 2] && rows.scalars == [3, 4, 5, 6])
        withoutGradients { t += Tensor(1) }
        #expect(rows.scalars == [4, 5, 6, 7] && r[0, 0] == 2)
        #expect(t.T.scalars == [2, 4, 6, 3, 5, 7])
        #expect(t.transposed([1, 0]).shape == [2, 3])
        let cube = Tensor<Double>(rangeFrom: 0, count: 24).reshaped([2, 3, 4])
        #expect(cube.transposed([2, 0, 1])[3, 1, 2] == cube[1, 2, 3])
        #expect(t.gatheringRows([2, 0]).scalars == [6, 7, 2, 3])
    }

    @Test("matmul agrees with explicit sums for all transposes")
    func matrixProduct() {
        let a = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        let b = Tensor<Double>(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
        #expect(matmul(a, b).scalars == [58, 64, 139, 154])
        #expect(matmul(a.T, b.T, transposeA: true, transposeB: true).scalars == [58, 64, 139, 154])
        #expect(matmul(a, a, transposeB: true).scalars == [14, 32, 32, 77])
        #expect(matmul(a, a, transposeA: true).shape == [3, 3])
    }

    @Test("printing: nested brackets, and NumPy's format for the tutorial")
    func printing() {
        #expect(Tensor<Double>([[1, 2], [3, 4]]).description == "[[1.0, 2.0],\n [3.0, 4.0]]")
        #expect(NumPyFormat.array(Tensor<Double>(shape: [4, 1], scalars: [0.05300376234, 0.5, 0.95, 1])) ==
                "[[0.05300376]\n [0.5       ]\n [0.95      ]\n [1.        ]]")
        #expect(NumPyFormat.array(Tensor<Double>([-1.5, 2, 0])) == "[-1.5  2.   0. ]")
        #expect(NumPyFormat.array(Tensor<Double>([1e-5, 1])) == "[1.e-05 1.e+00]")
        #expect(Tensor<Float>(3).description == "3.0")
    }

    @Test("Float and Double convert both ways")
    func conversion() {
        let d = Tensor<Double>([0.1, 2.5])
        let f: Tensor<Float> = d.converted()
        #expect(f.scalars == [0.1, 2.5])
        #expect(f.converted(to: Double.self).scalars[1] == 2.5)
    }
}
