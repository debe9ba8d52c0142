import SynapseCore

/// RMSProp (`torch.optim.RMSprop`): v ← αv + (1 − α)g²; θ ← θ − η·g/(√v + ε), optionally centred
/// (subtracting the squared mean gradient) and with momentum.
public final class RMSProp<Scalar: TensorScalar>: OptimizerBase<Scalar>, Optimizer {
    /// α, the decay of the square average.
    public var alpha: Double
    /// ε, added to the denominator √v + ε.
    public var epsilon: Double
    /// λ, L2 weight decay.
    public var weightDecay: Double
    /// μ (0: no momentum).
    public var momentum: Double
    /// Whether to normalise by the variance rather than the second moment.
    public var centered: Bool

    /// An RMSProp optimizer over `parameters` (PyTorch's defaults).
    public init(parameters: [Tensor<Scalar>], learningRate: Double = 0.01, alpha: Double = 0.99, epsilon: Double = 1e-8,
                weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false) {
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        super.init(parameters: parameters, learningRate: learningRate, bufferNames: ["square_avg", "momentum_buffer", "grad_avg"])
    }

    override var kind: String { "RMSProp" }

    override var hyperparameters: [String: Double] {
        ["learningRate": learningRate, "alpha": alpha, "epsilon": epsilon, "weightDecay": weightDecay, "momentum": momentum,
         "centered": centered ? 1 : 0]
    }

    override func update(_ p: Tensor<Scalar>, gradient g: Tensor<Scalar>, index: Int, step: Int) {
        let v = buffer("square_avg", index, like: p)
        let b = momentum > 0 ? buffer("momentum_buffer", index, like: p) : nil
        let a = centered ? buffer("grad_avg", index, like: p) : nil
        if Scalar.self == Float.self {
            rmspropUpdate(storage(p, as: Float.self), gradient: storage(g, as: Float.self), squareAverage: storage(v, as: Float.self),
                          momentumBuffer: b.map { storage($0, as: Float.self) }, gradientAverage: a.map { storage($0, as: Float.self) },
                          count: p.count, learningRate: Float(learningRate), alpha: Float(alpha), epsilon: Float(epsilon),
                          weightDecay: Float(weightDecay), momentum: Float(momentum))
        } else {
            rmspropUpdate(storage(p, as: Double.self), gradient: storage(g, as: Double.self), squareAverage: storage(v, as: Double.self),
                          momentumBuffer: b.map { storage($0, as: Double.self) }, gradientAverage: a.map { storage($0, as: Double.self) },
                          count: p.count, learningRate: learningRate, alpha: alpha, epsilon: epsilon,
                          weightDecay: weightDecay, momentum: momentum)
        }
    }

    /// Restores a snapshot of an `RMSProp` optimizer.
    public func load(state: OptimizerState) throws {
        // Checked as torch.optim.RMSprop checks its arguments, all before anything changes.
        let (rate, alpha, epsilon) = (try state.value("learningRate", atLeast: 0), try state.value("alpha", atLeast: 0),
                                      try state.value("epsilon", atLeast: 0))
        let (weightDecay, momentum, centered) = (try state.value("weightDecay", atLeast: 0), try state.value("momentum", atLeast: 0),
                                                 try state.flag("centered"))
        try restoreSlots(from: state)
        (self.learningRate, self.alpha, self.epsilon, self.weightDecay, self.momentum, self.centered) = (rate, alpha, epsilon, weightDecay, momentum, centered)
    }
}

/// RMSProp's update of one parameter, in place: g ← ∇ + λθ; v ← αv + (1 − α)g²; centred (with a
/// gradient average a): a ← αa + (1 − α)g, d ← √(v − a²) + ε, else d ← √v + ε; with momentum
/// b ← μb + g/d, θ ← θ − ηb; without, θ ← θ − η·g/d.
private func rmspropUpdate<T: BinaryFloatingPoint>(_ theta: UnsafeMutablePointer<T>, gradient: UnsafeMutablePointer<T>,
                                                   squareAverage v: UnsafeMutablePointer<T>, momentumBuffer b: UnsafeMutablePointer<T>?,
                                                   gradientAverage a: UnsafeMutablePointer<T>?, count: Int, learningRate lr: T,
                                                   alpha: T, epsilon: T, weightDecay: T, momentum: T) {
    for i in 0..<count {
        var g = gradient[i]
        if weightDecay != 0 { g += weightDecay * theta[i] }
        v[i] = alpha * v[i] + (1 - alpha) * g * g
        var denominator: T
        if let a {
            a[i] = alpha * a[i] + (1 - alpha) * g
            denominator = (v[i] - a[i] * a[i]).squareRoot() + epsilon
        } else {
            denominator = v[i].squareRoot() + epsilon
        }
        if momentum > 0, let b {
            b[i] = momentum * b[i] + g / denominator
            theta[i] -= lr * b[i]
        } else {
            theta[i] -= lr * g / denominator
        }
    }
}
