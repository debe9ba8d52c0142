import Testing
import CSynapseKernels
@testable import SynapseCore

/// The direct convolution kernels (few input channels) against the Float64 definition, on every
/// instruction set, and through `conv2d` (bit-identical on 1 and 2 threads, gradients as in Float64).
@Suite("Direct convolution")
struct DirectConvolutionTests {
    /// (channels, height, width, out channels, kernel, stride y, padding, dilation) — LeNet's conv1,
    /// an RGB layer, tails narrower and wider than a vector, a tall stride, dilation, 1×1 and 7×7.
    static let shapes: [(c: Int, h: Int, w: Int, o: Int, k: Pair2D, sy: Int, pad: Pair2D, dil: Pair2D)] = [
        (1, 28, 28, 6, 5, 1, 2, 1), (3, 13, 37, 8, 3, 1, 1, 1), (2, 9, 5, 13, Pair2D(2, 4), 2, Pair2D(0, 3), 1),
        (4, 11, 40, 7, 3, 3, Pair2D(2, 1), Pair2D(2, 3)), (1, 6, 17, 1, 1, 1, 0, 1), (3, 16, 16, 4, 7, 1, 3, 1),
    ]

    /// y (forward) and dW for the samples, from the definition in Double.
    static func reference(_ x: [Float], _ w: [Float], _ bias: [Float], _ g: [Float], n: Int, shape s: (c: Int, h: Int, w: Int, o: Int, k: Pair2D, sy: Int, pad: Pair2D, dil: Pair2D),
                          geometry: ConvolutionGeometry) -> (y: [Double], dw: [Double]) {
        let (oh, ow) = (geometry.outputHeight, geometry.outputWidth)
        var y = [Double](repeating: 0, count: n * s.o * oh * ow), dw = [Double](repeating: 0, count: s.o * s.c * s.k.y * s.k.x)
        for b in 0..<n {
            for o in 0..<s.o {
                for p in 0..<oh {
                    for q in 0..<ow {
                        let index = ((b * s.o + o) * oh + p) * ow + q
                        var sum = Double(bias[o])
                        for c in 0..<s.c {
                            for i in 0..<s.k.y {
                                for j in 0..<s.k.x {
                                    let row = p * s.sy - s.pad.y + i * s.dil.y, column = q - s.pad.x + j * s.dil.x
                                    guard row >= 0, row < s.h, column >= 0, column < s.w else { continue }
                                    let input = Double(x[((b * s.c + c) * s.h + row) * s.w + column])
                                    let tap = ((o * s.c + c) * s.k.y + i) * s.k.x + j
                                    sum += Double(w[tap]) * input
                                    dw[tap] += Double(g[index]) * input
                                }
                            }
                        }
                        y[index] = sum
                    }
                }
            }
        }
        return (y, dw)
    }

