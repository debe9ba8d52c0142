import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Normal draws in Float64.
private func random(_ shape: [Int], seed: UInt32, scale: Double = 1) -> Tensor<Double> {
    var g = RandomGenerator(seed: seed)
    return Tensor<Double>(randomNormal: shape, mean: 0, standardDeviation: scale, generator: &g)
}

private func expectGradients(_ inputs: [Tensor<Double>], sourceLocation: SourceLocation = #_sourceLocation,
                             _ f: @escaping ([Tensor<Double>]) -> Tensor<Double>) {
    let result = checkGradients(at: inputs, of: f)
    #expect(result.maxRelativeError < 1e-6, "\(result)", sourceLocation: sourceLocation)
}

/// A registered custom layer for the tests: y = x · scale + shift per feature (`scale`, `shift` [features]).
final class ScaleShift<Scalar: TensorScalar>: SerializableLayer {
    struct Configuration: Codable, Equatable { var features: Int; var note: String }
    static var typeName: String { "test_scale_shift" }
    let scale: Tensor<Scalar>, shift: Tensor<Scalar>
    let note: String
    var isTraining = true
    var configuration: Configuration { .init(features: scale.shape[0], note: note) }

    struct TooLarge: Error {}

    init(configuration: Configuration, generator: inout RandomGenerator) throws {
        guard (1...4096).contains(configuration.features) else { throw TooLarge() }
        scale = Tensor(randomUniform: [configuration.features], low: 0.5, high: 1.5, generator: &generator)
        shift = Tensor(zeros: [configuration.features])
        scale.requiresGrad = true
        shift.requiresGrad = true
        note = configuration.note
    }

    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x * scale + shift }

    static func outputShape(for input: [Int], configuration: Configuration) throws(ShapeError) -> [Int] {
        guard input == [configuration.features] else { throw ShapeError("expected [N, \(configuration.features)], got \(LayerSpec.format(input))") }
        return input
    }
}

@Suite("Residual and branching networks: Residual, Add, Concatenate, Identity, Graph, custom layers")
struct GraphTests {
    @Test("gradient checks: Residual (identity and projection shortcuts), Add, Concatenate")
    func gradients() {
        // Residual with the identity shortcut: y = W₂ tanh(W₁x + b₁) + x; every parameter checked.
        expectGradients([random([3, 4], seed: 1), random([5, 4], seed: 2, scale: 0.5), random([5], seed: 3), random([4, 5], seed: 4, scale: 0.5)]) { v in
            let block = Sequential<Double>([Dense(weight: v[1], bias: v[2], activation: .tanh), Dense(weight: v[3], bias: nil)])
            return Residual(block)(v[0])
        }
        // With a projection shortcut changing the width: y = W₂ tanh(W₁x) + Wₛx.
        expectGradients([random([3, 4], seed: 5), random([6, 4], seed: 6, scale: 0.5), random([6, 6], seed: 7, scale: 0.5), random([6, 4], seed: 8)]) { v in
            let block = Sequential<Double>([Dense(weight: v[1], bias: nil, activation: .tanh), Dense(weight: v[2], bias: nil)])
            return Residual(block, shortcut: Dense(weight: v[3], bias: nil))(v[0])
        }
        // Add of four inputs, one of them twice (its gradient doubles).
        expectGradients([random([2, 3], seed: 9), random([2, 3], seed: 10), random([2, 3], seed: 11)]) { v in
            Add<Double>()([v[0], v[1], v[2], v[0]])
        }
        // Concatenate along features and along the channels of images, parts of different sizes.
        expectGradients([random([2, 3], seed: 12), random([2, 5], seed: 13), random([4, 8], seed: 14, scale: 0.5)]) { v in
            Dense(weight: v[2], bias: nil, activation: .tanh)(Concatenate<Double>(axis: 1)([v[0], v[1]]))
        }
        expectGradients([random([2, 1, 3, 3], seed: 15), random([2, 2, 3, 3], seed: 16)]) { v in
            let joined = Concatenate<Double>(axis: -3)([v[0], v[1]])
            return joined * joined.sum()
        }
    }

