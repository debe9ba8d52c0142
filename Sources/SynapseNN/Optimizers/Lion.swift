import SynapseCore
/// Lion, "EvoLved Sign Momentum" (Chen et al. 2023, "Symbolic Discovery of Optimization
/// Algorithms", Algorithm 2): the update is the *sign* of an interpolation between the momentum
/// and the gradient, so every weight moves by exactly η (plus decoupled weight decay):
///
///     c ← β₁m + (1 − β₁)g
///     θ ← θ − η(sign(c) + λθ)
///     m ← β₂m + (1 − β₂)g
///
/// One buffer per parameter (Adam keeps two). The paper's advice: a learning rate 3–10× smaller
/// than AdamW's and a weight decay 3–10× larger; defaults η = 10⁻⁴, β₁ = 0.9, β₂ = 0.99, λ = 0.
public final class Lion<Scalar: TensorScalar>: OptimizerBase<Scalar>, Optimizer {
    /// β₁, the weight of the momentum in the interpolation whose sign is the update.
    public var beta1: Double
    /// β₂, the decay of the momentum itself.
    public var beta2: Double
    /// λ, decoupled weight decay (θ shrinks by ηλθ each step).
    public var weightDecay: Double

    /// A Lion optimizer over `parameters`.
    public init(parameters: [Tensor<Scalar>], learningRate: Double = 1e-4, beta1: Double = 0.9, beta2: Double = 0.99,
                weightDecay: Double = 0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.weightDecay = weightDecay
        super.init(parameters: parameters, learningRate: learningRate, bufferNames: ["exp_avg"])
    }

    override var kind: String { "Lion" }

    override var hyperparameters: [String: Double] {
        ["learningRate": learningRate, "beta1": beta1, "beta2": beta2, "weightDecay": weightDecay]
    }

    override func update(_ p: Tensor<Scalar>, gradient g: Tensor<Scalar>, index: Int, step: Int) {
        let m = buffer("exp_avg", index, like: p)
        if Scalar.self == Float.self {
            lionUpdate(storage(p, as: Float.self), gradient: storage(g, as: Float.self), momentum: storage(m, as: Float.self), count: p.count,
                       learningRate: Float(learningRate), beta1: Float(beta1), beta2: Float(beta2), weightDecay: Float(weightDecay))
        } else {
            lionUpdate(storage(p, as: Double.self), gradient: storage(g, as: Double.self), momentum: storage(m, as: Double.self), count: p.count,
                       learningRate: learningRate, beta1: beta1, beta2: beta2, weightDecay: weightDecay)
        }
    }

    /// Restores a snapshot of a `Lion` optimizer (learning rate and decay ≥ 0, betas in [0, 1)).
    public func load(state: OptimizerState) throws {
        let (rate, beta1, beta2) = (try state.value("learningRate", atLeast: 0), try state.value("beta1", atLeast: 0, below: 1),
                                    try state.value("beta2", atLeast: 0, below: 1))
        let weightDecay = try state.value("weightDecay", atLeast: 0)
        try restoreSlots(from: state)
        (self.learningRate, self.beta1, self.beta2, self.weightDecay) = (rate, beta1, beta2, weightDecay)
    }
}

/// Lion's update of one parameter (see ``Lion``), in place; a free function so that each call
/// site, with concrete `Float` or `Double` pointers, gets a fully specialised loop.
private func lionUpdate<T: BinaryFloatingPoint>(_ theta: UnsafeMutablePointer<T>, gradient g: UnsafeMutablePointer<T>,
                                                momentum m: UnsafeMutablePointer<T>, count: Int,
                                                learningRate eta: T, beta1: T, beta2: T, weightDecay lambda: T) {
    for i in 0..<count {
        let c = beta1 * m[i] + (1 - beta1) * g[i]
        let sign: T = c > 0 ? 1 : c < 0 ? -1 : 0
        theta[i] -= eta * (sign + lambda * theta[i])
        m[i] = beta2 * m[i] + (1 - beta2) * g[i]
    }
}