    @Test("forward and weight gradient match Float64 on levels 0, 1, 2", arguments: [Int32(0), 1, 2])
    func kernels(level: Int32) throws {
        for (index, s) in Self.shapes.enumerated() {
            var gen = RandomGenerator(seed: UInt32(70 + index))
            let geometry = ConvolutionGeometry(height: s.h, width: s.w, kernel: s.k, stride: Pair2D(s.sy, 1), padding: s.pad, dilation: s.dil)
            let n = 3
            func draw(_ count: Int) -> [Float] { (0..<count).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) } }
            let x = draw(n * s.c * s.h * s.w), w = draw(s.o * s.c * s.k.y * s.k.x), bias = draw(s.o)
            let g = draw(n * s.o * geometry.outputHeight * geometry.outputWidth)
            let direct = try #require(DirectConvolution(scalar: Float.self, channels: s.c, outChannels: s.o, geometry: geometry, level: level))
            var y = [Float](repeating: .nan, count: g.count), dw = [Float](repeating: 0, count: w.count)
            let packed = w.withUnsafeBufferPointer { direct.packWeight($0.baseAddress!) }
            x.withUnsafeBufferPointer { xp in
                bias.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { direct.forward(samples: 0..<n, x: xp.baseAddress!, packedWeight: packed, bias: bp.baseAddress!, output: $0.baseAddress!) }
                }
                g.withUnsafeBufferPointer { gp in
                    dw.withUnsafeMutableBufferPointer { direct.addWeightGradient(samples: 0..<n, x: xp.baseAddress!, gradient: gp.baseAddress!, into: $0.baseAddress!) }
                }
            }
            let expected = Self.reference(x, w, bias, g, n: n, shape: s, geometry: geometry)
            let taps = Double(s.c * s.k.y * s.k.x), positions = Double(n * geometry.outputHeight * geometry.outputWidth)
            let yError = zip(y, expected.y).map { abs(Double($0) - $1) }.max() ?? .nan
            let dwError = zip(dw, expected.dw).map { abs(Double($0) - $1) }.max() ?? .nan
            #expect(yError < 4e-7 * taps.squareRoot() + 1e-6, "shape \(index), level \(level): forward error \(yError)")
            #expect(dwError < 4e-7 * positions.squareRoot() + 1e-6, "shape \(index), level \(level): weight gradient error \(dwError)")
        }
    }

    @Test("a tall stride over wide padding (padded planes mostly never read) stays with im2col, and conv2d is still right")
    func hostileGeometry() {
        let geometry = ConvolutionGeometry(height: 4, width: 4, kernel: 1, stride: Pair2D(10_000, 1), padding: Pair2D(5_000, 0))
        #expect(DirectConvolution(scalar: Float.self, channels: 1, outChannels: 2, geometry: geometry) == nil)
        var gen = RandomGenerator(seed: 9)
        let x = Tensor<Float>(shape: [1, 1, 4, 4], scalars: (0..<16).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) })
        let w = Tensor<Float>(shape: [2, 1, 1, 1], scalars: [0.5, -2])
        let y = conv2d(x, weight: w, stride: Pair2D(10_000, 1), padding: Pair2D(5_000, 0))
        #expect(y.shape == [1, 2, 2, 4] && y.scalars.allSatisfy { $0 == 0 }, "rows 0 and 10 000 of the padded input are padding")
    }

    @Test("conv2d with few channels: bit-identical on 1 and 2 threads, and equal to Float64 (under every backend)")
    func throughConv2d() throws {
        var gen = RandomGenerator(seed: 5)
        let x = Tensor<Float>(shape: [9, 2, 12, 19], scalars: (0..<9 * 2 * 12 * 19).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) })
        let w = Tensor<Float>(shape: [5, 2, 3, 3], scalars: (0..<90).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) })
        let b = Tensor<Float>(shape: [5], scalars: (0..<5).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) })
        let geometry = ConvolutionGeometry(height: 12, width: 19, kernel: 3, stride: 1, padding: 1)
        #expect(DirectConvolution(scalar: Float.self, channels: 2, outChannels: 5, geometry: geometry) != nil,
                "the direct kernel should take a 2-channel convolution (conv2d uses it when DirectConvolution.isEnabled)")
        func run(threads: Int) -> [[Float]] {
            Parallel.threadCountOverride = threads
            defer { Parallel.threadCountOverride = nil }
            let (xi, wi, bi) = (x.copy(), w.copy(), b.copy())
            for t in [xi, wi, bi] { t.requiresGrad = true }
            let y = conv2d(xi, weight: wi, bias: bi, padding: 1)
            (y * y).sum().backward()
            return [y.scalars, xi.grad!.scalars, wi.grad!.scalars, bi.grad!.scalars]
        }
        let one = run(threads: 1), two = run(threads: 2)
        #expect(one == two)
        let (xd, wd, bd) = (Tensor<Double>(shape: x.shape, scalars: x.scalars.map(Double.init), requiresGrad: true),
                            Tensor<Double>(shape: w.shape, scalars: w.scalars.map(Double.init), requiresGrad: true),
                            Tensor<Double>(shape: b.shape, scalars: b.scalars.map(Double.init), requiresGrad: true))
        let yd = conv2d(xd, weight: wd, bias: bd, padding: 1)
        (yd * yd).sum().backward()
        for (what, got, expected) in [("y", one[0], yd.scalars), ("dx", one[1], xd.grad!.scalars), ("dw", one[2], wd.grad!.scalars), ("db", one[3], bd.grad!.scalars)] {
            let error = zip(got, expected).map { abs(Double($0) - $1) / Swift.max(1, abs($1)) }.max() ?? .nan
            #expect(error < 2e-5, "\(what): relative error \(error)")
        }
    }
}
