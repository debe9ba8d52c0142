import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// A fresh temporary directory for one test.
func temporaryDirectory(_ name: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-\(name)-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Whether the Python checks can run: `python3` imports NumPy and safetensors. Without them the
/// tests that call Python are skipped with that reason (a newcomer's first `swift test` on a machine
/// without them), unless `SYNAPSE_REQUIRE_PYTHON=1` (set by `.ci/run`, which installs them) makes
/// them run, and fail, as in CI they must not be skipped.
enum PythonChecks {
    /// `python3 -c "import numpy, safetensors"` succeeded, asked once.
    static let available: Bool = {
        guard let (status, _) = try? runPython(["-c", "import numpy, safetensors"]) else { return false }
        return status == 0
    }()

    /// `SYNAPSE_REQUIRE_PYTHON=1`: the checks run whether or not Python has the modules.
    static var required: Bool { ProcessInfo.processInfo.environment["SYNAPSE_REQUIRE_PYTHON"] == "1" }

    /// The trait of a test that runs Python: skipped, with the reason, when it cannot run.
    static var trait: ConditionTrait {
        .enabled(if: available || required, "python3 with numpy and safetensors is not available (pip install numpy safetensors; SYNAPSE_REQUIRE_PYTHON=1 makes this a failure)")
    }
}

/// Runs `python3 script arguments…`, returning its exit status and combined output.
func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

@Suite("Interoperability with NumPy and safetensors (Python)")
struct InteropTests {
    /// A small trained classifier with class names and fitted scaling.
    static func trainedModel() throws -> (Model<Float>, Tensor<Float>) {
        var g = RandomGenerator(seed: 3)
        let x = Tensor<Float>(randomNormal: [90, 5], mean: 2, standardDeviation: 3, generator: &g)
        let labels = (0..<90).map { Float($0 % 3) }
        let network = Sequential<Float>([Dense(inputSize: 5, outputSize: 16, generator: &g), Activation(.relu),
                                         Dense(inputSize: 16, outputSize: 3, generator: &g)])
        let model = Model(network, task: .classification(classes: 3), scaling: .standard, classNames: ["red", "green", "blue"])
        try model.fit(Dataset(features: x, targets: Tensor(labels)), optimizer: Adam(parameters: model.parameters), epochs: 3, batchSize: 16)
        return (model, x.rows(0..<20).copy())
    }

    /// A small trained CNN: convolution (padding, stride, dilation), batch norm, max and average pooling.
    static func trainedConvolutionalModel() throws -> (Model<Float>, Tensor<Float>) {
        var g = RandomGenerator(seed: 5)
        let x = Tensor<Float>(randomNormal: [60, 64], generator: &g)
        let labels = (0..<60).map { Float($0 % 3) }
        let network = Sequential<Float>([
            Reshape([1, 8, 8]),
            Conv2D(inputChannels: 1, outputChannels: 4, kernelSize: 3, padding: 1, generator: &g), Activation(.relu),
            BatchNorm(features: 4), MaxPool2D(kernelSize: 2),
            Conv2D(inputChannels: 4, outputChannels: 5, kernelSize: Pair2D(2, 3), stride: Pair2D(1, 2), dilation: Pair2D(2, 1), generator: &g),
            Activation(.tanh), AvgPool2D(kernelSize: Pair2D(2, 1)), Flatten(),
            Dense(inputSize: 5, outputSize: 3, generator: &g),
        ])
        let model = Model(network, task: .classification(classes: 3))
        try model.fit(Dataset(features: x, targets: Tensor(labels)), optimizer: SGD(parameters: model.parameters, learningRate: 0.05, momentum: 0.9),
                      epochs: 3, batchSize: 10)
        return (model, x.rows(0..<12).copy())
    }

    @Test("Python reads Synapse's model and .npy files; Synapse reads Python's", PythonChecks.trait)
    func roundTripThroughPython() throws {
        let directory = try temporaryDirectory("interop")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func file(_ name: String) -> String { "\(directory)/\(name)" }

        // Synapse → Python.
        let (model, inputs) = try Self.trainedModel()
        try model.save(to: file("synapse_model.safetensors"))
        try NumPyArray(inputs).write(to: file("synapse_inputs.npy"))
        try NumPyArray(model.predict(inputs).converted(to: Double.self)).write(to: file("synapse_predictions.npy"))
        try NumPyArray(Tensor<Float>(shape: [2, 3], scalars: [1.5, -2, 3, 0, 1e-7, 65504])).write(to: file("synapse_float32.npy"))
        try NumPyArray(Tensor<Double>([Double.pi, -1e300, Double.leastNonzeroMagnitude, 0])).write(to: file("synapse_float64.npy"))
        try NumPyArray(integers: [Int(Int32.min), 0, Int(Int32.max)], dtype: .int32).write(to: file("synapse_int32.npy"))
        try NumPyArray(integers: [-(1 << 62), 1, 2, 1 << 62], shape: [2, 2]).write(to: file("synapse_int64.npy"))
        try NumPyArray(integers: [0, 1, 127, 128, 255], dtype: .uint8).write(to: file("synapse_uint8.npy"))
        try NumPyArray(Tensor<Double>(42.5)).write(to: file("synapse_scalar.npy"))
        let (cnn, images) = try Self.trainedConvolutionalModel()
        try cnn.save(to: file("synapse_cnn.safetensors"))
        try NumPyArray(images).write(to: file("synapse_cnn_inputs.npy"))
        try NumPyArray(cnn.predict(images).converted(to: Double.self)).write(to: file("synapse_cnn_predictions.npy"))

        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Interop/interop.py").path
        let (status, output) = try runPython([script, directory])
        print(output)
        try #require(status == 0, "interop.py failed (needs python3 with numpy and safetensors, which .ci/run installs):\n\(output)")

        // Python → Synapse: a PyTorch-style state dict without Synapse metadata, given its architecture.
        var g = RandomGenerator(seed: 0)
        let network = Sequential<Float>([Dense(inputSize: 4, outputSize: 16, generator: &g), Activation(.relu),
                                         Dense(inputSize: 16, outputSize: 3, generator: &g)])
        let loaded = try Model.load(from: file("python_model.safetensors"), network: network, task: .regression(outputs: 3))
        let x: Tensor<Float> = try NumPyArray.read(file("python_inputs.npy")).tensor()
        let expected = try NumPyArray.read(file("python_outputs.npy"))
        #expect(expected.dtype == .float64 && expected.shape == [10, 3])
        let predictions = loaded.predict(x).scalars.map(Double.init)
        let error = zip(predictions, expected.doubles).map { abs($0 - $1) }.max()!
        #expect(error < 1e-5, "PyTorch-style MLP through Synapse differs by \(error)")

        let values = (0..<12).map { Double($0) / 8 }
        for name in ["python_v2.npy", "python_big_endian.npy"] {
            let array = try NumPyArray.read(file(name))
            #expect(array.dtype == .float64 && array.shape == [3, 4] && array.doubles == values, "\(name)")
        }
        let v3 = try NumPyArray.read(file("python_v3.npy"))
        #expect(v3.dtype == .float32 && v3.tensor(as: Float.self).scalars == values.map(Float.init))
        #expect(try NumPyArray.read(file("python_int64.npy")).doubles == [3, -1, 1_099_511_627_776])
        let bytes = try NumPyArray.read(file("python_uint8.npy"))
        #expect(bytes.dtype == .uint8 && bytes.shape == [2, 3] && bytes.doubles == [0, 1, 2, 3, 4, 5])
        for (name, complaint) in [("python_fortran.npy", "Fortran"), ("python_object.npy", "object arrays"), ("python_complex.npy", "not supported")] {
            #expect { try NumPyArray.read(file(name)) } throws: { error in
                (error as? DataError)?.description.contains(complaint) == true
            }
        }
    }
}
