import Foundation
import Testing
@testable import SynapseCore
@testable import SynapseNN

/// A registered custom layer for the outline: a learned per-feature scale.
final class OutlineScale<Scalar: TensorScalar>: SerializableLayer {
    struct Configuration: Codable { var features: Int }
    static var typeName: String { "outline_test_scale" }
    let weight: Tensor<Scalar>
    var isTraining = true
    var configuration: Configuration { .init(features: weight.shape[0]) }
    init(configuration: Configuration, generator: inout RandomGenerator) throws {
        weight = Tensor(zeros: [configuration.features], requiresGrad: true)
    }
    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x * weight }
}

@Suite("ArchitectureOutline: rows of a sequential, residual or graph network")
struct ArchitectureOutlineTests {
    func decode(_ json: String) throws -> LayerSpec { try JSONDecoder().decode(LayerSpec.self, from: Data(json.utf8)) }

    @Test("a sequential network: one row per layer after the input, each taking the previous one")
    func sequential() {
        let spec = LayerSpec.sequential([.dense(inputs: 0, outputs: 8, bias: true, activation: .identity), .activation(.relu),
                                         .dense(inputs: 0, outputs: 3, bias: true, activation: .identity)])
        let outline = ArchitectureOutline(spec, inputShape: [4])
        #expect(outline.rows.map(\.name) == ["input", "0", "1", "2"])
        #expect(outline.rows.map(\.inputs) == [[], ["input"], ["0"], ["1"]])
        #expect(outline.rows.map(\.outputShape) == [[4], [8], [8], [3]])
        #expect(outline.rows.map(\.parameterCount) == [0, 40, 0, 27])
        #expect(outline.rows[1].title == "Dense(4 → 8)", "sizes left out are inferred from the input shape")
        #expect(outline.rows.allSatisfy { $0.depth == 0 } && !outline.hasBranches)
        #expect(outline.outputShape == [3] && outline.parameterCount == 67 && outline.shapeProblem == nil)

        let unknown = ArchitectureOutline(spec)
        #expect(unknown.rows.allSatisfy { $0.outputShape == nil } && unknown.rows[1].title == "Dense(? → 8)")
    }

    @Test("a residual: its row, the block's and shortcut's layers one level deeper, and the merge row adding them")
    func residual() throws {
        let spec = try decode("""
            {"type": "sequential", "layers": [
              {"type": "reshape", "shape": [2, 4, 4]},
              {"type": "residual", "block": [{"type": "conv2d", "out": 2, "kernel": 3, "padding": 1}, {"type": "activation", "function": "relu"}]},
              {"type": "residual", "block": {"type": "conv2d", "out": 3, "kernel": 3, "stride": 2, "padding": 1},
               "shortcut": {"type": "conv2d", "out": 3, "kernel": 1, "stride": 2, "bias": false}},
              {"type": "flatten"}]}
            """)
        let outline = ArchitectureOutline(spec, inputShape: [32])
        #expect(outline.rows.map(\.name) == ["input", "0", "1", "1.block", "1.block.0", "1.block.1", "1.add", "2", "2.block", "2.shortcut", "2.add", "3"])
        #expect(outline.rows.map(\.depth) == [0, 0, 0, 1, 2, 2, 1, 0, 1, 1, 1, 0])
        #expect(outline.rows.map(\.role) == [.input, .layer, .container, .container, .layer, .layer, .merge, .container, .layer, .layer, .merge, .layer])
        let sum = try #require(outline.row(named: "1.add"))
        #expect(sum.inputs == ["1.block", "0"], "the identity shortcut adds the residual's own input")
        #expect(outline.producer(of: "1.block")?.name == "1.block.1" && outline.producer(of: "1")?.name == "1.add")
        #expect(outline.row(named: "2.add")?.inputs == ["2.block", "2.shortcut"])
        #expect(outline.row(named: "2")?.outputShape == [3, 2, 2] && outline.row(named: "2.shortcut")?.outputShape == [3, 2, 2])
        #expect(outline.row(named: "3")?.inputs == ["2"] && outline.outputShape == [12])
        // Parameters: a container's are its children's; the total is the architecture's.
        #expect(outline.row(named: "1")?.parameterCount == 2 * 2 * 9 + 2 && outline.row(named: "2")?.parameterCount == (3 * 2 * 9 + 3) + 3 * 2)
        let resolved = try spec.resolved(for: [32]).spec
        #expect(outline.parameterCount == resolved.parameterCount && outline.hasBranches)
        // Names are the parameters' names.
        var generator = RandomGenerator(seed: 1)
        let network: any Layer<Float> = try resolved.makeLayer(generator: &generator)
        let layerRows = Set(outline.rows.filter { $0.role == .layer && $0.parameterCount != 0 }.map(\.name))
        #expect(Set(network.namedParameters.map { String($0.name.split(separator: ".").dropLast().joined(separator: ".")) }) == layerRows)
    }

