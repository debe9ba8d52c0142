import Foundation
import Synapse

/// `synapse train --task language-model`: a network trained to predict the next byte of a text,
/// from scratch or resumed from a checkpoint (`--resume`).
enum LanguageModelTraining {
    /// The options of a language-model run (the others of `train` are about tables of features).
    static let options: Set<String> = ["data", "out", "arch", "task", "optimizer", "lr", "lr-schedule", "epochs", "batch-size",
                                       "validation-split", "seed", "plot", "config", "checkpoint", "resume", "quiet", "block-size",
                                       "weight-decay", "clip-norm", "schedule", "threads"]
    /// The settings a language model's checkpoint may store and a resumed run adopts (each checked like its flag).
    static let storedSettings: Set<String> = options.subtracting(TrainCommand.perInvocation).union(["planned-epochs"])

    /// The run's settings, parsed and range-checked from the options (flags, `--config`, or a checkpoint's stored settings).
    struct Settings {
        var blockSize: Int
        var batchSize: Int
        var heldOut: Double
        var seed: Int
        var epochs: Int
        var optimizerName: String
        var learningRate: Double
        var weightDecay: Double
        var clipNorm: Double
        var scheduleName: String

        init(_ options: Arguments) throws {
            blockSize = try options.integer("block-size", default: 128, in: 1...65_536, command: "train")
            batchSize = try options.integer("batch-size", default: 32, in: 1...1_000_000, command: "train")
            heldOut = try options.double("validation-split", default: 0.1, in: 0...0.9, command: "train")
            seed = try options.integer("seed", default: 42, in: 0...Int(UInt32.max), command: "train")
            epochs = try options.integer("epochs", default: 10, in: 1...1_000_000, command: "train")
            optimizerName = try options.choice("optimizer", OptimizerChoice.allCases.map(\.rawValue), default: "adamw", command: "train")!
            learningRate = try options.double("lr", default: 1e-3, in: 1e-12...10, command: "train")
            weightDecay = try options.double("weight-decay", default: 0.1, in: 0...10, command: "train")
            clipNorm = try options.double("clip-norm", default: 1, in: 0...1e6, command: "train")
            scheduleName = try options.choice(TrainCommand.scheduleOption(options), ["constant", "cosine"], default: "constant", command: "train")!
            if options.string("weight-decay") != nil, optimizerName != "adamw" {
                throw CommandLineError.usage("'--weight-decay' goes with '--optimizer adamw'", command: "train")
            }
            try TrainCommand.checkPlannedEpochs(options)
        }

        /// The settings as the options that give them, defaults included, `--epochs` left out:
        /// what a checkpoint stores, so that a resumed run refuses any setting that differs, even
        /// one that the first run left at its default.
        var stored: [String: String] {
            var options = ["task": "language-model", "block-size": String(blockSize), "batch-size": String(batchSize),
                           "validation-split": "\(heldOut)", "seed": String(seed), "optimizer": optimizerName, "lr": "\(learningRate)",
                           "clip-norm": "\(clipNorm)", "lr-schedule": scheduleName]
            if optimizerName == "adamw" { options["weight-decay"] = "\(weightDecay)" }
            return options
        }
    }

