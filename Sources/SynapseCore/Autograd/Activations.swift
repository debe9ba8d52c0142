import CSynapseKernels

// Activation functions, forward and backward side by side. All are stable for any finite input
// (no overflow at |x| > 100). `sigmoid` and `tanh` live in Math.swift.

/// max(x, 0) elementwise.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func relu<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    let out = x.applying(.relu)
    if Tensor.recordsGradient(x) {
        // d/dx relu(x) = 1 where x > 0, else 0:  dx = g where x > 0, else 0 (one pass)
        out.recordGradient("relu", inputs: [x]) { g, _ in [reluGradient(g, x)] }
    }
    return out
}

/// `g` where `x > 0`, else 0: ReLU's backward in one pass over the cores (Float: the C loop).
private func reluGradient<Scalar: TensorScalar>(_ g: Tensor<Scalar>, _ x: Tensor<Scalar>) -> Tensor<Scalar> {
    guard g.shape == x.shape else { return Tensor.combining(.multiply, g, x.applying(.greaterThan(0))) }
    let result = Tensor<Scalar>(uninitializedShape: x.shape)
    let (xd, gd, dx) = (x.data, g.data, result.data)
    ElementwiseChunks.run(count: x.count) { start, n in
        if Scalar.self == Float.self && GEMM.backend == .native {
            func f<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> { UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self) }
            synapse_relu_backward_f32(f(xd + start), f(gd + start), f(dx + start), n)
        } else {
            for i in start..<(start + n) { dx[i] = xd[i] > 0 ? gd[i] : 0 }
        }
    }
    return result
}

/// x for x > 0, `slope`·x otherwise (PyTorch's default slope is 0.01).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func leakyReLU<Scalar>(_ x: Tensor<Scalar>, slope: Scalar = 0.01) -> Tensor<Scalar> {
    let out = x.applying(.leakyReLU(slope))
    if Tensor.recordsGradient(x) {
        // d/dx = 1 where x > 0, slope otherwise
        out.recordGradient("leakyReLU", inputs: [x]) { g, _ in [Tensor.combining(.multiply, g, x.applying(.leakyReLUSlope(slope)))] }
    }
    return out
}

/// x for x > 0, α(eˣ − 1) otherwise.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func elu<Scalar>(_ x: Tensor<Scalar>, alpha: Scalar = 1) -> Tensor<Scalar> {
    let out = x.applying(.elu(alpha))
    if Tensor.recordsGradient(x) {
        // d/dx = 1 where x > 0, α·eˣ = out + α otherwise
        out.recordGradient("elu", inputs: [x]) { g, out in
            let positive = x.applying(.greaterThan(0))
            let negativeSlope = Tensor.combining(.multiply, positive.applying(.subtractedFrom(1)), out.applying(.plus(alpha)))
            return [Tensor.combining(.multiply, g, Tensor.combining(.add, positive, negativeSlope))]
        }
    }
    return out
}

/// ln(1 + eˣ), computed as max(x, 0) + ln(1 + e^{−|x|}).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func softplus<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    let out = x.applying(.softplus)
    if Tensor.recordsGradient(x) {
        // d/dx softplus(x) = σ(x)
        out.recordGradient("softplus", inputs: [x]) { g, _ in [Tensor.combining(.multiply, g, x.applying(.sigmoid))] }
    }
    return out
}

/// x·σ(x) (SiLU, also called swish). Composed of differentiable parts: its backward is
/// σ(x) + x·σ(x)(1 − σ(x)) by the product rule.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func silu<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    x * sigmoid(x)
}

/// The two forms of GELU.
public enum GELUApproximation: Sendable {
    /// x·Φ(x) with the exact normal CDF, Φ(x) = ½(1 + erf(x/√2)).
    case none
    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (GPT-2/BERT's form; PyTorch's `approximate='tanh'`).
    case tanh
}

/// The Gaussian error linear unit x·Φ(x), exact or with the tanh approximation.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func gelu<Scalar>(_ x: Tensor<Scalar>, approximation: GELUApproximation = .none) -> Tensor<Scalar> {
    switch approximation {
    case .none:
        if Scalar.self == Float.self { return geluFloat(x) }
        let cdf = x.applying(.times(Scalar(0.5).squareRoot())).applying(.erf).applying(.plus(1)).applying(.times(0.5))  // Φ(x)
        let result = Tensor.combining(.multiply, x, cdf)
        if Tensor.recordsGradient(x) {
            // d/dx xΦ(x) = Φ(x) + x·φ(x),  φ(x) = e^{−x²/2} / √(2π)
            result.recordGradient("gelu", inputs: [x]) { g, _ in
                let density = x.applying(.square).applying(.times(-0.5)).applying(.exp).applying(.times(Scalar(0.3989422804014327)))
                return [Tensor.combining(.multiply, g, Tensor.combining(.add, cdf, Tensor.combining(.multiply, x, density)))]
            }
        }
        return result
    case .tanh:
        // Composed of differentiable parts (pow, tanh, products): autodiff derives its backward.
        let inner = (x + 0.044715 * pow(x, 3)) * Scalar(0.7978845608028654)   // √(2/π)
        return 0.5 * x * (1 + tanh(inner))
    }
}

