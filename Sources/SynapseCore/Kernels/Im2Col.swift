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

    /// The geometry of a `kernelHeight×kernelWidth` window over a `height×width` plane.
    public init(height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, strideY: Int, strideX: Int,
                padY: Int, padX: Int, dilationY: Int = 1, dilationX: Int = 1) {
        (self.height, self.width, self.kernelHeight, self.kernelWidth) = (height, width, kernelHeight, kernelWidth)
        (self.strideY, self.strideX, self.padY, self.padX, self.dilationY, self.dilationX) = (strideY, strideX, padY, padX, dilationY, dilationX)
    }

    /// Output height: ⌊(H + 2p − d(k − 1) − 1) / s⌋ + 1.
    public var outputHeight: Int { (height + 2 * padY - dilationY * (kernelHeight - 1) - 1) / strideY + 1 }
    /// Output width.
    public var outputWidth: Int { (width + 2 * padX - dilationX * (kernelWidth - 1) - 1) / strideX + 1 }
}

extension ConvolutionGeometry {
    /// The output columns `lower..<upper` whose tap `j` lands inside the input row (the others read padding):
    /// `0 ≤ ox·sx − px + j·dx < W`.
    @inline(__always)
    func validColumns(tap j: Int) -> (lower: Int, upper: Int) {
        let shift = j * dilationX - padX                        // input column of output column 0
        let lower = shift >= 0 ? 0 : (-shift + strideX - 1) / strideX
        let upper = shift >= width ? 0 : Swift.min(outputWidth, (width - 1 - shift) / strideX + 1)
        return (lower, Swift.max(lower, upper))
    }
}

/// Lowering a convolution to a matrix product (im2col) and back (col2im).
enum Im2Col {
    /// `columns[(c·kh + i)·kw + j, oy·OW + ox] = x[c, oy·sy − py + i·dy, ox·sx − px + j·dx]` (0 outside),
    /// for one sample `x` of `channels` planes; rows of `columns` are `rowStride` apart (a batch's samples
    /// sit side by side in one `[k, N·OH·OW]` matrix). Rows of the window that fall inside the input are
    /// copied as runs (contiguous at stride 1), the padding around them zero-filled.
    @inline(__always)
    static func lower<T: TensorScalar>(_ x: UnsafePointer<T>, channels: Int, geometry g: ConvolutionGeometry,
                                       into columns: UnsafeMutablePointer<T>, rowStride: Int) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        var row = 0
        for c in 0..<channels {
            let plane = x + c * g.height * g.width
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let target = columns + row * rowStride
                    let (lower, upper) = g.validColumns(tap: j)
                    let shift = j * g.dilationX - g.padX
                    for oy in 0..<oh {
                        let y = oy * g.strideY - g.padY + i * g.dilationY
                        let line = target + oy * ow
                        if y < 0 || y >= g.height || lower == upper { line.update(repeating: 0, count: ow); continue }
                        if lower > 0 { line.update(repeating: 0, count: lower) }
                        if upper < ow { (line + upper).update(repeating: 0, count: ow - upper) }
                        let source = plane + y * g.width + shift
                        if g.strideX == 1 {
                            for ox in lower..<upper { line[ox] = source[ox] }   // short runs: a loop beats a memmove call
                        } else {
                            for ox in lower..<upper { line[ox] = source[ox * g.strideX] }
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of `lower` (col2im): adds each column entry back to the input position it came from.
    @inline(__always)
    static func raise<T: TensorScalar>(_ columns: UnsafePointer<T>, channels: Int, geometry g: ConvolutionGeometry,
                                       into x: UnsafeMutablePointer<T>, rowStride: Int) {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        var row = 0
        for c in 0..<channels {
            let plane = x + c * g.height * g.width
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let source = columns + row * rowStride
                    let (lower, upper) = g.validColumns(tap: j)
                    let shift = j * g.dilationX - g.padX
                    for oy in 0..<oh {
                        let y = oy * g.strideY - g.padY + i * g.dilationY
                        if y < 0 || y >= g.height { continue }
                        let line = source + oy * ow, target = plane + y * g.width + shift
                        if g.strideX == 1 {
                            for ox in lower..<upper { target[ox] += line[ox] }
                        } else {
                            for ox in lower..<upper { target[ox * g.strideX] += line[ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
