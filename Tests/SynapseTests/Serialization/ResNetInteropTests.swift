import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// The acceptance ResNet (`Examples/resnet-mnist.json`) as a model file that Python reads:
/// `Tests/Interop/resnet_interop.py` checks its tensor names and shapes against PyTorch's state_dict
/// (a golden list, so NumPy suffices), reproduces Synapse's probabilities in NumPy on 200 test
/// images, and — whenever `import torch` works — loads it with `load_state_dict(strict=True)` into
/// the equivalent `torch.nn.Module` and reproduces the probabilities of all 10 000 MNIST test
/// images to 1e-5. A full training run takes about a minute per epoch, so the model is trained for
/// 20 steps on 1 280 images: enough to move the weights and the BatchNorm running statistics away
/// from their initial values, which is all that names, layouts and numbers agreeing needs.
@Suite("A ResNet model file read by NumPy and PyTorch (Python)")
struct ResNetInteropTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test("resnet-mnist.json: torch's state_dict names, NumPy's and PyTorch's probabilities of the 10 000 test images", PythonChecks.trait)
    func resnetThroughPython() throws {
        // The sanitizers' debug builds would take minutes over the 10 000 images; the release suites run it.
        guard ProcessInfo.processInfo.environment["SYNAPSE_SANITIZER"] == nil else { return }
        let mnist = Shared.directory.appendingPathComponent("data/mnist").path
        let directory = try temporaryDirectory("resnet-interop")
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let clock = ContinuousClock(), start = clock.now
        func seconds() -> String { String(format: "%.1f s", Double((clock.now - start).components.attoseconds) / 1e18 + Double((clock.now - start).components.seconds)) }
        let spec = try LayerSpec.read(from: Self.repository.appendingPathComponent("Examples/resnet-mnist.json").path)
        let (resolved, output) = try spec.resolved(for: [784])
        #expect(output == [10])
        var generator = RandomGenerator(seed: 42)
        let model = Model(try resolved.makeLayer(as: Float.self, generator: &generator), task: .classification(classes: 10), scaling: .global)
        let training: Dataset<Float> = try MNIST.load(.train, from: mnist).subset(Array(0..<1280))
        try model.fit(training, optimizer: Adam(parameters: model.parameters), epochs: 1, batchSize: 64, seed: 42)
        let path = "\(directory)/resnet.safetensors"
        try model.save(to: path)
        let trained = seconds()

        // The probabilities as a user of the file gets them: loaded back, scaled by the stored statistics.
        let loaded = try Model<Float>.load(from: path)
        let test: Dataset<Float> = try MNIST.load(.test, from: mnist)
        let probabilities = loaded.predictProbabilities(test.features)
        #expect(probabilities.count == 10_000 && probabilities.allSatisfy { $0.count == 10 })
        try NumPyArray(Tensor<Double>(shape: [probabilities.count, 10], scalars: probabilities.flatMap { $0 }))
            .write(to: "\(directory)/resnet_probabilities.npy")
        let predicted = seconds()

        let script = Self.repository.appendingPathComponent("Tests/Interop/resnet_interop.py").path
        let (status, printed) = try runPython([script, directory, mnist])
        print(printed + "ResNet interop: trained and saved after \(trained), 10 000 probabilities after \(predicted), Python done after \(seconds())")
        try #require(status == 0, "resnet_interop.py failed (needs python3 with numpy and safetensors; torch optional):\n\(printed)")
    }
}
