import Testing
import CSynapseKernels
@testable import SynapseCore

/// The direct convolution kernels (few input channels) against the Float64 definition, on every
/// instruction set, and through `conv2d` (bit-identical on 1 and 2 threads, gradients as in Float64).
@Suite("Direct convolution")
struct DirectConvolutionTests {
    /// (channels, height, width, out channels, kernel, stride y, padding, dilation) — LeNet's conv1,
    /// an RGB layer, tails narrower and wider than a vector, a tall stride, dilation, 1×1 and 7×7.
    static let shapes: [(c: Int, h: Int, w: Int, o: Int, k: Pair2D, sy: Int, pad: Pair2D, dil: Pair2D, sx: Int)] = [
        (1, 28, 28, 6, 5, 1, 2, 1, 1), (3, 13, 37, 8, 3, 1, 1, 1, 1), (2, 9, 5, 13, Pair2D(2, 4), 2, Pair2D(0, 3), 1, 1),
        (4, 11, 40, 7, 3, 3, Pair2D(2, 1), Pair2D(2, 3), 1), (1, 6, 17, 1, 1, 1, 0, 1, 1), (3, 16, 16, 4, 7, 1, 3, 1, 1),
    ]

    /// Shapes with more channels, or a stride along the width, for the flat kernel: a ResNet block's
    /// 3×3 layers on 7×7 and 14×14 planes, LeNet's conv2 (5×5, no padding), output channels that are
    /// not a multiple of the tile, dilation with uneven padding, a 1×1 layer, a plane narrower than a
    /// vector; strided: a ResNet's stride-2 3×3 layer and 1×1 shortcut, odd sizes, unequal strides
    /// with dilation, a 1-channel layer strided along the width, stride 4.
    static let flatShapes: [(c: Int, h: Int, w: Int, o: Int, k: Pair2D, sy: Int, pad: Pair2D, dil: Pair2D, sx: Int)] = [
        (16, 7, 7, 16, 3, 1, 1, 1, 1), (6, 14, 14, 16, 5, 1, 0, 1, 1), (5, 9, 13, 11, Pair2D(3, 2), 1, Pair2D(1, 0), Pair2D(2, 1), 1),
        (8, 5, 3, 9, 1, 1, 0, 1, 1), (7, 3, 2, 5, 3, 1, 2, 1, 1), (12, 14, 14, 20, 3, 1, 1, 1, 1),
        (16, 14, 14, 32, 3, 2, 1, 1, 2), (16, 14, 14, 32, 1, 2, 0, 1, 2), (6, 11, 9, 7, 3, 2, 1, 1, 2),
        (5, 13, 12, 6, Pair2D(3, 2), 1, Pair2D(2, 1), Pair2D(2, 3), 3), (1, 8, 21, 3, 3, 1, 1, 1, 2), (9, 17, 18, 10, 5, 4, 2, 1, 4),
    ]

    /// y (forward), dW and dx for the samples, from the definition in Double.
    static func reference(_ x: [Float], _ w: [Float], _ bias: [Float], _ g: [Float], n: Int, shape s: (c: Int, h: Int, w: Int, o: Int, k: Pair2D, sy: Int, pad: Pair2D, dil: Pair2D, sx: Int),
                          geometry: ConvolutionGeometry) -> (y: [Double], dw: [Double], dx: [Double]) {
        let (oh, ow) = (geometry.outputHeight, geometry.outputWidth)
        var y = [Double](repeating: 0, count: n * s.o * oh * ow), dw = [Double](repeating: 0, count: s.o * s.c * s.k.y * s.k.x)
        var dx = [Double](repeating: 0, count: x.count)
        for b in 0..<n {
            for o in 0..<s.o {
                for p in 0..<oh {
                    for q in 0..<ow {
                        let index = ((b * s.o + o) * oh + p) * ow + q
                        var sum = Double(bias[o])
                        for c in 0..<s.c {
                            for i in 0..<s.k.y {
                                for j in 0..<s.k.x {
                                    let row = p * s.sy - s.pad.y + i * s.dil.y, column = q * s.sx - s.pad.x + j * s.dil.x
                                    guard row >= 0, row < s.h, column >= 0, column < s.w else { continue }
                                    let position = ((b * s.c + c) * s.h + row) * s.w + column
                                    let input = Double(x[position])
                                    let tap = ((o * s.c + c) * s.k.y + i) * s.k.x + j
                                    sum += Double(w[tap]) * input
                                    dw[tap] += Double(g[index]) * input
                                    dx[position] += Double(g[index]) * Double(w[tap])
                                }
                            }
                        }
                        y[index] = sum
                    }
                }
            }
        }
        return (y, dw, dx)
    }

