/// The input gradient of a convolution `[C → O]` through the flat direct kernel (`Float`, native):
///
/// - stride 1: ∂L/∂x = g ⋆ W', one "full" correlation of the output gradient with
///   W'[c, o, i, j] = W[o, c, kh−1−i, kw−1−j] at padding (k − 1)·d − p, written straight into ∂L/∂x;
/// - stride (sy, sx), dilation 1: each phase (a, b) of the padded input — rows ≡ a mod sy, columns
///   ≡ b mod sx — only meets the taps i ≡ a, j ≡ b, so its gradient is a stride-1 full correlation of g
///   with the sub-kernel W[:, :, a::sy, b::sx]:
///   ∂L/∂x_pad[sy·u + a, sx·v + b] = Σ_{o,k,l} W[o, c, sy·k + a, sx·l + b] · g[o, u − k, v − l];
///   the phases are then interleaved back into ∂L/∂x (positions no window reaches get 0).
///
/// Nil when the shape does not suit (padding wider than the reach, a dilated strided convolution, a
/// phase the flat kernel declines): the GEMM and col2im take it.
struct DirectInputGradient {
    /// One stride-1 full correlation: phase (a, b) of the padded input, its sub-kernel `kh × kw`, and
    /// its `rows × columns` result (u, v from 0).
    private struct Phase {
        let a: Int, b: Int, kernelHeight: Int, kernelWidth: Int, rows: Int, columns: Int
        let convolution: DirectConvolution
    }

    private let phases: [Phase]
    private let geometry: ConvolutionGeometry
    private let channels: Int, outChannels: Int

    /// `level` forces the instruction set (tests) instead of this CPU's (−1).
    init?<Scalar: TensorScalar>(scalar: Scalar.Type, channels: Int, outChannels: Int, geometry g: ConvolutionGeometry, level: Int32 = -1) {
        (geometry, self.channels, self.outChannels) = (g, channels, outChannels)
        guard outChannels > DirectConvolution.maximumChannels else { return nil }
        if g.strideY == 1 && g.strideX == 1 {
            let padding = Pair2D((g.kernelHeight - 1) * g.dilationY - g.padY, (g.kernelWidth - 1) * g.dilationX - g.padX)
            guard padding.y >= 0, padding.x >= 0 else { return nil }
            let full = ConvolutionGeometry(height: g.outputHeight, width: g.outputWidth, kernel: Pair2D(g.kernelHeight, g.kernelWidth),
                                           stride: 1, padding: padding, dilation: Pair2D(g.dilationY, g.dilationX))
            guard full.outputHeight == g.height, full.outputWidth == g.width,
                  let convolution = DirectConvolution(scalar: scalar, channels: outChannels, outChannels: channels, geometry: full, level: level),
                  convolution.kernel == .flat else { return nil }
            phases = [Phase(a: 0, b: 0, kernelHeight: g.kernelHeight, kernelWidth: g.kernelWidth, rows: g.height, columns: g.width,
                            convolution: convolution)]
            return
        }
        guard g.dilationY == 1, g.dilationX == 1, g.padY < g.kernelHeight, g.padX < g.kernelWidth else { return nil }
        var phases: [Phase] = []
        for a in 0..<Swift.min(g.strideY, g.kernelHeight) {
            for b in 0..<Swift.min(g.strideX, g.kernelWidth) {
                let kh = (g.kernelHeight - a + g.strideY - 1) / g.strideY, kw = (g.kernelWidth - b + g.strideX - 1) / g.strideX
                let full = ConvolutionGeometry(height: g.outputHeight, width: g.outputWidth, kernel: Pair2D(kh, kw), stride: 1,
                                               padding: Pair2D(kh - 1, kw - 1))
                guard let convolution = DirectConvolution(scalar: scalar, channels: outChannels, outChannels: channels, geometry: full, level: level),
                      convolution.kernel == .flat else { return nil }
                phases.append(Phase(a: a, b: b, kernelHeight: kh, kernelWidth: kw, rows: full.outputHeight, columns: full.outputWidth,
                                    convolution: convolution))
            }
        }
        self.phases = phases
    }

