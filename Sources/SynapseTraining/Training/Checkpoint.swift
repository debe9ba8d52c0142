import SynapseCore
import SynapseNN
import Foundation

// Checkpoints: a model file that also holds everything `fit` needs to continue the run exactly —
// the optimizer's state (step counts, moment buffers, learning rate), the shuffling generator, the
// dropout layers' generators, the callbacks' state and the history so far. A run interrupted after
// epoch k and resumed from its checkpoint ends with bit-identical weights to the run that was never
// interrupted (`Tests/SynapseTests/Training/CheckpointTests.swift`).

/// Everything besides the model's weights that `fit` needs to continue a run where it stopped.
public struct TrainingState: Codable, Sendable, Equatable {
    /// Epochs finished when the checkpoint was written.
    public var epochsCompleted: Int
    /// The `seed` the run was started with (it also fixes the validation split).
    public var seed: UInt32
    /// The shuffling generator, as it stood after the last completed epoch.
    public var shuffling: RandomGenerator
    /// The optimizer's state: hyper-parameters (the learning rate included), step counts and buffers.
    public var optimizer: OptimizerState
    /// The generators of the network's random layers (dropout), in layer order.
    public var layerGenerators: [RandomGenerator]
    /// Each callback's saved state, in the order the callbacks were given; nil for stateless ones.
    public var callbacks: [CallbackState?]
    /// The epochs' logs so far.
    public var history: History
    /// The caller's own settings, stored alongside (`synapse train` keeps its options here).
    public var configuration: [String: String]

    /// A state snapshot.
    public init(epochsCompleted: Int, seed: UInt32, shuffling: RandomGenerator, optimizer: OptimizerState,
                layerGenerators: [RandomGenerator], callbacks: [CallbackState?], history: History, configuration: [String: String] = [:]) {
        self.epochsCompleted = epochsCompleted
        self.seed = seed
        self.shuffling = shuffling
        self.optimizer = optimizer
        self.layerGenerators = layerGenerators
        self.callbacks = callbacks
        self.history = history
        self.configuration = configuration
    }
}

extension TrainingState {
    /// The largest count a checkpoint may hold (epochs, steps, waits): far beyond any real run, far
    /// below where adding one could overflow.
    public static let maximumCount = 1 << 40

    /// Checks every number a crafted checkpoint could get wrong before anything uses it: counts in
    /// range, one log per completed epoch numbered in order, finite hyper-parameters and buffers.
    /// - Throws: ``DataError`` naming `path` and the field.
    func validate(path: String) throws {
        func fail(_ field: String, _ problem: String) -> DataError { DataError(path: path, "training state field '\(field)' \(problem)") }
        guard (0...Self.maximumCount).contains(epochsCompleted) else { throw fail("epochsCompleted", "is \(epochsCompleted), outside 0...2^40") }
        guard history.epochs.count == epochsCompleted else {
            throw fail("history", "has \(history.epochs.count) epoch logs for \(epochsCompleted) completed epochs")
        }
        for (index, log) in history.epochs.enumerated() where log.epoch != index {
            throw fail("history.epochs[\(index)].epoch", "is \(log.epoch), expected \(index)")
        }
        if let bad = optimizer.steps.firstIndex(where: { !(0...Self.maximumCount).contains($0) }) {
            throw fail("optimizer.steps[\(bad)]", "is \(optimizer.steps[bad]), outside 0...2^40")
        }
        if let (name, _) = optimizer.hyperparameters.first(where: { !$0.value.isFinite }) {
            throw fail("optimizer.hyperparameters.\(Excerpt.of(name))", "is not finite")
        }
        for (name, buffers) in optimizer.buffers {
            for (index, buffer) in buffers.enumerated() where buffer?.contains(where: { !$0.isFinite }) == true {
                throw fail("optimizer.buffers.\(Excerpt.of(name))[\(index)]", "holds a value that is not finite")
            }
        }
        if let reason = history.stopReason, reason.utf8.count > 10_000 { throw fail("history.stopReason", "is \(reason.utf8.count) bytes long") }
    }
}

/// Where and how often `fit` writes checkpoints.
public struct Checkpointing: Sendable {
    /// The checkpoint file (replaced atomically each time).
    public var path: String
    /// Epochs between checkpoints (1: after every epoch).
    public var every: Int
    /// Settings stored with each checkpoint (``TrainingState/configuration``).
    public var configuration: [String: String]

    /// A checkpoint at `path` after every `every` epochs (and after the last one).
    public init(path: String, every: Int = 1, configuration: [String: String] = [:]) {
        precondition(every > 0, "checkpoints need a positive interval")
        self.path = path
        self.every = every
        self.configuration = configuration
    }
}

extension Model {
    /// The metadata key under which a checkpoint stores its ``TrainingState``.
    static var trainingStateKey: String { "training_state" }

