import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// A text with structure a tiny model learns in a few dozen steps.
private let pattern = Array(String(repeating: "the cat sat on the mat. ", count: 40).utf8)

/// A small GPT or LSTM language model of `pattern`.
private func tinyModel(_ kind: String, blockSize: Int = 16, seed: UInt32 = 1) throws -> (Model<Double>, TextCorpus) {
    let corpus = try TextCorpus(text: pattern)
    let spec: LayerSpec = kind == "gpt"
        ? .gpt(blockSize: blockSize, width: 16, layers: 2, heads: 2)
        : .recurrentLanguageModel(kind == "gru" ? .gru : .lstm, width: 12, hidden: 16, layers: 2)
    var generator = RandomGenerator(seed: seed)
    let network: any Layer<Double> = try spec.fillingVocabulary(corpus.tokenizer.vocabularySize).makeLayer(generator: &generator)
    return (Model<Double>.languageModel(network, tokenizer: corpus.tokenizer, blockSize: blockSize), corpus)
}

@Suite("Language models")
struct LanguageModelTests {
    @Test("a tiny GPT, LSTM and GRU learn a repeated sentence and continue it", arguments: ["gpt", "lstm", "gru"])
    func learns(kind: String) throws {
        let (model, corpus) = try tinyModel(kind)
        let before = try model.evaluate(text: pattern).loss
        var options = FitOptions<Double>(batchSize: 8, seed: 3)
        options.gradientClipNorm = 1
        let history = try model.fitLanguageModel(corpus, optimizer: AdamW.decayingMatrices(parameters: model.parameters, learningRate: 1e-2),
                                                 epochs: kind == "gpt" ? 12 : 80, options: options)
        let after = try #require(history.epochs.last?.validationLoss)
        #expect(before > 2 && after < 0.3, "\(kind): validation loss \(before) → \(after)")
        var generator = RandomGenerator(seed: 5)
        let text = String(decoding: try model.generate(prompt: Array("the cat ".utf8), length: 16, temperature: 0, generator: &generator), as: UTF8.self)
        #expect(text == "sat on the mat. ", "\(kind): \(text)")
    }

    @Test("generating with the decoding cache equals recomputing the whole window for every token", arguments: ["gpt", "lstm"])
    func cacheMatchesRecomputation(kind: String) throws {
        let (model, _) = try tinyModel(kind, blockSize: 12)
        let prompt = try model.tokenizer!.encode(Array("the c".utf8))
        var tokens = prompt
        var generator = RandomGenerator(seed: 2)
        let cached = try model.generate(prompt: Array("the c".utf8), length: 20, temperature: 0.9, generator: &generator)
        // The same draws without a cache: the full forward over the last block (or all tokens, for a recurrent model).
        var replay = RandomGenerator(seed: 2)
        model.network.eval()
        for _ in 0..<20 {
            let context = kind == "gpt" ? Array(tokens.suffix(12)) : tokens
            let logits = withoutGradients { model.network(Tensor<Double>(shape: [1, context.count], scalars: context.map(Double.init))) }
            tokens.append(Model<Double>.sample(Array(logits.doubleScalars.suffix(model.tokenizer!.vocabularySize)), temperature: 0.9, topK: nil, generator: &replay))
        }
        let recomputed = model.tokenizer!.decode(Array(tokens.dropFirst(prompt.count)))
        if kind == "gpt" {
            // Past the block, the cached model re-primes with half a block: compare the first block only.
            #expect(Array(cached.prefix(12 - prompt.count)) == Array(recomputed.prefix(12 - prompt.count)))
        } else {
            #expect(cached == recomputed)
        }
    }

    @Test("a language model survives save and load: tokenizer, block size, weights, the same text for a seed", arguments: ["gpt", "lstm"])
    func saveAndLoad(kind: String) throws {
        let (model, _) = try tinyModel(kind)
        let directory = try temporaryDirectory("lm")
        let path = directory + "/lm.safetensors"
        try model.save(to: path)
        let loaded = try Model<Double>.load(from: path)
        #expect(loaded.task == model.task && loaded.tokenizer == model.tokenizer && loaded.blockSize == 16)
        var a = RandomGenerator(seed: 4), b = RandomGenerator(seed: 4)
        let original = try model.generate(prompt: Array("the".utf8), length: 40, generator: &a)
        let reloaded = try loaded.generate(prompt: Array("the".utf8), length: 40, generator: &b)
        #expect(original == reloaded)
        #expect(abs(try model.evaluate(text: pattern).loss - loaded.evaluate(text: pattern).loss) < 1e-12)
    }

