import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Activations")
struct ActivationTests {
    /// Every activation, by name, as the library's `ActivationFunction` applies it.
    static let all: [ActivationFunction] = [
        .identity, .sigmoid, .tanh, .relu, .leakyReLU(slope: 0.1), .elu(alpha: 1.5), .gelu(approximate: false),
        .gelu(approximate: true), .silu, .softplus, .softmax, .logSoftmax,
    ]

    private func values(_ f: ActivationFunction, _ x: [Double]) -> [Double] {
        f(Tensor<Double>(x)).scalars
    }

    private func expectClose(_ a: [Double], _ b: [Double], tolerance: Double = 1e-12,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.count == b.count, sourceLocation: sourceLocation)
        for (x, y) in zip(a, b) {
            #expect(abs(x - y) <= tolerance * max(1, abs(y)), "\(a) vs \(b)", sourceLocation: sourceLocation)
        }
    }

    @Test("values against hand-computed numbers")
    func handValues() {
        expectClose(values(.identity, [-2, 3]), [-2, 3])
        expectClose(values(.sigmoid, [0, 2]), [0.5, 1 / (1 + exp(-2))])
        expectClose(values(.tanh, [0.5]), [0.46211715726000974])
        expectClose(values(.relu, [-1, 0, 2]), [0, 0, 2])
        expectClose(values(.leakyReLU(slope: 0.1), [-2, 3]), [-0.2, 3])
        expectClose(values(.elu(alpha: 1), [-1, 2]), [-0.6321205588285577, 2])           // e⁻¹ − 1
        expectClose(values(.softplus, [0]), [0.6931471805599453])                        // ln 2
        expectClose(values(.silu, [1]), [0.7310585786300049])                            // 1·σ(1)
        expectClose(values(.gelu(approximate: false), [1, -2]), [0.8413447460685429, -0.04550026389635842])   // xΦ(x)
        expectClose(values(.gelu(approximate: true), [1]), [0.8411919906082768])
        expectClose(values(.softmax, [1, 2, 3]), [0.09003057317038046, 0.24472847105479767, 0.6652409557748219])
        expectClose(values(.logSoftmax, [1, 2, 3]), [-2.40760596444438, -1.4076059644443801, -0.4076059644443803])
    }

    @Test("ReLU's backward passes g where x > 0 and exactly 0 elsewhere (a NaN gradient too, as PyTorch), on any thread count")
    func reluBackward() {
        func gradients<T: TensorScalar>(_ type: T.Type, threads: Int) -> (x: [T], g: [T], dx: [T]) {
            var generator = RandomGenerator(seed: 5)
            let n = 3 * ElementwiseChunks.chunk + 17   // several chunks and a tail
            let x = Tensor<T>(randomNormal: [n], generator: &generator)
            x.data[0] = 0
            x.requiresGrad = true
            var upstream = Tensor<T>(randomNormal: [n], generator: &generator).scalars
            upstream[1] = .nan
            upstream[2] = .nan
            if x.data[2] <= 0 { x.data[2] = 1 }
            if x.data[1] > 0 { x.data[1] = -1 }
            Parallel.threadCountOverride = threads
            defer { Parallel.threadCountOverride = nil }
            relu(x).backward(gradient: Tensor(shape: [n], scalars: upstream))
            return (x.scalars, upstream, x.grad?.scalars ?? [])
        }
        for threads in [1, 2] {
            let (x, g, dx) = gradients(Float.self, threads: threads)
            #expect(dx.count == x.count)
            #expect(zip(zip(x, g), dx).allSatisfy { pair, d in pair.0 > 0 ? d.bitPattern == pair.1.bitPattern : d == 0 })
            #expect(dx[1] == 0 && dx[2].isNaN && dx[0] == 0)
            let (xd, gd, dxd) = gradients(Double.self, threads: threads)
            #expect(zip(zip(xd, gd), dxd).allSatisfy { pair, d in pair.0 > 0 ? d.bitPattern == pair.1.bitPattern : d == 0 })
        }
        #expect(gradients(Float.self, threads: 1).dx.map(\.bitPattern) == gradients(Float.self, threads: 2).dx.map(\.bitPattern))
    }

    @Test("softmax and log-softmax act along the chosen axis")
    func softmaxAxis() {
        let x = Tensor<Double>(shape: [2, 3], scalars: [1, 2, 3, 1, 1, 1])
        let rows = softmax(x).scalars
        #expect(abs(rows[0..<3].reduce(0, +) - 1) < 1e-15 && abs(rows[3] - 1.0 / 3) < 1e-15)
        let columns = softmax(x, axis: 0)
        #expect(columns.shape == [2, 3])
        let c = columns.scalars
        for j in 0..<3 { #expect(abs(c[j] + c[3 + j] - 1) < 1e-15) }
        #expect(abs(c[0] - 0.5) < 1e-15 && c[2] > 0.8)
        expectClose(logSoftmax(x, axis: 0).scalars, c.map { log($0) })
    }

    @Test("Float64 gradient checks", arguments: all)
    func gradients(_ f: ActivationFunction) {
        var g = RandomGenerator(seed: 11)
        // Keep inputs away from 0, where ReLU-like functions have a kink.
        let x = Tensor<Double>(randomNormal: [3, 4], generator: &g).scalars.map { $0 + ($0 < 0 ? -0.1 : 0.1) }
        let result = checkGradients(at: [Tensor(shape: [3, 4], scalars: x)]) { f($0[0]) }
        #expect(result.maxRelativeError < 1e-6, "\(f.description): \(result)")
    }

    @Test("gradient checks of softmax and log-softmax along the first axis")
    func softmaxAxisGradients() {
        var g = RandomGenerator(seed: 12)
        let x = Tensor<Double>(randomNormal: [3, 2, 4], generator: &g)
        #expect(checkGradients(at: [x]) { softmax($0[0], axis: 0) }.maxRelativeError < 1e-6)
        #expect(checkGradients(at: [x]) { logSoftmax($0[0], axis: 1) }.maxRelativeError < 1e-6)
    }

    @Test("extreme inputs give finite, correct values and gradients, in Float and Double", arguments: [100.0, 1000.0])
    func extremes(_ big: Double) {
        let expected: [(ActivationFunction, [Double])] = [
            (.sigmoid, [1, 0]), (.tanh, [1, -1]), (.relu, [big, 0]), (.leakyReLU(slope: 0.01), [big, -0.01 * big]),
            (.elu(alpha: 1), [big, -1]), (.softplus, [big, 0]), (.silu, [big, 0]),
            (.gelu(approximate: false), [big, 0]), (.gelu(approximate: true), [big, 0]),
            (.softmax, [1, 0]), (.logSoftmax, [0, -2 * big]),
        ]
        for (f, want) in expected {
            for scalarIsFloat in [false, true] {
                let out: [Double], grad: [Double]
                if scalarIsFloat {
                    let x = Tensor<Float>([Float(big), Float(-big)], requiresGrad: true)
                    let y = f(x)
                    (y * Tensor<Float>([1, 2])).sum().backward()
                    out = y.scalars.map(Double.init); grad = (x.grad?.scalars ?? []).map(Double.init)
                } else {
                    let x = Tensor<Double>([big, -big], requiresGrad: true)
                    let y = f(x)
                    (y * Tensor<Double>([1, 2])).sum().backward()
                    out = y.scalars; grad = x.grad?.scalars ?? []
                }
                #expect(out.allSatisfy(\.isFinite) && grad.count == 2 && grad.allSatisfy(\.isFinite),
                        "\(f.description) at ±\(big) (Float: \(scalarIsFloat)): \(out), gradient \(grad)")
                for (o, w) in zip(out, want) {
                    #expect(abs(o - w) <= 1e-6 * max(1, abs(w)), "\(f.description) at ±\(big): \(out), expected \(want)")
                }
            }
        }
    }

    @Test("activation names round-trip through init(name:)", arguments: all)
    func names(_ f: ActivationFunction) {
        #expect(ActivationFunction(name: f.description) == f)
    }
}
