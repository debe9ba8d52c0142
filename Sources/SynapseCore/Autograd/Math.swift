// Elementwise mathematical functions, forward and backward side by side.

/// Records a unary op's backward `∂L/∂x = g · local(x, out)`.
private func unary<Scalar>(_ x: Tensor<Scalar>, _ op: UnaryOperation<Scalar>, _ name: String,
                           local: @escaping (_ x: Tensor<Scalar>, _ out: Tensor<Scalar>) -> Tensor<Scalar>) -> Tensor<Scalar> {
    let out = x.applying(op)
    if Tensor.recordsGradient(x) {
        out.recordGradient(name, inputs: [x]) { g, out in [Tensor.combining(.multiply, g, local(x, out))] }
    }
    return out
}

/// eˣ elementwise.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func exp<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    // d/dx eˣ = eˣ = out
    unary(x, .exp, "exp") { _, out in out }
}

/// ln x elementwise (natural logarithm).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func log<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    // d/dx ln x = 1/x
    unary(x, .log, "log") { x, _ in x.applying(.dividing(1)) }
}

/// √x elementwise.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func sqrt<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    // d/dx √x = 1 / (2√x) = 0.5 / out
    unary(x, .sqrt, "sqrt") { _, out in out.applying(.dividing(0.5)) }
}

/// tanh x elementwise.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func tanh<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    // d/dx tanh x = 1 − tanh² x = 1 − out²
    unary(x, .tanh, "tanh") { _, out in out.applying(.square).applying(.subtractedFrom(1)) }
}

/// |x| elementwise.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func abs<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    // d/dx |x| = sign(x)   (0 at 0, as PyTorch)
    unary(x, .abs, "abs") { x, _ in x.applying(.sign) }
}

/// The logistic sigmoid σ(x) = 1 / (1 + e^{−x}), computed without overflow for any x.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func sigmoid<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    // σ'(x) = σ(x) · (1 − σ(x)) = out · (1 − out)
    unary(x, .sigmoid, "sigmoid") { _, out in Tensor.combining(.multiply, out, out.applying(.subtractedFrom(1))) }
}

/// xᵖ elementwise for a constant exponent (`x ** 2` in NumPy; `p == 2` is computed as `x · x`).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func pow<Scalar>(_ x: Tensor<Scalar>, _ p: Scalar) -> Tensor<Scalar> {
    // d/dx xᵖ = p · xᵖ⁻¹
    unary(x, .power(p), "pow") { x, _ in x.applying(.power(p - 1)).applying(.times(p)) }
}

/// xʸ elementwise with broadcasting, differentiable in both `x` and `y`.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func pow<Scalar>(_ x: Tensor<Scalar>, _ y: Tensor<Scalar>) -> Tensor<Scalar> {
    let out = Tensor.combining(.power, x, y)
    if Tensor.recordsGradient(x, y) {
        // ∂xʸ/∂x = y · xʸ⁻¹,  ∂xʸ/∂y = xʸ · ln x
        out.recordGradient("pow", inputs: [x, y]) { g, out in
            let gx = x.requiresGrad
                ? Tensor.combining(.multiply, g, Tensor.combining(.multiply, y, Tensor.combining(.power, x, y.applying(.plus(-1)))))
                    .unbroadcast(to: x.shape) : nil
            let gy = y.requiresGrad
                ? Tensor.combining(.multiply, g, Tensor.combining(.multiply, out, x.applying(.log))).unbroadcast(to: y.shape) : nil
            return [gx, gy]
        }
    }
    return out
}

/// Each element limited to `[min, max]`.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func clamp<Scalar>(_ x: Tensor<Scalar>, min low: Scalar, max high: Scalar) -> Tensor<Scalar> {
    precondition(low <= high, "clamp needs min <= max, got \(low) > \(high)")
    // d/dx clamp(x) = 1 where low ≤ x ≤ high, else 0
    return unary(x, .clamp(low: low, high: high), "clamp") { x, _ in
        Tensor.combining(.subtract, x.applying(.lessThan(low)).applying(.subtractedFrom(1)), x.applying(.greaterThan(high)))
    }
}

extension Tensor {
    /// x² elementwise.
    @_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
    public func squared() -> Tensor {
        // d/dx x² = 2x
        unary(self, .square, "square") { x, _ in x.applying(.times(2)) }
    }
}