    @Test("a graph: nodes in the order written where it allows, with their inputs; nested graphs prefix their names")
    func graph() throws {
        let inception = """
            {"type": "graph", "inputs": ["x"], "nodes": [
              {"name": "a", "type": "conv2d", "inputs": ["x"], "out": 2, "kernel": 1},
              {"name": "joined", "type": "concat", "inputs": ["a", "b", "c"]},
              {"name": "b", "type": "sequential", "inputs": ["x"], "layers": [{"type": "conv2d", "out": 1, "kernel": 1}, {"type": "conv2d", "out": 2, "kernel": 3, "padding": 1}]},
              {"name": "c", "type": "maxpool2d", "inputs": ["x"], "kernel": 3, "stride": 1, "padding": 1}],
             "outputs": ["joined"]}
            """
        let top = ArchitectureOutline(try decode(inception), inputShape: [3, 4, 4])
        #expect(top.rows.map(\.name) == ["x", "a", "b", "b.0", "b.1", "c", "joined"])
        #expect(top.row(named: "joined")?.inputs == ["a", "b", "c"] && top.row(named: "joined")?.role == .merge)
        #expect(top.row(named: "b.0")?.inputs == ["x"] && top.row(named: "b.1")?.inputs == ["b.0"])
        #expect(top.row(named: "joined")?.outputShape == [7, 4, 4] && top.outputShape == [7, 4, 4])
        #expect(top.row(named: "a")?.depth == 0 && top.row(named: "b.0")?.depth == 1)

        let nested = ArchitectureOutline(try decode(#"{"type": "sequential", "layers": [{"type": "reshape", "shape": [3, 4, 4]}, "# + inception + #", {"type": "flatten"}]}"#),
                                         inputShape: [48])
        #expect(nested.rows.map(\.name) == ["input", "0", "1", "1.a", "1.b", "1.b.0", "1.b.1", "1.c", "1.joined", "2"])
        #expect(nested.row(named: "1.a")?.inputs == ["0"], "the graph's input stands for what the graph is given")
        #expect(nested.row(named: "1.joined")?.inputs == ["1.a", "1.b", "1.c"] && nested.producer(of: "1")?.name == "1.joined")
        #expect(nested.row(named: "2")?.outputShape == [112] && nested.row(named: "1")?.parameterCount == (2 * 3 + 2) + (3 + 1) + (2 * 9 + 2))
    }

    @Test("custom layers: shape from the registry, parameters unknown from the architecture and counted from the built layer")
    func custom() throws {
        LayerRegistry.register(OutlineScale<Float>.self)
        let spec = try decode(#"{"type": "sequential", "layers": [{"type": "outline_test_scale", "config": {"features": 5}}, {"type": "dense", "out": 2}]}"#)
        let outline = ArchitectureOutline(spec, inputShape: [5])
        #expect(outline.rows[1].name == "0" && outline.rows[1].title == "outline_test_scale" && outline.rows[1].outputShape == [5])
        #expect(outline.rows[1].parameterCount == nil && outline.parameterCount == nil)
        var generator = RandomGenerator(seed: 3)
        let network: any Layer<Float> = try spec.resolved(for: [5]).spec.makeLayer(generator: &generator)
        let built = try ArchitectureOutline(network, inputShape: [5])
        #expect(built.rows[1].parameterCount == 5 && built.parameterCount == 5 + 12)
    }

    @Test("shapes stop where a layer cannot take its input, and the outline says why")
    func shapeProblem() {
        let spec = LayerSpec.sequential([.reshape([1, 4, 4]), .dense(inputs: 16, outputs: 2, bias: true, activation: .identity)])
        let outline = ArchitectureOutline(spec, inputShape: [16])
        #expect(outline.rows.map(\.outputShape) == [[16], [1, 4, 4], nil])
        #expect(outline.shapeProblem?.description.hasPrefix("1: Dense(16 → 2) expected input [N, 16]") == true, "\(String(describing: outline.shapeProblem))")
    }
}
