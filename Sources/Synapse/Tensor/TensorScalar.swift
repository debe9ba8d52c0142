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
}

extension Float: TensorScalar {
    /// `"float32"`.
    public static var dtypeName: String { "float32" }

    /// Concrete `Float` loop; see ``TensorScalar/map(_:_:_:count:)``.
    public static func map(_ op: UnaryOperation<Float>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        Elementwise.map(op, x, y, count: count)
    }

    /// Concrete `Float` loop; see ``TensorScalar/combine(_:_:_:_:layout:)``.
    public static func combine(_ op: BinaryOperation, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                               _ z: UnsafeMutablePointer<Float>, layout: BroadcastLayout) {
        Elementwise.combine(op, x, y, z, layout: layout)
    }

    /// Concrete `Float` loop; see ``TensorScalar/reduce(_:_:_:outer:axis:inner:)``.
    public static func reduce(_ op: ReductionOperation, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              outer: Int, axis: Int, inner: Int) {
        Reduction.reduce(op, x, y, outer: outer, axis: axis, inner: inner)
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
}
