import Foundation
import Synapse

/// `synapse train --task language-model`: a network trained to predict the next byte of a text.
enum LanguageModelTraining {
    /// The options of a language-model run (the others of `train` are about tables of features).
    static let options: Set<String> = ["data", "out", "arch", "task", "optimizer", "lr", "lr-schedule", "epochs", "batch-size",
                                       "validation-split", "seed", "plot", "config", "checkpoint", "quiet", "block-size",
                                       "weight-decay", "clip-norm"]

    static func run(_ options: Arguments, in invocation: Invocation) throws {
        if let other = options.options.keys.sorted().first(where: { !Self.options.contains($0) }) {
            throw CommandLineError.usage("'--\(other)' does not apply to '--task language-model'", command: "train")
        }
        let path = try options.requiredPath("data", command: "train")
        let out = try options.requiredPath("out", command: "train")
        let inputs: [(option: String, path: CommandPath)] = ["data", "config", "arch"].compactMap { name in options.path(name).map { ("--\(name)", $0) } }
        var outputs: [(option: String, path: CommandPath)] = [("--out", out)]
        if let plot = options.path("plot") { outputs.append(("--plot", plot)) }
        if let checkpoint = options.path("checkpoint") { outputs.append(("--checkpoint", checkpoint)) }
        try invocation.checkOutputs(outputs, inputs: inputs, command: "train")

        let blockSize = try options.integer("block-size", default: 128, in: 1...65_536, command: "train")
        let batchSize = try options.integer("batch-size", default: 32, in: 1...1_000_000, command: "train")
        let heldOut = try options.double("validation-split", default: 0.1, in: 0...0.9, command: "train")
        let seed = try options.integer("seed", default: 42, in: 0...Int(UInt32.max), command: "train")
        let epochs = try options.integer("epochs", default: 10, in: 1...1_000_000, command: "train")
        let optimizerName = try options.choice("optimizer", OptimizerChoice.allCases.map(\.rawValue), default: "adamw", command: "train")!
        let learningRate = try options.double("lr", default: 1e-3, in: 1e-12...10, command: "train")
        let weightDecay = try options.double("weight-decay", default: 0.1, in: 0...10, command: "train")
        let clipNorm = try options.double("clip-norm", default: 1, in: 0...1e6, command: "train")
        let scheduleName = try options.choice("lr-schedule", ["constant", "cosine"], default: "constant", command: "train")!
        if options.string("weight-decay") != nil, optimizerName != "adamw" {
            throw CommandLineError.usage("'--weight-decay' goes with '--optimizer adamw'", command: "train")
        }

        let corpus: TextCorpus
        do { corpus = try TextCorpus(text: try TextCorpus.read(path.location), heldOutFraction: heldOut) } catch let error as DataError {
            throw CommandLineError.failure(error.description)
        }
        let vocabulary = corpus.tokenizer.vocabularySize
        guard corpus.training.count > blockSize else {
            throw CommandLineError.failure("\(path): the training text has \(corpus.training.count) bytes, fewer than one window of --block-size \(blockSize) + 1")
        }
        let spec: LayerSpec, origin: String
        if let arch = options.path("arch") {
            (_, spec) = try TrainCommand.readArchitecture(arch)
            origin = "from \(arch)"
        } else {
            spec = LayerSpec.gpt(blockSize: blockSize)
            origin = "GPT, 4 layers, 4 heads, width 128 (default)"
        }
        let resolved: LayerSpec, produced: [Int]
        do { (resolved, produced) = try spec.fillingVocabulary(vocabulary).resolved(for: [blockSize]) } catch {
            throw CommandLineError.failure("\(options.string("arch") ?? "the network"): \(error.description) (the text has \(vocabulary) distinct bytes; a window holds \(blockSize) tokens)")
        }
        guard produced == [blockSize, vocabulary] else {
            throw CommandLineError.failure("\(options.string("arch") ?? "the network"): it gives \(LayerSpec.format(produced)) for a window of \(blockSize) tokens, but a language model of this text needs [N, \(blockSize), \(vocabulary)] (the next-byte logits at every position; leave the last dense layer's \"out\" out to take the vocabulary)")
        }
        if let problem = resolved.languageModelProblem {
            throw CommandLineError.failure("\(options.string("arch") ?? "the network"): \(problem)")
        }
        guard resolved.embeddingVocabularies.allSatisfy({ $0 == vocabulary }) else {
            throw CommandLineError.failure("\(options.string("arch") ?? "the network"): its embedding has \(resolved.embeddingVocabularies.map(String.init).joined(separator: ", ")) rows but the text has \(vocabulary) distinct bytes (leave \"vocabulary\" out to take the text's)")
        }
        let limit = ResourceLimits.current.parameters
        guard let count = resolved.parameterCount, count <= limit else {
            throw CommandLineError.failure("the network would have \(resolved.parameterCount.map(String.init) ?? "more than 2^63") parameters, over the limit of \(limit) (SYNAPSE_MAX_PARAMETERS raises it)")
        }
        let perBatch = resolved.largestActivation(for: [blockSize]).multipliedReportingOverflow(by: batchSize)
        guard !perBatch.overflow, perBatch.partialValue <= limit else {
            throw CommandLineError.usage("a batch of \(batchSize) windows would hold more than \(limit) activation values in one layer; lower '--batch-size' or '--block-size'", command: "train")
        }
        var generator = RandomGenerator(seed: UInt32(seed))
        let network: any Layer<Float>
        do { network = try resolved.makeLayer(generator: &generator) } catch { throw CommandLineError.failure("\(error)") }
        let model = Model<Float>.languageModel(network, tokenizer: corpus.tokenizer, blockSize: blockSize)

        let optimizer: any Optimizer<Float> = optimizerName == "adamw"
            ? AdamW.decayingMatrices(parameters: model.parameters, learningRate: learningRate, weightDecay: weightDecay)
            : (OptimizerChoice(rawValue: optimizerName) ?? .adam).make(parameters: model.parameters, learningRate: learningRate)
        let windows = max(1, corpus.training.count / blockSize)
        let steps = epochs.multipliedReportingOverflow(by: (windows + batchSize - 1) / batchSize).partialValue
        let schedule: (any LearningRateSchedule)? = scheduleName == "cosine" ? CosineWithWarmup(base: learningRate, warmupSteps: 0, totalSteps: max(1, steps)) : nil

        invocation.print("data: \(corpus.training.count + corpus.validation.count) bytes, \(vocabulary) distinct; \(corpus.training.count) to train on, the last \(corpus.validation.count) held out")
        invocation.print("task: language model (next byte), loss: cross_entropy in nats per byte")
        invocation.print("network: \(origin), \(model.network.parameterCount) parameters")
        invocation.print("training: \(optimizerName) lr \(learningRate)\(schedule == nil ? "" : " (cosine to 0)")"
                         + (optimizerName == "adamw" ? " betas 0.9/0.99, weight decay \(weightDecay) on matrices" : "")
                         + (clipNorm > 0 ? ", clip \(clipNorm)" : "")
                         + ", \(epochs) epochs of \(windows) random windows (\(steps) steps), batch \(batchSize), block \(blockSize)")
        let reporter = ProgressReporter(quiet: options.flag("quiet"), in: invocation)
        let history: History
        do {
            var settings = options.options.filter { !TrainCommand.perInvocation.contains($0.key) }
            settings["planned-epochs"] = String(epochs)
            let fitOptions = FitOptions<Float>(batchSize: batchSize, seed: UInt32(seed),
                                               checkpointing: options.path("checkpoint").map { Checkpointing(path: $0.location, configuration: settings) },
                                               learningRateSchedule: schedule, progress: reporter.report)
            var withClipping = fitOptions
            withClipping.gradientClipNorm = clipNorm > 0 ? clipNorm : nil
            history = try model.fitLanguageModel(corpus, optimizer: optimizer, epochs: epochs, options: withClipping)
        } catch let error as TrainingError {
            throw CommandLineError.failure(error.description)
        } catch let error as DataError {
            throw CommandLineError.failure(error.description)
        }
        do {
            try model.save(to: out.location)
            if let plot = options.path("plot") {
                try invocation.writeFile(Array(Charts.trainingCurves(history, title: "Training \(URL(fileURLWithPath: out.given).lastPathComponent)").utf8), to: plot)
            }
        } catch let error as DataError { throw CommandLineError.failure(error.description) }
        if let last = history.epochs.last {
            let loss = last.validationLoss ?? last.loss
            invocation.print(String(format: "result: %@ loss %.4f nats per byte, %.4f bits per character", last.validationLoss == nil ? "training" : "validation",
                                    loss, loss / log(2.0)))
        }
        invocation.print("saved \(out)" + (options.string("plot").map { " and \($0)" } ?? ""))
    }
}

