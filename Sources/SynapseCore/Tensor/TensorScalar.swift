import CSynapseKernels
import Foundation

/// A floating-point type a ``Tensor`` can hold: `Float` (the default for models) or `Double`
/// (what the tutorial computes in, and what gradient checks need).
///
/// The protocol is the bridge between generic tensor code and concrete kernels. Each requirement
/// processes a *whole buffer*, so generic code pays one witness-table call per operation, never
/// per element: `Float` and `Double` implement every requirement with loops specialised for
/// their own type (see `Kernels/`).
public protocol TensorScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable,
    LosslessStringConvertible, CustomStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// The name of the type as NumPy and safetensors spell it (`"float32"`, `"float64"`).
    static var dtypeName: String { get }

    /// `y[i] = op(x[i])` for `count` elements.
    static func map(_ op: UnaryOperation<Self>, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, count: Int)

    /// `z = op(x, y)` under a broadcast ``BroadcastLayout`` (see `Kernels/Elementwise.swift`).
    static func combine(_ op: BinaryOperation, _ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>,
                        _ z: UnsafeMutablePointer<Self>, layout: BroadcastLayout)

    /// Reduces the middle axis of a `[outer, axis, inner]` row-major view of `x` into `y[outer, inner]`.
    static func reduce(_ op: ReductionOperation, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>,
                       outer: Int, axis: Int, inner: Int)

    /// Softmax (or log-softmax) of each row of a `[rows, columns]` buffer (see `Kernels/Softmax.swift`).
    static func softmaxRows(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, rows: Int, columns: Int, logarithmic: Bool)

    /// im2col of one sample into rows `rowStride` apart (see `Kernels/Im2Col.swift`).
    static func im2col(_ x: UnsafePointer<Self>, channels: Int, geometry: ConvolutionGeometry, into columns: UnsafeMutablePointer<Self>, rowStride: Int)
    /// col2im: adds `columns` back into the sample `x` (the adjoint of ``im2col(_:channels:geometry:into:rowStride:)``).
    static func col2im(_ columns: UnsafePointer<Self>, channels: Int, geometry: ConvolutionGeometry, into x: UnsafeMutablePointer<Self>, rowStride: Int)

    /// The values truncated to integers (class labels stored as floating point), in a concrete loop.
    static func integers(_ x: UnsafePointer<Self>, count: Int) -> [Int]

    /// The values as `Double`, in a concrete loop.
    static func doubles(_ x: UnsafePointer<Self>, count: Int) -> [Double]

    /// Column sums (or squared deviations from `mean`), minima and maxima of a `[rows, columns]`
    /// buffer, accumulated in Double (see `Kernels/ColumnKernels.swift`).
    static func columnStatistics(_ x: UnsafePointer<Self>, rows: Int, columns: Int, mean: UnsafePointer<Double>?,
                                 sums: UnsafeMutablePointer<Double>, low: UnsafeMutablePointer<Double>, high: UnsafeMutablePointer<Double>)

    /// `y[i, j] = (x[i, j] − shift[j]) · factor[j]` over a `[rows, columns]` buffer.
    static func affineColumns(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, rows: Int, columns: Int,
                              shift: UnsafePointer<Self>, factor: UnsafePointer<Self>)

    /// `C = alpha · op(A) · op(B) + beta · C`, row-major; the library's single matrix-product entry point.
    static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                     alpha: Self, a: UnsafePointer<Self>, lda: Int,
                     b: UnsafePointer<Self>, ldb: Int,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)

    /// Fills `buffer` with NumPy-compatible normal draws (`mean + standardDeviation · randn()`).
    static func fillNormal(_ buffer: UnsafeMutableBufferPointer<Self>, mean: Double, standardDeviation: Double,
                           generator: inout RandomGenerator)

    /// Fills `buffer` with NumPy-compatible uniform draws in `[low, high)`.
    static func fillUniform(_ buffer: UnsafeMutableBufferPointer<Self>, low: Double, high: Double,
                            generator: inout RandomGenerator)

    /// e^x for one scalar (the C library's `exp`/`expf`).
    static func exponential(_ x: Self) -> Self
    /// ln x for one scalar.
    static func logarithm(_ x: Self) -> Self
    /// tanh x for one scalar.
    static func hyperbolicTangent(_ x: Self) -> Self
    /// x^y for scalars.
    static func power(_ x: Self, _ y: Self) -> Self
    /// eˣ − 1, accurate near 0.
    static func exponentialMinusOne(_ x: Self) -> Self
    /// ln(1 + x), accurate near 0.
    static func logarithmOnePlus(_ x: Self) -> Self
    /// The error function erf(x).
    static func errorFunction(_ x: Self) -> Self
}

