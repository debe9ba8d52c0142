import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// conv2d computed from its definition, in Double.
private func naiveConvolution(_ x: Tensor<Double>, _ w: Tensor<Double>, _ b: Tensor<Double>?, stride: Pair2D, padding: Pair2D,
                              dilation: Pair2D) -> [Double] {
    let (n, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (o, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let oh = (h + 2 * padding.y - dilation.y * (kh - 1) - 1) / stride.y + 1
    let ow = (wd + 2 * padding.x - dilation.x * (kw - 1) - 1) / stride.x + 1
    let xs = x.scalars, ws = w.scalars
    var out: [Double] = []
    for s in 0..<n {
        for oc in 0..<o {
            for p in 0..<oh {
                for q in 0..<ow {
                    var sum = b?.scalars[oc] ?? 0
                    for ic in 0..<c {
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let y = p * stride.y - padding.y + i * dilation.y, xx = q * stride.x - padding.x + j * dilation.x
                                guard y >= 0 && y < h && xx >= 0 && xx < wd else { continue }
                                sum += ws[((oc * c + ic) * kh + i) * kw + j] * xs[((s * c + ic) * h + y) * wd + xx]
                            }
                        }
                    }
                    out.append(sum)
                }
            }
        }
    }
    return out
}

@Suite("Convolution and pooling")
struct ConvolutionTests {
    static let configurations: [(stride: Pair2D, padding: Pair2D, dilation: Pair2D, bias: Bool)] = [
        (1, 0, 1, true), (2, 1, 1, true), (Pair2D(1, 2), Pair2D(2, 0), 1, false), (1, 1, 2, true), (3, 2, Pair2D(2, 1), false),
    ]

    @Test("conv2d equals its definition, and its gradients check in Float64", arguments: 0..<5)
    func convolution(_ index: Int) {
        let c = Self.configurations[index]
        var g = RandomGenerator(seed: UInt32(30 + index))
        let x = Tensor<Double>(randomNormal: [2, 3, 7, 6], generator: &g)
        let w = Tensor<Double>(randomNormal: [4, 3, 3, 2], generator: &g)
        let b = Tensor<Double>(randomNormal: [4], generator: &g)
        let y = conv2d(x, weight: w, bias: c.bias ? b : nil, stride: c.stride, padding: c.padding, dilation: c.dilation)
        let expected = naiveConvolution(x, w, c.bias ? b : nil, stride: c.stride, padding: c.padding, dilation: c.dilation)
        #expect(y.count == expected.count && zip(y.scalars, expected).allSatisfy { abs($0 - $1) < 1e-12 }, "\(c)")
        let result = checkGradients(at: c.bias ? [x, w, b] : [x, w]) { inputs in
            conv2d(inputs[0], weight: inputs[1], bias: c.bias ? inputs[2] : nil, stride: c.stride, padding: c.padding, dilation: c.dilation)
        }
        // 1e-5: tiny entries (|g| ~ 5e-3) carry ~1e-8 of finite-difference round-off from a loss of ~100.
        #expect(result.maxRelativeError < 1e-5, "\(c): \(result)")
    }

    @Test("Conv2D layer: PyTorch layout and names, 'same' padding keeps the size")
    func layer() {
        var g = RandomGenerator(seed: 3)
        let conv = Conv2D<Float>(inputChannels: 1, outputChannels: 6, kernelSize: 5, padding: nil, generator: &g)
        #expect(conv.weight.shape == [6, 1, 5, 5] && conv.namedParameters.map(\.name) == ["weight", "bias"])
        #expect(conv(Tensor(zeros: [2, 1, 28, 28])).shape == [2, 6, 28, 28])
        #expect(Conv2D<Float>(inputChannels: 6, outputChannels: 16, kernelSize: 5, generator: &g)(Tensor(zeros: [1, 6, 14, 14])).shape == [1, 16, 10, 10])
        #expect(conv.summary == "Conv2D(1 → 6, 5×5, padding 2×2)")
        #expect(Conv2D<Float>.samePadding(Pair2D(3, 5), dilation: 2) == Pair2D(2, 4))
    }

