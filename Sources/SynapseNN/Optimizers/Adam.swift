import SynapseCore
import CSynapseKernels
import Foundation

/// Adam (`torch.optim.Adam`): moment estimates m, v with bias correction; weight decay as L2 added
/// to the gradient; optional AMSGrad. ``AdamW`` is the same with decoupled weight decay.
public final class Adam<Scalar: TensorScalar>: OptimizerBase<Scalar>, Optimizer {
    /// β₁, the decay of the first moment.
    public var beta1: Double
    /// β₂, the decay of the second moment.
    public var beta2: Double
    /// ε, added to the denominator.
    public var epsilon: Double
    /// λ: L2 weight decay (Adam) or decoupled decay (AdamW).
    public var weightDecay: Double
    /// Whether to use the maximum of past second moments (AMSGrad).
    public var amsgrad: Bool
    /// Whether weight decay is decoupled from the gradient (AdamW).
    public let decoupled: Bool
    /// Per parameter, whether weight decay applies to it (PyTorch's two parameter groups, e.g.
    /// decay on matrices but not on biases and norms: `parameters.map { $0.rank >= 2 }`); nil: all.
    public var decays: [Bool]? {
        didSet { precondition(decays.map { $0.count == parameters.count } ?? true, "decays needs one flag per parameter") }
    }