    /// Writes the model and the training state to one safetensors file, atomically.
    /// - Throws: ``DataError`` when the file cannot be written (the previous checkpoint is then untouched).
    /// The state's large arrays (optimizer buffers, callbacks' saved weights) are stored as F64
    /// tensors named `state.…`, exact and fast; the rest as JSON in the metadata.
    /// - Throws: ``DataError`` when the file cannot be written (the previous checkpoint is then untouched).
    public func saveCheckpoint(to path: String, state: TrainingState) throws {
        var small = state, arrays: [String: [Double]] = [:]
        for (name, buffers) in state.optimizer.buffers {
            small.optimizer.buffers[name] = buffers.enumerated().map { index, buffer in
                guard let buffer else { return nil }
                arrays["state.optimizer.\(name).\(index)"] = buffer
                return []
            }
        }
        for (index, callback) in state.callbacks.enumerated() {
            guard let callback else { continue }
            for (position, array) in callback.arrays.enumerated() { arrays["state.callback.\(index).\(position)"] = array }
            small.callbacks[index]?.arrays = callback.arrays.map { _ in [] }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(small), as: UTF8.self)
        try save(to: path, extraMetadata: [Self.trainingStateKey: json], extraTensors: arrays.mapValues { Tensor<Double>($0) })
    }

    /// Loads a checkpoint written by ``saveCheckpoint(to:state:)`` (or by `fit` with ``Checkpointing``).
    /// - Throws: ``DataError`` naming the file and the problem (not a checkpoint, damaged, …).
    public static func loadCheckpoint(from path: String) throws -> (model: Model<Scalar>, state: TrainingState) {
        let file = try SafeTensors.read(path)
        guard let json = file.metadata[trainingStateKey] else {
            throw DataError(path: path, "a model file without training state, not a checkpoint (save one with synapse train --checkpoint)")
        }
        var state: TrainingState
        do { state = try JSONDecoder().decode(TrainingState.self, from: Data(json.utf8)) } catch {
            throw DataError(path: path, "the training state in the metadata is not valid: \(describeDecodingError(error))")
        }
        var remaining = file   // the model's tensors, once the state's are taken out
        func array(_ name: String) throws -> [Double] {
            guard let entry = remaining.entries.removeValue(forKey: name) else { throw DataError(path: path, "the training state's tensor '\(name)' is missing") }
            return try entry.tensor(as: Double.self, name: name, path: path).scalars
        }
        for (name, buffers) in state.optimizer.buffers {
            state.optimizer.buffers[name] = try buffers.enumerated().map { index, buffer in
                try buffer.map { _ in try array("state.optimizer.\(name).\(index)") }
            }
        }
        for index in state.callbacks.indices {
            guard let callback = state.callbacks[index] else { continue }
            state.callbacks[index]?.arrays = try callback.arrays.indices.map { try array("state.callback.\(index).\($0)") }
        }
        try state.validate(path: path)
        return (try load(remaining, path: path), state)
    }

    /// The dropout layers' generators, depth first.
    var layerGenerators: [RandomGenerator] { randomLayers(network).map(\.generator) }

    /// Puts back generators saved by ``layerGenerators``.
    func restoreLayerGenerators(_ generators: [RandomGenerator]) throws {
        let layers = randomLayers(network)
        guard layers.count == generators.count else {
            throw TrainingError.invalidData("the checkpoint has \(generators.count) dropout generators, the network \(layers.count) dropout layers")
        }
        for (layer, generator) in zip(layers, generators) { layer.generator = generator }
    }

    private func randomLayers(_ layer: any Layer<Scalar>) -> [Dropout<Scalar>] {
        if let dropout = layer as? Dropout<Scalar> { return [dropout] }
        return layer.namedChildren.flatMap { randomLayers($0.layer) }
    }
}

/// A callback's state in a checkpoint: small values as JSON, large numeric arrays (saved weights)
/// beside it, which the checkpoint file stores as tensors.
public struct CallbackState: Codable, Sendable, Equatable {
    /// The small values, as JSON.
    public var json: String
    /// Large arrays, exact as `Double` for `Float` and `Double` values.
    public var arrays: [[Double]]

    /// A state of JSON and arrays.
    public init(json: String, arrays: [[Double]] = []) {
        self.json = json
        self.arrays = arrays
    }

    /// The state of `value` encoded as JSON, with `arrays` beside it.
    static func encoding<T: Encodable>(_ value: T, arrays: [[Double]] = []) throws -> CallbackState {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return CallbackState(json: String(decoding: try encoder.encode(value), as: UTF8.self), arrays: arrays)
    }

    /// The JSON decoded as `type`; `callback` names the callback in errors.
    func decoded<T: Decodable>(as type: T.Type, callback: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(json.utf8)) } catch {
            throw TrainingError.invalidData("the checkpoint's \(callback) state is not valid: \(describeDecodingError(error))")
        }
    }
}
