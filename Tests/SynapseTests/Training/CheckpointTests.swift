import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Checkpoints and exact resume")
struct CheckpointTests {
    /// Three noisy blobs in 4-D.
    static func data() -> Dataset<Float> {
        var g = RandomGenerator(seed: 11)
        let labels = (0..<240).map { Float($0 % 3) }
        let scalars = (0..<960).map { index in Float(g.nextGaussian()) + (index % 4 == Int(labels[index / 4]) ? 2 : 0) }
        return Dataset(features: Tensor(shape: [240, 4], scalars: scalars), targets: Tensor(labels))
    }

    /// A network with every kind of state: dropout's generator, batch norm's running statistics.
    static func model() -> Model<Float> {
        var g = RandomGenerator(seed: 4)
        let network = Sequential<Float>([Dense(inputSize: 4, outputSize: 16, generator: &g), BatchNorm(features: 16), Activation(.relu),
                                         Dropout(rate: 0.3, seed: 9), Dense(inputSize: 16, outputSize: 3, generator: &g)])
        return Model(network, task: .classification(classes: 3), scaling: .standard)
    }

    /// The callbacks of the run: all three stateful kinds.
    static func callbacks() -> [any TrainingCallback<Float>] {
        [EarlyStopping(monitor: "val_loss", patience: 50), ReduceLearningRateOnPlateau(monitor: "val_loss", plateau: ReduceOnPlateau(patience: 1)),
         ModelCheckpoint(savesBestOnly: true) { _, _ in }]
    }

    /// Stops the run with an error after the given epoch, as a kill would.
    final class Interrupt: TrainingCallback {
        let after: Int
        init(after: Int) { self.after = after }
        func epochEnded(_ log: EpochLog, context: TrainingContext<Float>) throws -> CallbackDecision {
            if log.epoch + 1 == after { throw CocoaError(.userCancelled) }
            return .proceed
        }
    }

    static func weights(_ model: Model<Float>) -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: model.network.namedState.map { ($0.name, $0.tensor.scalars) })
    }

    @Test("a run interrupted after epoch k and resumed ends with bit-identical weights, optimizer state and history", arguments: [1, 3, 5])
    func exactResume(interruptedAfter k: Int) throws {
        let directory = try temporaryDirectory("checkpoint")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/run.safetensors"
        let epochs = 6

        let whole = Self.model()
        let wholeOptimizer = Adam(parameters: whole.parameters, learningRate: 0.01)
        let wholeHistory = try whole.fit(Self.data(), optimizer: wholeOptimizer, epochs: epochs, batchSize: 16, validation: .split(0.2),
                                         callbacks: Self.callbacks(), seed: 7)

        // The interrupted run: a checkpoint after every epoch, an error once epoch k's checkpoint is written
        // (the interrupting callback runs first at epoch k + 1, so the last checkpoint is epoch k's).
        let first = Self.model()
        #expect(throws: CocoaError.self) {
            try first.fit(Self.data(), optimizer: Adam(parameters: first.parameters, learningRate: 0.01), epochs: epochs, batchSize: 16,
                          validation: .split(0.2), callbacks: Self.callbacks() + [Interrupt(after: k + 1)], seed: 7,
                          checkpointing: Checkpointing(path: path))
        }
        let (resumed, state) = try Model<Float>.loadCheckpoint(from: path)
        #expect(state.epochsCompleted == k && state.history.epochs.count == k)
        let optimizer = Adam(parameters: resumed.parameters, learningRate: 0.01)
        let history = try resumed.fit(Self.data(), optimizer: optimizer, epochs: epochs, batchSize: 16, validation: .split(0.2),
                                      callbacks: Self.callbacks() + [Interrupt(after: 0)], seed: 7, resumingFrom: state)

        let sameWeights = Self.weights(resumed) == Self.weights(whole), sameOptimizer = optimizer.state == wholeOptimizer.state
        #expect(sameWeights, "weights differ after resuming at epoch \(k)")
        #expect(sameOptimizer, "optimizer states differ after resuming at epoch \(k)")
        #expect(history.epochs.map(\.loss) == wholeHistory.epochs.map(\.loss))
        #expect(history.epochs.map(\.validationLoss) == wholeHistory.epochs.map(\.validationLoss))
        #expect(history.epochs.map(\.learningRate) == wholeHistory.epochs.map(\.learningRate))
    }

    @Test("a run that stopped early resumes as ended, with the best weights restored")
    func stoppedRun() throws {
        let directory = try temporaryDirectory("checkpoint-stopped")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/run.safetensors"
        let model = Self.model()
        let stopping = EarlyStopping<Float>(monitor: "loss", patience: 1, minimumDelta: 10)   // stops after the second epoch
        let history = try model.fit(Self.data(), optimizer: SGD(parameters: model.parameters, learningRate: 0.05), epochs: 20, batchSize: 32,
                                    callbacks: [stopping], seed: 3, checkpointing: Checkpointing(path: path, every: 5))
        #expect(history.epochs.count == 2 && history.stopReason != nil)
        let (resumed, state) = try Model<Float>.loadCheckpoint(from: path)
        #expect(state.epochsCompleted == 2 && state.history.stopReason == history.stopReason)
        let again = try resumed.fit(Self.data(), optimizer: SGD(parameters: resumed.parameters, learningRate: 0.05), epochs: 20, batchSize: 32,
                                    callbacks: [EarlyStopping<Float>(monitor: "loss", patience: 1, minimumDelta: 10)], seed: 3, resumingFrom: state)
        #expect(again.epochs.count == 2, "nothing more is trained")
        let sameWeights = Self.weights(resumed) == Self.weights(model)
        #expect(sameWeights, "the best (first) epoch's weights are restored in both")
    }

    @Test("resuming with a different seed, optimizer or callbacks is refused with a reason")
    func mismatches() throws {
        let directory = try temporaryDirectory("checkpoint-mismatch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/run.safetensors"
        let model = Self.model()
        try model.fit(Self.data(), optimizer: Adam(parameters: model.parameters), epochs: 2, batchSize: 32, seed: 1,
                      checkpointing: Checkpointing(path: path, configuration: ["note": "kept"]))
        let (resumed, state) = try Model<Float>.loadCheckpoint(from: path)
        #expect(state.configuration == ["note": "kept"])
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        #expect(message { try resumed.fit(Self.data(), optimizer: Adam(parameters: resumed.parameters), epochs: 4, seed: 2, resumingFrom: state) }
            .contains("used seed 1, not 2"))
        #expect(message { try resumed.fit(Self.data(), optimizer: SGD(parameters: resumed.parameters, learningRate: 0.1), epochs: 4, seed: 1,
                                          resumingFrom: state) }.contains("optimizer does not fit"))
        #expect(message { try resumed.fit(Self.data(), optimizer: Adam(parameters: resumed.parameters), epochs: 4, callbacks: Self.callbacks(),
                                          seed: 1, resumingFrom: state) }.contains("had 0 callbacks, this one 3"))
        try model.save(to: "\(directory)/plain.safetensors")
        #expect(message { _ = try Model<Float>.loadCheckpoint(from: "\(directory)/plain.safetensors") }.contains("not a checkpoint"))
    }

    @Test("a damaged data section is caught by the stored checksum")
    func checksum() throws {
        let directory = try temporaryDirectory("checksum")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/model.safetensors"
        try Self.model().save(to: path)
        var bytes = try #require(FileManager.default.contents(atPath: path))
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect { _ = try Model<Float>.load(from: path) } throws: { error in
            "\(error)".contains("does not match its checksum")
        }
    }
}

