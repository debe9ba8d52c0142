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
        guard epochs > 0, batchSize > 0 else { throw TrainingError.invalidData("epochs and batch size must be positive (got \(epochs), \(batchSize))") }
        guard data.count > 0 else { throw TrainingError.invalidData("the training data is empty") }
        let lossFunction = loss ?? self.loss ?? defaultLoss
        if case .classification(let classes) = task, lossFunction.usesClassIndices,
           let bad = data.labels.first(where: { $0 < 0 || $0 >= classes }) {
            throw TrainingError.invalidData("label \(bad) is outside the \(classes) classes 0...\(classes - 1)")
        }

        // NaN or infinite inputs would only show up later as a diverged loss: name them now.
        for (name, values) in [("feature", data.features), ("target", data.targets)] {
            if let index = values.firstNonFiniteIndex() {
                throw TrainingError.invalidData("the \(name) value at index \(index) (row \(index[0] + 1)) is NaN or infinite")
            }
        }

        // Validation split first, so scaling statistics never see held-out rows.
        var training = data, validationData: Dataset<Scalar>? = nil
        switch validation {
        case .none: break
        case .split(let fraction):
            guard fraction > 0 && fraction < 1, data.count >= 2 else {
                throw TrainingError.invalidData("validation split must be in (0, 1) with at least 2 rows (got \(fraction), \(data.count) rows)")
            }
            (training, validationData) = data.split(heldOutFraction: fraction, seed: seed)
        case .data(let given): validationData = given
        }
        if let method = scalingMethod, scaling == nil {
            guard training.features.rank == 2 else { throw TrainingError.invalidData("feature scaling needs [N, F] features, got \(training.features.shape)") }
            scaling = FeatureScaling(fitting: training.features, method: method)
        }
        let trainingSet = Dataset(features: prepare(training.features), targets: training.targets)

        var generator = RandomGenerator(seed: seed &+ 1)
        var history = History()
        var firstEpoch = 0
        if let resumed {
            guard resumed.seed == seed else {
                throw TrainingError.invalidData("the checkpoint's run used seed \(resumed.seed), not \(seed); resume with the same seed")
            }
            guard resumed.callbacks.count == callbacks.count else {
                throw TrainingError.invalidData("the checkpoint's run had \(resumed.callbacks.count) callbacks, this one \(callbacks.count)")
            }
            do { try optimizer.load(state: resumed.optimizer) } catch {
                throw TrainingError.invalidData("the checkpoint's optimizer does not fit: \(error)")
            }
            try restoreLayerGenerators(resumed.layerGenerators)
            for (callback, state) in zip(callbacks, resumed.callbacks) {
                if let state { try callback.restore(checkpointState: state) }
            }
            (generator, history, firstEpoch) = (resumed.shuffling, resumed.history, resumed.epochsCompleted)
            for case let stopping as EarlyStopping<Scalar> in callbacks {
                try stopping.checkRestored(completedEpochs: history.epochs.count, model: self)
            }
            if history.stopReason != nil { firstEpoch = Swift.max(firstEpoch, epochs) }   // that run had ended
        }
        func writeCheckpoint(after epoch: Int) throws {
            guard let checkpointing else { return }
            let state = TrainingState(epochsCompleted: epoch + 1, seed: seed, shuffling: generator, optimizer: optimizer.state,
                                      layerGenerators: layerGenerators, callbacks: try callbacks.map { try $0.checkpointState() },
                                      history: history, configuration: checkpointing.configuration)
            try saveCheckpoint(to: checkpointing.path, state: state)
        }
        network.train()
        defer { network.eval() }
        let context = { TrainingContext(model: self, getLearningRate: { optimizer.learningRate },
                                        setLearningRate: { optimizer.learningRate = $0 }, history: history) }

        for epoch in firstEpoch..<Swift.max(firstEpoch, epochs) {
            let start = DispatchTime.now().uptimeNanoseconds
            func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            let batches = trainingSet.batches(size: batchSize, shuffledBy: &generator, dropLast: dropLast)
            let learningRate = optimizer.learningRate
            var lossSum = 0.0, samples = 0
            // Without validation data, the epoch's metrics are running ones over the batches as they
            // were trained (as Keras reports them), which costs no extra pass over the data.
            var batchOutputs: [Tensor<Scalar>] = [], batchTargets: [Tensor<Scalar>] = []
            for (index, batch) in batches.enumerated() {
                let outputs = network(batch.features)
                let value = lossFunction(outputs, batch.targets)
                let scalar = Double(value.scalar)
                guard scalar.isFinite else {
                    throw TrainingError.nonFiniteLoss(epoch: epoch, batch: index, value: scalar, learningRate: learningRate)
                }
                optimizer.zeroGrad()
                value.backward()
                optimizer.step()
                if validationData == nil {
                    batchOutputs.append(outputs.copy())
                    batchTargets.append(batch.targets)
                }
                lossSum += scalar * Double(batch.count)
                samples += batch.count
                progress?(TrainingProgress(epoch: epoch, epochs: epochs, batch: index + 1, batches: batches.count,
                                           samples: samples, loss: lossSum / Double(samples), elapsed: elapsed()))
            }

            var log = EpochLog(epoch: epoch, loss: lossSum / Double(Swift.max(samples, 1)), validationLoss: nil,
                               metrics: [:], learningRate: learningRate, seconds: 0)
            if let validationData {
                let evaluation = evaluate(validationData, loss: lossFunction)
                network.train()
                log.validationLoss = evaluation.loss
                log.metrics = evaluation.metrics
            } else if !batchOutputs.isEmpty {
                log.metrics = evaluation(outputs: Tensor.concatenatingRows(batchOutputs), targets: Tensor.concatenatingRows(batchTargets),
                                         loss: log.loss, lossFunction: lossFunction).metrics
            }
            log.seconds = elapsed()
            history.epochs.append(log)
            progress?(TrainingProgress(epoch: epoch, epochs: epochs, batch: batches.count, batches: batches.count,
                                       samples: samples, loss: log.loss, elapsed: log.seconds, epochLog: log))

            var stop: String? = nil
            for callback in callbacks {
                if case .stop(let reason) = try callback.epochEnded(log, context: context()), stop == nil { stop = reason }
            }
            history.stopReason = stop
            if let checkpointing, (epoch + 1) % checkpointing.every == 0 || epoch + 1 == epochs || stop != nil {
                try writeCheckpoint(after: epoch)
            }
            if stop != nil { break }
        }
        for callback in callbacks { callback.trainingEnded(context: context()) }
        return history
    }
}
