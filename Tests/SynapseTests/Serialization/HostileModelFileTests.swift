import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Library-level cases of the "hostile files" issue: limits that bound memory, files refused
/// before they are written, integrity reported to the caller.
@Suite("Hostile model files (library)")
struct HostileModelFileTests {
    /// The bytes of a safetensors file with the given header JSON and no data.
    static func file(header: String) -> [UInt8] {
        let json = Array(header.utf8)
        return (0..<8).map { UInt8((json.count >> (8 * $0)) & 0xff) } + json
    }

    @Test("more tensors than the limit are refused before the header is parsed (a header of empty tensors took 60× its size)")
    func tensorLimit() throws {
        let limit = ResourceLimits.defaults.tensors
        var header = "{"
        for i in 0...limit { header += "\"t\(i)\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}," }
        header.removeLast()
        header += "}"
        #expect { try SafeTensors.decode(Self.file(header: header), path: "many.safetensors") } throws: { error in
            (error as? DataError)?.description == "many.safetensors: the header lists more than 100000 tensors (the limit; SYNAPSE_MAX_TENSORS raises it)"
        }
    }

    @Test("a file whose header readers would refuse is never written")
    func headerTooLarge() throws {
        let directory = try temporaryDirectory("hostile-header")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/big.safetensors"
        let file = SafeTensors(entries: [:], metadata: ["class_names": String(repeating: "a", count: SafeTensors.maximumHeaderSize)])
        #expect { try file.write(to: path) } throws: { error in
            (error as? DataError)?.description.contains("over the 100 MB that safetensors readers accept") == true
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("integrity: verified, data-only (older files) and unverified files are told apart")
    func integrity() throws {
        let model = Model(Sequential<Float>([Dense(weight: Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]), bias: Tensor([0, 1]))]),
                          task: .classification(classes: 2))
        let directory = try temporaryDirectory("hostile-integrity")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try model.save(to: "\(directory)/m.safetensors")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/m.safetensors")))
        #expect(try SafeTensors.decode(bytes, path: "m").integrity == .verified)
        #expect(try Model<Float>.decode(bytes, path: "m").warnings.isEmpty)
        // Re-encoding the decoded contents drops nothing: the new file verifies too.
        var reread = try SafeTensors.decode(bytes, path: "m")
        reread.metadata["note"] = "changed"
        #expect(try SafeTensors.decode(reread.encoded(), path: "m").integrity == .verified)
        // A crafted header without checksums loads, marked unverified, and the model carries a warning.
        let plain = Self.file(header: #"{"__metadata__":{"architecture":"{\"type\":\"activation\",\"function\":\"relu\"}","task":"{\"regression\":{\"outputs\":2}}"}}"#)
        #expect(try SafeTensors.decode(plain, path: "p").integrity == .unverified)
        #expect(try Model<Float>.decode(plain, path: "p").warnings == ["p: it has no checksum: damage to its metadata or data cannot be detected"])
    }

    @Test("a checkpoint opens as a model; its training state stays out of the model")
    func checkpointAsModel() throws {
        let directory = try temporaryDirectory("hostile-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var generator = RandomGenerator(seed: 1)
        let network = Sequential<Float>([Dense(inputSize: 2, outputSize: 2, generator: &generator)])
        let model = Model(network, task: .classification(classes: 2))
        let data = Dataset(features: Tensor<Float>(shape: [8, 2], scalars: (0..<16).map { Float($0 % 5) }),
                           targets: Tensor<Float>((0..<8).map { Float($0 % 2) }))
        let optimizer = Adam(parameters: model.parameters)
        _ = try model.fit(data, optimizer: optimizer, epochs: 1, batchSize: 4,
                          checkpointing: Checkpointing(path: "\(directory)/ck.safetensors"))
        let loaded = try Model<Float>.load(from: "\(directory)/ck.safetensors")
        #expect(loaded.network.namedState.map(\.name) == ["0.weight", "0.bias"])
        #expect(loaded.predict(data.features).scalars == model.predict(data.features).scalars)
    }

    @Test("data the model cannot take, or whose activations would be too large, is refused before predicting")
    func inputChecks() throws {
        let conv = Conv2D<Float>(weight: Tensor(zeros: [1, 1, 1, 1]), bias: nil, stride: Pair2D(1, 1), padding: Pair2D(1 << 20, 1 << 20),
                                 dilation: Pair2D(1, 1))
        let model = Model(Sequential<Float>([conv, GlobalAveragePool()]), task: .regression(outputs: 1))
        #expect(throws: InputMismatch(description: "one example's activations in this network would exceed 268435456 values (SYNAPSE_MAX_PARAMETERS raises it)")) {
            try model.checkInput(exampleShape: [1, 4, 4])
        }
        var generator = RandomGenerator(seed: 2)
        let dense = Model(Sequential<Float>([Dense(inputSize: 3, outputSize: 2, generator: &generator)]), task: .classification(classes: 2))
        dense.featureNames = ["a", "b", "c"]
        #expect(throws: InputMismatch(description: "the data has 4 feature columns but the model expects 3 (a, b, c)")) {
            try dense.checkInput(exampleShape: [4])
        }
        try dense.checkInput(exampleShape: [3])
    }

    @Test("field excerpts are cut at 80 characters with an ellipsis")
    func excerpts() {
        #expect(Excerpt.of("short") == "short")
        #expect(Excerpt.of(String(repeating: "é", count: 80)) == String(repeating: "é", count: 80))
        #expect(Excerpt.of(String(repeating: "x", count: 1_000_000)) == String(repeating: "x", count: 80) + "…")
    }

    @Test("--config values: 0 and 1 are numbers, true and false are flags")
    func optionsIntegers() throws {
        let parsed = try OptionsFile.parse(Data(#"{"epochs": 1, "validation-split": 0, "seed": 1, "layers": [1, 2], "lr": 1e-3, "quiet": true, "drop-missing": false}"#.utf8),
                                           path: "c.json", valued: ["epochs", "validation-split", "seed", "layers", "lr"], flags: ["quiet", "drop-missing"])
        #expect(parsed == ["epochs": "1", "validation-split": "0", "seed": "1", "layers": "1,2", "lr": "0.001", "quiet": "true"])
        #expect(throws: OptionsFile.Failure.badValue(path: "c.json", key: "quiet", expected: "true or false")) {
            try OptionsFile.parse(Data(#"{"quiet": 1}"#.utf8), path: "c.json", valued: [], flags: ["quiet"])
        }
        #expect(throws: OptionsFile.Failure.badValue(path: "c.json", key: "epochs", expected: "a string, a number or a list of them")) {
            try OptionsFile.parse(Data(#"{"epochs": true}"#.utf8), path: "c.json", valued: ["epochs"], flags: [])
        }
    }
}
