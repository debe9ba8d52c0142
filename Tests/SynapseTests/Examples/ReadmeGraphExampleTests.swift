import Foundation
import Testing
import Synapse

/// The README's custom layer, verbatim (between the markers in `readmeCustomLayer`).
// README custom layer begins
final class Scale<Scalar: TensorScalar>: SerializableLayer {
    struct Configuration: Codable { var features: Int }
    struct TooLarge: Error {}
    static var typeName: String { "scale" }
    let weight: Tensor<Scalar>
    var isTraining = true
    var configuration: Configuration { Configuration(features: weight.shape[0]) }

    init(configuration: Configuration, generator: inout RandomGenerator) throws {
        // The configuration may come from a hostile file: refuse sizes the layer cannot honour.
        guard (1...1_000_000).contains(configuration.features) else { throw TooLarge() }
        weight = Tensor(ones: [configuration.features], requiresGrad: true)
    }

    func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { x * weight }
}
// README custom layer ends

/// The lines between `// <marker> begins` and `// <marker> ends` in this file, without the
/// indentation they have here — the README must hold them exactly.
private func snippet(_ marker: String) throws -> [String] {
    let source = try String(contentsOfFile: #filePath, encoding: .utf8).components(separatedBy: "\n")
    let start = try #require(source.firstIndex { $0.hasSuffix("// \(marker) begins") })
    let end = try #require(source.firstIndex { $0.hasSuffix("// \(marker) ends") })
    let lines = source[(start + 1)..<end]
    let indent = lines.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
    return lines.map { String($0.dropFirst(Swift.min(indent, $0.count))) }
}

/// Whether README.md holds `lines` consecutively.
private func readmeContains(_ lines: [String]) throws -> Bool {
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md")
    return try String(contentsOf: readme, encoding: .utf8).contains(lines.joined(separator: "\n"))
}

@Suite("README examples: graphs and custom layers")
struct ReadmeGraphExampleTests {
    @Test("the README's GraphBuilder example builds an Inception-style block with a residual Add, and runs")
    func graphBuilder() throws {
        // README graph example begins
        var rng = RandomGenerator(seed: 42)
        let graph = GraphBuilder<Float>()
        let x = graph.input(shape: [16, 14, 14])                  // one example's shape: shapes are checked at build()
        let a = graph.add(Conv2D(inputChannels: 16, outputChannels: 8, kernelSize: 1, generator: &rng), x, name: "branch_a")
        let b = graph.add(Sequential<Float>([
            Conv2D(inputChannels: 16, outputChannels: 8, kernelSize: 3, padding: 1, generator: &rng), Activation(.relu)]), x, name: "branch_b")
        let joined = graph.add(Concatenate(axis: 1), a, b, name: "joined")      // [N, 16, 14, 14]
        let out = graph.add(Add(), joined, x, name: "sum")                      // a residual connection around both branches
        let block = try graph.build(outputs: out)                               // a Layer: block(images)
        // README graph example ends
        #expect(try readmeContains(snippet("README graph example")))
        #expect(block(Tensor<Float>(zeros: [2, 16, 14, 14])).shape == [2, 16, 14, 14])
        #expect(block.namedParameters.map(\.name) == ["branch_a.weight", "branch_a.bias", "branch_b.0.weight", "branch_b.0.bias"])
    }

    @Test("the README's custom layer saves and loads")
    func customLayer() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-readme-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try readmeContains(snippet("README custom layer")))
        // As in the README, with the file in a directory of the test's own (not the working directory).
        LayerRegistry.register(Scale<Float>.self)          // and Scale<Double>.self to load it as Double
        var rng = RandomGenerator(seed: 1)
        let model = Model(Sequential<Float>([try Scale(configuration: .init(features: 4), generator: &rng),
                                             Dense(inputSize: 4, outputSize: 2, generator: &rng)]),
                          task: .regression(outputs: 2))
        try model.save(to: "\(directory)/scaled.safetensors")
        let loaded = try Model<Float>.load(from: "\(directory)/scaled.safetensors")   // a Scale again, with its weight
        #expect(loaded.network.namedState.map(\.name) == ["0.weight", "1.weight", "1.bias"])
        let x = Tensor<Float>(randomNormal: [3, 4], generator: &rng)
        #expect(loaded.predict(x).scalars == model.predict(x).scalars)
        #expect(try LayerSpec(describing: loaded.network) == LayerSpec(describing: model.network))
    }
}
