import SynapseCore
import Foundation

/// A learning rate as a function of the epoch (or step) count, starting from a base rate.
/// Apply one during `fit` with ``LearningRateScheduler``: `LearningRateScheduler { schedule.learningRate(at: $0) }`.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate for epoch (or step) `t`, counting from 0.
    func learningRate(at t: Int) -> Double
}

/// `η·γ^⌊t / stepSize⌋` (PyTorch's `StepLR`).
public struct StepDecay: LearningRateSchedule, Codable, Equatable {
    /// η, the rate at t = 0.
    public var base: Double
    /// How many epochs between decays.
    public var stepSize: Int
    /// γ, the factor applied at each decay.
    public var gamma: Double
    /// A step schedule.
    public init(base: Double, stepSize: Int, gamma: Double = 0.1) {
        precondition(stepSize > 0, "stepSize must be positive")
        self.base = base; self.stepSize = stepSize; self.gamma = gamma
    }
    /// `η·γ^⌊t / stepSize⌋`.
    public func learningRate(at t: Int) -> Double { base * pow(gamma, Double(t / stepSize)) }
}

/// `η·γᵗ` (PyTorch's `ExponentialLR`).
public struct ExponentialDecay: LearningRateSchedule, Codable, Equatable {
    /// η, the rate at t = 0.
    public var base: Double
    /// γ, the factor per epoch.
    public var gamma: Double
    /// An exponential schedule.
    public init(base: Double, gamma: Double) { self.base = base; self.gamma = gamma }
    /// `η·γᵗ`.
    public func learningRate(at t: Int) -> Double { base * pow(gamma, Double(t)) }
}

/// A linear warm-up from `warmupStartFactor·η` to η over `warmupSteps`, then cosine annealing
/// from η to `minimum` over the remaining `totalSteps − warmupSteps`:
/// `η_t = min + ½(η − min)(1 + cos(π·(t − w)/(T − w)))`; constant at `minimum` after T.
public struct CosineWithWarmup: LearningRateSchedule, Codable, Equatable {
    /// η, the peak rate.
    public var base: Double
    /// w, the warm-up length.
    public var warmupSteps: Int
    /// T, the schedule's whole length.
    public var totalSteps: Int
    /// The rate at the end.
    public var minimum: Double
    /// The warm-up's starting fraction of η.
    public var warmupStartFactor: Double
    /// A cosine schedule with warm-up.
    public init(base: Double, warmupSteps: Int, totalSteps: Int, minimum: Double = 0, warmupStartFactor: Double = 0) {
        precondition(warmupSteps >= 0 && totalSteps > warmupSteps, "need 0 ≤ warmupSteps < totalSteps")
        self.base = base; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
        self.minimum = minimum; self.warmupStartFactor = warmupStartFactor
    }
    /// The rate at step `t`.
    public func learningRate(at t: Int) -> Double {
        if t < warmupSteps {
            let fraction = Double(t) / Double(warmupSteps)
            return base * (warmupStartFactor + (1 - warmupStartFactor) * fraction)
        }
        if t >= totalSteps { return minimum }
        let progress = Double(t - warmupSteps) / Double(totalSteps - warmupSteps)
        return minimum + 0.5 * (base - minimum) * (1 + cos(Double.pi * progress))
    }
}

/// Divides the learning rate by a factor when a monitored value stops improving (PyTorch's
/// `ReduceLROnPlateau`, relative threshold mode). Its position is `Codable` for checkpoints.
public struct ReduceOnPlateau: Codable, Equatable, Sendable {
    /// Whether lower (`min`, for losses) or higher (`max`, for accuracies) values are better.
    public enum Mode: String, Codable, Sendable { case min, max }
    /// The direction of improvement.
    public var mode: Mode
    /// The factor applied to the rate on a plateau (new = old · factor).
    public var factor: Double
    /// Epochs without improvement tolerated before reducing.
    public var patience: Int
    /// The relative change that counts as an improvement.
    public var threshold: Double
    /// Epochs to wait after a reduction before counting again.
    public var cooldown: Int
    /// The rate never goes below this.
    public var minimumLearningRate: Double
    /// The best value so far.
    public private(set) var best: Double?
    private var badEpochs = 0
    private var cooldownLeft = 0

    /// A plateau detector (PyTorch's defaults: factor 0.1, patience 10, threshold 1e-4).
    public init(mode: Mode = .min, factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4, cooldown: Int = 0,
                minimumLearningRate: Double = 0) {
        precondition(factor > 0 && factor < 1, "factor must be in (0, 1)")
        self.mode = mode; self.factor = factor; self.patience = patience; self.threshold = threshold
        self.cooldown = cooldown; self.minimumLearningRate = minimumLearningRate
    }

    /// Whether every field is one this type could have produced (a decoded checkpoint is checked
    /// before use): factor in (0, 1), finite values, counts in 0...2^40.
    public var isPlausible: Bool {
        let counts = [patience, cooldown, badEpochs, cooldownLeft]
        return factor > 0 && factor < 1 && threshold.isFinite && minimumLearningRate.isFinite && (best?.isFinite ?? true)
            && counts.allSatisfy { (0...(1 << 40)).contains($0) }
    }

    /// Records the epoch's `value` and returns the learning rate to use next.
    public mutating func update(value: Double, learningRate: Double) -> Double {
        let improved = best.map { mode == .min ? value < $0 * (1 - threshold) : value > $0 * (1 + threshold) } ?? true
        if improved { best = value; badEpochs = 0 } else { badEpochs += 1 }
        if cooldownLeft > 0 { cooldownLeft -= 1; badEpochs = 0 }
        guard badEpochs > patience else { return learningRate }
        badEpochs = 0
        cooldownLeft = cooldown
        return Swift.max(learningRate * factor, minimumLearningRate)
    }
}
