import SynapseCore
import SynapseNN
import Foundation
/// What `fit` gives a callback at the end of each epoch.
public struct TrainingContext<Scalar: TensorScalar> {
    /// The model being trained.
    public let model: Model<Scalar>
    /// Reads or sets the optimizer's learning rate (for schedules).
    public let getLearningRate: () -> Double
    /// Sets the optimizer's learning rate.
    public let setLearningRate: (Double) -> Void
    /// The history so far, including the epoch just finished.
    public let history: History
}

/// Whether training goes on after a callback.
public enum CallbackDecision: Sendable, Equatable {
    /// Keep training.
    case proceed
    /// Stop after this epoch, for the given reason.
    case stop(reason: String)
}

/// Something `fit` calls at the end of every epoch (Keras's callbacks): early stopping,
/// learning-rate schedules, checkpoints, or any closure.
public protocol TrainingCallback<Scalar>: AnyObject {
    /// The scalar type of the model.
    associatedtype Scalar: TensorScalar
    /// Called after each epoch's log is complete; an error thrown here ends `fit` with that error.
    func epochEnded(_ log: EpochLog, context: TrainingContext<Scalar>) throws -> CallbackDecision
    /// Called once when training ends (normally or early).
    func trainingEnded(context: TrainingContext<Scalar>)
    /// What the callback remembers between epochs (best value, patience counter, saved weights…),
    /// for a checkpoint; nil when it remembers nothing.
    func checkpointState() throws -> CallbackState?
    /// Takes back a state exported by ``checkpointState()`` when a run resumes.
    func restore(checkpointState: CallbackState) throws
}

extension TrainingCallback {
    /// Nothing by default.
    public func trainingEnded(context: TrainingContext<Scalar>) {}
    /// Nothing by default: the callback keeps no state between epochs.
    public func checkpointState() throws -> CallbackState? { nil }
    /// Nothing by default.
    public func restore(checkpointState: CallbackState) throws {}
}

/// Stops when a monitored value has not improved for `patience` epochs, optionally restoring
/// the weights of the best epoch (Keras's `EarlyStopping(restore_best_weights=True)`).
public final class EarlyStopping<Scalar: TensorScalar>: TrainingCallback {
    /// The value watched: `val_loss` (default), `loss`, or a metric such as `accuracy`.
    public let monitor: String
    /// Epochs without improvement tolerated before stopping.
    public let patience: Int
    /// The smallest change that counts as an improvement.
    public let minimumDelta: Double
    /// Whether larger values are better (true for accuracy-like metrics).
    public let maximize: Bool
    /// Whether to put back the best epoch's weights when training ends.
    public let restoresBestWeights: Bool
    /// The best value seen and its epoch.
    public private(set) var best: Double?, bestEpoch: Int?
    private var wait = 0
    private var bestWeights: [Tensor<Scalar>]?

    /// Early stopping on `monitor` (`val_loss` by default; metrics named `accuracy`, `f1`, `r2`,
    /// with or without the `val_` prefix, are maximised: ``TrainingDefaults/maximizes(_:)``).
    public init(monitor: String = "val_loss", patience: Int = 5, minimumDelta: Double = 0, maximize: Bool? = nil,
                restoresBestWeights: Bool = true) {
        self.monitor = monitor
        self.patience = patience
        self.minimumDelta = minimumDelta
        self.maximize = maximize ?? TrainingDefaults.maximizes(monitor)
        self.restoresBestWeights = restoresBestWeights
    }

    /// Records improvements and decides whether to stop.
    public func epochEnded(_ log: EpochLog, context: TrainingContext<Scalar>) -> CallbackDecision {
        guard let value = log.value(of: monitor) ?? (monitor == "val_loss" ? log.loss : nil) else { return .proceed }
        let improved = best.map { maximize ? value > $0 + minimumDelta : value < $0 - minimumDelta } ?? true
        if improved {
            best = value
            bestEpoch = log.epoch
            wait = 0
            if restoresBestWeights { bestWeights = context.model.network.namedState.map { $0.tensor.copy() } }
            return .proceed
        }
        wait += 1
        if wait >= patience {
            // The best value at float32's precision (6 significant digits), not its widening's 17.
            let bestText = best.map { $0.isFinite ? String(format: "%.6g", $0) : "\($0)" } ?? "none"
            let by = minimumDelta > 0 ? " by more than \(minimumDelta)" : ""
            return .stop(reason: "early stopping: \(monitor) did not improve\(by) for \(patience) epoch\(patience == 1 ? "" : "s") (best \(bestText) at epoch \(bestEpoch.map { String($0 + 1) } ?? "?"))")
        }
        return .proceed
    }

