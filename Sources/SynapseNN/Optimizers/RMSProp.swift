import SynapseCore
/// RMSProp (`torch.optim.RMSprop`): v ← αv + (1 − α)g²; θ ← θ − η·g/(√v + ε), optionally centred
/// (subtracting the squared mean gradient) and with momentum.
public final class RMSProp<Scalar: TensorScalar>: Optimizer {
    /// The parameters updated.
    public let parameters: [Tensor<Scalar>]
    /// η, the learning rate.
    public var learningRate: Double
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
    private var slots: OptimizerSlots<Scalar>

    /// An RMSProp optimizer over `parameters` (PyTorch's defaults).
    public init(parameters: [Tensor<Scalar>], learningRate: Double = 0.01, alpha: Double = 0.99, epsilon: Double = 1e-8,
                weightDecay: Double = 0, momentum: Double = 0, centered: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        self.slots = OptimizerSlots(parameterCount: parameters.count, bufferNames: ["square_avg", "momentum_buffer", "grad_avg"])
    }

    /// One update of every parameter with a gradient.
    public func step() {
        for (index, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            _ = slots.advance(index)
            let v = slots.buffer("square_avg", index, like: p)
            let b = momentum > 0 ? slots.buffer("momentum_buffer", index, like: p) : nil
            let a = centered ? slots.buffer("grad_avg", index, like: p) : nil
            let rule = UpdateRule<Scalar>.rmsprop(learningRate: Scalar(learningRate), alpha: Scalar(alpha), epsilon: Scalar(epsilon),
                                                  weightDecay: Scalar(weightDecay), momentum: Scalar(momentum), centered: centered)
            Scalar.optimizerStep(rule, parameter: p.data, gradient: g.data, first: v.data, second: b?.data, third: a?.data, count: p.count)
        }
    }

    /// Hyper-parameters, steps and buffers.
    public var state: OptimizerState {
        slots.state(kind: "RMSProp", hyperparameters: ["learningRate": learningRate, "alpha": alpha, "epsilon": epsilon,
                                                       "weightDecay": weightDecay, "momentum": momentum, "centered": centered ? 1 : 0])
    }

    /// Restores a snapshot of an `RMSProp` optimizer.
    public func load(state: OptimizerState) throws {
        // Checked as torch.optim.RMSprop checks its arguments, all before anything changes.
        let (rate, alpha, epsilon) = (try state.value("learningRate", atLeast: 0), try state.value("alpha", atLeast: 0),
                                      try state.value("epsilon", atLeast: 0))
        let (weightDecay, momentum, centered) = (try state.value("weightDecay", atLeast: 0), try state.value("momentum", atLeast: 0),
                                                 try state.flag("centered"))
        try slots.load(state, kind: "RMSProp", parameters: parameters)
        (self.learningRate, self.alpha, self.epsilon, self.weightDecay, self.momentum, self.centered) = (rate, alpha, epsilon, weightDecay, momentum, centered)
    }
}