    @Test("forward and weight gradient match Float64 on levels 0, 1, 2 (rows and flat kernels)", arguments: [Int32(0), 1, 2])
    func kernels(level: Int32) throws {
        for (index, s) in (Self.shapes + Self.flatShapes).enumerated() {
            var gen = RandomGenerator(seed: UInt32(70 + index))
            let geometry = ConvolutionGeometry(height: s.h, width: s.w, kernel: s.k, stride: Pair2D(s.sy, s.sx), padding: s.pad, dilation: s.dil)
            // 11 samples: the flat kernel's weight gradient takes several per call, with a shorter last call.
            let n = index < Self.shapes.count ? 3 : 11
            func draw(_ count: Int) -> [Float] { (0..<count).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) } }
            let x = draw(n * s.c * s.h * s.w), w = draw(s.o * s.c * s.k.y * s.k.x), bias = draw(s.o)
            let g = draw(n * s.o * geometry.outputHeight * geometry.outputWidth)
            let direct = try #require(DirectConvolution(scalar: Float.self, channels: s.c, outChannels: s.o, geometry: geometry, level: level))
            #expect(direct.kernel == (index < Self.shapes.count ? .rows : .flat), "shape \(index)")
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
            // Float32 sums of `terms` products, each term within ±1: errors relative to max(1, |sum|) grow like √terms.
            func error(_ got: [Float], _ expected: [Double]) -> Double {
                zip(got, expected).map { abs(Double($0) - $1) / Swift.max(1, abs($1)) }.max() ?? .nan
            }
            let yError = error(y, expected.y), dwError = error(dw, expected.dw)
            #expect(yError < 1e-6 * taps.squareRoot() + 1e-6, "shape \(index), level \(level): forward error \(yError)")
            #expect(dwError < 1e-6 * positions.squareRoot() + 1e-6, "shape \(index), level \(level): weight gradient error \(dwError)")
            // The input gradient: the flat kernel's "full" correlation with W flipped and transposed (per phase when strided).
            let expectsDirect = s.sy == 1 && s.sx == 1 ? s.pad.y <= (s.k.y - 1) * s.dil.y && s.pad.x <= (s.k.x - 1) * s.dil.x
                                                : s.dil == 1 && s.pad.y < s.k.y && s.pad.x < s.k.x
            guard let transposed = DirectInputGradient(scalar: Float.self, channels: s.c, outChannels: s.o, geometry: geometry, level: level) else {
                #expect(!expectsDirect || s.o <= DirectConvolution.maximumChannels, "shape \(index): \(s.o) kernels should have a direct input gradient")
                continue
            }
            var dx = [Float](repeating: .nan, count: x.count)
            let flipped = w.withUnsafeBufferPointer { transposed.pack($0.baseAddress!) }
            g.withUnsafeBufferPointer { gp in
                dx.withUnsafeMutableBufferPointer { transposed.run(samples: 0..<n, gradient: gp.baseAddress!, packed: flipped, into: $0.baseAddress!) }
            }
            let dxError = error(dx, expected.dx), reach = Double(s.o * s.k.y * s.k.x)
            #expect(dxError < 1e-6 * reach.squareRoot() + 1e-6, "shape \(index), level \(level): input gradient error \(dxError)")
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

