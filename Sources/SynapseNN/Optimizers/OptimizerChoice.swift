import SynapseCore
/// The optimizers by the names the command line and configuration files give them, each with the
/// settings `synapse train --optimizer NAME` uses — so a Swift program gets the same optimizer as
/// the tool without copying its rules.
public enum OptimizerChoice: String, Sendable, CaseIterable {
    /// ``Adam`` (`torch.optim.Adam`).
    case adam
    /// ``AdamW`` (`torch.optim.AdamW`, decoupled weight decay 0.01).
    case adamw
    /// ``SGD`` with momentum 0.9.
    case sgd
    /// ``RMSProp`` (`torch.optim.RMSprop`).
    case rmsprop
    /// ``Adagrad`` (`torch.optim.Adagrad`).
    case adagrad
    /// ``Lion`` (Chen et al. 2023: the sign of an interpolated momentum).
    case lion

    /// The learning rate used when none is given: 0.01 for SGD and Adagrad, 0.0001 for Lion (its
    /// paper's advice: 3–10× below AdamW's), 0.001 for the others.
    public var defaultLearningRate: Double {
        switch self {
        case .sgd, .adagrad: return 0.01
        case .adam, .adamw, .rmsprop: return 0.001
        case .lion: return 0.0001
        }
    }

    /// An optimizer of this kind over `parameters`, at `learningRate` (``defaultLearningRate`` when nil).
    public func make<Scalar: TensorScalar>(parameters: [Tensor<Scalar>], learningRate: Double? = nil) -> any Optimizer<Scalar> {
        let rate = learningRate ?? defaultLearningRate
        switch self {
        case .adam: return Adam(parameters: parameters, learningRate: rate)
        case .adamw: return AdamW.make(parameters: parameters, learningRate: rate)
        case .sgd: return SGD(parameters: parameters, learningRate: rate, momentum: 0.9)
        case .rmsprop: return RMSProp(parameters: parameters, learningRate: rate)
        case .adagrad: return Adagrad(parameters: parameters, learningRate: rate)
        case .lion: return Lion(parameters: parameters, learningRate: rate)
        }
    }

    /// The choice whose optimizers save states of `kind` (``OptimizerState/kind``: `"SGD"`, `"Adam"`,
    /// `"AdamW"`, `"RMSProp"`, `"Adagrad"`), nil for a kind this library does not know.
    public init?(stateKind kind: String) {
        guard let choice = Self.allCases.first(where: { $0.rawValue == kind.lowercased() }) else { return nil }
        self = choice
    }
}
