import CSynapseKernels

/// The direct convolution kernels (`CSynapseKernels/convolution.c`) for a convolution with few input
/// channels, such as the first layer of a CNN: im2col would copy each input value kh·kw times to
/// feed a GEMM whose inner dimension is only C·kh·kw (25 for LeNet's conv1), so most of the time
/// went into copying and packing. The direct loops read the (padded) input in place and keep a tile
/// of outputs — or of weight-gradient sums — in vector registers.
///
/// Used for `Float` under the native backend when the convolution moves by 1 along the width (its
/// rows are then contiguous vectors) and has at most ``maximumChannels`` input channels; the input
/// gradient, when one is needed, stays with the GEMM.
struct DirectConvolution {
    /// The most input channels the direct kernel takes (above, im2col's inner dimension is deep enough
    /// for the GEMM to win).
    static let maximumChannels = 4
    private var shape: synapse_conv_shape
    private let level: Int32
    /// Floats of scratch per call.
    let scratchCount: Int

    /// Whether `conv2d` takes the direct kernel when the shape allows: under the native backend, on a
    /// CPU with vector FMA (an x86-64 CPU without it would run the baseline loops slower than im2col).
    static var isEnabled: Bool { GEMM.backend == .native && synapse_conv2d_direct_pays() != 0 }

    /// The direct kernel for this convolution, or nil when its shape does not suit it (then: im2col + GEMM).
    /// `level` forces the instruction set (0 baseline, 1 AVX2, 2 AVX-512; tests) instead of this CPU's (−1).
    init?<Scalar: TensorScalar>(scalar: Scalar.Type, channels: Int, outChannels: Int, geometry g: ConvolutionGeometry, level: Int32 = -1) {
        guard Scalar.self == Float.self, g.strideX == 1, (1...Self.maximumChannels).contains(channels) else { return nil }
        shape = synapse_conv_shape(channels: channels, height: g.height, width: g.width, out_channels: outChannels,
                                   kernel_h: g.kernelHeight, kernel_w: g.kernelWidth, stride_y: g.strideY, pad_y: g.padY, pad_x: g.padX,
                                   dilation_y: g.dilationY, dilation_x: g.dilationX, out_h: g.outputHeight, out_w: g.outputWidth)
        self.level = level
        scratchCount = synapse_conv2d_direct_scratch(&shape, level)
        // The padded planes hold every input row a window could reach; with a tall stride and wide
        // padding (an architecture file may ask for up to 2^20 of each) most of them are never read.
        // The direct path is kept to shapes whose scratch is no larger than im2col's for one sample.
        let lowered = (channels * g.kernelHeight * g.kernelWidth + outChannels).multipliedReportingOverflow(by: g.outputHeight * g.outputWidth)
        guard !lowered.overflow, scratchCount <= Swift.max(1 << 16, lowered.partialValue) else { return nil }
    }

    /// The weight `[O, C, kh, kw]` packed for ``forward(samples:x:packedWeight:bias:output:)``.
    func packWeight<Scalar>(_ weight: UnsafePointer<Scalar>) -> [Float] {
        var shape = shape
        let count = synapse_conv2d_packed_weight_size(&shape)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            synapse_conv2d_pack_weight_f32(&shape, Self.floats(weight), buffer.baseAddress!)
            initialized = count
        }
    }

    /// y[n] = W ⋆ x[n] + b for the samples `samples` of the batch `x` `[N, C, H, W]` into `output` `[N, O, OH, OW]`.
    func forward<Scalar>(samples: Range<Int>, x: UnsafePointer<Scalar>, packedWeight: [Float], bias: UnsafePointer<Scalar>?,
                         output: UnsafeMutablePointer<Scalar>) {
        var shape = shape
        let (sampleSize, outputSize) = (shape.channels * shape.height * shape.width, shape.out_channels * shape.out_h * shape.out_w)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
        defer { scratch.deallocate() }
        let (input, target) = (Self.floats(x), Self.mutableFloats(output))
        let b = bias.map { Self.floats($0) }
        packedWeight.withUnsafeBufferPointer { packed in
            for s in samples {
                synapse_conv2d_direct_forward_f32(&shape, input + s * sampleSize, packed.baseAddress!, b, target + s * outputSize, scratch, level)
            }
        }
    }

    /// Adds Σₙ ∂L/∂W of the samples `samples` (in order) into `weightGradient` `[O, C, kh, kw]`, given
    /// the output gradient `gradient` `[N, O, OH, OW]`.
    func addWeightGradient<Scalar>(samples: Range<Int>, x: UnsafePointer<Scalar>, gradient: UnsafePointer<Scalar>,
                                   into weightGradient: UnsafeMutablePointer<Scalar>) {
        var shape = shape
        let (sampleSize, outputSize) = (shape.channels * shape.height * shape.width, shape.out_channels * shape.out_h * shape.out_w)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
        defer { scratch.deallocate() }
        let (input, g, target) = (Self.floats(x), Self.floats(gradient), Self.mutableFloats(weightGradient))
        for s in samples {
            synapse_conv2d_direct_weight_gradient_f32(&shape, input + s * sampleSize, g + s * outputSize, target, scratch, level)
        }
    }

    @inline(__always)
    private static func floats<Scalar>(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    @inline(__always)
    private static func mutableFloats<Scalar>(_ p: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }
}