    @Test("strides, padding and dilation that skip input positions give them zero gradient")
    func skippedPositions() {
        // A 1×1 kernel with stride 2 reads only even rows and columns.
        var g = RandomGenerator(seed: 5)
        let x = Tensor<Double>(randomNormal: [1, 1, 5, 5], generator: &g)
        x.requiresGrad = true
        let w = Tensor<Double>(shape: [1, 1, 1, 1], scalars: [3])
        conv2d(x, weight: w, stride: 2).sum().backward()
        let expected = (0..<25).map { ($0 / 5) % 2 == 0 && ($0 % 5) % 2 == 0 ? 3.0 : 0 }
        #expect(x.grad?.scalars == expected)
    }

    @Test("max and average pooling: values and Float64 gradients")
    func pooling() {
        let x = Tensor<Double>(shape: [1, 1, 4, 4], scalars: (0..<16).map { Double(($0 * 7) % 16) })
        // rows: 0 7 14 5 / 12 3 10 1 / 8 15 6 13 / 4 11 2 9
        #expect(pool2d(x, .max, kernel: 2).scalars == [12, 14, 15, 13])
        #expect(pool2d(x, .average, kernel: 2).scalars == [5.5, 7.5, 9.5, 7.5])
        #expect(pool2d(x, .max, kernel: 3, stride: 1).shape == [1, 1, 2, 2])
        var g = RandomGenerator(seed: 9)
        let y = Tensor<Double>(randomNormal: [2, 3, 5, 6], generator: &g)   // distinct values: no ties at the maxima
        for (kind, kernel, stride, padding) in [(PoolingKind.max, Pair2D(2), Pair2D?.none, Pair2D(0)), (.max, 3, 2, 1), (.average, 2, nil, 0), (.average, 3, 1, 1)] {
            let result = checkGradients(at: [y]) { pool2d($0[0], kind, kernel: kernel, stride: stride, padding: padding) }
            #expect(result.maxRelativeError < 1e-6, "\(kind) \(kernel) \(String(describing: stride)) \(padding): \(result)")
        }
        #expect(MaxPool2D<Double>(kernelSize: 2)(x).scalars == [12, 14, 15, 13])
        #expect(AvgPool2D<Double>(kernelSize: 2, stride: 1).summary == "AvgPool2D(2×2, stride 1×1)")
        let gap = GlobalAveragePool<Double>()
        #expect(gap(x).scalars == [7.5])
        #expect(checkGradients(at: [y]) { gap($0[0]) }.maxRelativeError < 1e-6)
    }

    @Test("2×2 max pooling in Float (the C loop under the native kernels) picks the same winners as the Swift loop: ties, NaN, −∞, odd sizes")
    func maxPoolFloat() {
        var g = RandomGenerator(seed: 12)
        // Small integers: many ties; a NaN and −∞ here and there. Odd height and width leave a row and a column out.
        var values = (0..<(3 * 2 * 9 * 23)).map { _ in Double(Int(g.uniform(low: 0.0, high: 4.0))) }
        for i in stride(from: 5, to: values.count, by: 37) { values[i] = .nan }
        for i in stride(from: 11, to: values.count, by: 29) { values[i] = -.infinity }
        let xd = Tensor<Double>(shape: [3, 2, 9, 23], scalars: values, requiresGrad: true)
        let xf = Tensor<Float>(shape: [3, 2, 9, 23], scalars: values.map(Float.init), requiresGrad: true)
        let (yd, yf) = (pool2d(xd, .max, kernel: 2), pool2d(xf, .max, kernel: 2))
        #expect(yf.shape == [3, 2, 4, 11])
        #expect(zip(yf.scalars, yd.scalars).allSatisfy { Double($0) == $1 || ($0.isNaN && $1.isNaN) })
        let upstream = (0..<yd.scalars.count).map { Double($0 + 1) }
        yd.backward(gradient: Tensor<Double>(shape: yd.shape, scalars: upstream))
        yf.backward(gradient: Tensor<Float>(shape: yf.shape, scalars: upstream.map(Float.init)))
        #expect(xf.grad!.scalars.map(Double.init) == xd.grad!.scalars, "each gradient goes to the same winner")
    }
}
