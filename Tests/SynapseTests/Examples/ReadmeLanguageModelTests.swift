import Foundation
import Testing
import Synapse

/// The README's language-model example, verbatim (between the markers), on a small corpus.
private func readmeLanguageModel(path: String) throws -> [UInt8] {
    // README language model begins
    let corpus = try TextCorpus(text: try TextCorpus.read(path))          // bytes → ids, last 10 % held out
    var rng = RandomGenerator(seed: 42)
    let network: any Layer<Float> = try LayerSpec.gpt(blockSize: 128)
        .fillingVocabulary(corpus.tokenizer.vocabularySize).makeLayer(generator: &rng)
    let model = Model<Float>.languageModel(network, tokenizer: corpus.tokenizer, blockSize: 128)
    var options = FitOptions<Float>(batchSize: 32, seed: 42)
    options.gradientClipNorm = 1
    try model.fitLanguageModel(corpus, optimizer: AdamW.decayingMatrices(parameters: model.parameters, learningRate: 1e-3),
                               epochs: 3, options: options)
    var sampler = RandomGenerator(seed: 1)
    let text = try model.generate(prompt: Array("The ".utf8), length: 200, temperature: 0.8, topK: 40, generator: &sampler)
    // README language model ends
    return text
}

@Suite("README language-model example", .serialized)
struct ReadmeLanguageModelTests {
    @Test("the README's Swift example is in the README verbatim and runs; Examples/gpt.json is LayerSpec.gpt")
    func example() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOfFile: #filePath, encoding: .utf8).components(separatedBy: "\n")
        let start = try #require(source.firstIndex { $0.hasSuffix("// README language model begins") })
        let end = try #require(source.firstIndex { $0.hasSuffix("// README language model ends") })
        let lines = source[(start + 1)..<end].map { String($0.dropFirst(4)) }
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(lines.joined(separator: "\n")))
        // The example file the README shows is the default network.
        let gpt = try LayerSpec.read(from: root.appendingPathComponent("Examples/gpt.json").path)
        #expect(try gpt.fillingVocabulary(50).resolved(for: [128]).spec == LayerSpec.gpt(blockSize: 128).fillingVocabulary(50).resolved(for: [128]).spec)
        let lstm = try LayerSpec.read(from: root.appendingPathComponent("Examples/lstm-lm.json").path)
        #expect(try lstm.fillingVocabulary(50).resolved(for: [64]).output == [64, 50])
        // It runs on a short text (one window per epoch is enough to show it works).
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-readme-lm-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 8).write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)
        let text = try readmeLanguageModel(path: directory + "/corpus.txt")
        #expect(text.count == 200)
    }
}