    /// A graph where node `h` feeds `a`, `b` and the merge directly: its gradient must be the sum over its three uses.
    static func sharedNodeGraph(_ v: [Tensor<Double>]) throws -> Graph<Double> {
        try Graph(inputs: ["x"], nodes: [
            .init("sum", Add(), inputs: ["a", "b", "h"]),              // written before its inputs: any order works
            .init("h", Dense(weight: v[1], bias: v[2], activation: .tanh), inputs: ["x"]),
            .init("a", Dense(weight: v[3], bias: nil, activation: .sigmoid), inputs: ["h"]),
            .init("b", Sequential([Dense(weight: v[4], bias: nil), Activation(.tanh)]), inputs: ["h"]),
            .init("cat", Concatenate(axis: 1), inputs: ["sum", "x"]),
        ], outputs: ["cat"])
    }

    @Test("a graph with a node used three times: its gradient accumulates; the outputs are the hand-wired forward's")
    func sharedNode() throws {
        let inputs = [random([3, 4], seed: 20), random([5, 4], seed: 21, scale: 0.5), random([5], seed: 22),
                      random([5, 5], seed: 23, scale: 0.5), random([5, 5], seed: 24, scale: 0.5)]
        expectGradients(inputs) { v in (try? Self.sharedNodeGraph(v))!(v[0]) }
        let graph = try Self.sharedNodeGraph(inputs)
        #expect(graph.nodes.map(\.name) == ["h", "a", "b", "sum", "cat"])
        #expect(graph.namedParameters.map(\.name) == ["h.weight", "h.bias", "a.weight", "b.0.weight"])
        let v = inputs
        let h = tanh(matmul(v[0], v[1], transposeB: true) + v[2])
        let a = sigmoid(matmul(h, v[3], transposeB: true)), b = tanh(matmul(h, v[4], transposeB: true))
        let expected = concatenate([a + b + h, v[0]], axis: 1)
        #expect(graph(v[0]).scalars == expected.scalars)
        #expect(graph(v[0]).shape == [3, 9])
    }