    /// The weight `[O, C, kh, kw]` packed for ``run(samples:gradient:packed:into:)``: each phase's
    /// sub-kernel, flipped and transposed.
    func pack<Scalar: TensorScalar>(_ weight: UnsafePointer<Scalar>) -> [[Float]] {
        let g = geometry
        if phases.count == 1 && g.strideY == 1 && g.strideX == 1 { return [phases[0].convolution.packWeight(weight, flipped: true)] }
        return phases.map { phase in
            // W[o, c, sy·k + a, sx·l + b] as [O, C, kh', kw'].
            var sub = [Float](repeating: 0, count: outChannels * channels * phase.kernelHeight * phase.kernelWidth)
            var index = 0
            for o in 0..<outChannels {
                for c in 0..<channels {
                    for k in 0..<phase.kernelHeight {
                        let row = ((o * channels + c) * g.kernelHeight + g.strideY * k + phase.a) * g.kernelWidth + phase.b
                        for l in 0..<phase.kernelWidth {
                            sub[index] = Float(weight[row + g.strideX * l])
                            index += 1
                        }
                    }
                }
            }
            return sub.withUnsafeBufferPointer { phase.convolution.packWeight($0.baseAddress!, flipped: true) }
        }
    }

    /// ∂L/∂x `[N, C, H, W]` of the samples `samples` (every element written), from the output gradient
    /// `gradient` `[N, O, OH, OW]`.
    func run<Scalar: TensorScalar>(samples: Range<Int>, gradient: UnsafePointer<Scalar>, packed: [[Float]],
                                   into dx: UnsafeMutablePointer<Scalar>) {
        let g = geometry
        if phases.count == 1 && g.strideY == 1 && g.strideX == 1 {
            phases[0].convolution.forward(samples: samples, x: gradient, packedWeight: packed[0], bias: nil, output: dx)
            return
        }
        let planeSizes = phases.map { channels * $0.rows * $0.columns }
        let offsets = planeSizes.indices.map { planeSizes[..<$0].reduce(0, +) }
        let results = UnsafeMutablePointer<Scalar>.allocate(capacity: planeSizes.reduce(0, +))
        defer { results.deallocate() }
        let sampleSize = channels * g.height * g.width, gradientSize = outChannels * g.outputHeight * g.outputWidth
        for s in samples {
            let target = dx + s * sampleSize
            // Positions no window reaches (a kernel narrower than the stride, rows past the last window) stay 0.
            target.update(repeating: 0, count: sampleSize)
            for (index, phase) in phases.enumerated() {
                let source = results + offsets[index]
                phase.convolution.forward(samples: 0..<1, x: gradient + s * gradientSize, packedWeight: packed[index], bias: nil, output: source)
                // Phase row u is input row u·sy + a − py, phase column v input column v·sx + b − px: those inside the input.
                let rows = Self.inside(count: phase.rows, step: g.strideY, phase: phase.a, padding: g.padY, size: g.height)
                let columns = Self.inside(count: phase.columns, step: g.strideX, phase: phase.b, padding: g.padX, size: g.width)
                guard !rows.isEmpty, !columns.isEmpty else { continue }
                for c in 0..<channels {
                    for u in rows {
                        let line = target + (c * g.height + u * g.strideY + phase.a - g.padY) * g.width
                        let from = source + (c * phase.rows + u) * phase.columns
                        var x = columns.lowerBound * g.strideX + phase.b - g.padX
                        for v in columns {
                            line[x] = from[v]
                            x += g.strideX
                        }
                    }
                }
            }
        }
    }

    /// The indices t < `count` whose position t·step + phase − padding lies in 0..<size.
    private static func inside(count: Int, step: Int, phase: Int, padding: Int, size: Int) -> Range<Int> {
        let lower = padding > phase ? (padding - phase + step - 1) / step : 0
        let last = size - 1 + padding - phase
        let upper = last < 0 ? 0 : Swift.min(count, last / step + 1)
        return lower..<Swift.max(lower, upper)
    }
}