/// `synapse generate`: text from a language model.
enum GenerateCommand {
    static let help = """
    Usage: synapse generate --model MODEL [--prompt TEXT] [--length N] [--temperature T] [--top-k K] [--seed N]

    Continues a prompt with a language model (trained with 'synapse train --task language-model'),
    streaming each byte to standard output as it is drawn. Attention layers keep their keys and
    values (a KV cache) and recurrent layers their state, so each byte costs one position's work.
    The same model, prompt and seed always give the same text.

    Options:
          --model MODEL      the language model file (required)
          --prompt TEXT      the text to continue (default: a newline); each byte must be in the
                             model's vocabulary
          --length N         bytes to generate (default: 500)
          --temperature T    divides the logits: below 1 is more conservative, 0 always takes the
                             most likely byte (default: 0.8)
          --top-k K          draw only among the K most likely bytes (default: all)
          --seed N           seeds the draws (default: 42)
      -h, --help             show this help
    """

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        let options = try Arguments(arguments, command: "generate", valued: ["model", "prompt", "length", "temperature", "top-k", "seed"],
                                    flags: [], in: invocation)
        if options.flag("help") { invocation.print(help); return }
        guard options.positional.isEmpty else {
            throw CommandLineError.usage("unexpected argument '\(Excerpt.of(options.positional[0]))'", command: "generate")
        }
        let modelPath = try options.requiredPath("model", command: "generate")
        let length = try options.integer("length", default: 500, in: 0...10_000_000, command: "generate")
        let temperature = try options.double("temperature", default: 0.8, in: 0...100, command: "generate")
        let topK = try options.string("top-k").map { _ in try options.integer("top-k", default: 1, in: 1...1_000_000, command: "generate") }
        let seed = try options.integer("seed", default: 42, in: 0...Int(UInt32.max), command: "generate")
        let prompt = Array((options.string("prompt") ?? "\n").utf8)
        guard !prompt.isEmpty else { throw CommandLineError.usage("option '--prompt' is empty: give at least one character", command: "generate") }
        let model = try CommandModel.load(modelPath, in: invocation)
        guard case .languageModel = model.task else {
            throw CommandLineError.failure("\(modelPath): not a language model (its task is \(model.task)); train one with 'synapse train --task language-model'")
        }
        var generator = RandomGenerator(seed: UInt32(seed))
        invocation.write(bytes: prompt)
        do {
            try model.generate(prompt: prompt, length: length, temperature: temperature, topK: topK, generator: &generator) { byte in
                invocation.write(bytes: [byte])
            }
        } catch let error as TokenizerError {
            throw CommandLineError.usage("option '--prompt': \(error.description)", command: "generate")
        } catch {
            throw CommandLineError.failure("\(modelPath): \(error)")
        }
        invocation.write(bytes: [UInt8(ascii: "\n")])
    }
}