    @Test("conv2d through the direct kernels: bit-identical on 1 and 2 threads, and equal to Float64 (under every backend)",
          arguments: [(2, 5, Pair2D(3, 3), Pair2D(1, 1), Pair2D(1, 1), Pair2D(1, 1)), (9, 12, Pair2D(3, 3), Pair2D(1, 1), Pair2D(1, 1), Pair2D(1, 1)),
                      (6, 10, Pair2D(3, 2), Pair2D(2, 0), Pair2D(1, 2), Pair2D(1, 1)), (9, 12, Pair2D(3, 3), Pair2D(1, 1), Pair2D(1, 1), Pair2D(2, 2)),
                      (2, 6, Pair2D(1, 1), Pair2D(0, 0), Pair2D(1, 1), Pair2D(2, 2))])
    func throughConv2d(channels: Int, outChannels: Int, kernel: Pair2D, padding: Pair2D, dilation: Pair2D, stride: Pair2D) throws {
        var gen = RandomGenerator(seed: 5)
        func draw(_ shape: [Int]) -> Tensor<Float> {
            Tensor<Float>(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in Float(gen.uniform(low: -1.0, high: 1.0)) })
        }
        // 19 samples: ranges of uneven size, and the flat weight gradient's calls of several samples.
        let x = draw([19, channels, 12, 19]), w = draw([outChannels, channels, kernel.y, kernel.x]), b = draw([outChannels])
        let geometry = ConvolutionGeometry(height: 12, width: 19, kernel: kernel, stride: stride, padding: padding, dilation: dilation)
        let direct = DirectConvolution(scalar: Float.self, channels: channels, outChannels: outChannels, geometry: geometry)
        #expect(direct?.kernel == (channels <= DirectConvolution.maximumChannels && stride.x == 1 ? .rows : .flat),
                "conv2d uses the direct kernel for this shape when DirectConvolution.isEnabled")
        #expect(DirectInputGradient(scalar: Float.self, channels: channels, outChannels: outChannels, geometry: geometry) != nil
                || outChannels <= DirectConvolution.maximumChannels, "the input gradient is a direct convolution too")
        func run(threads: Int) -> [[Float]] {
            Parallel.threadCountOverride = threads
            defer { Parallel.threadCountOverride = nil }
            let (xi, wi, bi) = (x.copy(), w.copy(), b.copy())
            for t in [xi, wi, bi] { t.requiresGrad = true }
            let y = conv2d(xi, weight: wi, bias: bi, stride: stride, padding: padding, dilation: dilation)
            (y * y).sum().backward()
            return [y.scalars, xi.grad!.scalars, wi.grad!.scalars, bi.grad!.scalars]
        }
        let one = run(threads: 1), two = run(threads: 2)
        #expect(one == two)
        let (xd, wd, bd) = (Tensor<Double>(shape: x.shape, scalars: x.scalars.map(Double.init), requiresGrad: true),
                            Tensor<Double>(shape: w.shape, scalars: w.scalars.map(Double.init), requiresGrad: true),
                            Tensor<Double>(shape: b.shape, scalars: b.scalars.map(Double.init), requiresGrad: true))
        let yd = conv2d(xd, weight: wd, bias: bd, stride: stride, padding: padding, dilation: dilation)
        (yd * yd).sum().backward()
        // Float32 sums of `terms` products, in whatever order the backend sums (im2col and OpenBLAS under
        // `blas`): the error relative to the tensor's largest value grows like √terms.
        let taps = channels * kernel.y * kernel.x, reach = outChannels * kernel.y * kernel.x, positions = yd.scalars.count / outChannels
        for (what, got, expected, terms) in [("y", one[0], yd.scalars, taps), ("dx", one[1], xd.grad!.scalars, reach),
                                             ("dw", one[2], wd.grad!.scalars, positions), ("db", one[3], bd.grad!.scalars, positions)] {
            let scale = Swift.max(1, expected.map { abs($0) }.max() ?? 1)
            let error = (zip(got, expected).map { abs(Double($0) - $1) }.max() ?? .nan) / scale
            #expect(error < 1e-6 * Double(terms).squareRoot() + 1e-6, "\(what): error \(error) relative to its largest value (\(terms) terms)")
        }
    }
}
