// Max and average pooling on NCHW tensors, forward and backward side by side.

/// How a pooling window combines its values.
public enum PoolingKind: String, Sendable, Codable {
    /// The largest value (ties: the first in row-major window order).
    case max
    /// The mean over the window, padding counted as zeros (PyTorch's `count_include_pad=True`).
    case average
}

/// Max or average pooling of `x` `[N, C, H, W]` over `kernel` windows moved by `stride`.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func pool2d<Scalar>(_ x: Tensor<Scalar>, _ kind: PoolingKind, kernel: Pair2D, stride: Pair2D? = nil,
                           padding: Pair2D = 0) -> Tensor<Scalar> {
    precondition(x.rank == 4, "\(kind == .max ? "MaxPool2D" : "AvgPool2D") expected input [N, C, H, W], got \(x.shape)")
    let step = stride ?? kernel
    let g = ConvolutionGeometry(height: x.shape[2], width: x.shape[3], kernelHeight: kernel.y, kernelWidth: kernel.x,
                                strideY: step.y, strideX: step.x, padY: padding.y, padX: padding.x, dilationY: 1, dilationX: 1)
    precondition(g.outputHeight > 0 && g.outputWidth > 0 && padding.y * 2 <= kernel.y && padding.x * 2 <= kernel.x,
                 "pooling: a \(kernel.y)×\(kernel.x) window does not fit a \(g.height)×\(g.width) input with padding \(padding.y)×\(padding.x)")
    let planes = x.shape[0] * x.shape[1], (oh, ow) = (g.outputHeight, g.outputWidth), area = g.height * g.width
    let out = Tensor<Scalar>(uninitializedShape: [x.shape[0], x.shape[1], oh, ow])
    // For max pooling, the flat input index each output came from (for the backward pass).
    var argmax = kind == .max ? [Int](repeating: 0, count: planes * oh * ow) : []
    let inverseArea = 1 / Scalar(kernel.y * kernel.x)
    argmax.withUnsafeMutableBufferPointer { winners in
        for plane in 0..<planes {
            let input = x.data + plane * area, output = out.data + plane * oh * ow
            for oy in 0..<oh {
                for ox in 0..<ow {
                    var best = -Scalar.infinity, bestIndex = -1, sum: Scalar = 0
                    for i in 0..<kernel.y {
                        let y = oy * step.y - padding.y + i
                        guard y >= 0 && y < g.height else { continue }
                        for j in 0..<kernel.x {
                            let xx = ox * step.x - padding.x + j
                            guard xx >= 0 && xx < g.width else { continue }
                            let v = input[y * g.width + xx]
                            sum += v
                            if v > best || bestIndex < 0 { best = v; bestIndex = y * g.width + xx }
                        }
                    }
                    if kind == .max {
                        output[oy * ow + ox] = best
                        winners[(plane * oh + oy) * ow + ox] = plane * area + bestIndex
                    } else {
                        output[oy * ow + ox] = sum * inverseArea
                    }
                }
            }
        }
    }
    if Tensor.recordsGradient(x) {
        // max: ∂L/∂x[argmax] += G;  average: ∂L/∂x[window] += G / (kh·kw)
        out.recordGradient(kind == .max ? "maxPool2d" : "avgPool2d", inputs: [x]) { [argmax] gradient, _ in
            let result = Tensor<Scalar>(zeros: x.shape)
            if kind == .max {
                for (o, index) in argmax.enumerated() { result.data[index] += gradient.data[o] }
            } else {
                for plane in 0..<planes {
                    let target = result.data + plane * area, source = gradient.data + plane * oh * ow
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let share = source[oy * ow + ox] * inverseArea
                            for i in 0..<kernel.y {
                                let y = oy * step.y - padding.y + i
                                guard y >= 0 && y < g.height else { continue }
                                for j in 0..<kernel.x {
                                    let xx = ox * step.x - padding.x + j
                                    if xx >= 0 && xx < g.width { target[y * g.width + xx] += share }
                                }
                            }
                        }
                    }
                }
            }
            return [result]
        }
    }
    return out
}

