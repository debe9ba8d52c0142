/// The elementwise operations of one input that the kernels implement.
///
/// Operations that carry a scalar (`power(2)`, `plus(1)`) let tensor code such as `1 + x` run in one
/// pass without materialising a tensor for the constant.
public enum UnaryOperation<Scalar: Sendable>: Sendable {
    /// −x
    case negate
    /// eˣ
    case exp
    /// ln x
    case log
    /// √x
    case sqrt
    /// tanh x
    case tanh
    /// |x|
    case abs
    /// σ(x) = 1 / (1 + e^{−x}), evaluated without overflow for large |x|.
    case sigmoid
    /// x²
    case square
    /// xᵖ
    case power(Scalar)
    /// min(max(x, low), high)
    case clamp(low: Scalar, high: Scalar)
    /// x + s
    case plus(Scalar)
    /// x · s
    case times(Scalar)
    /// s − x
    case subtractedFrom(Scalar)
    /// x / s
    case dividedBy(Scalar)
    /// s / x
    case dividing(Scalar)
    /// 1 where x > s, otherwise 0 (a mask; used by comparisons and by gradients of max/clamp/abs).
    case greaterThan(Scalar)
    /// 1 where x < s, otherwise 0.
    case lessThan(Scalar)
    /// sign(x): −1, 0 or 1.
    case sign
    /// max(x, 0)
    case relu
    /// x for x > 0, s·x otherwise
    case leakyReLU(Scalar)
    /// The leaky ReLU's slope: 1 for x > 0, s otherwise
    case leakyReLUSlope(Scalar)
    /// x for x > 0, α(eˣ − 1) otherwise
    case elu(Scalar)
    /// ln(1 + eˣ), as max(x, 0) + ln(1 + e^{−|x|}) so it never overflows
    case softplus
    /// The error function erf(x)
    case erf
}

/// The elementwise operations of two (broadcast) inputs that the kernels implement.
public enum BinaryOperation: Sendable {
    /// x + y
    case add
    /// x − y
    case subtract
    /// x · y
    case multiply
    /// x / y
    case divide
    /// max(x, y)
    case maximum
    /// min(x, y)
    case minimum
    /// xʸ
    case power
    /// 1 where x == y, else 0
    case equal
    /// 1 where x != y, else 0
    case notEqual
    /// 1 where x < y, else 0
    case less
    /// 1 where x <= y, else 0
    case lessOrEqual
    /// 1 where x > y, else 0
    case greater
    /// 1 where x >= y, else 0
    case greaterOrEqual
}

/// The reductions the kernels implement along one axis.
public enum ReductionOperation: Sendable {
    /// Σ x
    case sum
    /// max x
    case max
    /// min x
    case min
}
