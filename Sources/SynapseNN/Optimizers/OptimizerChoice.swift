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

    /// Whether the optimizer has a momentum setting (SGD: default 0.9 here; RMSProp: default 0).
    public var hasMomentum: Bool { self == .sgd || self == .rmsprop }

    /// The weight decay used when none is given: 0.01 for AdamW (PyTorch's), 0 for the others.
    public var defaultWeightDecay: Double { self == .adamw ? 0.01 : 0 }

    /// An optimizer of this kind with its settings spelled out, as `synapse train` makes it from
    /// `--lr`, `--weight-decay`, `--momentum` and `--nesterov` (nil: this choice's default).
    /// Weight decay is L2 added to the gradient for SGD, Adam, RMSProp and Adagrad, and decoupled
    /// (θ ← θ(1 − ηλ)) for AdamW and Lion.
    /// - Throws: ``OptimizerSettingError`` when a setting does not apply to this optimizer
    ///   (momentum for other than SGD and RMSProp, Nesterov for other than SGD or without momentum)
    ///   or is out of range (negative or non-finite values, momentum of 1 or more).
    public func make<Scalar: TensorScalar>(parameters: [Tensor<Scalar>], learningRate: Double? = nil, weightDecay: Double?,
                                           momentum: Double? = nil, nesterov: Bool = false) throws(OptimizerSettingError) -> any Optimizer<Scalar> {
        let rate = learningRate ?? defaultLearningRate
        let decay = weightDecay ?? defaultWeightDecay
        guard rate.isFinite, rate > 0 else { throw OptimizerSettingError(setting: "learning rate", description: "must be positive, got \(rate)") }
        guard decay.isFinite, decay >= 0 else { throw OptimizerSettingError(setting: "weight decay", description: "must be 0 or more, got \(decay)") }
        if let momentum {
            guard hasMomentum else { throw OptimizerSettingError(setting: "momentum", description: "applies to sgd and rmsprop, not \(rawValue)") }
            guard momentum.isFinite, (0..<1).contains(momentum) else {
                throw OptimizerSettingError(setting: "momentum", description: "must be in [0, 1), got \(momentum)")
            }
        }
        let mu = momentum ?? (self == .sgd ? 0.9 : 0)
        if nesterov {
            guard self == .sgd else { throw OptimizerSettingError(setting: "nesterov", description: "applies to sgd only, not \(rawValue)") }
            guard mu > 0 else { throw OptimizerSettingError(setting: "nesterov", description: "needs a momentum above 0") }
        }
        switch self {
        case .adam: return Adam(parameters: parameters, learningRate: rate, weightDecay: decay)
        case .adamw: return AdamW.make(parameters: parameters, learningRate: rate, weightDecay: decay)
        case .sgd: return SGD(parameters: parameters, learningRate: rate, momentum: mu, nesterov: nesterov, weightDecay: decay)
        case .rmsprop: return RMSProp(parameters: parameters, learningRate: rate, weightDecay: decay, momentum: mu)
        case .adagrad: return Adagrad(parameters: parameters, learningRate: rate, weightDecay: decay)
        case .lion: return Lion(parameters: parameters, learningRate: rate, weightDecay: decay)
        }
    }

    /// The choice whose optimizers save states of `kind` (``OptimizerState/kind``: `"SGD"`, `"Adam"`,
    /// `"AdamW"`, `"RMSProp"`, `"Adagrad"`), nil for a kind this library does not know.
    public init?(stateKind kind: String) {
        guard let choice = Self.allCases.first(where: { $0.rawValue == kind.lowercased() }) else { return nil }
        self = choice
    }
}

/// An optimizer setting that does not apply to the chosen optimizer or is out of range
/// (``OptimizerChoice/make(parameters:learningRate:weightDecay:momentum:nesterov:)``).
public struct OptimizerSettingError: Error, Equatable, CustomStringConvertible {
    /// The setting: `learning rate`, `weight decay`, `momentum` or `nesterov`.
    public let setting: String
    /// What is wrong with it, in words.
    public let description: String
}
