import Foundation
import FuzzSupport
import Synapse

/// Checkpoint bytes (`synapse train --checkpoint`, `--resume`): loaded with `Model.loadCheckpoint(from:)`,
/// the state restored into a fresh optimizer of the kind it names and into fresh callbacks (early
/// stopping, learning-rate plateau, model checkpoint), then, when the network is small, `fit` resumed
/// from it for one more epoch on a few rows of zeros of the width the model takes. `fit` restores the
/// optimizer, the dropout generators and the callbacks itself, so the layer generators are reached
/// through it (even for a large network: asked for no more epochs than the checkpoint has done, `fit`
/// restores everything and trains nothing). Every failure must be a thrown error of the documented
/// kind, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Checkpoints are only read from a path: the bytes go to one file per process, rewritten each run.
    writeCheckpointFile(data, size)
    let model: Model<Float>, state: TrainingState
    do { (model, state) = try Model<Float>.loadCheckpoint(from: checkpointPath) } catch {
        precondition(error is DataError, "loadCheckpoint threw \(type(of: error)), not a DataError: \(error)")
        trace("load: \(error)")
        return 0
    }

    // The optimizer the state describes, over the model's parameters.
    do { try makeOptimizer(for: state.optimizer, parameters: model.parameters).load(state: state.optimizer) } catch {
        precondition(error is OptimizerStateError, "Optimizer.load threw \(type(of: error)), not an OptimizerStateError: \(error)")
        trace("optimizer: \(error)")
    }
    // Each saved callback state offered to every callback kind that keeps one; the first that takes
    // it is the kind used for `fit` (nil states: a stateless callback, as `fit` pairs them by position).
    let patience = state.configuration["early-stopping"].flatMap { Int($0) }.map { Swift.min(Swift.max($0, 0), 1_000_000) } ?? 2
    let kinds: [() -> any TrainingCallback<Float>] = [
        { EarlyStopping<Float>(monitor: "val_loss", patience: patience) },
        { ReduceLearningRateOnPlateau<Float>() },
        { ModelCheckpoint<Float>(save: { _, _ in }) },
    ]
    let callbacks: [any TrainingCallback<Float>] = state.callbacks.map { saved in
        guard let saved else { return EpochEndCallback<Float> { _, _ in .proceed } }
        var chosen: (() -> any TrainingCallback<Float>)? = nil
        for kind in kinds {
            do {
                try kind().restore(checkpointState: saved)
                if chosen == nil { chosen = kind }
            } catch {
                precondition(error is TrainingError, "restore(checkpointState:) threw \(type(of: error)), not a TrainingError: \(error)")
                trace("callback: \(error)")
            }
        }
        return (chosen ?? kinds[0])()
    }

    // `fit` resumed from the state, with a fresh optimizer of its kind. A small network with an input
    // width known from the file trains one more epoch; any other is asked for the epochs already done
    // (at least 1), which restores the whole state and trains nothing.
    guard let spec = try? LayerSpec(describing: model.network) else { return 0 }
    let input = (model.featureNames?.count ?? model.scaling?.shift.count).map { [$0] } ?? inputShape(of: spec)
    let trainable = model.network.parameterCount < 1_000_000 && input.map { (try? spec.outputShape(for: $0)) != nil
        && spec.largestActivation(for: $0) < 100_000 } ?? false
    guard trainable || state.epochsCompleted > 0 else { return 0 }   // (no epochs done: fit would train)
    let epochs = trainable ? state.epochsCompleted &+ 1 : state.epochsCompleted
    let rows = 4
    let features = Tensor<Float>(zeros: [rows] + (input ?? [1]))
    let targets: Tensor<Float>
    switch model.task {
    case .classification: targets = Tensor(zeros: [rows])
    case .regression(let outputs): targets = Tensor(zeros: [rows, Swift.max(0, Swift.min(outputs, 1_000))])
    case .languageModel: targets = Tensor(zeros: [rows] + (input ?? [1]))   // token 0 after token 0
    }
    let validates = state.history.epochs.last?.validationLoss != nil
    trace("fit: \(epochs) epochs after \(state.epochsCompleted), input \(input ?? []), \(callbacks.map { type(of: $0) })")
    do {
        try model.fit(Dataset(features: features, targets: targets), optimizer: makeOptimizer(for: state.optimizer, parameters: model.parameters),
                      epochs: epochs, batchSize: 2, validation: validates ? .split(0.5) : .none, callbacks: callbacks,
                      seed: state.seed, resumingFrom: state)
        trace("fit: trained")
    } catch {
        precondition(error is TrainingError || error is DataError, "fit threw \(type(of: error)): \(error)")
        trace("fit: \(error)")
    }
    return 0
}

/// With `FUZZ_CHECKPOINT_TRACE` set, each stage reports on stderr how far an input got.
let tracing = getenv("FUZZ_CHECKPOINT_TRACE") != nil

func trace(_ message: @autoclosure () -> String) {
    if tracing { FileHandle.standardError.write(Data("FuzzCheckpoint: \(message())\n".utf8)) }
}

/// The per-process file the bytes are written to (removed at exit).
let checkpointPath = "/tmp/synapse-fuzz-checkpoint-\(getpid()).safetensors"

/// Replaces the file at ``checkpointPath`` with `size` bytes at `data`.
func writeCheckpointFile(_ data: UnsafePointer<UInt8>, _ size: Int) {
    let descriptor = open(checkpointPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0 else { fatalError("cannot write \(checkpointPath): errno \(errno)") }
    defer { close(descriptor) }
    var written = 0
    while written < size {
        let count = write(descriptor, data + written, size - written)
        guard count > 0 else { fatalError("cannot write \(checkpointPath): errno \(errno)") }
        written += count
    }
}

/// A fresh optimizer of the kind `state` names (Adam for an unknown kind, whose `load` must then throw).
func makeOptimizer(for state: OptimizerState, parameters: [Tensor<Float>]) -> any Optimizer<Float> {
    (OptimizerChoice(stateKind: state.kind) ?? .adam).make(parameters: parameters)
}

/// The input of one example for a network whose first layer fixes it (a dense layer's inputs, a
/// reshape's size), when the file names no features.
func inputShape(of spec: LayerSpec) -> [Int]? {
    switch spec {
    case .dense(let inputs, _, _, _): return inputs > 0 ? [inputs] : nil
    case .reshape(let shape):
        guard shape.allSatisfy({ $0 > 0 }) else { return nil }
        let (count, overflow) = shape.reduce((1, false)) { product, size in
            let (value, overflow) = product.0.multipliedReportingOverflow(by: size)
            return (value, product.1 || overflow)
        }
        return overflow ? nil : [count]
    case .sequential(let layers): return layers.first.flatMap(inputShape(of:))
    default: return nil
    }
}

/// The entry point: libFuzzer's driver on ``fuzzCheckpoint(_:_:)``.
@_cdecl("FuzzCheckpoint_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    atexit { unlink(checkpointPath) }
    return runFuzzer(argc, argv, fuzzCheckpoint)
}
