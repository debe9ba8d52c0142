import SynapseCore

/// Adagrad (`torch.optim.Adagrad`): s ← s + g²; θ ← θ − η_t·g/(√s + ε) with η_t = η / (1 + (t − 1)·decay).
public final class Adagrad<Scalar: TensorScalar>: OptimizerBase<Scalar>, Optimizer {
    /// The learning-rate decay per step.
    public var learningRateDecay: Double
    /// λ, L2 weight decay.
    public var weightDecay: Double
    /// The starting value of the sum of squares.
    public let initialAccumulatorValue: Double
    /// ε, added to the denominator √(Σg²) + ε.
    public var epsilon: Double

    /// An Adagrad optimizer over `parameters` (PyTorch's defaults).
    public init(parameters: [Tensor<Scalar>], learningRate: Double = 0.01, learningRateDecay: Double = 0, weightDecay: Double = 0,
                initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) {
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        super.init(parameters: parameters, learningRate: learningRate, bufferNames: ["sum"])
    }

    override var kind: String { "Adagrad" }

    override var hyperparameters: [String: Double] {
        ["learningRate": learningRate, "learningRateDecay": learningRateDecay, "weightDecay": weightDecay, "epsilon": epsilon]
    }

    override func update(_ p: Tensor<Scalar>, gradient g: Tensor<Scalar>, index: Int, step: Int) {
        let s = buffer("sum", index, like: p, initial: Scalar(initialAccumulatorValue))
        let rate = learningRate / (1 + (Double(step) - 1) * learningRateDecay)
        if Scalar.self == Float.self {
            adagradUpdate(storage(p, as: Float.self), gradient: storage(g, as: Float.self), sum: storage(s, as: Float.self), count: p.count,
                          learningRate: Float(rate), epsilon: Float(epsilon), weightDecay: Float(weightDecay))
        } else {
            adagradUpdate(storage(p, as: Double.self), gradient: storage(g, as: Double.self), sum: storage(s, as: Double.self), count: p.count,
                          learningRate: rate, epsilon: epsilon, weightDecay: weightDecay)
        }
    }

    /// Restores a snapshot of an `Adagrad` optimizer.
    public func load(state: OptimizerState) throws {
        // Checked as torch.optim.Adagrad checks its arguments, all before anything changes.
        let (rate, decay) = (try state.value("learningRate", atLeast: 0), try state.value("learningRateDecay", atLeast: 0))
        let (weightDecay, epsilon) = (try state.value("weightDecay", atLeast: 0), try state.value("epsilon", atLeast: 0))
        try restoreSlots(from: state)
        (self.learningRate, self.learningRateDecay, self.weightDecay, self.epsilon) = (rate, decay, weightDecay, epsilon)
    }
}

/// Adagrad's update of one parameter, in place: g ← ∇ + λθ; s ← s + g²; θ ← θ − η_t·g/(√s + ε).
private func adagradUpdate<T: BinaryFloatingPoint>(_ theta: UnsafeMutablePointer<T>, gradient: UnsafeMutablePointer<T>,
                                                   sum s: UnsafeMutablePointer<T>, count: Int, learningRate lr: T, epsilon: T,
                                                   weightDecay: T) {
    for i in 0..<count {
        var g = gradient[i]
        if weightDecay != 0 { g += weightDecay * theta[i] }
        s[i] += g * g
        theta[i] -= lr * g / (s[i].squareRoot() + epsilon)
    }
}