    private struct State: Codable {
        var best: Double?, bestEpoch: Int?, wait: Int, hasWeights: Bool
    }

    /// The best value and epoch, the epochs waited, and the best weights (exact as Double).
    public func checkpointState() throws -> CallbackState? {
        try CallbackState.encoding(State(best: best, bestEpoch: bestEpoch, wait: wait, hasWeights: bestWeights != nil),
                                   arrays: bestWeights?.map { Scalar.doubles($0.data, count: $0.count) } ?? [])
    }

    /// Takes back the state of a checkpoint.
    public func restore(checkpointState: CallbackState) throws {
        let state = try checkpointState.decoded(as: State.self, callback: "early stopping")
        guard (0...TrainingState.maximumCount).contains(state.wait), state.bestEpoch.map({ (0...TrainingState.maximumCount).contains($0) }) ?? true,
              state.best?.isFinite ?? true, (state.best == nil) == (state.bestEpoch == nil), state.wait == 0 || state.best != nil,
              !state.hasWeights || checkpointState.arrays.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw TrainingError.invalidData("the checkpoint's early stopping state is out of range (wait \(state.wait), best epoch \(state.bestEpoch.map(String.init) ?? "none"))")
        }
        (best, bestEpoch, wait) = (state.best, state.bestEpoch, state.wait)
        bestWeights = state.hasWeights ? checkpointState.arrays.map { Tensor<Scalar>($0.map { Scalar($0) }) } : nil
    }

    /// Checks a restored state against the run it continues: the best epoch is one of its
    /// `completedEpochs` logged epochs, and saved weights match the model's tensors.
    func checkRestored(completedEpochs: Int, model: Model<Scalar>) throws {
        if let bestEpoch, bestEpoch >= completedEpochs {
            throw TrainingError.invalidData("the checkpoint's early stopping names epoch \(bestEpoch + 1) as best, but only \(completedEpochs) epochs are logged")
        }
        if let bestWeights {
            let state = model.network.namedState
            guard bestWeights.count == state.count, zip(bestWeights, state).allSatisfy({ $0.count == $1.tensor.count }) else {
                throw TrainingError.invalidData("the checkpoint's early stopping holds weights that do not fit the network")
            }
        }
    }

    /// Restores the best weights, if asked to.
    public func trainingEnded(context: TrainingContext<Scalar>) {
        guard restoresBestWeights, let bestWeights else { return }
        withoutGradients {
            for ((_, tensor), saved) in zip(context.model.network.namedState, bestWeights) where saved.count == tensor.count {
                tensor.withUnsafeMutableBufferPointer { target in
                    saved.withUnsafeBufferPointer { source in _ = target.update(fromContentsOf: source) }
                }
            }
        }
    }
}

/// Sets the learning rate at the end of each epoch from a function of the next epoch index
/// (Keras's `LearningRateScheduler`); use it with any schedule: `{ schedule.learningRate(at: $0) }`.
public final class LearningRateScheduler<Scalar: TensorScalar>: TrainingCallback {
    private let schedule: (Int) -> Double

    /// A scheduler calling `schedule(nextEpoch)`.
    public init(_ schedule: @escaping (Int) -> Double) {
        self.schedule = schedule
    }

    /// Applies the schedule for the next epoch.
    public func epochEnded(_ log: EpochLog, context: TrainingContext<Scalar>) -> CallbackDecision {
        context.setLearningRate(schedule(log.epoch + 1))
        return .proceed
    }
}

/// Calls a closure at the end of every epoch: logging, a custom checkpoint, or a custom stopping rule (return `.stop(reason:)`).
public final class EpochEndCallback<Scalar: TensorScalar>: TrainingCallback {
    private let body: (EpochLog, TrainingContext<Scalar>) throws -> CallbackDecision

    /// A callback running `body` after each epoch (an error it throws ends `fit` with that error).
    public init(_ body: @escaping (EpochLog, TrainingContext<Scalar>) throws -> CallbackDecision) {
        self.body = body
    }

    /// Runs the closure.
    public func epochEnded(_ log: EpochLog, context: TrainingContext<Scalar>) throws -> CallbackDecision {
        try body(log, context)
    }
}