    @Test("resumed from its checkpoint after epoch 2, a language model ends bit-identical to 3 uninterrupted epochs", arguments: ["gpt", "lstm"])
    func resumesExactly(kind: String) throws {
        let directory = try temporaryDirectory("lm-resume")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func options(checkpoint: String? = nil) -> FitOptions<Double> {
            var options = FitOptions<Double>(batchSize: 8, seed: 3, checkpointing: checkpoint.map { Checkpointing(path: $0) })
            options.gradientClipNorm = 1
            return options
        }
        func adamW(_ model: Model<Double>) -> Adam<Double> { AdamW.decayingMatrices(parameters: model.parameters, learningRate: 1e-2) }
        let (whole, corpus) = try tinyModel(kind)
        let wholeHistory = try whole.fitLanguageModel(corpus, optimizer: adamW(whole), epochs: 3, options: options())
        let (first, _) = try tinyModel(kind)
        try first.fitLanguageModel(corpus, optimizer: adamW(first), epochs: 2, options: options(checkpoint: directory + "/ck.safetensors"))

        let (model, state) = try Model<Double>.loadCheckpoint(from: directory + "/ck.safetensors")
        #expect(model.tokenizer == corpus.tokenizer && model.blockSize == 16 && state.epochsCompleted == 2)
        let text = try TextCorpus(text: pattern, tokenizer: model.tokenizer)
        let history = try model.fitLanguageModel(text, optimizer: adamW(model), epochs: 3, options: options(), resumingFrom: state)
        #expect(history.epochs.map(\.epoch) == [0, 1, 2])
        #expect(history.epochs.map(\.loss) == wholeHistory.epochs.map(\.loss))
        #expect(history.epochs.map(\.validationLoss) == wholeHistory.epochs.map(\.validationLoss))
        #expect(zip(model.parameters, whole.parameters).allSatisfy { $0.doubleScalars == $1.doubleScalars }, "\(kind): the weights differ")

        // A text tokenized with another vocabulary would train the model on the wrong bytes.
        let other = try TextCorpus(text: Array(String(repeating: "a dog on a log. ", count: 20).utf8))
        #expect(throws: TrainingError.self) { try model.fitLanguageModel(other, optimizer: adamW(model), epochs: 4, options: options()) }
    }

    @Test("crafted language-model files are refused with the problem named")
    func hostileFiles() throws {
        let (model, _) = try tinyModel("gpt")
        let directory = try temporaryDirectory("lm-hostile")
        let path = directory + "/lm.safetensors"
        try model.save(to: path)
        let file = try SafeTensors.read(path)
        func refused(_ change: (inout SafeTensors) -> Void) throws -> String {
            var copy = file
            change(&copy)
            let target = directory + "/crafted.safetensors"
            try copy.write(to: target)
            do { _ = try Model<Float>.load(from: target); return "loaded" } catch let error as DataError { return error.message }
        }
        #expect(try refused { $0.metadata["vocabulary"] = "[3, 2]" }.contains("vocabulary"))
        #expect(try refused { $0.metadata["vocabulary"] = nil }.contains("needs its vocabulary"))
        #expect(try refused { $0.metadata["block_size"] = "0" }.contains("block_size"))
        #expect(try refused { $0.metadata["block_size"] = "99" }.contains("covers 16 positions"))
        // An embedding smaller than the vocabulary would be indexed out of range.
        let vocabulary = model.tokenizer!.vocabularySize
        let smaller = try #require(file.metadata["architecture"]).replacingOccurrences(of: "\"vocabulary\":\(vocabulary)", with: "\"vocabulary\":3")
        #expect(try refused { $0.metadata["architecture"] = smaller }.contains("rows but the vocabulary has"))
        // A layer before the embedding would change the ids; non-causal attention sees the future.
        let architecture = try #require(file.metadata["architecture"])
        let sigmoidFirst = architecture.replacingOccurrences(of: #"{"type":"embedding""#, with: #"{"type":"activation","function":"sigmoid"},{"type":"embedding""#)
        #expect(sigmoidFirst != architecture)
        #expect(try refused { $0.metadata["architecture"] = sigmoidFirst }.contains("first layer must be its embedding"))
        let lookingAhead = architecture.replacingOccurrences(of: #""causal":true"#, with: #""causal":false"#)
        #expect(lookingAhead != architecture)
        #expect(try refused { $0.metadata["architecture"] = lookingAhead }.contains("not causal"))
        #expect(try refused { $0.metadata["scaling"] = #"{"method":"standard","shift":[0.5],"scale":[1]}"# }.contains("scaling"))
        // A classifier with an embedding would feed it real-valued features.
        #expect(try refused { $0.metadata["task"] = #"{"classification":{"classes":\#(vocabulary)}}"# }.contains("token ids"))
    }
}