    /// Trains a language model as `options` (`train`'s, `--config` merged) say, or resumes the run
    /// of a `--resume` checkpoint, and saves it to `--out`.
    static func run(_ options: Arguments, in invocation: Invocation) throws {
        var options = options
        if let other = options.options.keys.sorted().first(where: { !Self.options.contains($0) }) {
            throw CommandLineError.usage("'--\(other)' does not apply to '--task language-model'", command: "train")
        }
        let path = try options.requiredPath("data", command: "train")
        let out = try options.requiredPath("out", command: "train")
        if options.string("resume") != nil, options.string("arch") != nil {
            throw CommandLineError.usage("'--arch' cannot be combined with '--resume': the checkpoint holds the network", command: "train")
        }
        try TrainCommand.checkOutputs(of: options, out: out, inputs: ["data", "config", "arch"], in: invocation)

        // A resumed run: the checkpoint's network, vocabulary, block size and state, and its stored
        // settings (never a path), each checked as its flag would be. The block size is the model's.
        let resumed = try options.path("resume").map { try ResumedRun.load($0, languageModel: true, in: invocation) }
        if let resumed {
            let implied = resumed.model.blockSize.map { ["block-size": String($0)] } ?? [:]
            try resumed.adoptSettings(into: &options, storable: storedSettings, changeable: TrainCommand.perInvocation, implied: implied) {
                _ = try Settings($0)
            }
        }
        let settings = try Settings(options)
        let (blockSize, batchSize, heldOut, seed, epochs) = (settings.blockSize, settings.batchSize, settings.heldOut, settings.seed, settings.epochs)
        let (optimizerName, learningRate, weightDecay, clipNorm) = (settings.optimizerName, settings.learningRate, settings.weightDecay, settings.clipNorm)
        if let resumed, resumed.model.blockSize != blockSize {
            throw CommandLineError.failure("\(resumed.path): the checkpoint's settings give a block size of \(blockSize), but its model's is \(resumed.model.blockSize.map(String.init) ?? "missing")")
        }

        // The text, tokenized with the checkpoint's vocabulary when resuming (a byte outside it is exit 1, as for 'evaluate').
        let corpus: TextCorpus
        do { corpus = try TextCorpus(text: try TextCorpus.read(path.location), tokenizer: resumed?.model.tokenizer, heldOutFraction: heldOut) } catch let error as DataError {
            throw CommandLineError.failure(error.description)
        } catch let error as TokenizerError {
            throw CommandLineError.failure("\(path): \(error.description) (the vocabulary of \(options.string("resume") ?? "the checkpoint"); resume with the text the run was trained on)")
        }
        let vocabulary = corpus.tokenizer.vocabularySize
        guard corpus.training.count > blockSize else {
            throw CommandLineError.failure("\(path): the training text has \(corpus.training.count) bytes, fewer than one window of --block-size \(blockSize) + 1")
        }
        let limit = ResourceLimits.current.parameters
        let model: Model<Float>, origin: String
        if let resumed {
            model = resumed.model
            origin = "from \(resumed.path), resuming after epoch \(resumed.state.epochsCompleted)"
            guard batchSize <= model.largestBatch(exampleShape: [blockSize]) else {
                throw CommandLineError.failure("\(resumed.path): a batch of \(batchSize) windows would hold more than \(limit) activation values in one layer of its network (SYNAPSE_MAX_PARAMETERS raises the limit)")
            }
        } else {
            let spec: LayerSpec
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
            model = Model<Float>.languageModel(network, tokenizer: corpus.tokenizer, blockSize: blockSize)
        }

        let optimizer: any Optimizer<Float> = optimizerName == "adamw"
            ? AdamW.decayingMatrices(parameters: model.parameters, learningRate: learningRate, weightDecay: weightDecay)
            : (OptimizerChoice(rawValue: optimizerName) ?? .adam).make(parameters: model.parameters, learningRate: learningRate)
        let windows = max(1, corpus.training.count / blockSize)
        let steps = epochs.multipliedReportingOverflow(by: (windows + batchSize - 1) / batchSize).partialValue
        let schedule: (any LearningRateSchedule)? = settings.scheduleName == "cosine" ? CosineWithWarmup(base: learningRate, warmupSteps: 0, totalSteps: max(1, steps)) : nil

        invocation.print("data: \(corpus.training.count + corpus.validation.count) bytes, \(vocabulary) distinct\(resumed == nil ? "" : " (the checkpoint's vocabulary)"); \(corpus.training.count) to train on, the last \(corpus.validation.count) held out")
        invocation.print("task: language model (next byte), loss: cross_entropy in nats per byte")
        invocation.print("network: \(origin), \(Wording.count(model.network.parameterCount, "parameter"))")
        invocation.print("training: \(optimizerName) lr \(learningRate)\(schedule == nil ? "" : " (cosine to 0)")"
                         + (optimizerName == "adamw" ? " betas 0.9/0.99, weight decay \(weightDecay) on matrices" : "")
                         + (clipNorm > 0 ? ", clip \(clipNorm)" : "")
                         + ", \(Wording.count(epochs, "epoch")) of \(Wording.count(windows, "random window")) (\(Wording.count(steps, "step"))), batch \(batchSize), block \(blockSize)")
        let reporter = ProgressReporter(quiet: options.flag("quiet"), in: invocation)
        let history: History
        do {
            var stored = settings.stored
            stored["planned-epochs"] = String(epochs)
            var fitOptions = FitOptions<Float>(batchSize: batchSize, seed: UInt32(seed),
                                               checkpointing: options.path("checkpoint").map { Checkpointing(path: $0.location, configuration: stored) },
                                               learningRateSchedule: schedule, progress: reporter.report)
            fitOptions.gradientClipNorm = clipNorm > 0 ? clipNorm : nil
            history = try model.fitLanguageModel(corpus, optimizer: optimizer, epochs: epochs, options: fitOptions, resumingFrom: resumed?.state)
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
        let modelPath = try CommandModel.path(options, command: "generate")
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
