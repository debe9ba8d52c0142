/// One optimizer update of one parameter, in a single pass over its buffers. The hyper-parameters
/// arrive already combined for this step (bias corrections, decayed rates), so the loop is pure
/// arithmetic. Formulas follow `torch.optim`.
public enum UpdateRule<Scalar: Sendable>: Sendable {
    /// SGD: g ← ∇ + λθ; b ← μb + (1 − τ)g (b ← g on the first step); θ ← θ − η·(g + μb if Nesterov, else b).
    case sgd(learningRate: Scalar, momentum: Scalar, dampening: Scalar, nesterov: Bool, weightDecay: Scalar, firstStep: Bool)
    /// Adam/AdamW: θ ← θ(1 − ηλ_decoupled); g ← ∇ + λθ; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
    /// θ ← θ − (η / (1 − β₁ᵗ)) · m / (√(v̂ₘₐₓ or v) / √(1 − β₂ᵗ) + ε).
    case adam(learningRate: Scalar, beta1: Scalar, beta2: Scalar, epsilon: Scalar, weightDecay: Scalar,
              decoupledWeightDecay: Scalar, biasCorrection1: Scalar, biasCorrection2Root: Scalar, amsgrad: Bool)
    /// RMSProp: g ← ∇ + λθ; v ← αv + (1 − α)g²; (centered: a ← αa + (1 − α)g, d ← √(v − a²) + ε; else d ← √v + ε);
    /// with momentum b ← μb + g/d, θ ← θ − ηb; without, θ ← θ − η·g/d.
    case rmsprop(learningRate: Scalar, alpha: Scalar, epsilon: Scalar, weightDecay: Scalar, momentum: Scalar, centered: Bool)
    /// Adagrad: g ← ∇ + λθ; s ← s + g²; θ ← θ − η_t · g / (√s + ε), η_t = η / (1 + (t − 1)·decay).
    case adagrad(learningRate: Scalar, epsilon: Scalar, weightDecay: Scalar)
}

enum OptimizerKernels {
    /// Applies `rule` to `count` elements. `first`, `second`, `third` are the rule's state buffers
    /// (SGD: momentum; Adam: m, v, v̂ₘₐₓ; RMSProp: v, momentum, mean gradient; Adagrad: sum of squares).
    @inline(__always)
    static func step<T: TensorScalar>(_ rule: UpdateRule<T>, parameter θ: UnsafeMutablePointer<T>, gradient: UnsafePointer<T>,
                                      first: UnsafeMutablePointer<T>?, second: UnsafeMutablePointer<T>?,
                                      third: UnsafeMutablePointer<T>?, count: Int) {
        switch rule {
        case .sgd(let lr, let momentum, let dampening, let nesterov, let weightDecay, let firstStep):
            for i in 0..<count {
                var g = gradient[i]
                if weightDecay != 0 { g += weightDecay * θ[i] }
                if momentum != 0, let b = first {
                    b[i] = firstStep ? g : momentum * b[i] + (1 - dampening) * g
                    g = nesterov ? g + momentum * b[i] : b[i]
                }
                θ[i] -= lr * g
            }
        case .adam(let lr, let beta1, let beta2, let epsilon, let weightDecay, let decoupled, let bc1, let bc2Root, let amsgrad):
            guard let m = first, let v = second else { preconditionFailure("Adam needs its moment buffers") }
            let stepSize = lr / bc1
            // Sixteen lanes at a time, then the tail; each lane does exactly the scalar arithmetic
            // below in the same order, so results are identical to an element-by-element loop.
            typealias V = SIMD16<T>
            var i = 0
            if !amsgrad {
                let decay = V(repeating: 1 - lr * decoupled), l2 = V(repeating: weightDecay)
                let b1 = V(repeating: beta1), b2 = V(repeating: beta2), c1 = V(repeating: 1 - beta1), c2 = V(repeating: 1 - beta2)
                let size = V(repeating: stepSize), root = V(repeating: bc2Root), eps = V(repeating: epsilon)
                let raw = (UnsafeMutableRawPointer(θ), UnsafeRawPointer(gradient), UnsafeMutableRawPointer(m), UnsafeMutableRawPointer(v))
                while i + V.scalarCount <= count {
                    let offset = i * MemoryLayout<T>.stride
                    var p = raw.0.loadUnaligned(fromByteOffset: offset, as: V.self)
                    if decoupled != 0 { p = p * decay }
                    var g = raw.1.loadUnaligned(fromByteOffset: offset, as: V.self)
                    if weightDecay != 0 { g = g + l2 * p }
                    let mv = b1 * raw.2.loadUnaligned(fromByteOffset: offset, as: V.self) + c1 * g
                    let vv = b2 * raw.3.loadUnaligned(fromByteOffset: offset, as: V.self) + c2 * g * g
                    raw.2.storeBytes(of: mv, toByteOffset: offset, as: V.self)
                    raw.3.storeBytes(of: vv, toByteOffset: offset, as: V.self)
                    p = p - size * mv / (vv.squareRoot() / root + eps)
                    raw.0.storeBytes(of: p, toByteOffset: offset, as: V.self)
                    i += V.scalarCount
                }
            }
            while i < count {
                if decoupled != 0 { θ[i] *= 1 - lr * decoupled }
                var g = gradient[i]
                if weightDecay != 0 { g += weightDecay * θ[i] }
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                var second = v[i]
                if amsgrad, let vMax = third {
                    vMax[i] = Swift.max(vMax[i], v[i])
                    second = vMax[i]
                }
                θ[i] -= stepSize * m[i] / (second.squareRoot() / bc2Root + epsilon)
                i += 1
            }
        case .rmsprop(let lr, let alpha, let epsilon, let weightDecay, let momentum, let centered):
            guard let v = first else { preconditionFailure("RMSProp needs its square-average buffer") }
            for i in 0..<count {
                var g = gradient[i]
                if weightDecay != 0 { g += weightDecay * θ[i] }
                v[i] = alpha * v[i] + (1 - alpha) * g * g
                var average: T
                if centered, let a = third {
                    a[i] = alpha * a[i] + (1 - alpha) * g
                    average = (v[i] - a[i] * a[i]).squareRoot() + epsilon
                } else {
                    average = v[i].squareRoot() + epsilon
                }
                if momentum > 0, let b = second {
                    b[i] = momentum * b[i] + g / average
                    θ[i] -= lr * b[i]
                } else {
                    θ[i] -= lr * g / average
                }
            }
        case .adagrad(let lr, let epsilon, let weightDecay):
            guard let s = first else { preconditionFailure("Adagrad needs its sum buffer") }
            for i in 0..<count {
                var g = gradient[i]
                if weightDecay != 0 { g += weightDecay * θ[i] }
                s[i] += g * g
                θ[i] -= lr * g / (s[i].squareRoot() + epsilon)
            }
        }
    }
}
