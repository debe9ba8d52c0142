/// The outcome of comparing automatic gradients with central finite differences.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// The largest relative error over every element of every input:
    /// `|analytic − numeric| / max(|analytic|, |numeric|)` (absolute when both are below 1e-8).
    public var maxRelativeError: Double
    /// Which input and flat element index gave `maxRelativeError`.
    public var worstInput: Int, worstIndex: Int
    /// The analytic and numeric gradients at the worst element.
    public var analytic: Double, numeric: Double

    /// A one-line summary.
    public var description: String {
        "max relative error \(maxRelativeError) at input \(worstInput)[\(worstIndex)]: autodiff \(analytic), finite difference \(numeric)"
    }
}

/// Checks the gradients `backward()` computes for `function` against central finite differences,
/// `∂L/∂xᵢ ≈ (L(x + εeᵢ) − L(x − εeᵢ)) / 2ε`, in `Double`.
///
/// A function with a non-scalar result is reduced to `L = Σ out ⊙ R` with fixed pseudo-random
/// weights `R`, so that every output element's gradient is exercised.
///
/// - Parameters:
///   - inputs: the points to differentiate at; they are copied, never modified.
///   - epsilon: the finite-difference step.
///   - function: the computation, written with differentiable tensor operations.
public func checkGradients(at inputs: [Tensor<Double>], epsilon: Double = 1e-6,
                           of function: ([Tensor<Double>]) -> Tensor<Double>) -> GradientCheckResult {
    let variables = inputs.map { x -> Tensor<Double> in
        let v = x.copy()
        v.requiresGrad = true
        return v
    }
    // Fixed projection weights in [0.5, 1.5), so no output's gradient can cancel another's.
    var generator = RandomGenerator(seed: 1234)
    let probe = withoutGradients { function(variables) }
    let weights = Tensor<Double>(randomUniform: probe.shape, low: 0.5, high: 1.5, generator: &generator)
    func loss(_ xs: [Tensor<Double>]) -> Tensor<Double> {
        let out = function(xs)
        return out.count == 1 ? out.sum() : (out * weights).sum()
    }

    loss(variables).backward()

    var result = GradientCheckResult(maxRelativeError: 0, worstInput: 0, worstIndex: 0, analytic: 0, numeric: 0)
    withoutGradients {
        for (which, variable) in variables.enumerated() {
            let analytic = variable.grad?.scalars ?? [Double](repeating: 0, count: variable.count)
            for i in 0..<variable.count {
                let saved = variable.data[i]
                variable.data[i] = saved + epsilon
                let plus = loss(variables).scalar
                variable.data[i] = saved - epsilon
                let minus = loss(variables).scalar
                variable.data[i] = saved
                let numeric = (plus - minus) / (2 * epsilon)
                let scale = Swift.max(Swift.abs(analytic[i]), Swift.abs(numeric))
                let error = scale < 1e-8 ? Swift.abs(analytic[i] - numeric) : Swift.abs(analytic[i] - numeric) / scale
                if error > result.maxRelativeError || error.isNaN {
                    result = GradientCheckResult(maxRelativeError: error.isNaN ? .infinity : error,
                                                 worstInput: which, worstIndex: i, analytic: analytic[i], numeric: numeric)
                }
            }
        }
    }
    return result
}
