import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Models trained by `synapse train` with a fixed seed, compared byte for byte with files trained by
/// the code of before the "one home for each fact" redesign (`Tests/Golden/`): moving code between
/// files and targets must not change a single weight. Set `SYNAPSE_UPDATE_GOLDEN=1` to write the
/// files instead (only when a change of numbers is intended, and say so in the commit).
///
/// The products — and so the weights — depend on the GEMM micro-kernel, so each kernel has its own
/// files (`native-avx512`, `swift`, …; deterministic across thread counts and across CPUs with the
/// same kernel). OpenBLAS picks its kernels by CPU model, so under `SYNAPSE_GEMM=blas` the test
/// checks only that two runs agree with each other.
@Suite("Golden models: the same seed gives the same bytes")
struct GoldenModelTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Golden").path

    /// The kernel the products of this process run on, which names the golden files.
    static var kernel: String { GEMM.backend == .native ? "native-\(GEMM.nativeKernel)" : GEMM.backend.rawValue }

    static let convolutional = """
        {"type": "sequential", "layers": [
          {"type": "reshape", "shape": [1, 8, 8]},
          {"type": "conv2d", "out": 4, "kernel": 3, "padding": "same"},
          {"type": "batchnorm"}, {"type": "activation", "function": "relu"},
          {"type": "maxpool2d", "kernel": 2},
          {"type": "flatten"}, {"type": "dropout", "rate": 0.1},
          {"type": "dense", "out": 10}]}
        """

    /// The training runs: a name and the flags after `train --data digits.csv.gz --quiet --seed 7`.
    static let runs: [(name: String, flags: [String])] = [
        ("mlp-adam", ["--layers", "32,16", "--epochs", "3"]),
        ("mlp-sgd-regression", ["--task", "regress", "--layers", "8", "--optimizer", "sgd", "--lr", "0.001", "--epochs", "2", "--scale", "minmax"]),
        ("cnn-rmsprop", ["--arch", "cnn.json", "--optimizer", "rmsprop", "--epochs", "2", "--batch-size", "64"]),
    ]

    @Test("train MLPs and a CNN on the digits: byte-identical to the golden files of this kernel", arguments: runs.map(\.name))
    func trainedModels(name: String) throws {
        let flags = try #require(Self.runs.first { $0.name == name }).flags
        let data = Shared.directory.appendingPathComponent("data/digits/digits.csv.gz").path
        try #require(FileManager.default.fileExists(atPath: data), "missing shared file \(data)")
        let directory = try temporaryDirectory("golden")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.convolutional.write(toFile: "\(directory)/cnn.json", atomically: true, encoding: .utf8)
        func train(_ out: String) throws -> Data {
            let result = try runSynapse(["train", "--data", data, "--quiet", "--seed", "7", "--out", out] + flags, in: directory)
            try #require(result.status == 0, "\(result)")
            return try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(out)"))
        }
        let trained = try train("model.safetensors")
        guard Self.kernel != "blas" else {
            #expect(try train("again.safetensors") == trained, "two runs with the same seed differ")
            return
        }
        let file = "\(Self.golden)/\(name)-\(Self.kernel).safetensors"
        if ProcessInfo.processInfo.environment["SYNAPSE_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: Self.golden, withIntermediateDirectories: true)
            try trained.write(to: URL(fileURLWithPath: file))
            return
        }
        let expected = try #require(FileManager.default.contents(atPath: file), "missing golden file \(file) (SYNAPSE_UPDATE_GOLDEN=1 writes it)")
        #expect(trained == expected, "\(name) on the \(Self.kernel) kernel: the trained model differs from \(file)")
    }
}
