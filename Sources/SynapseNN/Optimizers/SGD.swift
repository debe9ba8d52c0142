import SynapseCore

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay — exactly `torch.optim.SGD`: g ← ∇ + λθ; b ← μb + (1 − τ)g; θ ← θ − η(g + μb or b).
public final class SGD<Scalar: TensorScalar>: OptimizerBase<Scalar>, Optimizer {
    /// μ, the momentum (0: plain SGD).
    public var momentum: Double
    /// τ, the dampening of the momentum.
    public var dampening: Double
    /// Whether to use Nesterov momentum.
    public var nesterov: Bool
    /// λ, L2 weight decay added to the gradient.
    public var weightDecay: Double

    /// An SGD optimizer over `parameters`.
    public init(parameters: [Tensor<Scalar>], learningRate: Double = 0.01, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and zero dampening")
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        super.init(parameters: parameters, learningRate: learningRate, bufferNames: ["momentum"])
    }

    override var kind: String { "SGD" }

    override var hyperparameters: [String: Double] {
        ["learningRate": learningRate, "momentum": momentum, "dampening": dampening, "nesterov": nesterov ? 1 : 0, "weightDecay": weightDecay]
    }

    override func update(_ p: Tensor<Scalar>, gradient g: Tensor<Scalar>, index: Int, step: Int) {
        let b = momentum != 0 ? buffer("momentum", index, like: p) : nil
        if Scalar.self == Float.self {
            sgdUpdate(storage(p, as: Float.self), gradient: storage(g, as: Float.self), momentumBuffer: b.map { storage($0, as: Float.self) },
                      count: p.count, learningRate: Float(learningRate), momentum: Float(momentum), dampening: Float(dampening),
                      nesterov: nesterov, weightDecay: Float(weightDecay), firstStep: step == 1)
        } else {
            sgdUpdate(storage(p, as: Double.self), gradient: storage(g, as: Double.self), momentumBuffer: b.map { storage($0, as: Double.self) },
                      count: p.count, learningRate: learningRate, momentum: momentum, dampening: dampening,
                      nesterov: nesterov, weightDecay: weightDecay, firstStep: step == 1)
        }
    }

    /// Restores a snapshot of an `SGD` optimizer.
    public func load(state: OptimizerState) throws {
        // Checked as torch.optim.SGD checks its arguments, all before anything changes.
        let (rate, momentum, dampening) = (try state.value("learningRate", atLeast: 0), try state.value("momentum", atLeast: 0),
                                           try state.value("dampening", atLeast: 0))
        let (nesterov, weightDecay) = (try state.flag("nesterov"), try state.value("weightDecay", atLeast: 0))
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw OptimizerStateError(message: "Nesterov momentum needs a momentum above 0 and zero dampening")
        }
        try restoreSlots(from: state)
        (self.learningRate, self.momentum, self.dampening, self.nesterov, self.weightDecay) = (rate, momentum, dampening, nesterov, weightDecay)
    }
}

/// SGD's update of one parameter, in place:
/// g ← ∇ + λθ; b ← μb + (1 − τ)g (b ← g on the first step); θ ← θ − η·(g + μb if Nesterov, else b).
private func sgdUpdate<T: BinaryFloatingPoint>(_ theta: UnsafeMutablePointer<T>, gradient: UnsafeMutablePointer<T>,
                                               momentumBuffer b: UnsafeMutablePointer<T>?, count: Int, learningRate lr: T,
                                               momentum: T, dampening: T, nesterov: Bool, weightDecay: T, firstStep: Bool) {
    for i in 0..<count {
        var g = gradient[i]
        if weightDecay != 0 { g += weightDecay * theta[i] }
        if momentum != 0, let b {
            b[i] = firstStep ? g : momentum * b[i] + (1 - dampening) * g
            g = nesterov ? g + momentum * b[i] : b[i]
        }
        theta[i] -= lr * g
    }
}
