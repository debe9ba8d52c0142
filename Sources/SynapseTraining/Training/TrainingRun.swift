import SynapseCore
import SynapseNN
import Foundation

/// One call of `fit`, in its three parts: setting up (checking the data, holding out validation
/// rows, fitting the scaling), resuming from a checkpoint's state, and the epochs themselves.
final class TrainingRun<Scalar: TensorScalar> {
    let model: Model<Scalar>
    let optimizer: any Optimizer<Scalar>
    let epochs: Int
    let options: FitOptions<Scalar>
    let lossFunction: Loss
    /// The training rows, scaled as the network sees them.
    let trainingSet: Dataset<Scalar>
    let validationData: Dataset<Scalar>?
    /// Shuffles each epoch's batches (seeded with `seed + 1`).
    var generator: RandomGenerator
    var history = History()
    var firstEpoch = 0

    /// Checks the data and settings, holds out validation rows, then fits the feature scaling on
    /// the training part only (so its statistics never see held-out rows).
    init(model: Model<Scalar>, data: Dataset<Scalar>, optimizer: any Optimizer<Scalar>, epochs: Int, options: FitOptions<Scalar>) throws {
        let batchSize = options.batchSize
        guard epochs > 0, batchSize > 0 else { throw TrainingError.invalidData("epochs and batch size must be positive (got \(epochs), \(batchSize))") }
        guard data.count > 0 else { throw TrainingError.invalidData("the training data is empty") }
        let lossFunction = options.loss ?? model.loss ?? model.defaultLoss
        if case .classification(let classes) = model.task, lossFunction.usesClassIndices,
           let bad = data.labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw TrainingError.invalidData("label \(bad) is outside the \(classes) classes 0...\(classes - 1)")
        }
        if let weights = options.classWeights {
            guard case .classification(let classes) = model.task, lossFunction == .softmaxCrossEntropy else {
                throw TrainingError.invalidData("class weights need a classifier trained with cross_entropy")
            }
            guard weights.count == classes, weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw TrainingError.invalidData("class weights need one finite weight of at least 0 per class (\(classes)), got \(weights.count)")
            }
        }
        if case .languageModel(let vocabulary) = model.task {
            for (name, values) in [("input", data.features), ("target", data.targets)] {
                if let bad = values.doubleScalars.first(where: { !($0.rounded() == $0 && $0 >= 0 && $0 < Double(vocabulary)) }) {
                    throw TrainingError.invalidData("the \(name) token \(bad) is outside the vocabulary of \(vocabulary) tokens")
                }
            }
        }

        // NaN or infinite inputs would only show up later as a diverged loss: name them now.
        for (name, values) in [("feature", data.features), ("target", data.targets)] {
            if let index = values.firstNonFiniteIndex() {
                throw TrainingError.invalidData("the \(name) value at index \(index) (row \(index[0] + 1)) is NaN or infinite")
            }
        }

        var training = data, validationData: Dataset<Scalar>? = nil
        switch options.validation {
        case .none: break
        case .split(let fraction):
            guard fraction > 0 && fraction < 1, data.count >= 2 else {
                throw TrainingError.invalidData("validation split must be in (0, 1) with at least 2 rows (got \(fraction), \(data.count) rows)")
            }
            (training, validationData) = data.split(heldOutFraction: fraction, seed: options.seed)
        case .data(let given): validationData = given
        }
        if let method = model.scalingMethod, model.scaling == nil {
            guard training.features.rank == 2 else { throw TrainingError.invalidData("feature scaling needs [N, F] features, got \(training.features.shape)") }
            model.scaling = FeatureScaling(fitting: training.features, method: method)
        }
        self.model = model
        self.optimizer = optimizer
        self.epochs = epochs
        self.options = options
        self.lossFunction = lossFunction
        self.trainingSet = Dataset(features: model.prepare(training.features), targets: training.targets)
        self.validationData = validationData
        self.generator = RandomGenerator(seed: options.seed &+ 1)
    }

    /// Continues the run a checkpoint recorded: its optimizer, layer generators, callbacks,
    /// shuffling generator and history, after its last completed epoch.
    func resume(from resumed: TrainingState) throws {
        let callbacks = options.callbacks
        guard resumed.seed == options.seed else {
            throw TrainingError.invalidData("the checkpoint's run used seed \(resumed.seed), not \(options.seed); resume with the same seed")
        }
        guard resumed.callbacks.count == callbacks.count else {
            throw TrainingError.invalidData("the checkpoint's run had \(resumed.callbacks.count) callbacks, this one \(callbacks.count)")
        }
        do { try optimizer.load(state: resumed.optimizer) } catch {
            throw TrainingError.invalidData("the checkpoint's optimizer does not fit: \(error)")
        }
        try model.restoreLayerGenerators(resumed.layerGenerators)
        for (callback, state) in zip(callbacks, resumed.callbacks) {
            if let state { try callback.restore(checkpointState: state) }
        }
        (generator, history, firstEpoch) = (resumed.shuffling, resumed.history, resumed.epochsCompleted)
        for case let stopping as EarlyStopping<Scalar> in callbacks {
            try stopping.checkRestored(completedEpochs: history.epochs.count, model: model)
        }
        if history.stopReason != nil { firstEpoch = Swift.max(firstEpoch, epochs) }   // that run had ended
    }

    /// The remaining epochs, in training mode; the network is back in evaluation mode afterwards.
    func train() throws -> History {
        model.network.train()
        defer { model.network.eval() }
        for epoch in firstEpoch..<Swift.max(firstEpoch, epochs) {
            let stop = try runEpoch(epoch)
            history.stopReason = stop
            if let checkpointing = options.checkpointing, (epoch + 1) % checkpointing.every == 0 || epoch + 1 == epochs || stop != nil {
                try writeCheckpoint(after: epoch, to: checkpointing)
            }
            if stop != nil { break }
        }
        for callback in options.callbacks { callback.trainingEnded(context: context()) }
        return history
    }

    /// What callbacks see: the model, the learning rate to read or change, the history so far.
    private func context() -> TrainingContext<Scalar> {
        let optimizer = self.optimizer
        return TrainingContext(model: model, getLearningRate: { optimizer.learningRate },
                               setLearningRate: { optimizer.learningRate = $0 }, history: history)
    }

    /// One epoch: shuffled batches (forward, loss, backward, step), the epoch's log with
    /// validation or running metrics, progress, then the callbacks. Returns why a callback stopped training.
    private func runEpoch(_ epoch: Int) throws -> String? {
        let start = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        let network = model.network, progress = options.progress
        let epochSet = options.epochData.map { draw in withoutGradients { let d = draw(epoch); return Dataset(features: model.prepare(d.features), targets: d.targets) } } ?? trainingSet
        let batches = epochSet.batches(size: options.batchSize, shuffledBy: &generator, dropLast: options.dropLast)
        let learningRate = options.learningRateSchedule?.learningRate(at: epoch * batches.count) ?? optimizer.learningRate
        var lossSum = 0.0, samples = 0
        // Without validation data, the epoch's metrics are running ones over the batches as they
        // were trained (as Keras reports them), which costs no extra pass over the data.
        var batchOutputs: [Tensor<Scalar>] = [], batchTargets: [Tensor<Scalar>] = []
        // The running accuracy the progress reports show, for a classifier or a language model.
        var correct = 0, predictions = 0
        let countsCorrect: Bool
        switch model.task {
        case .classification, .languageModel: countsCorrect = progress != nil
        case .regression: countsCorrect = false
        }
        for (index, batch) in batches.enumerated() {
            if let schedule = options.learningRateSchedule { optimizer.learningRate = schedule.learningRate(at: epoch * batches.count + index) }
            let outputs = network(batch.features)
            let value = options.classWeights.map { ClassWeights.crossEntropy(logits: outputs, labels: batch.labels, weights: $0) }
                ?? lossFunction(outputs, batch.targets)
            let scalar = Double(value.scalar)
            guard scalar.isFinite else {
                throw TrainingError.nonFiniteLoss(epoch: epoch, batch: index, value: scalar, learningRate: optimizer.learningRate)
            }
            optimizer.zeroGrad()
            value.backward()
            if let maxNorm = options.gradientClipNorm { clipGradients(optimizer.parameters, maxNorm: maxNorm) }
            optimizer.step()
            if validationData == nil {
                batchOutputs.append(outputs.copy())
                batchTargets.append(batch.targets)
            }
            lossSum += scalar * Double(batch.count)
            samples += batch.count
            if countsCorrect {
                let labels = batch.targets.integerScalars
                let predicted = lossFunction.classes(fromOutputs: outputs.rank > 2 ? outputs.reshaped([-1, outputs.shape[outputs.rank - 1]]) : outputs)
                if predicted.count == labels.count {
                    correct += zip(predicted, labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
                    predictions += labels.count
                }
            }
            progress?(TrainingProgress(epoch: epoch, epochs: epochs, batch: index + 1, batches: batches.count,
                                       samples: samples, loss: lossSum / Double(samples), elapsed: elapsed(),
                                       accuracy: predictions > 0 ? Double(correct) / Double(predictions) : nil))
        }

        var log = EpochLog(epoch: epoch, loss: lossSum / Double(Swift.max(samples, 1)), validationLoss: nil,
                           metrics: [:], learningRate: learningRate, seconds: 0)
        if let validationData {
            let evaluation = model.evaluate(validationData, loss: lossFunction)
            network.train()
            log.validationLoss = evaluation.loss
            log.metrics = evaluation.metrics
        } else if !batchOutputs.isEmpty {
            log.metrics = model.evaluation(outputs: Tensor.concatenatingRows(batchOutputs), targets: Tensor.concatenatingRows(batchTargets),
                                           loss: log.loss, lossFunction: lossFunction).metrics
        }
        log.seconds = elapsed()
        history.epochs.append(log)
        progress?(TrainingProgress(epoch: epoch, epochs: epochs, batch: batches.count, batches: batches.count,
                                   samples: samples, loss: log.loss, elapsed: log.seconds, epochLog: log))

        var stop: String? = nil
        for callback in options.callbacks {
            if case .stop(let reason) = try callback.epochEnded(log, context: context()), stop == nil { stop = reason }
        }
        return stop
    }

    /// A checkpoint after `epoch`: the weights and everything needed to continue bit for bit.
    private func writeCheckpoint(after epoch: Int, to checkpointing: Checkpointing) throws {
        let state = TrainingState(epochsCompleted: epoch + 1, seed: options.seed, shuffling: generator, optimizer: optimizer.state,
                                  layerGenerators: model.layerGenerators, callbacks: try options.callbacks.map { try $0.checkpointState() },
                                  history: history, configuration: checkpointing.configuration)
        try model.saveCheckpoint(to: checkpointing.path, state: state)
    }
}
