import SynapseCore
import SynapseNN
import Foundation

/// Where `fit` gets validation data.
public enum Validation<Scalar: TensorScalar> {
    /// No validation.
    case none
    /// Hold out this fraction of the training data (shuffled with the fit's seed), before scaling is fitted.
    case split(Double)
    /// Use this dataset.
    case data(Dataset<Scalar>)
}

extension Model {
    /// Trains the model with mini-batch gradient descent (Keras's `fit`).
    ///
    /// Each epoch shuffles the training data (seeded), and for each batch: forward, loss,
    /// `backward()`, optimizer step. After each epoch it evaluates the validation data, records an
    /// ``EpochLog``, reports progress and runs the callbacks. Feature scaling, when the model has a
    /// scaling method, is fitted here on the training part only.
    ///
    /// - Parameters:
    ///   - loss: defaults to softmax cross-entropy for classification and MSE for regression.
    ///   - optimizer: updates `parameters` (build it over ``Model/parameters``).
    ///   - dropLast: skip a final incomplete batch.
    ///   - seed: seeds the validation split and the shuffling.
    ///   - progress: called after every batch and at the end of every epoch.
    ///   - checkpointing: writes a checkpoint (weights and ``TrainingState``) every so many epochs,
    ///     after the last epoch, and when a callback stops training.
    ///   - resumingFrom: the state of a checkpoint (``Model/loadCheckpoint(from:)``, whose model this
    ///     must be): training continues after its last epoch, with the optimizer, generators and
    ///     callbacks as they were, so the weights end bit-identical to an uninterrupted run. Pass the
    ///     same data, loss, kind of optimizer, callbacks, batch size, validation and seed as the run
    ///     that wrote it; `epochs` counts from the start of that run.
    /// - Throws: ``TrainingError/nonFiniteLoss(epoch:batch:value:learningRate:)`` when the loss diverges,
    ///   ``TrainingError/invalidData(_:)`` for unusable data or a state that does not fit this run,
    ///   ``DataError`` when a checkpoint cannot be written (the previous one is then intact).
    @discardableResult
    public func fit(_ data: Dataset<Scalar>, loss: Loss? = nil, optimizer: any Optimizer<Scalar>,
                    epochs: Int, batchSize: Int = 32, validation: Validation<Scalar> = .none,
                    callbacks: [any TrainingCallback<Scalar>] = [], dropLast: Bool = false, seed: UInt32 = 0,
                    checkpointing: Checkpointing? = nil, resumingFrom resumed: TrainingState? = nil,
                    progress: ((TrainingProgress) -> Void)? = nil) throws -> History {
        let options = FitOptions(loss: loss, batchSize: batchSize, validation: validation, callbacks: callbacks, dropLast: dropLast,
                                 seed: seed, checkpointing: checkpointing, progress: progress)
        return try fit(data, optimizer: optimizer, epochs: epochs, options: options, resumingFrom: resumed)
    }

    /// ``fit(_:loss:optimizer:epochs:batchSize:validation:callbacks:dropLast:seed:checkpointing:resumingFrom:progress:)``
    /// with its settings in one value: set up (checks, validation split, scaling), resume when a
    /// checkpoint's state is given, then train epoch by epoch (see ``TrainingRun``).
    @discardableResult
    public func fit(_ data: Dataset<Scalar>, optimizer: any Optimizer<Scalar>, epochs: Int, options: FitOptions<Scalar>,
                    resumingFrom resumed: TrainingState? = nil) throws -> History {
        let run = try TrainingRun(model: self, data: data, optimizer: optimizer, epochs: epochs, options: options)
        if let resumed { try run.resume(from: resumed) }
        var history = try run.train()
        history.bestEpoch = options.callbacks.lazy.compactMap { ($0 as? EarlyStopping<Scalar>)?.bestEpoch }.first
        self.history = history
        return history
    }
}

/// How `fit` trains, beside the data, the optimizer and the number of epochs.
public struct FitOptions<Scalar: TensorScalar> {
    /// The loss (nil: the model's, else softmax cross-entropy for classification and MSE for regression).
    public var loss: Loss?
    /// Rows per batch.
    public var batchSize: Int
    /// Where validation data comes from.
    public var validation: Validation<Scalar>
    /// Called after every epoch (early stopping, schedules, checkpoints, closures).
    public var callbacks: [any TrainingCallback<Scalar>]
    /// Skip a final incomplete batch.
    public var dropLast: Bool
    /// Seeds the validation split and the shuffling.
    public var seed: UInt32
    /// Writes checkpoints every so many epochs, after the last and when a callback stops training.
    public var checkpointing: Checkpointing?
    /// Called after every batch and at the end of every epoch.
    public var progress: ((TrainingProgress) -> Void)?
    /// A learning rate for every optimizer step (PyTorch's scheduler stepped per batch): before step
    /// `t` (0-based, counted over the whole run, so a resumed run continues the curve) the optimizer's
    /// rate is set to `learningRateSchedule.learningRate(at: t)`. Nil keeps the optimizer's rate.
    public var learningRateSchedule: (any LearningRateSchedule)?
    /// Rescales all gradients together before every step so that their global L2 norm is at most
    /// this (``clipGradients(_:maxNorm:normType:)``, PyTorch's `clip_grad_norm_`); nil: no clipping.
    public var gradientClipNorm: Double?
    /// Weights per class for the training loss (``ClassWeights/balanced(labels:classes:)``, PyTorch's
    /// `CrossEntropyLoss(weight:)`): with softmax cross-entropy on a classifier, each batch's loss is
    /// the weighted mean ``ClassWeights/crossEntropy(logits:labels:weights:)``; one weight per class,
    /// each finite and at least 0. The validation loss stays unweighted. Nil: every row counts the same.
    public var classWeights: [Double]?
    /// Draws epoch `e`'s training examples (a language model's random windows of a text, drawn
    /// afresh each epoch) instead of reshuffling the fixed training data. It must depend only on
    /// `e` (seed it with it), so that a resumed run sees the same examples. The data passed to
    /// `fit` is then only used for the checks and for the validation split.
    public var epochData: ((_ epoch: Int) -> Dataset<Scalar>)?

    /// Options with `fit`'s defaults: batches of 32, no validation, no callbacks, seed 0, no schedule.
    public init(loss: Loss? = nil, batchSize: Int = 32, validation: Validation<Scalar> = .none,
                callbacks: [any TrainingCallback<Scalar>] = [], dropLast: Bool = false, seed: UInt32 = 0,
                checkpointing: Checkpointing? = nil, learningRateSchedule: (any LearningRateSchedule)? = nil,
                progress: ((TrainingProgress) -> Void)? = nil) {
        self.learningRateSchedule = learningRateSchedule
        self.loss = loss
        self.batchSize = batchSize
        self.validation = validation
        self.callbacks = callbacks
        self.dropLast = dropLast
        self.seed = seed
        self.checkpointing = checkpointing
        self.progress = progress
    }
}
