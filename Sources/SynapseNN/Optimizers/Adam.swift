import SynapseCore
import Foundation

/// Adam (`torch.optim.Adam`): moment estimates m, v with bias correction; weight decay as L2 added
/// to the gradient; optional AMSGrad. ``AdamW`` is the same with decoupled weight decay.
public final class Adam<Scalar: TensorScalar>: Optimizer {
    /// The parameters updated.
    public let parameters: [Tensor<Scalar>]
    /// η, the learning rate.
    public var learningRate: Double
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
    private var slots: OptimizerSlots<Scalar>

    /// An Adam optimizer over `parameters` (PyTorch's defaults).
    public convenience init(parameters: [Tensor<Scalar>], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0, amsgrad: Bool = false) {
        self.init(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                  weightDecay: weightDecay, amsgrad: amsgrad, decoupled: false)
    }

    init(parameters: [Tensor<Scalar>], learningRate: Double, beta1: Double, beta2: Double, epsilon: Double,
         weightDecay: Double, amsgrad: Bool, decoupled: Bool) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "Adam needs betas in [0, 1), got \(beta1), \(beta2)")
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.decoupled = decoupled
        self.slots = OptimizerSlots(parameterCount: parameters.count, bufferNames: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"])
    }

    var kind: String { decoupled ? "AdamW" : "Adam" }

    /// One update of every parameter with a gradient.
    public func step() {
        for (index, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let t = Double(slots.advance(index))
            let m = slots.buffer("exp_avg", index, like: p), v = slots.buffer("exp_avg_sq", index, like: p)
            let vMax = amsgrad ? slots.buffer("max_exp_avg_sq", index, like: p) : nil
            let rule = UpdateRule<Scalar>.adam(
                learningRate: Scalar(learningRate), beta1: Scalar(beta1), beta2: Scalar(beta2), epsilon: Scalar(epsilon),
                weightDecay: decoupled ? 0 : Scalar(weightDecay), decoupledWeightDecay: decoupled ? Scalar(weightDecay) : 0,
                biasCorrection1: Scalar(1 - Foundation.pow(beta1, t)), biasCorrection2Root: Scalar((1 - Foundation.pow(beta2, t)).squareRoot()),
                amsgrad: amsgrad)
            Scalar.optimizerStep(rule, parameter: p.data, gradient: g.data, first: m.data, second: v.data, third: vMax?.data, count: p.count)
        }
    }

    /// Hyper-parameters, steps and moment buffers.
    public var state: OptimizerState {
        slots.state(kind: kind, hyperparameters: ["learningRate": learningRate, "beta1": beta1, "beta2": beta2, "epsilon": epsilon,
                                                  "weightDecay": weightDecay, "amsgrad": amsgrad ? 1 : 0])
    }

    /// Restores a snapshot of an optimizer of the same kind.
    public func load(state: OptimizerState) throws {
        // Checked as torch.optim.Adam checks its arguments, all before anything changes.
        let (rate, beta1, beta2) = (try state.value("learningRate", atLeast: 0), try state.value("beta1", atLeast: 0, below: 1),
                                    try state.value("beta2", atLeast: 0, below: 1))
        let (epsilon, weightDecay, amsgrad) = (try state.value("epsilon", atLeast: 0), try state.value("weightDecay", atLeast: 0),
                                               try state.flag("amsgrad"))
        try slots.load(state, kind: kind, parameters: parameters)
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
