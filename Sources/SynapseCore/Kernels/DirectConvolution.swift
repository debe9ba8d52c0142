import CSynapseKernels

/// The direct convolution kernels for convolutions that im2col serves badly (`CSynapseKernels/`):
/// - `convolution.c` ("rows"), for few input channels such as the first layer of a CNN: im2col would
///   copy each input value kh·kw times to feed a GEMM whose inner dimension is only C·kh·kw (25 for
///   LeNet's conv1). Any height stride; stride 1 along the width.
/// - `convolution_flat.c` ("flat"), for convolutions with more channels (or a stride along the width),
///   such as a ResNet's 3×3 layers and strided shortcuts: the padded planes (split into phase planes
///   at stride > 1) are read as one flat row, so a vector of outputs is one load per tap at any plane
///   width; the output side (16…64 kernels) is too narrow for im2col's copies to pay.
///   The input gradient is made of these too (``DirectInputGradient``).
/// Both read the (padded) input in place and keep a tile of outputs — or of weight-gradient sums — in
/// vector registers. Used for `Float` under the native backend; other shapes stay with im2col + GEMM.
struct DirectConvolution {
    /// The most input channels the rows kernel takes; above, the flat kernel takes the convolution.
    static let maximumChannels = 4
    /// The largest stride the flat kernel takes (its sy·sx phase planes each carry a row of slack).
    static let maximumFlatStride = 4
    /// Which loops run this convolution.
    enum Kernel { case rows, flat }
    let kernel: Kernel
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
        guard Scalar.self == Float.self, channels >= 1 else { return nil }
        if g.strideX == 1 && (1...Self.maximumChannels).contains(channels) {
            kernel = .rows
        } else if g.strideY <= Self.maximumFlatStride && g.strideX <= Self.maximumFlatStride {
            // The flat kernel's phase planes: sy·sx per channel, each ⌈(H + 2·py) / sy⌉ + 1 rows of
            // ⌈(W + 2·px) / sx⌉ columns plus a vector and a kernel row of slack (sizes checked first).
            let row = (g.width + 2 * g.padX + g.strideX - 1) / g.strideX, rows = (g.height + 2 * g.padY + g.strideY - 1) / g.strideY + 1
            guard let planes = [channels, g.strideY, g.strideX, rows, row + g.kernelWidth * g.dilationX + 64].checkedProduct(limit: 1 << 40),
                  let outputs = [outChannels, g.outputHeight, row + 64].checkedProduct(limit: 1 << 40), planes + outputs < 1 << 41 else { return nil }
            kernel = .flat
        } else {
            return nil
        }
        shape = synapse_conv_shape(channels: channels, height: g.height, width: g.width, out_channels: outChannels,
                                   kernel_h: g.kernelHeight, kernel_w: g.kernelWidth, stride_y: g.strideY, pad_y: g.padY, pad_x: g.padX,
                                   dilation_y: g.dilationY, dilation_x: g.dilationX, out_h: g.outputHeight, out_w: g.outputWidth,
                                   stride_x: g.strideX)
        self.level = level
        scratchCount = kernel == .rows ? synapse_conv2d_direct_scratch(&shape, level) : synapse_conv2d_flat_scratch(&shape, level)
        // The padded planes hold every input row a window could reach; with a tall stride and wide
        // padding (an architecture file may ask for up to 2^20 of each) most of them are never read.
        // The direct path is kept to shapes whose scratch is no larger than im2col's for one sample.
        let lowered = (channels * g.kernelHeight * g.kernelWidth + outChannels).multipliedReportingOverflow(by: g.outputHeight * g.outputWidth)
        guard !lowered.overflow, scratchCount <= Swift.max(1 << 16, lowered.partialValue) else { return nil }
    }

    /// The weight `[O, C, kh, kw]` packed for ``forward(samples:x:packedWeight:bias:output:)``; `flipped`
    /// (the flat kernels of ``DirectInputGradient``): `weight` is the forward convolution's
    /// `[C, O, kh, kw]`, flipped and transposed.
    func packWeight<Scalar>(_ weight: UnsafePointer<Scalar>, flipped: Bool = false) -> [Float] {
        var shape = shape
        let count = kernel == .rows ? synapse_conv2d_packed_weight_size(&shape) : synapse_conv2d_flat_packed_weight_size(&shape, level)
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if kernel == .rows {
                synapse_conv2d_pack_weight_f32(&shape, Self.floats(weight), buffer.baseAddress!)
            } else {
                synapse_conv2d_flat_pack_weight_f32(&shape, Self.floats(weight), flipped ? 1 : 0, buffer.baseAddress!, level)
            }
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
                if kernel == .rows {
                    synapse_conv2d_direct_forward_f32(&shape, input + s * sampleSize, packed.baseAddress!, b, target + s * outputSize, scratch, level)
                } else {
                    synapse_conv2d_flat_forward_f32(&shape, input + s * sampleSize, packed.baseAddress!, b, target + s * outputSize, scratch, level)
                }
            }
        }
    }

    /// Adds Σₙ ∂L/∂W of the samples `samples` (in order) into `weightGradient` `[O, C, kh, kw]`, given
    /// the output gradient `gradient` `[N, O, OH, OW]`. The flat kernel takes a few samples per call
    /// (their sums share registers: fewer lane additions), a number fixed by the shape.
    func addWeightGradient<Scalar>(samples: Range<Int>, x: UnsafePointer<Scalar>, gradient: UnsafePointer<Scalar>,
                                   into weightGradient: UnsafeMutablePointer<Scalar>) {
        var shape = shape
        let (sampleSize, outputSize) = (shape.channels * shape.height * shape.width, shape.out_channels * shape.out_h * shape.out_w)
        let perCall = kernel == .rows ? 1 : synapse_conv2d_flat_samples_per_call(&shape, level)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount * Swift.min(perCall, Swift.max(1, samples.count)))
        defer { scratch.deallocate() }
        let (input, g, target) = (Self.floats(x), Self.floats(gradient), Self.mutableFloats(weightGradient))
        for s in stride(from: samples.lowerBound, to: samples.upperBound, by: perCall) {
            if kernel == .rows {
                synapse_conv2d_direct_weight_gradient_f32(&shape, input + s * sampleSize, g + s * outputSize, target, scratch, level)
            } else {
                let count = Swift.min(perCall, samples.upperBound - s)
                synapse_conv2d_flat_weight_gradient_f32(&shape, input + s * sampleSize, g + s * outputSize, count, target, scratch, level)
            }
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
