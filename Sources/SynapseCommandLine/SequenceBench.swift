import Foundation
import Synapse

/// `synapse bench`'s sequence-model figures: training tokens/s of the text demo's GPT and of a
/// 2-layer 256-unit LSTM language model (batch 32 × 128 tokens, AdamW, clipping), and generation
/// tokens/s with the decoding cache against recomputing the window for every token (same run).
enum SequenceBench {
    /// The vocabulary of the benchmark's models (the text demo's corpus has 81 distinct bytes).
    static let vocabulary = 81

    static func run(repeats: Int, limit: Double, say: (String) -> Void) throws -> [String: Any] {
        var results: [String: Any] = [:]
        say("\nsequence models (float32, batch 32 × 128 tokens, vocabulary \(vocabulary); AdamW, clip 1.0):")
        let (batch, block) = (32, 128)
        for (name, spec) in [("gpt", LayerSpec.gpt(blockSize: block)), ("lstm", LayerSpec.recurrentLanguageModel())] {
            var generator = RandomGenerator(seed: 42)
            let network: any Layer<Float> = try spec.fillingVocabulary(vocabulary).makeLayer(generator: &generator)
            let optimizer = AdamW.decayingMatrices(parameters: network.parameters, learningRate: 1e-3)
            let ids = Tensor<Float>(shape: [batch, block], scalars: (0..<(batch * block)).map { _ in Float(generator.integer(in: 0..<vocabulary)) })
            let labels = (0..<(batch * block)).map { _ in generator.integer(in: 0..<vocabulary) }
            let seconds = BenchCommand.median(max(3, repeats)) {
                let loss = softmaxCrossEntropy(logits: network(ids).reshaped([-1, vocabulary]), labels: labels)
                optimizer.zeroGrad()
                loss.backward()
                clipGradients(network.parameters, maxNorm: 1)
                optimizer.step()
            }
            // Model FLOP per step (the usual "model FLOPs" convention, whatever the implementation saves):
            // 6 per parameter per token (forward 2, backward 4), plus causal attention (QKᵀ and PV: 4·T²·C
            // per sequence and layer forward, ×3 with the backward, halved by the mask). The LSTM takes its
            // first input product per vocabulary row (EmbeddingConsumer), so it does less than it is credited.
            var flops = 6 * Double(network.parameterCount) * Double(batch * block)
            if case .sequential(let layers) = spec {
                let blocks = layers.filter { if case .transformerBlock = $0 { return true } else { return false } }.count
                flops += Double(blocks) * 6 * Double(batch) * Double(block * block) * 128
            }
            let tokens = Double(batch * block) / seconds
            results["\(name)_train_tokens_per_second"] = tokens
            say(String(format: "  %@ training: %7.0f tokens/s  (%.1f ms per step, %.0f model GFLOP/s, %.0f%% of the limit)",
                       (name == "gpt" ? "GPT 4×128, 4 heads " : "LSTM 2×256         ") as NSString, tokens, seconds * 1e3, flops / seconds / 1e9,
                       100 * flops / seconds / 1e9 / limit))
            if name == "gpt" {
                // Generation: one position per token with the KV cache, against the whole window each token.
                network.eval()
                let model = Model<Float>.languageModel(network, tokenizer: try ByteTokenizer(vocabulary: (0..<UInt8(vocabulary)).map { $0 + 32 }),
                                                       blockSize: block)
                let length = 200
                var generated = 0
                let cached = BenchCommand.median(max(1, repeats / 2)) {
                    var sampler = RandomGenerator(seed: 1)
                    generated = (try? model.generate(prompt: Array("The ".utf8), length: length, temperature: 0.8, topK: 40, generator: &sampler))?.count ?? 0
                }
                guard generated == length else { throw CommandLineError.failure("bench: generation stopped after \(generated) of \(length) tokens") }
                let naive = BenchCommand.median(1) {
                    var sampler = RandomGenerator(seed: 1)
                    var tokens = [52, 72, 69, 0]
                    withoutGradients {
                        for _ in 0..<length {
                            let window = Array(tokens.suffix(block))
                            let logits = network(Tensor<Float>(shape: [1, window.count], scalars: window.map(Float.init)))
                            tokens.append(Model<Float>.sample(Array(logits.doubleScalars.suffix(vocabulary)), temperature: 0.8, topK: 40, generator: &sampler))
                        }
                    }
                }
                results["gpt_generate_tokens_per_second"] = Double(length) / cached
                results["gpt_generate_naive_tokens_per_second"] = Double(length) / naive
                say(String(format: "  GPT generation: %.0f tokens/s with the KV cache, %.0f recomputing the window (%.1f×)",
                           Double(length) / cached, Double(length) / naive, naive / cached))
            }
        }
        return results
    }
}
