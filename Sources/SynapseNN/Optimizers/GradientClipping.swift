import SynapseCore
import Foundation

/// Scales all gradients together so their global norm is at most `maxNorm`
/// (`torch.nn.utils.clip_grad_norm_`): with `‖g‖ = (Σ |gᵢ|ᵖ)^{1/p}` over every parameter, each
/// gradient is multiplied by `min(1, maxNorm / (‖g‖ + 1e-6))`. Returns the norm before clipping.
@discardableResult
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func clipGradients<Scalar: TensorScalar>(_ parameters: [Tensor<Scalar>], maxNorm: Double, normType: Double = 2) -> Double {
    precondition(maxNorm >= 0 && normType > 0, "clipGradients needs maxNorm ≥ 0 and a positive norm type")
    let gradients = parameters.compactMap(\.grad)
    var norm = 0.0
    if normType == .infinity {
        for g in gradients { g.withUnsafeBufferPointer { for v in $0 { norm = Swift.max(norm, Swift.abs(Double(v))) } } }
    } else {
        var total = 0.0
        for g in gradients { g.withUnsafeBufferPointer { for v in $0 { total += normType == 2 ? Double(v) * Double(v) : pow(Swift.abs(Double(v)), normType) } } }
        norm = normType == 2 ? total.squareRoot() : pow(total, 1 / normType)
    }
    let factor = maxNorm / (norm + 1e-6)
    if factor < 1 {
        withoutGradients { for g in gradients { g.update(.times(Scalar(factor))) } }
    }
    return norm
}

/// Clamps every gradient element to `[−maxValue, maxValue]` (`torch.nn.utils.clip_grad_value_`).
@_specialize(where Scalar == Float) @_specialize(where Scalar == Double)
public func clipGradients<Scalar: TensorScalar>(_ parameters: [Tensor<Scalar>], maxValue: Double) {
    precondition(maxValue >= 0, "clipGradients needs maxValue ≥ 0")
    withoutGradients {
        for p in parameters { p.grad?.update(.clamp(low: Scalar(-maxValue), high: Scalar(maxValue))) }
    }
}