/// Reduces the learning rate when `monitor` (default `val_loss`, or `loss` without validation)
/// plateaus — ``ReduceOnPlateau`` as a `fit` callback.
public final class ReduceLearningRateOnPlateau<Scalar: TensorScalar>: TrainingCallback {
    /// The value watched.
    public let monitor: String
    /// The plateau detector (its state can be saved with a checkpoint).
    public var plateau: ReduceOnPlateau

    /// A callback reducing the rate on plateaus of `monitor`.
    public init(monitor: String = "val_loss", plateau: ReduceOnPlateau = ReduceOnPlateau()) {
        self.monitor = monitor
        self.plateau = plateau
    }

    /// Feeds the epoch's value to the detector and applies the rate it returns.
    public func epochEnded(_ log: EpochLog, context: TrainingContext<Scalar>) -> CallbackDecision {
        guard let value = log.value(of: monitor) ?? (monitor == "val_loss" ? log.loss : nil) else { return .proceed }
        context.setLearningRate(plateau.update(value: value, learningRate: context.getLearningRate()))
        return .proceed
    }

    /// The plateau detector's position.
    public func checkpointState() throws -> CallbackState? { try CallbackState.encoding(plateau) }

    /// Takes back the detector's position.
    public func restore(checkpointState: CallbackState) throws {
        let restored = try checkpointState.decoded(as: ReduceOnPlateau.self, callback: "learning-rate plateau")
        guard restored.isPlausible else { throw TrainingError.invalidData("the checkpoint's learning-rate plateau state is out of range") }
        plateau = restored
    }
}

/// The per-epoch checkpoint hook (Keras's `ModelCheckpoint`): calls `save` with the model after
/// every epoch, or only after epochs that improve `monitor` when `savesBestOnly` is set. `save`
/// is where the model is written (for example to a file named after the epoch); an error it
/// throws stops `fit` with that error, so a failed checkpoint is never silent.
public final class ModelCheckpoint<Scalar: TensorScalar>: TrainingCallback {
    /// The value compared when `savesBestOnly`: `val_loss` (default), `loss`, or a metric name.
    public let monitor: String
    /// Whether to save only when `monitor` improves on the best value so far.
    public let savesBestOnly: Bool
    /// Whether larger values of `monitor` are better.
    public let maximize: Bool
    /// The best monitored value saved so far.
    public private(set) var best: Double?
    /// The 0-based epochs after which `save` was called.
    public private(set) var savedEpochs: [Int] = []
    private let save: (Model<Scalar>, EpochLog) throws -> Void

    /// A checkpoint hook calling `save(model, log)` (`val_loss` falls back to the training loss
    /// when there is no validation data; `accuracy`, `f1`, `r2`… are maximised).
    public init(monitor: String = "val_loss", savesBestOnly: Bool = false, maximize: Bool? = nil,
                save: @escaping (Model<Scalar>, EpochLog) throws -> Void) {
        self.monitor = monitor
        self.savesBestOnly = savesBestOnly
        self.maximize = maximize ?? ["accuracy", "f1", "precision", "recall", "r2"].contains(monitor)
        self.save = save
    }

    /// Saves when due.
    public func epochEnded(_ log: EpochLog, context: TrainingContext<Scalar>) throws -> CallbackDecision {
        if savesBestOnly {
            guard let value = log.value(of: monitor) ?? (monitor == "val_loss" ? log.loss : nil) else { return .proceed }
            if let best, maximize ? value <= best : value >= best { return .proceed }
            best = value
        }
        try save(context.model, log)
        savedEpochs.append(log.epoch)
        return .proceed
    }

    private struct State: Codable { var best: Double?, savedEpochs: [Int] }

    /// The best value saved and the epochs saved.
    public func checkpointState() throws -> CallbackState? { try CallbackState.encoding(State(best: best, savedEpochs: savedEpochs)) }

    /// Takes back the state of a checkpoint.
    public func restore(checkpointState: CallbackState) throws {
        let state = try checkpointState.decoded(as: State.self, callback: "model checkpoint")
        guard state.savedEpochs.allSatisfy({ (0...TrainingState.maximumCount).contains($0) }), state.best?.isFinite ?? true else {
            throw TrainingError.invalidData("the checkpoint's model-checkpoint state is out of range")
        }
        (best, savedEpochs) = (state.best, state.savedEpochs)
    }
}
