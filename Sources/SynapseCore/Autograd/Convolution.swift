// Convolution on NCHW tensors, forward and backward side by side. The convolution is lowered to
// the GEMM core: each sample's windows become the columns of a matrix (im2col), so
// out[n] = W · columns[n] with W seen as [outChannels, inChannels·kh·kw]. For Float under the native
// kernels the forward, the weight gradient and (mostly) the input gradient run as direct loops instead
// (Kernels/DirectConvolution.swift, DirectInputGradient.swift): the same sums without the kh·kw-fold copy of the input.

/// A pair of values for the two spatial axes (height, width).
public struct Pair2D: Sendable, Hashable, Codable, ExpressibleByIntegerLiteral {
    /// Along the height.
    public var y: Int
    /// Along the width.
    public var x: Int

    /// Different values per axis.
    public init(_ y: Int, _ x: Int) { self.y = y; self.x = x }
    /// The same value on both axes.
    public init(integerLiteral value: Int) { self.init(value, value) }
}

extension ConvolutionGeometry {
    /// The geometry of a `kernel` window moved by `stride` over a `height×width` plane padded by
    /// `padding`, its taps `dilation` apart — what convolution, pooling and shape inference share.
    public init(height: Int, width: Int, kernel: Pair2D, stride: Pair2D, padding: Pair2D, dilation: Pair2D = 1) {
        self.init(height: height, width: width, kernelHeight: kernel.y, kernelWidth: kernel.x, strideY: stride.y, strideX: stride.x,
                  padY: padding.y, padX: padding.x, dilationY: dilation.y, dilationX: dilation.x)
    }
}

extension Pair2D {
    /// The padding that keeps the spatial size at stride 1 ("same"): `d·(k − 1) / 2` per axis, or nil
    /// when a reach `d·(k − 1)` is odd (no symmetric padding keeps the size). Sizes must be bounded
    /// (≤ 2^20) by the caller when they come from a file.
    public static func samePadding(kernel: Pair2D, dilation: Pair2D) -> Pair2D? {
        let reach = Pair2D(dilation.y * (kernel.y - 1), dilation.x * (kernel.x - 1))
        guard reach.y % 2 == 0, reach.x % 2 == 0 else { return nil }
        return Pair2D(reach.y / 2, reach.x / 2)
    }
}

extension Pair2D {
    // JSON (architecture files, model metadata): a number when both axes agree, else [height, width].

    /// Decodes `5` or `[5, 3]`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) { self.init(value, value); return }
        let values = try container.decode([Int].self)
        guard values.count == 2 else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number or [height, width], got \(values.count) numbers")
        }
        self.init(values[0], values[1])
    }

    /// Encodes `5` when both axes agree, else `[y, x]`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if y == x { try container.encode(y) } else { try container.encode([y, x]) }
    }
}