extension Float: TensorScalar {
    /// `"float32"`.
    public static var dtypeName: String { "float32" }

    /// Concrete `Float` loop; see ``TensorScalar/map(_:_:_:count:)``.
    public static func map(_ op: UnaryOperation<Float>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        // The commonest operations run as C loops compiled per instruction set (identical results).
        let native: (Int32, Float)?
        switch op {
        case .relu: native = (Int32(SYNAPSE_RELU.rawValue), 0)
        case .greaterThan(let s): native = (Int32(SYNAPSE_GREATER.rawValue), s)
        case .times(let s): native = (Int32(SYNAPSE_TIMES.rawValue), s)
        case .plus(let s): native = (Int32(SYNAPSE_PLUS.rawValue), s)
        case .negate: native = (Int32(SYNAPSE_NEGATE.rawValue), 0)
        case .square: native = (Int32(SYNAPSE_SQUARE.rawValue), 0)
        case .subtractedFrom(let s): native = (Int32(SYNAPSE_SUBTRACTED_FROM.rawValue), s)
        case .leakyReLU(let s): native = (Int32(SYNAPSE_LEAKY_RELU.rawValue), s)
        default: native = nil
        }
        let math: synapse_math?
        switch op {
        case .exp: math = SYNAPSE_MATH_EXP
        case .log: math = SYNAPSE_MATH_LOG
        case .tanh: math = SYNAPSE_MATH_TANH
        case .sigmoid: math = SYNAPSE_MATH_SIGMOID
        default: math = nil
        }
        if let (code, s) = native, GEMM.backend == .native {
            synapse_map_f32(code, x, y, count, s)
        } else if let math, GEMM.backend == .native {
            // Vectorised e^x, ln x, tanh, σ within 2 ulp (mathf.c); the swift backend keeps the C library's.
            synapse_math_f32(Int32(math.rawValue), x, y, count, -1)
        } else {
            Elementwise.map(op, x, y, count: count)
        }
    }

    /// Concrete `Float` loop; see ``TensorScalar/combine(_:_:_:_:layout:)``.
    public static func combine(_ op: BinaryOperation, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                               _ z: UnsafeMutablePointer<Float>, layout: BroadcastLayout) {
        let native: synapse_binary?
        switch op {
        case .add: native = SYNAPSE_ADD
        case .subtract: native = SYNAPSE_SUBTRACT
        case .multiply: native = SYNAPSE_MULTIPLY
        case .divide: native = SYNAPSE_DIVIDE
        default: native = nil
        }
        if let native, layout.rank == 1, layout.xStrides[0] == 1, layout.yStrides[0] == 1, GEMM.backend == .native {
            synapse_combine_f32(Int32(native.rawValue), x, y, z, layout.count)
        } else {
            Elementwise.combine(op, x, y, z, layout: layout)
        }
    }

    /// Concrete `Float` loop; see ``TensorScalar/reduce(_:_:_:outer:axis:inner:)``.
    public static func reduce(_ op: ReductionOperation, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              outer: Int, axis: Int, inner: Int) {
        Reduction.reduce(op, x, y, outer: outer, axis: axis, inner: inner)
    }

    /// Concrete `Float` loop; see ``TensorScalar/im2col(_:channels:geometry:into:rowStride:)``.
    public static func im2col(_ x: UnsafePointer<Float>, channels: Int, geometry: ConvolutionGeometry, into columns: UnsafeMutablePointer<Float>,
                              rowStride: Int) {
        Im2Col.lower(x, channels: channels, geometry: geometry, into: columns, rowStride: rowStride)
    }

    /// Concrete `Float` loop; see ``TensorScalar/col2im(_:channels:geometry:into:rowStride:)``.
    public static func col2im(_ columns: UnsafePointer<Float>, channels: Int, geometry: ConvolutionGeometry, into x: UnsafeMutablePointer<Float>,
                              rowStride: Int) {
        Im2Col.raise(columns, channels: channels, geometry: geometry, into: x, rowStride: rowStride)
    }

