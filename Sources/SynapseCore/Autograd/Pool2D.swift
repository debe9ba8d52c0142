import CSynapseKernels

// Max and average pooling on NCHW tensors, forward and backward side by side.

/// How a pooling window combines its values.
public enum PoolingKind: String, Sendable, Codable {
    /// The largest value (ties: the first in row-major window order; padding never wins).
    case max
    /// The mean over the window, padding counted as zeros (PyTorch's `count_include_pad=True`).
    case average
}

/// Max or average pooling of `x` `[N, C, H, W]` over `kernel` windows moved by `stride` (default: the window).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func pool2d<Scalar>(_ x: Tensor<Scalar>, _ kind: PoolingKind, kernel: Pair2D, stride: Pair2D? = nil,
                           padding: Pair2D = 0) -> Tensor<Scalar> {
    let name = kind == .max ? "MaxPool2D" : "AvgPool2D"
    precondition(x.rank == 4, "\(name) expected input [N, C, H, W], got \(x.shape)")
    let step = stride ?? kernel
    let g = ConvolutionGeometry(height: x.shape[2], width: x.shape[3], kernel: kernel, stride: step, padding: padding)
    precondition(kernel.y > 0 && kernel.x > 0 && step.y > 0 && step.x > 0 && padding.y * 2 <= kernel.y && padding.x * 2 <= kernel.x,
                 "\(name) needs a positive window and stride and padding at most half the window")
    precondition(g.outputHeight > 0 && g.outputWidth > 0,
                 "\(name): a \(kernel.y)×\(kernel.x) window does not fit a \(g.height)×\(g.width) input with padding \(padding.y)×\(padding.x)")
    let planes = x.shape[0] * x.shape[1], (oh, ow) = (g.outputHeight, g.outputWidth), area = g.height * g.width
    let out = Tensor<Scalar>(uninitializedShape: [x.shape[0], x.shape[1], oh, ow])
    // For max pooling, the index within its plane that each output came from (for the backward pass).
    var argmax = kind == .max ? [Int32](repeating: 0, count: planes * oh * ow) : []
    let inverseArea = 1 / Scalar(kernel.y * kernel.x)
    let (xData, oData) = (x.data, out.data)
    let chunks = Swift.min(planes, 8 * Parallel.threadCount)
    argmax.withUnsafeMutableBufferPointer { winners in
        let winners = winners.baseAddress
        // y = max over the window (or Σ window / (kh·kw)), each plane on its own.
        Parallel.forEach(tasks: chunks) { chunk in
            for plane in (planes * chunk / chunks)..<(planes * (chunk + 1) / chunks) {
                let input = xData + plane * area, output = oData + plane * oh * ow
                if kind == .max && kernel == 2 && step == 2 && padding == 0 && Scalar.self == Float.self && GEMM.backend == .native {
                    // The common 2×2 / stride 2 case in Float: the C loop (branch-free, vectorized), same winners.
                    synapse_max_pool_2x2_f32(UnsafeRawPointer(input).assumingMemoryBound(to: Float.self), g.width, oh, ow,
                                             UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self), winners! + plane * oh * ow)
                    continue
                }
                if kind == .max && kernel == 2 && step == 2 && padding == 0 {
                    // The common 2×2 / stride 2 case, unrolled: max of (a b / c d), first maximum wins.
                    let planeWinners = winners! + plane * oh * ow
                    for oy in 0..<oh {
                        let top = input + 2 * oy * g.width, bottom = top + g.width
                        for ox in 0..<ow {
                            let a = top[2 * ox], b = top[2 * ox + 1], c = bottom[2 * ox], d = bottom[2 * ox + 1]
                            var best = a, index = 2 * oy * g.width + 2 * ox
                            if b > best { best = b; index = 2 * oy * g.width + 2 * ox + 1 }
                            if c > best { best = c; index = (2 * oy + 1) * g.width + 2 * ox }
                            if d > best { best = d; index = (2 * oy + 1) * g.width + 2 * ox + 1 }
                            output[oy * ow + ox] = best
                            planeWinners[oy * ow + ox] = Int32(truncatingIfNeeded: index)
                        }
                    }
                    continue
                }
                for oy in 0..<oh {
                    let top = oy * step.y - padding.y
                    let rows = Swift.max(0, -top)..<Swift.min(kernel.y, g.height - top)
                    for ox in 0..<ow {
                        let left = ox * step.x - padding.x
                        let columns = Swift.max(0, -left)..<Swift.min(kernel.x, g.width - left)
                        let corner = input + top * g.width + left
                        if kind == .max {
                            // Row-major scan of the window's valid part; the first maximum wins.
                            var best = -Scalar.infinity, bestIndex = (top + rows.lowerBound) * g.width + left + columns.lowerBound
                            var i = rows.lowerBound
                            while i < rows.upperBound {
                                let line = corner + i * g.width
                                var j = columns.lowerBound
                                while j < columns.upperBound {
                                    // branch-free (selects): which value wins is data-dependent, so a branch mispredicts half the time
                                    let v = line[j], wins = v > best
                                    best = wins ? v : best
                                    bestIndex = wins ? (top &+ i) &* g.width &+ left &+ j : bestIndex
                                    j &+= 1
                                }
                                i += 1
                            }
                            output[oy * ow + ox] = best
                            winners![(plane * oh + oy) * ow + ox] = Int32(truncatingIfNeeded: bestIndex)
                        } else {
                            var sum: Scalar = 0
                            for i in rows { for j in columns { sum += corner[i * g.width + j] } }
                            output[oy * ow + ox] = sum * inverseArea
                        }
                    }
                }
            }
        }
    }
    if Tensor.recordsGradient(x) {
        // max: ∂L/∂x[argmax] += g;  average: ∂L/∂x[window] += g / (kh·kw)
        out.recordGradient(kind == .max ? "maxPool2d" : "avgPool2d", inputs: [x]) { [argmax] gradient, _ in
            let result = Tensor<Scalar>(zeros: x.shape)
            let (rData, gData) = (result.data, gradient.data)
            argmax.withUnsafeBufferPointer { winners in
                let winners = winners.baseAddress
                Parallel.forEach(tasks: chunks) { chunk in
                    for plane in (planes * chunk / chunks)..<(planes * (chunk + 1) / chunks) {
                        let target = rData + plane * area, source = gData + plane * oh * ow
                        if kind == .max {
                            let planeWinners = winners! + plane * oh * ow
                            for o in 0..<(oh * ow) { target[Int(planeWinners[o])] += source[o] }
                            continue
                        }
                        for oy in 0..<oh {
                            let top = oy * step.y - padding.y
                            let rows = Swift.max(0, -top)..<Swift.min(kernel.y, g.height - top)
                            for ox in 0..<ow {
                                let left = ox * step.x - padding.x
                                let columns = Swift.max(0, -left)..<Swift.min(kernel.x, g.width - left)
                                let share = source[oy * ow + ox] * inverseArea, corner = target + top * g.width + left
                                for i in rows { for j in columns { corner[i * g.width + j] += share } }
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
