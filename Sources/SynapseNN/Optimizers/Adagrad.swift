import SynapseCore
/// Adagrad (`torch.optim.Adagrad`): s ← s + g²; θ ← θ − η_t·g/(√s + ε) with η_t = η / (1 + (t − 1)·decay).
public final class Adagrad<Scalar: TensorScalar>: Optimizer {
    /// The parameters updated.
    public let parameters: [Tensor<Scalar>]
    /// η, the learning rate.
    public var learningRate: Double
    /// The learning-rate decay per step.
    public var learningRateDecay: Double
    /// λ, L2 weight decay.
    public var weightDecay: Double
    /// The starting value of the sum of squares.
    public let initialAccumulatorValue: Double
    /// ε, added to the denominator √(Σg²) + ε.
    public var epsilon: Double
    private var slots: OptimizerSlots<Scalar>

    /// An Adagrad optimizer over `parameters` (PyTorch's defaults).
    public init(parameters: [Tensor<Scalar>], learningRate: Double = 0.01, learningRateDecay: Double = 0, weightDecay: Double = 0,
                initialAccumulatorValue: Double = 0, epsilon: Double = 1e-10) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.learningRateDecay = learningRateDecay
        self.weightDecay = weightDecay
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        self.slots = OptimizerSlots(parameterCount: parameters.count, bufferNames: ["sum"])
    }

    /// One update of every parameter with a gradient.
    public func step() {
        for (index, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let t = Double(slots.advance(index))
            let s = slots.buffer("sum", index, like: p, initial: Scalar(initialAccumulatorValue))
            let rate = learningRate / (1 + (t - 1) * learningRateDecay)
            let rule = UpdateRule<Scalar>.adagrad(learningRate: Scalar(rate), epsilon: Scalar(epsilon), weightDecay: Scalar(weightDecay))
            Scalar.optimizerStep(rule, parameter: p.data, gradient: g.data, first: s.data, second: nil, third: nil, count: p.count)
        }
    }

    /// Hyper-parameters, steps and sums.
    public var state: OptimizerState {
        slots.state(kind: "Adagrad", hyperparameters: ["learningRate": learningRate, "learningRateDecay": learningRateDecay,
                                                       "weightDecay": weightDecay, "epsilon": epsilon])
    }

    /// Restores a snapshot of an `Adagrad` optimizer.
    public func load(state: OptimizerState) throws {
        // Checked as torch.optim.Adagrad checks its arguments, all before anything changes.
        let (rate, decay) = (try state.value("learningRate", atLeast: 0), try state.value("learningRateDecay", atLeast: 0))
        let (weightDecay, epsilon) = (try state.value("weightDecay", atLeast: 0), try state.value("epsilon", atLeast: 0))
        try slots.load(state, kind: "Adagrad", parameters: parameters)
        (self.learningRate, self.learningRateDecay, self.weightDecay, self.epsilon) = (rate, decay, weightDecay, epsilon)
    }
}
