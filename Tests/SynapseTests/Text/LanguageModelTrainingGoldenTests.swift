import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Language-model training against PyTorch, step by step (acceptance (b) of the sequence models:
/// the same numbers as PyTorch in training).
///
/// `Tests/Interop/make_lm_training_golden.py` trained, in torch, Benchmarks/text_lm.py's GPT (2
/// causal pre-LayerNorm blocks of width 16, 2 heads, a 64-wide GELU MLP, block 8) with AdamW
/// (lr 1e-2, betas 0.9/0.99, weight decay 0.1 on rank ≥ 2 parameters only) and its LSTM language
/// model (Embedding(11, 8) → 2-layer LSTM of 12 → Linear(12, 11)) with Adam (lr 1e-2), both with
/// gradients clipped to norm 1, for 20 fixed batches of [4, 8] token ids, in float64 and in float32,
/// and recorded `Tests/Golden/lm-training-torch.safetensors`: the initial state dict, the batches,
/// every step's loss and gradient norm, and the final state dict.
///
/// Synapse builds the same networks from `LayerSpec.gpt` / `LayerSpec.recurrentLanguageModel`, loads
/// the initial weights strictly (every torch name must match), and repeats the 20 steps — forward,
/// mean softmax cross-entropy over the 32 positions, backward, ``clipGradients(_:maxNorm:normType:)``,
/// optimizer step. Every step's loss and gradient norm and the final weights must agree to 1e-4
/// (relative; weights relative to the larger of 1 and the tensor's largest value); the measured
/// differences are printed (in Float64 ~1e-15 for losses and ~1e-11 for weights: rounding only).
/// In Float32 the attention's key biases are left out of the weight comparison: their gradient is
/// mathematically zero, so their updates are Adam-normalised rounding noise (see ``train(_:as:)``).
@Suite("Language-model training matches PyTorch step by step (golden file)")
struct LanguageModelTrainingGoldenTests {
    static let path = "\(GoldenModelTests.golden)/lm-training-torch.safetensors"
    static let vocabulary = 11
    static let tolerance = 1e-4

    /// The two language models of the golden file, as Synapse's architecture entries.
    static func spec(_ model: String) -> LayerSpec {
        model == "gpt"
            ? LayerSpec.gpt(blockSize: 8, width: 16, layers: 2, heads: 2).fillingVocabulary(vocabulary)
            : LayerSpec.recurrentLanguageModel(.lstm, width: 8, hidden: 12, layers: 2).fillingVocabulary(vocabulary)
    }

    /// The largest |a − b| over the larger of 1 and the largest |b|.
    static func difference(_ x: some Collection<Double>, _ y: some Collection<Double>) -> Double {
        let scale = max(1, y.map(abs).max() ?? 0)
        return zip(x, y).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    /// How far Synapse's training is from torch's: the worst step's loss and gradient norm
    /// (relative), and the worst final weight tensor.
    struct Differences {
        var loss = 0.0, lossStep = 0
        var gradientNorm = 0.0
        var weight = 0.0, weightName = ""
        /// The attention's key biases (compared in Float64 only: see ``train(_:as:)``).
        var keyBias = 0.0
        var losses: [Double] = []
    }

    /// Trains `model` ("gpt" or "lstm") in `Scalar` as the golden file's torch run did, comparing as it goes.
    static func train<Scalar: TensorScalar>(_ model: String, as _: Scalar.Type) throws -> Differences {
        let golden = try SafeTensors.read(path)
        func tensor<T: TensorScalar>(_ name: String, as _: T.Type = T.self) throws -> Tensor<T> {
            try #require(golden.entries[name], "\(path) has no tensor \(name)").tensor(as: T.self, name: name, path: path)
        }
        // Float32 is compared with torch's float32 run, Float64 with its float64 run.
        let run = Scalar.self == Float.self ? "\(model).float32" : model
        var generator = RandomGenerator(seed: 1)
        let network: any Layer<Scalar> = try spec(model).makeLayer(as: Scalar.self, generator: &generator)

        // The initial weights, strictly by torch's state_dict names (converted exactly from float64:
        // they were drawn in float32).
        var initial: [String: Tensor<Scalar>] = [:]
        let prefix = "\(model).initial."
        for name in golden.entries.keys where name.hasPrefix(prefix) { initial[String(name.dropFirst(prefix.count))] = try tensor(name) }
        try network.loadStateDict(initial)
        #expect(network.parameterCount == initial.values.reduce(0) { $0 + $1.count }, "\(model): parameters beyond the state dict")

        let parameters = network.parameters
        let optimizer: Adam<Scalar> = model == "gpt"
            ? AdamW.decayingMatrices(parameters: parameters, learningRate: 1e-2, beta1: 0.9, beta2: 0.99, weightDecay: 0.1)
            : Adam(parameters: parameters, learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        let inputs: Tensor<Scalar> = try tensor("batches.inputs"), targets: Tensor<Double> = try tensor("batches.targets")
        let expectedLosses = try tensor("\(run).losses", as: Double.self).scalars
        let expectedNorms = try tensor("\(model).grad_norms", as: Double.self).scalars
        let (steps, batch, length) = (inputs.shape[0], inputs.shape[1], inputs.shape[2])
        #expect(steps == 20 && expectedLosses.count == steps && targets.shape == inputs.shape)

        var result = Differences()
        network.train()
        for step in 0..<steps {
            let window = step * batch * length..<(step + 1) * batch * length
            let ids = Tensor<Scalar>(shape: [batch, length], scalars: Array(inputs.scalars[window]))
            let labels = targets.scalars[window].map { Int($0) }
            optimizer.zeroGrad()
            let logits = network(ids)
            #expect(logits.shape == [batch, length, vocabulary])
            let loss = softmaxCrossEntropy(logits: logits.reshaped([-1, vocabulary]), labels: labels)
            let value = Double(loss.scalar)
            loss.backward()
            let norm = clipGradients(parameters, maxNorm: 1)
            optimizer.step()

            result.losses.append(value)
            let lossError = relativeError(value, expectedLosses[step])
            if lossError > result.loss { (result.loss, result.lossStep) = (lossError, step) }
            #expect(lossError <= tolerance, "\(model) \(Scalar.self) step \(step + 1): loss \(value), torch \(expectedLosses[step])")
            // The gradient norms were recorded in float64 only (float32's differ by rounding).
            result.gradientNorm = max(result.gradientNorm, relativeError(norm, expectedNorms[step]))
        }
        #expect(result.gradientNorm <= tolerance, "\(model) \(Scalar.self): a gradient norm differs from torch's by \(result.gradientNorm)")

        let final = "\(run).final."
        let expectedNames = Set(golden.entries.keys.filter { $0.hasPrefix(final) }.map { String($0.dropFirst(final.count)) })
        #expect(Set(network.namedState.map(\.name)) == expectedNames, "\(model): final state names differ from torch's")
        for (name, value) in network.namedState {
            var (got, expected) = (value.doubleScalars, try tensor(final + name, as: Double.self).scalars)
            if name.hasSuffix("self_attn.in_proj_bias") {
                // The key bias b_k adds q·b_k to every score of a query: softmax ignores it, so its
                // gradient is exactly 0 and what the backward pass computes is rounding noise, which
                // Adam divides by √v + ε. In Float64 the noise (~1e-17) is far below ε and b_k stays
                // put (~1e-11); in Float32 (~1e-9, near ε) it takes steps of up to ~lr in arbitrary
                // directions — torch's own float32 and float64 runs end 5e-3 apart there. So in
                // Float32 only the query and value biases are compared.
                let width = got.count / 3, keys = width..<(2 * width)
                result.keyBias = max(result.keyBias, difference(got[keys], expected[keys]))
                if Scalar.self == Float.self {
                    got.removeSubrange(keys)
                    expected.removeSubrange(keys)
                }
            }
            let error = difference(got, expected)
            if error > result.weight { (result.weight, result.weightName) = (error, name) }
            #expect(error <= tolerance, "\(model) \(Scalar.self): final \(name) differs from torch's by \(error)")
        }
        print(String(format: "%@ %@: 20 steps vs torch: worst loss %.1e (step %d), worst gradient norm %.1e, worst final weight %.1e (%@)%@; loss %.4f → %.4f",
                     model, "\(Scalar.self)", result.loss, result.lossStep + 1, result.gradientNorm, result.weight, result.weightName,
                     model == "gpt" ? String(format: ", attention key biases %.1e%@", result.keyBias, Scalar.self == Float.self ? " (not compared)" : "") : "",
                     result.losses.first ?? 0, result.losses.last ?? 0))
        return result
    }

    /// The architectures are torch's modules: the GPT's feed-forward is 4 × width = 64, and the
    /// parameter counts the architecture reports are those of torch's state dicts.
    @Test("LayerSpec.gpt and recurrentLanguageModel have torch's parameters, names and shapes", arguments: ["gpt", "lstm"])
    func architecture(model: String) throws {
        let golden = try SafeTensors.read(Self.path)
        let prefix = "\(model).initial."
        let shapes = Dictionary(uniqueKeysWithValues: golden.entries.filter { $0.key.hasPrefix(prefix) }.map {
            (String($0.key.dropFirst(prefix.count)), $0.value.shape)
        })
        var generator = RandomGenerator(seed: 1)
        let network: any Layer<Double> = try Self.spec(model).makeLayer(generator: &generator)
        #expect(Dictionary(uniqueKeysWithValues: network.namedState.map { ($0.name, $0.tensor.shape) }) == shapes)
        #expect(Self.spec(model).parameterCount == shapes.values.reduce(0) { $0 + $1.reduce(1, *) })
        if model == "gpt" { #expect(shapes["2.linear1.weight"] == [64, 16] && shapes["3.linear2.weight"] == [16, 64]) }
    }

    /// The primary check: Synapse's Double training against torch's float64 one.
    @Test("Float64: 20 steps of GPT/AdamW and LSTM/Adam training give torch's losses and weights", arguments: ["gpt", "lstm"])
    func double(model: String) throws {
        let result = try Self.train(model, as: Double.self)
        #expect(result.loss <= Self.tolerance && result.weight <= Self.tolerance)
    }

    /// Float32 (the production kernels) against torch's float32 run: the two differ by rounding,
    /// which 20 Adam steps carry forward, but stay within the same bar (except the attention's key
    /// biases, whose updates are rounding noise in any float32 run, torch's included).
    @Test("Float32: 20 steps of GPT/AdamW and LSTM/Adam training give torch's float32 losses and weights", arguments: ["gpt", "lstm"])
    func float(model: String) throws {
        let result = try Self.train(model, as: Float.self)
        #expect(result.loss <= Self.tolerance && result.weight <= Self.tolerance)
    }

    // MARK: - A trained Synapse language model read by PyTorch

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A Synapse GPT and LSTM language model, trained briefly in Float32 and saved as model files,
    /// loaded by `Tests/Interop/lm_interop.py`: without torch it checks the files' tensor names and
    /// shapes against torch's state dicts (those of the golden file, the same sizes); whenever
    /// `import torch` works (required under SYNAPSE_REQUIRE_TORCH=1) it loads them with
    /// `load_state_dict(strict=True)` into the torch GPT and LSTM modules and reproduces Synapse's
    /// logits on given token ids to 1e-5.
    @Test("a trained Synapse GPT and LSTM load into torch (strict) and give the same logits", PythonChecks.trait)
    func throughPyTorch() throws {
        let directory = try temporaryDirectory("lm-interop")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // 11 distinct bytes (the golden file's vocabulary), in a text with something to learn.
        var text: [UInt8] = []
        for start in 0..<40 { for i in 0..<9 { text.append(Array("abcdefghij ".utf8)[(start * 7 + i * (1 + start % 3)) % 11]) } }
        let corpus = try TextCorpus(text: text)
        try #require(corpus.tokenizer.vocabularySize == Self.vocabulary)

        for (index, name) in ["gpt", "lstm"].enumerated() {
            var generator = RandomGenerator(seed: UInt32(10 + index))
            let network: any Layer<Float> = try Self.spec(name).makeLayer(generator: &generator)
            let model = Model<Float>.languageModel(network, tokenizer: corpus.tokenizer, blockSize: 8)
            var options = FitOptions<Float>(batchSize: 8, seed: 3)
            options.gradientClipNorm = 1
            try model.fitLanguageModel(corpus, optimizer: AdamW.decayingMatrices(parameters: model.parameters, learningRate: 1e-2),
                                       epochs: 2, windowsPerEpoch: 64, options: options)
            try model.save(to: "\(directory)/\(name).safetensors")

            // Full windows and shorter ones (positions and the causal mask over fewer than 8 tokens).
            let loaded = try Model<Float>.load(from: "\(directory)/\(name).safetensors")
            loaded.network.eval()
            for (shape, label) in [([6, 8], "full"), ([3, 5], "short")] {
                let ids = (0..<shape[0] * shape[1]).map { ($0 * 5 + $0 / 3) % Self.vocabulary }
                let logits = withoutGradients { loaded.network(Tensor<Float>(shape: shape, scalars: ids.map(Float.init))) }
                #expect(logits.shape == shape + [Self.vocabulary])
                try NumPyArray(integers: ids, shape: shape).write(to: "\(directory)/\(name)_\(label)_ids.npy")
                try NumPyArray(logits.converted(to: Double.self)).write(to: "\(directory)/\(name)_\(label)_logits.npy")
            }
        }
        let script = Self.repository.appendingPathComponent("Tests/Interop/lm_interop.py").path
        let (status, printed) = try runPython([script, directory])
        print(printed, terminator: "")
        try #require(status == 0, "lm_interop.py failed (needs python3 with numpy and safetensors; torch optional):\n\(printed)")
    }
}
