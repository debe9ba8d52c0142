/// The geometry of a 2-D convolution or pooling window over one channel plane.
public struct ConvolutionGeometry: Sendable, Equatable {
    /// Input height and width.
    public var height: Int, width: Int
    /// Window height and width.
    public var kernelHeight: Int, kernelWidth: Int
    /// Steps between windows.
    public var strideY: Int, strideX: Int
    /// Zeros added before the first row/column (the same number after, PyTorch's convention).
    public var padY: Int, padX: Int
    /// Spacing between window taps (1: contiguous).
    public var dilationY: Int, dilationX: Int

    /// Output height: ⌊(H + 2p − d(k − 1) − 1) / s⌋ + 1.
    public var outputHeight: Int { (height + 2 * padY - dilationY * (kernelHeight - 1) - 1) / strideY + 1 }
    /// Output width.
    public var outputWidth: Int { (width + 2 * padX - dilationX * (kernelWidth - 1) - 1) / strideX + 1 }
}

/// Lowering a convolution to a matrix product (im2col) and back (col2im).
enum Im2Col {
    /// `columns[(c·kh + i)·kw + j, oy·OW + ox] = x[c, oy·sy − py + i·dy, ox·sx − px + j·dx]` (0 outside),
    /// for one sample `x` of `channels` planes.
    @inline(__always)
    static func lower<T: TensorScalar>(_ x: UnsafePointer<T>, channels: Int, geometry g: ConvolutionGeometry,
                                       into columns: UnsafeMutablePointer<T>) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        var row = 0
        for c in 0..<channels {
            let plane = x + c * g.height * g.width
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let target = columns + row * oh * ow
                    for oy in 0..<oh {
                        let y = oy * g.strideY - g.padY + i * g.dilationY
                        let line = target + oy * ow
                        if y < 0 || y >= g.height { line.update(repeating: 0, count: ow); continue }
                        for ox in 0..<ow {
                            let xx = ox * g.strideX - g.padX + j * g.dilationX
                            line[ox] = xx >= 0 && xx < g.width ? plane[y * g.width + xx] : 0
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of `lower`: adds each column entry back to the input position it came from.
    @inline(__always)
    static func raise<T: TensorScalar>(_ columns: UnsafePointer<T>, channels: Int, geometry g: ConvolutionGeometry,
                                       into x: UnsafeMutablePointer<T>) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        var row = 0
        for c in 0..<channels {
            let plane = x + c * g.height * g.width
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let source = columns + row * oh * ow
                    for oy in 0..<oh {
                        let y = oy * g.strideY - g.padY + i * g.dilationY
                        if y < 0 || y >= g.height { continue }
                        for ox in 0..<ow {
                            let xx = ox * g.strideX - g.padX + j * g.dilationX
                            if xx >= 0 && xx < g.width { plane[y * g.width + xx] += source[oy * ow + ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
