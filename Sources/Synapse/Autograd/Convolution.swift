// Convolution and pooling on NCHW tensors, forward and backward side by side. The convolution is
// lowered to the GEMM core: each sample's windows become the columns of a matrix (im2col), so
// out[n] = W · columns[n] with W seen as [outChannels, inChannels·kh·kw].

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
    let g = ConvolutionGeometry(height: x.shape[2], width: x.shape[3], kernelHeight: kh, kernelWidth: kw, strideY: stride.y,
                                strideX: stride.x, padY: padding.y, padX: padding.x, dilationY: dilation.y, dilationX: dilation.x)
    precondition(g.outputHeight > 0 && g.outputWidth > 0,
                 "Conv2D: a \(kh)×\(kw) window (dilation \(dilation.y)×\(dilation.x)) does not fit a \(g.height)×\(g.width) input with padding \(padding.y)×\(padding.x)")
    let (n, k, p) = (x.shape[0], channels * kh * kw, g.outputHeight * g.outputWidth)
    let sampleSize = channels * g.height * g.width
    let columns = Tensor<Scalar>(uninitializedShape: [n, k, p])
    let out = Tensor<Scalar>(uninitializedShape: [n, outChannels, g.outputHeight, g.outputWidth])
    let (xData, cData, oData, wData) = (x.data, columns.data, out.data, weight.data)
    let biasData = bias?.data
    // y[n] = W · columns[n] (+ b, written first): one sample per task.
    Parallel.forEach(tasks: n) { s in
        Scalar.im2col(xData + s * sampleSize, channels: channels, geometry: g, into: cData + s * k * p)
        let target = oData + s * outChannels * p
        if let biasData { for o in 0..<outChannels { (target + o * p).update(repeating: biasData[o], count: p) } }
        Scalar.gemm(transposeA: false, transposeB: false, m: outChannels, n: p, k: k, alpha: 1, a: wData, lda: k,
                    b: cData + s * k * p, ldb: p, beta: biasData == nil ? 0 : 1, c: target, ldc: p)
    }
    let inputs: [Tensor<Scalar>] = bias.map { [x, weight, $0] } ?? [x, weight]
    if inputs.contains(where: { Tensor.recordsGradient($0) }) {
        // ∂L/∂W = Σₙ G[n] · columns[n]ᵀ,  ∂L/∂b[o] = Σₙ,ₚ G[n, o, p],  ∂L/∂x[n] = col2im(Wᵀ · G[n])
        out.recordGradient("conv2d", inputs: inputs) { [columns] gradient, _ in
            let gData = gradient.data, cData = columns.data   // `columns` is kept alive by this capture
            var gw: Tensor<Scalar>? = nil, gb: Tensor<Scalar>? = nil, gx: Tensor<Scalar>? = nil
            if weight.requiresGrad {
                let result = Tensor<Scalar>(zeros: weight.shape)
                for s in 0..<n {   // in sample order: a fixed summation order
                    Scalar.gemm(transposeA: false, transposeB: true, m: outChannels, n: k, k: p, alpha: 1, a: gData + s * outChannels * p,
                                lda: p, b: cData + s * k * p, ldb: p, beta: 1, c: result.data, ldc: k)
                }
                gw = result
            }
            if let bias, bias.requiresGrad {
                gb = Tensor(viewOf: gradient.reshaped([n, outChannels, p]).detached().reducing(.sum, axis: 2).reducing(.sum, axis: 0),
                            offset: 0, shape: [outChannels])
            }
            if x.requiresGrad {
                let result = Tensor<Scalar>(zeros: x.shape)
                let rData = result.data
                Parallel.forEach(tasks: n) { s in
                    let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: k * p)
                    defer { scratch.deallocate() }
                    Scalar.gemm(transposeA: true, transposeB: false, m: k, n: p, k: outChannels, alpha: 1, a: wData, lda: k,
                                b: gData + s * outChannels * p, ldb: p, beta: 0, c: scratch, ldc: p)
                    Scalar.col2im(scratch, channels: channels, geometry: g, into: rData + s * sampleSize)
                }
                gx = result
            }
            return bias == nil ? [gx, gw] : [gx, gw, gb]
        }
    }
    return out
}