@Suite("Numerical guards")
struct NumericalGuardTests {
    @Test("NaN or infinite training data is refused before training, with its row and column")
    func nonFiniteData() throws {
        var g = RandomGenerator(seed: 1)
        let model = Model(Sequential<Float>([Dense<Float>(inputSize: 3, outputSize: 1, generator: &g)]), task: .regression(outputs: 1))
        var features = [Float](repeating: 1, count: 12)
        features[7] = .nan
        let data = Dataset(features: Tensor(shape: [4, 3], scalars: features), targets: Tensor<Float>([1, 2, 3, 4]))
        #expect { try model.fit(data, optimizer: SGD(parameters: model.parameters, learningRate: 0.1), epochs: 1) } throws: { error in
            "\(error)".contains("the feature value at index [2, 1] (row 3) is NaN or infinite")
        }
        let targets = Dataset(features: Tensor(shape: [4, 3], scalars: [Float](repeating: 1, count: 12)), targets: Tensor<Float>([1, .infinity, 3, 4]))
        #expect { try model.fit(targets, optimizer: SGD(parameters: model.parameters, learningRate: 0.1), epochs: 1) } throws: { error in
            "\(error)".contains("the target value at index [1] (row 2) is NaN or infinite")
        }
        #expect(Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3, 4]).firstNonFiniteIndex() == nil)
        #expect(Tensor<Float>(shape: [2, 2], scalars: [3e38, 3e38, 3e38, 3e38]).firstNonFiniteIndex() == nil, "a sum that overflows is no finding")
    }

    @Test("divergence stops training with the epoch, batch and learning rate")
    func divergence() throws {
        var g = RandomGenerator(seed: 2)
        let model = Model(Sequential<Float>([Dense<Float>(inputSize: 2, outputSize: 1, generator: &g)]), task: .regression(outputs: 1))
        let x = Tensor<Float>(randomNormal: [64, 2], generator: &g) * 100
        let data = Dataset(features: x, targets: Tensor<Float>((0..<64).map { Float($0) * 1000 }))
        #expect { try model.fit(data, optimizer: SGD(parameters: model.parameters, learningRate: 10), epochs: 50, batchSize: 8) } throws: { error in
            "\(error)".contains("training diverged: the loss became") && "\(error)".contains("try a lower learning rate (it was 10.0)")
        }
    }
}