/// 2-D cross-correlation (PyTorch's `conv2d`) of `x` `[N, C, H, W]` with `weight` `[O, C, kh, kw]`
/// and an optional `bias` `[O]`, giving `[N, O, OH, OW]`:
/// `y[n, o, p, q] = b[o] + Σ_{c,i,j} W[o, c, i, j] · x[n, c, p·sy − py + i·dy, q·sx − px + j·dx]`.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func conv2d<Scalar>(_ x: Tensor<Scalar>, weight: Tensor<Scalar>, bias: Tensor<Scalar>? = nil,
                           stride: Pair2D = 1, padding: Pair2D = 0, dilation: Pair2D = 1) -> Tensor<Scalar> {
    precondition(weight.rank == 4, "conv2d weight must be [out, in, kh, kw], got \(weight.shape)")
    let (outChannels, channels, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
    precondition(x.rank == 4 && x.shape[1] == channels,
                 "Conv2D expected input [N, \(channels), H, W], got \(x.shape)")
    precondition(bias == nil || bias!.shape == [outChannels], "conv2d bias must be [\(outChannels)], got \(bias!.shape)")
    precondition(stride.y > 0 && stride.x > 0 && dilation.y > 0 && dilation.x > 0 && padding.y >= 0 && padding.x >= 0,
                 "conv2d needs positive stride and dilation and non-negative padding")
    let g = ConvolutionGeometry(height: x.shape[2], width: x.shape[3], kernel: Pair2D(kh, kw), stride: stride, padding: padding, dilation: dilation)
    precondition(g.outputHeight > 0 && g.outputWidth > 0,
                 "Conv2D: a \(kh)×\(kw) window (dilation \(dilation.y)×\(dilation.x)) does not fit a \(g.height)×\(g.width) input with padding \(padding.y)×\(padding.x)")
    let (n, k, p) = (x.shape[0], channels * kh * kw, g.outputHeight * g.outputWidth)
    let sampleSize = channels * g.height * g.width
    // Float under the native backend: the direct kernels, y[n] = W ⋆ x[n] + b, one sample at a time
    // (Kernels/DirectConvolution.swift), and the input gradient as direct full correlations (Kernels/DirectInputGradient.swift).
    // Otherwise the batch is cut into ranges of samples with at least 512 output positions in all. Each
    // range is lowered into a [k, positions] scratch matrix that stays in cache (im2col), multiplied by the
    // kernels (one GEMM per range), and lowered again in the backward pass rather than kept: recomputing
    // it from the cached input is cheaper than storing and re-reading k copies of the input. The ranges
    // depend on the shapes alone, so results are the same on any number of threads.
    let direct = DirectConvolution.isEnabled ? DirectConvolution(scalar: Scalar.self, channels: channels, outChannels: outChannels, geometry: g) : nil
    let transposed = direct != nil && x.requiresGrad
        ? DirectInputGradient(scalar: Scalar.self, channels: channels, outChannels: outChannels, geometry: g) : nil
    // The direct kernels need no scratch matrix: 8 ranges (or one per sample) share out the batch evenly.
    let ranges = direct != nil ? Swift.min(n, 8) : Swift.max(1, n / ((512 + p - 1) / p))
    @inline(__always) func samples(_ r: Int) -> Range<Int> { (n * r / ranges)..<(n * (r + 1) / ranges) }
    let out = Tensor<Scalar>(uninitializedShape: [n, outChannels, g.outputHeight, g.outputWidth])
    let (xData, oData, wData) = (x.data, out.data, weight.data)
    let biasData = bias?.data
    @inline(__always) func lower(_ range: Range<Int>, into lowered: UnsafeMutablePointer<Scalar>) {
        for (i, s) in range.enumerated() {
            Scalar.im2col(xData + s * sampleSize, channels: channels, geometry: g, into: lowered + i * p, rowStride: range.count * p)
        }
    }
    if let direct {
        let packed = direct.packWeight(wData)
        Parallel.forEach(tasks: ranges) { r in direct.forward(samples: samples(r), x: xData, packedWeight: packed, bias: biasData, output: oData) }
    } else {
        // Y' = W · columns  ([O, k] · [k, positions]),  then y[n, o, :] = Y'[o, n's positions] + b[o]
        Parallel.forEach(tasks: ranges) { r in
            let range = samples(r), width = range.count * p
            let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: (k + outChannels) * width)
            defer { scratch.deallocate() }
            // A one-sample range's product is that sample's [O, positions] output: written in place.
            let inPlace = range.count == 1
            let lowered = scratch, product = inPlace ? oData + range.lowerBound * outChannels * p : scratch + k * width
            lower(range, into: lowered)
            Scalar.gemm(transposeA: false, transposeB: false, m: outChannels, n: width, k: k, alpha: 1, a: wData, lda: k,
                        b: lowered, ldb: width, beta: 0, c: product, ldc: width)
            if inPlace {
                if let biasData { for o in 0..<outChannels { Scalar.map(.plus(biasData[o]), product + o * p, product + o * p, count: p) } }
                return
            }
            for (i, s) in range.enumerated() {
                for o in 0..<outChannels {
                    let source = product + o * width + i * p, target = oData + (s * outChannels + o) * p
                    if let biasData { Scalar.map(.plus(biasData[o]), source, target, count: p) } else { target.update(from: source, count: p) }
                }
            }
        }
    }
    let inputs: [Tensor<Scalar>] = bias.map { [x, weight, $0] } ?? [x, weight]
    if inputs.contains(where: { Tensor.recordsGradient($0) }) {
        // With G' a range's output gradient as [O, positions]:
        // ∂L/∂W = Σ G' · columnsᵀ,  ∂L/∂b[o] = Σ G'[o, :],  ∂L/∂x = col2im(Wᵀ · G')
        out.recordGradient("conv2d", inputs: inputs) { gradient, _ in
            let gData = gradient.data
            let needsWeight = weight.requiresGrad, needsBias = bias?.requiresGrad ?? false
            let weightPartials = Tensor<Scalar>(uninitializedShape: [ranges, outChannels, k])
            let biasPartials = Tensor<Scalar>(uninitializedShape: [ranges, outChannels])
            let result = x.requiresGrad ? Tensor<Scalar>(zeros: x.shape) : nil
            let (wpData, bpData, rData) = (weightPartials.data, biasPartials.data, result?.data)
            let flipped = transposed.map { $0.pack(wData) }
            Parallel.forEach(tasks: ranges) { r in
                let range = samples(r), width = range.count * p
                if let rData, let transposed, let flipped {
                    // ∂L/∂x[n] = g[n] ⋆ W' (W flipped and transposed, "full" padding; per phase when strided), sample by sample.
                    transposed.run(samples: range, gradient: gData, packed: flipped, into: rData)
                }
                let needsColumns = direct == nil || (rData != nil && transposed == nil)
                let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: needsColumns ? (k + outChannels) * width : 0)
                defer { scratch.deallocate() }
                // G' of a one-sample range is that sample's gradient, [O, positions] already: read in place.
                let inPlace = range.count == 1
                let columns = scratch, rows = inPlace ? UnsafeMutablePointer(mutating: gData + range.lowerBound * outChannels * p) : scratch + k * width
                if !inPlace && ((rData != nil && transposed == nil) || (direct == nil && (needsWeight || needsBias))) {
                    for (i, s) in range.enumerated() {
                        for o in 0..<outChannels { (rows + o * width + i * p).update(from: gData + (s * outChannels + o) * p, count: p) }
                    }
                }
                if needsWeight, let direct {
                    (wpData + r * outChannels * k).initialize(repeating: 0, count: outChannels * k)
                    direct.addWeightGradient(samples: range, x: xData, gradient: gData, into: wpData + r * outChannels * k)
                } else if needsWeight {
                    lower(range, into: columns)
                    Scalar.gemm(transposeA: false, transposeB: true, m: outChannels, n: k, k: width, alpha: 1, a: rows, lda: width,
                                b: columns, ldb: width, beta: 0, c: wpData + r * outChannels * k, ldc: k)
                }
                if needsBias, direct != nil {
                    // Σ over each sample's positions ([samples·O, p] → sums), then over the samples, in order.
                    let sums = UnsafeMutablePointer<Scalar>.allocate(capacity: range.count * outChannels)
                    defer { sums.deallocate() }
                    Scalar.reduce(.sum, gData + range.lowerBound * outChannels * p, sums, outer: range.count * outChannels, axis: p, inner: 1)
                    Scalar.reduce(.sum, sums, bpData + r * outChannels, outer: 1, axis: range.count, inner: outChannels)
                } else if needsBias {
                    Scalar.reduce(.sum, rows, bpData + r * outChannels, outer: outChannels, axis: width, inner: 1)
                }
                if let rData, transposed == nil {
                    Scalar.gemm(transposeA: true, transposeB: false, m: k, n: width, k: outChannels, alpha: 1, a: wData, lda: k,
                                b: rows, ldb: width, beta: 0, c: columns, ldc: width)
                    for (i, s) in range.enumerated() {
                        Scalar.col2im(columns + i * p, channels: channels, geometry: g, into: rData + s * sampleSize, rowStride: width)
                    }
                }
            }
            // The ranges' partial sums, added in range order.
            let gw = needsWeight ? weightPartials.reducing(.sum, axis: 0).reshapedView(weight.shape) : nil
            let gb = needsBias ? biasPartials.reducing(.sum, axis: 0).reshapedView([outChannels]) : nil
            return bias == nil ? [result, gw] : [result, gw, gb]
        }
    }
    return out
}