    @Test("graph structure errors name the node: cycles, unknown and duplicate names, arity, dangling nodes, unused inputs")
    func structureErrors() {
        func message(_ nodes: [Graph<Float>.Node], inputs: [String] = ["x"], outputs: [String] = ["out"]) -> String {
            do { _ = try Graph(inputs: inputs, nodes: nodes, outputs: outputs); return "no error" } catch { return error.description }
        }
        let id = { Identity<Float>() }
        #expect(message([.init("a", id(), inputs: ["out"]), .init("b", id(), inputs: ["a"]), .init("out", Add(), inputs: ["b", "x"])])
                == "the graph has a cycle: 'b' → 'out' → 'a' → 'b'")
        #expect(message([.init("out", id(), inputs: ["out"])]) == "the graph has a cycle: 'out' → 'out'")
        #expect(message([.init("out", id(), inputs: ["y"])]) == "node 'out' takes 'y', which is not a node or input of the graph")
        #expect(message([.init("x", id(), inputs: ["x"]), .init("out", id(), inputs: ["x"])]) == "the name 'x' is used twice")
        #expect(message([.init("out", Add(), inputs: ["x"])]) == "node 'out' (Add) takes two or more inputs, got 1")
        #expect(message([.init("a", id(), inputs: ["x"]), .init("out", id(), inputs: ["x", "a"])]) == "node 'out' (Identity) takes one input, got 2")
        #expect(message([.init("a", id(), inputs: ["x"]), .init("out", id(), inputs: ["x"])]) == "node 'a' does not lead to any output")
        #expect(message([.init("out", id(), inputs: ["x"])], inputs: ["x", "y"]) == "the input 'y' is not used by any node")
        #expect(message([.init("out", id(), inputs: ["x"])], outputs: ["zz"]) == "the output 'zz' is not a node or input of the graph")
        #expect(message([.init("0.weight", id(), inputs: ["x"])], outputs: ["0.weight"]).hasPrefix("'0.weight' cannot name a node"))
        #expect(message([], outputs: []) == "the graph has no outputs")
    }

    @Test("shape inference names the node and both shapes before anything runs")
    func shapeErrors() throws {
        let json = """
        {"type": "graph", "inputs": ["x"], "nodes": [
          {"name": "a", "type": "dense", "inputs": ["x"], "out": 8},
          {"name": "b", "type": "dense", "inputs": ["x"], "out": 6},
          {"name": "sum", "type": "add", "inputs": ["a", "b"]}], "outputs": ["sum"]}
        """
        let spec = try LayerSpec.decode(Data(json.utf8), path: "g.json")
        #expect(throws: ShapeError("node 'sum' of the graph: Add: its inputs 'a' [N, 8] and 'b' [N, 6] differ (add needs one shape)")) {
            try spec.resolved(for: [4])
        }
        let residual = LayerSpec.residual(block: .sequential([.dense(inputs: 0, outputs: 3, bias: true, activation: .identity)]), shortcut: nil)
        #expect(throws: ShapeError("Residual: its block gives [N, 3] but its input (the identity shortcut) is [N, 4] (a projection shortcut with the block's stride and channels makes them agree)")) {
            try residual.resolved(for: [4])
        }
        #expect(throws: ShapeError("layer 1 of the network: Add merges two or more inputs: use it as a node of a graph")) {
            try LayerSpec.sequential([.identity, .add]).resolved(for: [4])
        }
        // The builder checks shapes when its inputs have them.
        var rng = RandomGenerator(seed: 1)
        let builder = GraphBuilder<Float>()
        let x = builder.input(shape: [4])
        let h = builder.add(Dense(inputSize: 4, outputSize: 5, generator: &rng), x, name: "h")
        let y = builder.add(Concatenate(axis: 0), h, x, name: "joined")
        #expect(throws: ShapeError("node 'joined' of the graph: Concatenate(axis 0): axis 0 is not an axis of [N, 5] other than the batch axis")) {
            _ = try builder.build(outputs: y)
        }
    }

    /// One model per construct, each with data it takes: Residual with and without projection in a
    /// CNN, a graph with parallel branches concatenated and a residual Add, and a registered custom layer.
    static func constructs() throws -> [(name: String, model: Model<Float>, x: Tensor<Float>)] {
        LayerRegistry.register(ScaleShift<Float>.self)
        LayerRegistry.register(ScaleShift<Double>.self)
        var rng = RandomGenerator(seed: 7)
        let images = Tensor<Float>(randomNormal: [5, 36], mean: 0, standardDeviation: 1, generator: &rng)
        let rows = Tensor<Float>(randomNormal: [5, 6], mean: 0, standardDeviation: 1, generator: &rng)
        func conv(_ i: Int, _ o: Int, _ k: Int, stride: Int = 1) -> Conv2D<Float> {
            Conv2D(inputChannels: i, outputChannels: o, kernelSize: Pair2D(k, k), stride: Pair2D(stride, stride), padding: Pair2D(k / 2, k / 2),
                   useBias: false, generator: &rng)
        }
        func norm(_ c: Int) -> BatchNorm<Float> { BatchNorm(features: c) }
        let cnn = Sequential<Float>([
            Reshape([1, 6, 6]), conv(1, 4, 3), norm(4), Activation(.relu),
            Residual(Sequential([conv(4, 4, 3), norm(4), Activation(.relu), conv(4, 4, 3), norm(4)])), Activation(.relu),
            Residual(Sequential([conv(4, 8, 3, stride: 2), norm(8)]), shortcut: Sequential([conv(4, 8, 1, stride: 2), norm(8)])),
            GlobalAveragePool(), Dense(inputSize: 8, outputSize: 3, generator: &rng),
        ])
        let builder = GraphBuilder<Float>()
        let x = builder.input("x", shape: [6])
        let a = builder.add(Dense(inputSize: 6, outputSize: 4, activation: .relu, generator: &rng), x, name: "branch_a")
        let b = builder.add(Sequential([Dense(inputSize: 6, outputSize: 3, generator: &rng), Activation(.tanh)]), x, name: "branch_b")
        let same = builder.add(Identity(), x, name: "skip")
        let joined = builder.add(Concatenate(), a, b, same, name: "joined")                       // [N, 13]
        let wide = builder.add(Dense(inputSize: 13, outputSize: 13, generator: &rng), joined)
        let sum = builder.add(Add(), wide, joined, name: "sum")
        let head = builder.add(Dense(inputSize: 13, outputSize: 2, generator: &rng), sum, name: "head")
        let graph = try builder.build(outputs: head)
        let custom = Sequential<Float>([try ScaleShift(configuration: .init(features: 6, note: "ünïcode ✓"), generator: &rng),
                                        Dense(inputSize: 6, outputSize: 2, generator: &rng)])
        let cnnModel = Model(cnn, task: .classification(classes: 3))
        // Running statistics that are not the initial ones, so that loading them is checked too.
        _ = cnn(images)
        return [("residual CNN", cnnModel, images), ("branching graph", Model(graph, task: .regression(outputs: 2)), rows),
                ("custom layer", Model(custom, task: .regression(outputs: 2)), rows)]
    }

    @Test("save → load → predict is bit-identical for Residual, Graph (Concatenate, Add, Identity) and a registered custom layer")
    func saveAndLoad() throws {
        let directory = try temporaryDirectory("graph-models")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, model, x) in try Self.constructs() {
            let path = "\(directory)/\(name).safetensors"
            try model.save(to: path)
            let loaded = try Model<Float>.load(from: path)
            #expect(try LayerSpec(describing: loaded.network) == LayerSpec(describing: model.network), "\(name)")
            #expect(loaded.network.namedState.map(\.name) == model.network.namedState.map(\.name), "\(name)")
            for ((key, a), (_, b)) in zip(model.network.namedState, loaded.network.namedState) {
                #expect(a.scalars == b.scalars, "\(name): \(key)")
            }
            #expect(loaded.predict(x).scalars == model.predict(x).scalars, "\(name)")
        }
        let names = try Self.constructs().map { $0.model.network.namedState.map(\.name) }
        #expect(Array(names[0][0..<6]) == ["1.weight", "2.weight", "2.bias", "2.running_mean", "2.running_var", "4.block.0.weight"])
        #expect(names[0].contains("6.shortcut.0.weight") && names[0].contains("6.shortcut.1.running_var") && names[0].contains("6.block.1.bias"))
        #expect(names[1] == ["branch_a.weight", "branch_a.bias", "branch_b.0.weight", "branch_b.0.bias", "dense_4.weight", "dense_4.bias",
                             "head.weight", "head.bias"])
        #expect(names[2] == ["0.scale", "0.shift", "1.weight", "1.bias"])
    }

    @Test("a registered custom layer: its JSON, its configuration refused when invalid, its type unknown when not registered")
    func customLayers() throws {
        LayerRegistry.register(ScaleShift<Float>.self)
        var rng = RandomGenerator(seed: 3)
        let layer = try ScaleShift<Float>(configuration: .init(features: 3, note: "n"), generator: &rng)
        let spec = try LayerSpec(describing: layer)
        #expect(spec == .custom(type: "test_scale_shift", configuration: .object(["features": .number(3), "note": .string("n")])))
        let json = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(LayerSpec.self, from: json) == spec)
        #expect(try spec.outputShape(for: [3]) == [3])
        #expect(throws: ShapeError("test_scale_shift: expected [N, 3], got [N, 4]")) { try spec.outputShape(for: [4]) }
        // A configuration the layer refuses, or that does not decode, is an error, not a crash.
        let huge = LayerSpec.custom(type: "test_scale_shift", configuration: .object(["features": .number(1e12), "note": .string("")]))
        #expect(throws: (any Error).self) { let _: any Layer<Float> = try huge.makeLayer() }
        #expect(throws: DataError.self) {
            try LayerSpec.decode(Data(#"{"type": "test_scale_shift", "config": {"features": "three"}}"#.utf8), path: "c.json")
        }
        // Not registered: refused when decoding (naming it), and when describing a layer for saving.
        #expect { try LayerSpec.decode(Data(#"{"type": "never_registered", "config": {}}"#.utf8), path: "c.json") } throws: { error in
            (error as? DataError)?.description.contains("unknown layer type 'never_registered'") == true
        }
        final class Unregistered: SerializableLayer {
            struct Configuration: Codable {}
            static var typeName: String { "test_unregistered" }
            var isTraining = true
            var configuration: Configuration { .init() }
            init(configuration: Configuration, generator: inout RandomGenerator) {}
            func callAsFunction(_ x: Tensor<Float>) -> Tensor<Float> { x }
        }
        #expect(throws: UnsupportedLayerError(layerType: "Unregistered", reason: "its type name 'test_unregistered' is not registered (LayerRegistry.register)")) {
            try LayerSpec(describing: Unregistered(configuration: .init(), generator: &rng))
        }
    }

    @Test("architecture JSON: residual, graph, concat, add, identity decode, round-trip, and build what they describe")
    func architectureJSON() throws {
        let json = """
        {"type": "sequential", "layers": [
          {"type": "reshape", "shape": [1, 4, 4]},
          {"type": "residual", "block": [{"type": "conv2d", "out": 1, "kernel": 3, "padding": 1}], "shortcut": {"type": "identity"}},
          {"type": "flatten"},
          {"type": "graph", "inputs": ["x"], "nodes": [
            {"name": "out", "type": "concat", "axis": -1, "inputs": ["left", "right"]},
            {"name": "left", "type": "dense", "out": 3, "inputs": ["x"]},
            {"name": "right", "type": "sequential", "layers": [{"type": "dense", "out": 2}], "inputs": ["x"]}],
           "outputs": ["out"]}]}
        """
        let spec = try LayerSpec.decode(Data(json.utf8), path: "a.json")
        let (resolved, output) = try spec.resolved(for: [16])
        #expect(output == [5])
        let encoded = try JSONEncoder().encode(resolved)
        #expect(try JSONDecoder().decode(LayerSpec.self, from: encoded) == resolved)
        var rng = RandomGenerator(seed: 2)
        let network: any Layer<Float> = try resolved.makeLayer(generator: &rng)
        #expect(network.namedParameters.map(\.name) == ["1.block.0.weight", "1.block.0.bias", "3.left.weight", "3.left.bias", "3.right.0.weight", "3.right.0.bias"])
        #expect(network(Tensor<Float>(zeros: [2, 16])).shape == [2, 5])
        // Described back with the graph's nodes in the order they run (each after its inputs).
        guard case .sequential(let layers) = try LayerSpec(describing: network), case .graph(let graph) = layers[3],
              case .sequential(let written) = resolved, case .graph(let original) = written[3] else { Issue.record("not a sequential with a graph"); return }
        #expect(graph.nodes.map(\.name) == ["left", "right", "out"])
        #expect(Set(graph.nodes.map(\.name)) == Set(original.nodes.map(\.name)) && Array(layers[0..<3]) == Array(written[0..<3]))
        #expect(resolved.parameterCount == 10 + 17 * 3 + 17 * 2)   // conv 3×3 + bias; dense 16 → 3; dense 16 → 2
    }
}