    /// Concrete `Float` loop; see ``TensorScalar/doubles(_:count:)``.
    public static func doubles(_ x: UnsafePointer<Float>, count: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Double(x[i]) }
            initialized = count
        }
    }

    /// Concrete `Float` loop; see ``TensorScalar/integers(_:count:)``.
    public static func integers(_ x: UnsafePointer<Float>, count: Int) -> [Int] {
        [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Int(x[i]) }
            initialized = count
        }
    }

    /// Concrete `Float` loop; see ``TensorScalar/columnStatistics(_:rows:columns:mean:sums:low:high:)``.
    public static func columnStatistics(_ x: UnsafePointer<Float>, rows: Int, columns: Int, mean: UnsafePointer<Double>?,
                                        sums: UnsafeMutablePointer<Double>, low: UnsafeMutablePointer<Double>, high: UnsafeMutablePointer<Double>) {
        ColumnKernels.statistics(x, rows: rows, columns: columns, mean: mean, sums: sums, low: low, high: high)
    }

    /// Concrete `Float` loop; see ``TensorScalar/affineColumns(_:_:rows:columns:shift:factor:)``.
    public static func affineColumns(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
                                     shift: UnsafePointer<Float>, factor: UnsafePointer<Float>) {
        ColumnKernels.affine(x, y, rows: rows, columns: columns, shift: shift, factor: factor)
    }

    /// Concrete `Float` loop; see ``TensorScalar/softmaxRows(_:_:rows:columns:logarithmic:)``.
    public static func softmaxRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, columns: Int, logarithmic: Bool) {
        Softmax.rows(x, y, rows: rows, columns: columns, logarithmic: logarithmic)
    }

    /// Forwards to ``GEMM/multiply(transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:)-(_,_,_,_,_,Float,_,_,_,_,Float,_,_)``.
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        GEMM.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// NumPy's float64 normal stream rounded to `Float` (`randn(...).astype(np.float32)`).
    public static func fillNormal(_ buffer: UnsafeMutableBufferPointer<Float>, mean: Double, standardDeviation: Double,
                                  generator: inout RandomGenerator) {
        generator.fillNormal(buffer, mean: mean, standardDeviation: standardDeviation)
    }

    /// NumPy's float64 uniform stream rounded to `Float`.
    public static func fillUniform(_ buffer: UnsafeMutableBufferPointer<Float>, low: Double, high: Double,
                                   generator: inout RandomGenerator) {
        generator.fillUniform(buffer, low: low, high: high)
    }

    /// `expf`.
    @inlinable public static func exponential(_ x: Float) -> Float { Foundation.expf(x) }
    /// `logf`.
    @inlinable public static func logarithm(_ x: Float) -> Float { Foundation.logf(x) }
    /// `tanhf`.
    @inlinable public static func hyperbolicTangent(_ x: Float) -> Float { Foundation.tanhf(x) }
    /// `powf`.
    @inlinable public static func power(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
    /// `expm1f`.
    @inlinable public static func exponentialMinusOne(_ x: Float) -> Float { Foundation.expm1f(x) }
    /// `log1pf`.
    @inlinable public static func logarithmOnePlus(_ x: Float) -> Float { Foundation.log1pf(x) }
    /// `erff`.
    @inlinable public static func errorFunction(_ x: Float) -> Float { Foundation.erff(x) }
}

extension Double: TensorScalar {
    /// `"float64"`.
    public static var dtypeName: String { "float64" }

    /// Concrete `Double` loop; see ``TensorScalar/map(_:_:_:count:)``.
    public static func map(_ op: UnaryOperation<Double>, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count: Int) {
        Elementwise.map(op, x, y, count: count)
    }

    /// Concrete `Double` loop; see ``TensorScalar/combine(_:_:_:_:layout:)``.
    public static func combine(_ op: BinaryOperation, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>,
                               _ z: UnsafeMutablePointer<Double>, layout: BroadcastLayout) {
        Elementwise.combine(op, x, y, z, layout: layout)
    }

    /// Concrete `Double` loop; see ``TensorScalar/reduce(_:_:_:outer:axis:inner:)``.
    public static func reduce(_ op: ReductionOperation, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
                              outer: Int, axis: Int, inner: Int) {
        Reduction.reduce(op, x, y, outer: outer, axis: axis, inner: inner)
    }