/// The exact GELU for `Float` as one fused C pass each way (`CSynapseKernels/activations.c`: a
/// vectorised Φ within 1e-7, no libm call per element), split over the cores in fixed chunks.
private func geluFloat<Scalar: TensorScalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    let result = Tensor<Scalar>(uninitializedShape: x.shape)
    let (xf, yf) = (floatPointer(x.data), floatPointer(result.data))
    guard Tensor.recordsGradient(x) else {
        // y = x·Φ(x)
        ElementwiseChunks.run(count: x.count) { start, count in synapse_gelu_forward_f32(xf + start, yf + start, count, -1) }
        return result
    }
    // y = x·Φ(x), and its derivative d/dx xΦ(x) = Φ(x) + x·φ(x), φ(x) = e^{−x²/2} / √(2π), made in the
    // same pass (Φ is most of the work) and kept for the backward: dx = g·dy/dx.
    let derivative = Tensor<Scalar>(uninitializedShape: x.shape)
    let df = floatPointer(derivative.data)
    ElementwiseChunks.run(count: x.count) { start, count in synapse_gelu_forward_derivative_f32(xf + start, yf + start, df + start, count, -1) }
    result.recordGradient("gelu", inputs: [x]) { g, _ in [Tensor.combining(.multiply, g, derivative)] }
    return result
}

/// The same buffer seen as `Float` (the caller has checked `Scalar == Float`).
@inline(__always)
func floatPointer<Scalar>(_ p: UnsafeMutablePointer<Scalar>) -> UnsafeMutablePointer<Float> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
}

/// x, unchanged (for symmetry with the other activations).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func identity<Scalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x }

/// Softmax along `axis` (default: the last): e^{xᵢ − m} / Σⱼ e^{xⱼ − m}.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func softmax<Scalar>(_ x: Tensor<Scalar>, axis: Int = -1) -> Tensor<Scalar> {
    softmaxFamily(x, axis: axis, logarithmic: false)
}

/// Log-softmax along `axis` (default: the last): xᵢ − m − ln Σⱼ e^{xⱼ − m}.
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func logSoftmax<Scalar>(_ x: Tensor<Scalar>, axis: Int = -1) -> Tensor<Scalar> {
    softmaxFamily(x, axis: axis, logarithmic: true)
}

private func softmaxFamily<Scalar>(_ x: Tensor<Scalar>, axis: Int, logarithmic: Bool) -> Tensor<Scalar> {
    precondition(x.rank >= 1 && x.count > 0, "softmax needs a non-empty tensor, got \(x.shape)")
    let a = x.normalizedAxis(axis)
    if a != x.rank - 1 {
        // Move the axis last, apply, move it back (each step differentiable).
        var permutation = Array(0..<x.rank)
        permutation.swapAt(a, x.rank - 1)
        return softmaxFamily(x.transposed(permutation), axis: -1, logarithmic: logarithmic).transposed(permutation)
    }
    let columns = x.shape[x.rank - 1], rows = x.count / columns
    let out = Tensor<Scalar>(uninitializedShape: x.shape)
    Scalar.softmaxRows(x.data, out.data, rows: rows, columns: columns, logarithmic: logarithmic)
    if Tensor.recordsGradient(x) {
        if logarithmic {
            // y = log softmax(x):  ∂L/∂x = g − softmax(x) · Σⱼ gⱼ   (per row)
            out.recordGradient("logSoftmax", inputs: [x]) { g, out in
                let probabilities = out.applying(.exp)
                return [Tensor.combining(.subtract, g, Tensor.combining(.multiply, probabilities, g.reducing(.sum, axis: -1)))]
            }
        } else {
            // y = softmax(x):  ∂L/∂x = y ⊙ (g − Σⱼ gⱼ yⱼ)   (per row)
            out.recordGradient("softmax", inputs: [x]) { g, out in
                let dot = Tensor.combining(.multiply, g, out).reducing(.sum, axis: -1)
                return [Tensor.combining(.multiply, out, Tensor.combining(.subtract, g, dot))]
            }
        }
    }
    return out
}
