import SynapseCore
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay — exactly `torch.optim.SGD`: g ← ∇ + λθ; b ← μb + (1 − τ)g; θ ← θ − η(g + μb or b).
public final class SGD<Scalar: TensorScalar>: Optimizer {
    /// The parameters updated.
    public let parameters: [Tensor<Scalar>]
    /// η, the learning rate.
    public var learningRate: Double
    /// μ (0: plain SGD).
    public var momentum: Double
    /// τ, the dampening of the momentum.
    public var dampening: Double
    /// Whether to use Nesterov momentum.
    public var nesterov: Bool
    /// λ, L2 weight decay added to the gradient.
    public var weightDecay: Double
    private var slots: OptimizerSlots<Scalar>

    /// An SGD optimizer over `parameters`.
    public init(parameters: [Tensor<Scalar>], learningRate: Double = 0.01, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, weightDecay: Double = 0) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum needs momentum > 0 and zero dampening")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.slots = OptimizerSlots(parameterCount: parameters.count, bufferNames: ["momentum"])
    }

    /// One update of every parameter with a gradient.
    public func step() {
        for (index, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let first = slots.advance(index) == 1
            let buffer = momentum != 0 ? slots.buffer("momentum", index, like: p) : nil
            let rule = UpdateRule<Scalar>.sgd(learningRate: Scalar(learningRate), momentum: Scalar(momentum), dampening: Scalar(dampening),
                                              nesterov: nesterov, weightDecay: Scalar(weightDecay), firstStep: first)
            Scalar.optimizerStep(rule, parameter: p.data, gradient: g.data, first: buffer?.data, second: nil, third: nil, count: p.count)
        }
    }

    /// Hyper-parameters, steps and momentum buffers.
    public var state: OptimizerState {
        slots.state(kind: "SGD", hyperparameters: ["learningRate": learningRate, "momentum": momentum, "dampening": dampening,
                                                   "nesterov": nesterov ? 1 : 0, "weightDecay": weightDecay])
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
        try slots.load(state, kind: "SGD", parameters: parameters)
        (self.learningRate, self.momentum, self.dampening, self.nesterov, self.weightDecay) = (rate, momentum, dampening, nesterov, weightDecay)
    }
}