    /// Concrete `Double` loop; see ``TensorScalar/im2col(_:channels:geometry:into:rowStride:)``.
    public static func im2col(_ x: UnsafePointer<Double>, channels: Int, geometry: ConvolutionGeometry, into columns: UnsafeMutablePointer<Double>,
                              rowStride: Int) {
        Im2Col.lower(x, channels: channels, geometry: geometry, into: columns, rowStride: rowStride)
    }

    /// Concrete `Double` loop; see ``TensorScalar/col2im(_:channels:geometry:into:rowStride:)``.
    public static func col2im(_ columns: UnsafePointer<Double>, channels: Int, geometry: ConvolutionGeometry, into x: UnsafeMutablePointer<Double>,
                              rowStride: Int) {
        Im2Col.raise(columns, channels: channels, geometry: geometry, into: x, rowStride: rowStride)
    }

    /// Concrete `Double` loop; see ``TensorScalar/doubles(_:count:)``.
    public static func doubles(_ x: UnsafePointer<Double>, count: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Double(x[i]) }
            initialized = count
        }
    }

    /// Concrete `Double` loop; see ``TensorScalar/integers(_:count:)``.
    public static func integers(_ x: UnsafePointer<Double>, count: Int) -> [Int] {
        [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Int(x[i]) }
            initialized = count
        }
    }

    /// Concrete `Double` loop; see ``TensorScalar/columnStatistics(_:rows:columns:mean:sums:low:high:)``.
    public static func columnStatistics(_ x: UnsafePointer<Double>, rows: Int, columns: Int, mean: UnsafePointer<Double>?,
                                        sums: UnsafeMutablePointer<Double>, low: UnsafeMutablePointer<Double>, high: UnsafeMutablePointer<Double>) {
        ColumnKernels.statistics(x, rows: rows, columns: columns, mean: mean, sums: sums, low: low, high: high)
    }

    /// Concrete `Double` loop; see ``TensorScalar/affineColumns(_:_:rows:columns:shift:factor:)``.
    public static func affineColumns(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, rows: Int, columns: Int,
                                     shift: UnsafePointer<Double>, factor: UnsafePointer<Double>) {
        ColumnKernels.affine(x, y, rows: rows, columns: columns, shift: shift, factor: factor)
    }

    /// Concrete `Double` loop; see ``TensorScalar/softmaxRows(_:_:rows:columns:logarithmic:)``.
    public static func softmaxRows(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, rows: Int, columns: Int, logarithmic: Bool) {
        Softmax.rows(x, y, rows: rows, columns: columns, logarithmic: logarithmic)
    }

    /// Forwards to the `Double` GEMM.
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            b: UnsafePointer<Double>, ldb: Int,
                            beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        GEMM.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                      alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// NumPy's `randn` stream, bit for bit.
    public static func fillNormal(_ buffer: UnsafeMutableBufferPointer<Double>, mean: Double, standardDeviation: Double,
                                  generator: inout RandomGenerator) {
        generator.fillNormal(buffer, mean: mean, standardDeviation: standardDeviation)
    }

    /// NumPy's `uniform` stream, bit for bit.
    public static func fillUniform(_ buffer: UnsafeMutableBufferPointer<Double>, low: Double, high: Double,
                                   generator: inout RandomGenerator) {
        generator.fillUniform(buffer, low: low, high: high)
    }

    /// `exp`.
    @inlinable public static func exponential(_ x: Double) -> Double { Foundation.exp(x) }
    /// `log`.
    @inlinable public static func logarithm(_ x: Double) -> Double { Foundation.log(x) }
    /// `tanh`.
    @inlinable public static func hyperbolicTangent(_ x: Double) -> Double { Foundation.tanh(x) }
    /// `pow`.
    @inlinable public static func power(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
    /// `expm1`.
    @inlinable public static func exponentialMinusOne(_ x: Double) -> Double { Foundation.expm1(x) }
    /// `log1p`.
    @inlinable public static func logarithmOnePlus(_ x: Double) -> Double { Foundation.log1p(x) }
    /// `erf`.
    @inlinable public static func errorFunction(_ x: Double) -> Double { Foundation.erf(x) }
}
