import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Every file of the fuzz corpora (`Fuzz/corpus/<target>`: seeds, crafted hostile files and the
/// fuzzers' findings) replayed through the readers its fuzz target drives: each must load or be
/// refused with the reader's own error — a trap here ends the test run. The crafted files are the
/// regression cases of the "hostile files and paths" issue in the form an attacker hands them over.
@Suite("Fuzz corpora replayed")
struct FuzzCorpusReplayTests {
    /// The files of one target's corpus (failing the test when the corpus is missing or empty).
    static func corpus(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/\(target)").path
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        try #require(!names.isEmpty, "no corpus in \(directory)")
        return try names.map { ($0, [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\($0)")))) }
    }

    /// Runs `body`, recording an issue when it throws an error of a type the reader does not document.
    static func expectReaderError<E: Error>(_ name: String, _ type: E.Type, _ body: () throws -> Void) {
        do { try body() } catch {
            #expect(error is E, "\(name): threw \(Swift.type(of: error)), not \(E.self): \(error)")
        }
    }

    @Test("model files: decoded, checked against their own inputs, and run on zeros when they load")
    func safeTensors() throws {
        for (name, bytes) in try Self.corpus("SafeTensors") {
            var refused = true
            Self.expectReaderError(name, DataError.self) {
                let model = try Model<Float>.decode(bytes, path: name)
                guard let width = model.featureNames?.count ?? model.scaling?.shift.count else { return }
                do { try model.checkInput(exampleShape: [width]) } catch { return }   // refused: the commands stop here
                let outputs = model.predict(Tensor<Float>(zeros: [2, width]))
                #expect(outputs.shape.first == 2, "\(name)")
                refused = outputs.firstNonFiniteIndex() != nil   // the commands refuse non-finite outputs
            }
            // hostile-*: refused by the readers (crafted-*: loads; the CLI tests cover what the commands do with it).
            if name.hasPrefix("hostile-") { #expect(refused, "\(name): a crafted model file was accepted") }
        }
    }

    @Test("checkpoints: loaded, their optimizer state restored into an optimizer of its kind")
    func checkpoints() throws {
        let directory = try temporaryDirectory("corpus-checkpoints")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, bytes) in try Self.corpus("Checkpoint") {
            let path = "\(directory)/\(name)"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            guard let (model, state) = try? Model<Float>.loadCheckpoint(from: path) else { continue }
            let optimizer = (OptimizerChoice(stateKind: state.optimizer.kind) ?? .adam).make(parameters: model.parameters)
            Self.expectReaderError(name, OptimizerStateError.self) { try optimizer.load(state: state.optimizer) }
            if ["negative-learning-rate", "nesterov-without-momentum", "beta1-one"].contains(where: name.contains) {
                #expect((try? optimizer.load(state: state.optimizer)) == nil, "\(name): a crafted optimizer state was accepted")
            }
        }
    }

    @Test("architectures: decoded, sized for 64 and 1 features, built and run when small")
    func architectures() throws {
        for (name, bytes) in try Self.corpus("Architecture") {
            Self.expectReaderError(name, DataError.self) {
                let spec = try LayerSpec.decode(Data(bytes), path: name)
                for features in [64, 1] {
                    guard let (resolved, output) = try? spec.resolved(for: [features]),
                          (try? resolved.validate(maximumParameters: 200_000)) != nil,
                          resolved.largestActivation(for: [features]) < 500_000 else { continue }
                    var generator = RandomGenerator(seed: 1)
                    let network: any Layer<Float> = try resolved.makeLayer(generator: &generator)
                    #expect(network(Tensor<Float>(zeros: [2, features])).shape == [2] + output, "\(name)")
                }
            }
            if name.hasPrefix("hostile-") {
                let accepted = (try? LayerSpec.decode(Data(bytes), path: name)).flatMap { try? $0.resolved(for: [64]) }
                #expect(accepted == nil, "\(name) was accepted for 64 features")
            }
        }
    }

    @Test("data and options files: CSV, IDX, .npy and --config files load or are refused with a DataError")
    func dataFiles() throws {
        for (name, bytes) in try Self.corpus("CSV") {
            for policy in [MissingValuePolicy.error, .dropRows] {
                Self.expectReaderError(name, DataError.self) {
                    let loaded = try CSVDataset<Float>.decode(bytes, path: name, target: .index(-1), missingValues: policy)
                    #expect(loaded.dataset.features.shape[0] == loaded.dataset.targets.shape[0], "\(name)")
                }
            }
        }
        for (name, bytes) in try Self.corpus("IDX") {
            Self.expectReaderError(name, DataError.self) { _ = try IDX.decode(bytes, path: name) }
        }
        for (name, bytes) in try Self.corpus("NPY") {
            Self.expectReaderError(name, DataError.self) {
                let array = try NumPyArray.decode(bytes, path: name)
                let again = try NumPyArray.decode(array.encoded(), path: name)
                #expect(again.shape == array.shape, "\(name) round-trips")
            }
        }
        for (name, bytes) in try Self.corpus("Options") {
            Self.expectReaderError(name, OptionsFile.Failure.self) {
                _ = try OptionsFile.parse(Data(bytes), path: name, valued: ["epochs", "layers", "lr", "loss"], flags: ["quiet"])
            }
        }
    }
}