    /// An Adam optimizer over `parameters` (PyTorch's defaults).
    public convenience init(parameters: [Tensor<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false) {
        self.init(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                  weightDecay: weightDecay, amsgrad: amsgrad, decoupled: false)
    }

    init(parameters: [Tensor<Scalar>], learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
         weightDecay: Double, amsgrad: Bool, decoupled: Bool) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam needs betas in [0, 1), got \(beta1), \(beta2)")
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decoupled = decoupled
        super.init(parameters: parameters, learningRate: learningRate, bufferNames: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    }

    override var kind: String { decoupled ? "AdamW" : "Adam" }

    override var hyperparameters: [String: Double] {
        ["learningRate": learningRate, "beta1": beta1, "beta2": beta2, "epsilon": epsilon, "weightDecay": weightDecay, "amsgrad": amsgrad ? 1 : 0]
    }

    override func update(_ p: Tensor<Scalar>, gradient g: Tensor<Scalar>, index: Int, step: Int) {
        let t = Double(step)
        let m = buffer("exp_avg", index, like: p), v = buffer("exp_avg_sq", index, like: p)
        let vMax = amsgrad ? buffer("max_exp_avg_sq", index, like: p) : nil
        // The step's constants, combined once: bias corrections 1 − β₁ᵗ and √(1 − β₂ᵗ), L2 or decoupled decay.
        let (bc1, bc2Root) = (1 - Foundation.pow(beta1, t), (1 - Foundation.pow(beta2, t)).squareRoot())
        let lambda = (decays?[index] ?? true) ? weightDecay : 0
        let (l2, decay) = decoupled ? (0, lambda) : (lambda, 0)
        if Scalar.self == Float.self {
            let (theta, gradient) = (storage(p, as: Float.self), storage(g, as: Float.self))
            let (m, v) = (storage(m, as: Float.self), storage(v, as: Float.self))
            let constants = AdamConstants<Float>(learningRate: Float(learningRate), beta1: Float(beta1), beta2: Float(beta2),
                                                 epsilon: Float(epsilon), weightDecay: Float(l2), decoupledWeightDecay: Float(decay),
                                                 biasCorrection1: Float(bc1), biasCorrection2Root: Float(bc2Root))
            if !amsgrad, GEMM.backend == .native {
                adamNative(theta, gradient: gradient, m: m, v: v, count: p.count, constants)
            } else {
                adamUpdate(theta, gradient: gradient, m: m, v: v, vMax: vMax.map { storage($0, as: Float.self) }, count: p.count, constants)
            }
        } else {
            let constants = AdamConstants<Double>(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: l2,
                                                  decoupledWeightDecay: decay, biasCorrection1: bc1, biasCorrection2Root: bc2Root)
            adamUpdate(storage(p, as: Double.self), gradient: storage(g, as: Double.self), m: storage(m, as: Double.self),
                       v: storage(v, as: Double.self), vMax: vMax.map { storage($0, as: Double.self) }, count: p.count, constants)
        }
    }

    /// Restores a snapshot of an optimizer of the same kind.
    public func load(state: OptimizerState) throws {
        // Checked as torch.optim.Adam checks its arguments, all before anything changes.
        let (rate, beta1, beta2) = (try state.value("learningRate", atLeast: 0), try state.value("beta1", atLeast: 0, below: 1),
                                    try state.value("beta2", atLeast: 0, below: 1))
        let (epsilon, weightDecay, amsgrad) = (try state.value("epsilon", atLeast: 0), try state.value("weightDecay", atLeast: 0),
                                               try state.flag("amsgrad"))
        try restoreSlots(from: state)
        (self.learningRate, self.beta1, self.beta2, self.epsilon, self.weightDecay, self.amsgrad) = (rate, beta1, beta2, epsilon, weightDecay, amsgrad)
    }
}

/// AdamW (`torch.optim.AdamW`): Adam with decoupled weight decay θ ← θ(1 − ηλ) before the Adam step.
public enum AdamW {
    /// An AdamW optimizer (an ``Adam`` with decoupled weight decay; default λ = 0.01 as PyTorch).
    public static func make<Scalar: TensorScalar>(parameters: [Tensor<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9,
                                                  beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01,
                                                  amsgrad: Bool = false) -> Adam<Scalar> {
        Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
             weightDecay: weightDecay, amsgrad: amsgrad, decoupled: true)
    }
}

/// One Adam step's constants in the parameter's type.
struct AdamConstants<T> {
    var learningRate: T, beta1: T, beta2: T, epsilon: T
    /// λ of L2 decay (added to the gradient) and of decoupled decay (θ ← θ(1 − ηλ)); one of them is 0.
    var weightDecay: T, decoupledWeightDecay: T
    /// 1 − β₁ᵗ and √(1 − β₂ᵗ).
    var biasCorrection1: T, biasCorrection2Root: T
}

/// Adam's update of one parameter, in place (`torch.optim.Adam`'s formula):
/// θ ← θ(1 − ηλ_decoupled); g ← ∇ + λθ; m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// θ ← θ − (η / (1 − β₁ᵗ)) · m / (√(max of past v with AMSGrad, else v) / √(1 − β₂ᵗ) + ε).
/// Sixteen lanes at a time without AMSGrad, then the tail; each lane does exactly the scalar
/// arithmetic in the same order, so results are identical to an element-by-element loop.
func adamUpdate<T: BinaryFloatingPoint & SIMDScalar>(_ theta: UnsafeMutablePointer<T>, gradient: UnsafeMutablePointer<T>,
                                                             m: UnsafeMutablePointer<T>, v: UnsafeMutablePointer<T>,
                                                             vMax: UnsafeMutablePointer<T>?, count: Int, _ c: AdamConstants<T>) {
    let (lr, beta1, beta2, epsilon, weightDecay, decoupled) = (c.learningRate, c.beta1, c.beta2, c.epsilon, c.weightDecay, c.decoupledWeightDecay)
    let stepSize = lr / c.biasCorrection1, bc2Root = c.biasCorrection2Root
    typealias V = SIMD16<T>
    var i = 0
    if vMax == nil {
        let decay = V(repeating: 1 - lr * decoupled), l2 = V(repeating: weightDecay)
        let b1 = V(repeating: beta1), b2 = V(repeating: beta2), c1 = V(repeating: 1 - beta1), c2 = V(repeating: 1 - beta2)
        let size = V(repeating: stepSize), root = V(repeating: bc2Root), eps = V(repeating: epsilon)
        let raw = (UnsafeMutableRawPointer(theta), UnsafeRawPointer(gradient), UnsafeMutableRawPointer(m), UnsafeMutableRawPointer(v))
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
        if decoupled != 0 { theta[i] *= 1 - lr * decoupled }
        var g = gradient[i]
        if weightDecay != 0 { g += weightDecay * theta[i] }
        m[i] = beta1 * m[i] + (1 - beta1) * g
        v[i] = beta2 * v[i] + (1 - beta2) * g * g
        var second = v[i]
        if let vMax {
            vMax[i] = Swift.max(vMax[i], v[i])
            second = vMax[i]
        }
        theta[i] -= stepSize * m[i] / (second.squareRoot() / bc2Root + epsilon)
        i += 1
    }
}

/// The same update (without AMSGrad) as the C loop `synapse_adam_f32`, compiled for the CPU's
/// vector width with fused multiply-adds; large parameters are split into aligned chunks updated
/// in parallel (elementwise, so the result does not depend on the split).
func adamNative(_ theta: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
                        v: UnsafeMutablePointer<Float>, count: Int, _ c: AdamConstants<Float>) {
    let tasks = count >= 1 << 16 ? Parallel.threadCount : 1
    let chunk = ((count + tasks - 1) / tasks + 15) / 16 * 16
    Parallel.forEach(tasks: tasks) { task in
        let start = task * chunk, length = Swift.min(chunk, count - start)
        guard length > 0 else { return }
        synapse_adam_f32(theta + start, gradient + start, m + start, v + start, length, c.decoupledWeightDecay != 0 ? 1 : 0,
                         1 - c.learningRate * c.decoupledWeightDecay, c.weightDecay, c.beta1, 1 - c.beta1, c.beta2, 1 - c.beta2,
                         c.learningRate / c.biasCorrection1, c.biasCorrection2Root, c.epsilon)
    }
}
