import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Architectures: JSON specs, shape inference, CNN model files")
struct ArchitectureTests {
    static let lenetJSON = """
    {"type": "sequential", "layers": [
      {"type": "reshape", "shape": [1, 28, 28]},
      {"type": "conv2d", "out": 6, "kernel": 5, "padding": "same"}, {"type": "activation", "function": "relu"},
      {"type": "maxpool2d", "kernel": 2},
      {"type": "conv2d", "out": 16, "kernel": 5}, {"type": "batchnorm"}, {"type": "activation", "function": "relu"},
      {"type": "avgpool2d", "kernel": [2, 2], "stride": 2},
      {"type": "flatten"}, {"type": "dense", "out": 120, "activation": "relu"}, {"type": "dropout", "rate": 0.1},
      {"type": "dense", "out": 10}]}
    """

    @Test("a hand-written spec: sizes inferred from the input, shapes followed through every layer")
    func inference() throws {
        let spec = try JSONDecoder().decode(LayerSpec.self, from: Data(Self.lenetJSON.utf8))
        let (resolved, output) = try spec.resolved(for: [784])
        #expect(output == [10])
        guard case .sequential(let layers) = resolved else { Issue.record("not sequential"); return }
        #expect(layers[1] == .conv2d(inputs: 1, outputs: 6, kernel: 5, stride: 1, padding: 2, dilation: 1, bias: true))
        #expect(layers[5] == .batchNorm(features: 16, momentum: 0.1, epsilon: 1e-5, affine: true))
        #expect(layers[9] == .dense(inputs: 400, outputs: 120, bias: true, activation: .relu))
        // JSON written back reads back the same.
        let again = try JSONDecoder().decode(LayerSpec.self, from: JSONEncoder().encode(resolved))
        #expect(again == resolved)
    }

    @Test("shape errors name the layer, the expected and the actual input")
    func shapeErrors() {
        let conv = LayerSpec.conv2d(inputs: 3, outputs: 6, kernel: 5, stride: 1, padding: 0, dilation: 1, bias: true)
        #expect(throws: ShapeError("Conv2D(3 → 6, 5×5) expected input [N, 3, H, W], got [N, 1, 28, 28]")) { try conv.outputShape(for: [1, 28, 28]) }
        #expect(throws: ShapeError("layer 1 of the network: Dense(? → 10) expected input [N, F] or [N, T, F] (a flatten layer before it makes rows of images), got [N, 6, 24, 24]")) {
            try LayerSpec.sequential([.conv2d(inputs: 0, outputs: 6, kernel: 5, stride: 1, padding: 0, dilation: 1, bias: true),
                                      .dense(inputs: 0, outputs: 10, bias: true, activation: .identity)]).outputShape(for: [1, 28, 28])
        }
        #expect(throws: ShapeError("Conv2D(3 → 6, 5×5): its window does not fit an input of 3×3 (input [N, 3, 3, 3])")) {
            try conv.resolved(for: [3, 3, 3]).output
        }
        #expect(throws: ShapeError("Reshape([1, 28, 28]) expected input 784 values per example, got [N, 100]")) {
            try LayerSpec.reshape([1, 28, 28]).outputShape(for: [100])
        }
    }

    @Test("a CNN with BatchNorm saves and loads: weights, running statistics and predictions identical")
    func convolutionalModelFile() throws {
        let directory = try temporaryDirectory("cnn")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spec = try JSONDecoder().decode(LayerSpec.self, from: Data(Self.lenetJSON.utf8)).resolved(for: [784]).spec
        let network: any Layer<Float> = try spec.makeLayer()
        var g = RandomGenerator(seed: 4)
        for (_, tensor) in network.namedParameters {
            let values = Tensor<Float>(randomNormal: tensor.shape, standardDeviation: 0.1, generator: &g)
            withExtendedLifetime(values) { tensor.data.update(from: values.data, count: tensor.count) }
        }
        let x = Tensor<Float>(randomNormal: [8, 784], generator: &g)
        _ = network(x)   // training mode: moves BatchNorm's running statistics away from 0 and 1
        let model = Model(network, task: .classification(classes: 10))
        let path = "\(directory)/lenet.safetensors"
        try model.save(to: path)
        let loaded = try Model<Float>.load(from: path)
        #expect(loaded.network.namedState.map(\.name) == network.namedState.map(\.name))
        #expect(network.namedState.map(\.name).contains("5.running_var"))
        for ((name, a), (_, b)) in zip(network.namedState, loaded.network.namedState) { #expect(a.scalars == b.scalars, "\(name)") }
        #expect(loaded.predict(x).scalars == model.predict(x).scalars)
        #expect(try LayerSpec(describing: loaded.network) == spec)
    }
}
