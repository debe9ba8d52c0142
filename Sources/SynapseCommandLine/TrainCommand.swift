import Foundation
import Synapse

/// `synapse train`: fits an MLP to a CSV, `.npy` or MNIST data set and writes the model file.
enum TrainCommand {
    static let help = """
    Usage: synapse train --data PATH --out MODEL.safetensors [OPTIONS]

    Trains a network and saves it (architecture, weights, class names, scaling) as a
    safetensors file: a multilayer perceptron from --layers, or any architecture from --arch.
    PATH is a CSV file, an .npy feature file (with --targets), or an MNIST-layout directory
    (its train-* files are used).

    Data:
          --data PATH              the training data (required)
          --target COLUMN          the target column: a header name or a 1-based number (default: the last)
          --features COLS          comma-separated feature columns (default: every other column)
                                   A text column is one-hot encoded: one feature per category of the
                                   --data rows (at most 1000 per column, SYNAPSE_MAX_CATEGORIES), kept in
                                   the model; a category that predict or evaluate meets but training did
                                   not is encoded as all zeros, with a warning. A column mixing numbers
                                   and text is an error
          --targets FILE.npy       the targets for an .npy feature file
          --drop-missing           leave out rows with missing values instead of stopping
          --impute mean|median|most-frequent|none
                                   fill missing feature values (empty, NA, N/A, NaN, null, None, ?) with
                                   the column's statistic over the --data rows (text columns: the most
                                   frequent category); stored in the model, applied by predict and
                                   evaluate. --drop-missing then drops only rows missing the target
                                   (default: none)
          --delimiter CHAR         the CSV delimiter: one character, or comma, semicolon, tab, pipe
                                   (default: auto: guessed from the first lines among , ; tab |)
          --header yes|no|auto     whether the first CSV row holds column names (default: auto: yes when
                                   a column holds text there and a number in the next row)
          --task classify|regress|language-model
                                   default: inferred (text or small-integer targets → classify);
                                   language-model: PATH is a text file and the network learns the
                                   next byte (see "Language models" below)
          --scale standard|minmax|global|none
                                   feature scaling fitted on the training rows (default: standard;
                                   global, one mean and deviation over all pixels, for an MNIST directory)
    Network and training:
          --layers N,N,...         hidden layer sizes (default: 100; 'none' for no hidden layer)
          --activation NAME        hidden activation (default: relu; also \(ActivationFunction.hiddenLayerNames.filter { $0 != "relu" }.joined(separator: ", ")))
          --arch FILE.json         the network as a JSON layer list instead of --layers/--activation, e.g.
                                   {"type": "sequential", "layers": [{"type": "reshape", "shape": [1, 28, 28]},
                                    {"type": "conv2d", "out": 6, "kernel": 5, "padding": "same"}, ...]}
                                   (layer types and fields: README, "Convolutional networks"); input sizes
                                   may be left out and are taken from the data
          --loss NAME              classification: cross_entropy (default), nll, bce_logits, bce (2 classes);
                                   regression: mse (default), mae, huber
          --optimizer NAME         adam (default), adamw, sgd, rmsprop, adagrad, lion
          --lr RATE                learning rate (default: 0.001; 0.01 for sgd and adagrad, 0.0001 for lion)
          --weight-decay X         L2 penalty added to the gradient (sgd, adam, rmsprop, adagrad), decoupled
                                   for adamw and lion (default: 0; 0.01 for adamw)
          --momentum X             momentum in [0, 1) of sgd (default: 0.9) or rmsprop (default: 0)
          --nesterov               Nesterov momentum (sgd)
          --dropout P              dropout after every hidden layer, drop probability in [0, 0.99] (default: 0)
          --clip-norm X            clip the gradients' global norm to X before every step (default: none)
          --class-weight balanced|none
                                   balanced: weigh each class n / (classes · n_class) in the loss, so
                                   rare classes count as much as common ones (cross_entropy; default: none)
          --schedule NAME          learning-rate schedule: constant (default); cosine: from --lr down to 0
                                   over the run's steps (PyTorch's CosineAnnealingLR per batch); step: ×0.1
                                   after each third of the epochs; plateau: ×0.1 when --monitor has not
                                   improved for half the --early-stopping patience. cosine and step need
                                   '--epochs N'. '--lr-schedule' is the old spelling, still accepted
          --epochs N|auto[:CAP]    epochs (default: auto: until --monitor has not improved by more than
                                   0.0001 for --early-stopping epochs, at most CAP epochs (default 1000),
                                   with a warning when CAP is reached first, like scikit-learn's tol)
          --batch-size N           examples per update (default: 32)
          --validation-split F     fraction held out to measure generalisation and stop early (default:
                                   0.1 for 1000 rows or more, 0 below, so every row of small data trains)
          --monitor NAME           what early stopping watches: val_loss (default with validation data),
                                   val_accuracy (classifiers; better on large validation sets such as
                                   MNIST's, where the loss can rise while accuracy still improves), or
                                   loss (the training loss; the default without validation data). The
                                   best epoch's weights are kept
          --early-stopping N       stop after N epochs without an improvement of --monitor by more than
                                   0.0001 and keep the best weights (default: 10 with validation data or
                                   '--epochs auto'; 0 to train every epoch)
          --seed N                 seeds initialisation, the split, shuffling and dropout (default: 42)
          --threads N              threads for the kernels (default: the SYNAPSE_NUM_THREADS environment
                                   variable, else every core); results do not depend on it
    Output:
          --out MODEL.safetensors  where to save the model (required; written atomically)
          --plot HISTORY.svg       also write the training curves as SVG
          --config FILE.json       read options from a JSON object ({"epochs": 50, "batch_size": 64, ...};
                                   names with - or _); flags win
          --quiet                  no progress output
      -h, --help                   show this help
    Checkpoints:
          --checkpoint PATH        after every epoch, save the model with the whole training state
                                   (optimizer, random generators, early stopping) to PATH, atomically
          --resume PATH            continue the run saved in checkpoint PATH after its last epoch, with
                                   its network and settings (give the same --data; a setting that
                                   differs is refused; --epochs may raise the total; no --arch),
                                   checkpointing to PATH again unless --checkpoint says otherwise; the
                                   result is bit-identical to a run that was never interrupted. A
                                   language model's checkpoint resumes only with --task language-model

    Language models (--task language-model): the vocabulary is the set of bytes of the text; the
    last --validation-split (default 0.1) of the text, by position, is held out. Each epoch draws
    as many random windows of --block-size + 1 bytes as the training text has blocks.
          --arch FILE.json         default: a GPT (4 causal transformer blocks, 4 heads, width 128);
                                   a last dense layer may say "out": "vocabulary"
          --block-size N           tokens per window, the model's context (default: 128)
          --optimizer NAME         default: adamw (betas 0.9/0.99, decay on matrices only)
          --weight-decay X         adamw's weight decay (default: 0.1)
          --clip-norm X            clip the gradients' global norm to X (default: 1; 0 for none)
          --epochs N               default: 10
          --checkpoint, --resume   as above; the checkpoint also holds the vocabulary, the block size
                                   and every setting (defaults included: any flag that differs is
                                   refused); each byte of the --data text must be in the vocabulary.
                                   Epoch e's windows depend only on --seed and e: a resumed run
                                   draws those of the uninterrupted run
    Loss is reported in nats per byte; val_bpc is bits per character.

    Progress goes to stderr (a bar on a terminal, a line per epoch otherwise); results to stdout.
    Outputs are checked before training: one that would replace an input or another output is
    refused (exit 2). Limits (README, "Reliability"): networks up to 268435456 parameters
    (SYNAPSE_MAX_PARAMETERS), 1000 classes (SYNAPSE_MAX_CLASSES), gzip files inflating to
    1 GiB (SYNAPSE_MAX_DECOMPRESSED_BYTES).
    """

    static let valued: Set<String> = Set(["data", "target", "features", "targets", "task", "scale", "layers", "activation", "loss",
                                      "optimizer", "lr", "lr-schedule", "epochs", "batch-size", "validation-split", "early-stopping", "seed",
                                      "out", "plot", "config", "arch", "checkpoint", "resume", "block-size", "weight-decay", "clip-norm",
                                      "impute", "schedule", "momentum", "dropout", "class-weight", "monitor", "threads"]).union(CSVReading.options)
    /// Options that are not part of a run's settings (a resumed run may change them). Paths are
    /// among them: a checkpoint never supplies a path to read or write.
    static let perInvocation: Set<String> = ["data", "targets", "out", "plot", "config", "checkpoint", "resume", "quiet", "epochs",
                                             "planned-epochs", "arch", "threads"]
    static let flags: Set<String> = ["quiet", "drop-missing", "nesterov"]
    /// Options only a language model's run reads: refused for a table's rather than ignored.
    static let languageModelOnly: Set<String> = ["block-size"]
    /// The settings a checkpoint may store and a resumed run adopts (each checked like its flag).
    static let storedSettings: Set<String> = valued.union(flags).subtracting(perInvocation).union(["planned-epochs"])

    /// The run's settings, parsed and range-checked from the options (flags, `--config`, or a checkpoint's stored settings).
    struct Settings {
        var taskChoice: String?
        var scaleName: String
        var hidden: [Int]
        var activation: ActivationFunction
        var optimizerName: String
        var learningRate: Double
        var schedule: String
        var batchSize: Int
        var split: Double
        var seed: Int
        var lossName: String?
        var fixedEpochs: Int?
        /// `--early-stopping`, nil when not given (the default depends on whether there is validation data).
        var patience: Int?
        /// `--epochs auto[:CAP]`'s cap (nil with a fixed number of epochs).
        var autoEpochCap: Int?
        /// nil: the data's default (``TrainingDefaults/validationSplit(rows:)``).
        var givenSplit: Double?
        var weightDecay: Double?
        var momentum: Double?
        var nesterov: Bool
        var dropout: Double
        var clipNorm: Double?
        var balancedClasses: Bool
        var monitor: String?

        init(_ options: Arguments) throws {
            taskChoice = try options.choice("task", ["classify", "regress", "language-model"], default: nil, command: "train")
            scaleName = try options.choice("scale", ["standard", "minmax", "global", "none"], default: "standard", command: "train")!
            hidden = try TrainCommand.layerSizes(options.string("layers") ?? "100")
            guard let function = ActivationFunction(name: options.string("activation") ?? "relu"), function.isElementwise else {
                throw CommandLineError.usage("option '--activation' must be one of \(ActivationFunction.hiddenLayerNames.joined(separator: ", ")), got '\(Excerpt.of(options.string("activation") ?? ""))'", command: "train")
            }
            activation = function
            optimizerName = try options.choice("optimizer", OptimizerChoice.allCases.map(\.rawValue), default: "adam", command: "train")!
            learningRate = try options.double("lr", default: (OptimizerChoice(rawValue: optimizerName) ?? .adam).defaultLearningRate,
                                              in: 1e-12...10, command: "train")
            schedule = try options.choice(TrainCommand.scheduleOption(options), ["constant", "cosine", "step", "plateau"], default: "constant", command: "train")!
            batchSize = try options.integer("batch-size", default: 32, in: 1...1_000_000, command: "train")
            split = try options.double("validation-split", default: 0.1, in: 0...0.9, command: "train")
            givenSplit = options.string("validation-split") == nil ? nil : split
            seed = try options.integer("seed", default: 42, in: 0...Int(UInt32.max), command: "train")
            lossName = try options.choice("loss", Loss.allCases.map(\.rawValue), default: nil, command: "train")
            (fixedEpochs, autoEpochCap) = try TrainCommand.epochs(options.string("epochs") ?? "auto", option: "--epochs")
            patience = try options.string("early-stopping").map { _ in try options.integer("early-stopping", default: 0, in: 0...1_000_000, command: "train") }
            try TrainCommand.checkPlannedEpochs(options)
            _ = try CSVReading(options, command: "train", imputing: true)
            (delimiter, header, impute) = (options.string("delimiter") ?? "auto", options.string("header") ?? "auto", options.string("impute") ?? "none")
            weightDecay = options.string("weight-decay") == nil ? nil : try options.double("weight-decay", default: 0, in: 0...10, command: "train")
            momentum = options.string("momentum") == nil ? nil : try options.double("momentum", default: 0, in: 0...0.999, command: "train")
            nesterov = options.flag("nesterov")
            dropout = try options.double("dropout", default: 0, in: 0...0.99, command: "train")
            let clip = try options.double("clip-norm", default: 0, in: 0...1e6, command: "train")
            clipNorm = clip > 0 ? clip : nil
            balancedClasses = try options.choice("class-weight", ["none", "balanced"], default: "none", command: "train") == "balanced"
            monitor = try options.choice("monitor", TrainingDefaults.monitors, default: nil, command: "train")
            // The optimizer settings must fit the optimizer (momentum for sgd and rmsprop, Nesterov for sgd).
            do {
                _ = try (OptimizerChoice(rawValue: optimizerName) ?? .adam).make(parameters: [Tensor<Float>](), learningRate: learningRate,
                                                                                 weightDecay: weightDecay, momentum: momentum, nesterov: nesterov)
            } catch {
                let flag = ["momentum": "--momentum", "nesterov": "--nesterov", "weight decay": "--weight-decay"][error.setting] ?? "--lr"
                throw CommandLineError.usage("option '\(flag)' \(error.description) (--optimizer \(optimizerName))", command: "train")
            }
        }

        /// How the CSV file is read: `--delimiter`, `--header` and `--impute` as given (`auto`, `auto`, `none` by default).
        var delimiter: String, header: String, impute: String

        /// The settings as the options that give them, defaults included (`early-stopping` is
        /// `patience`, the run's): what a checkpoint stores besides the options given, so that a
        /// resumed run refuses any setting that differs, even one the first run left at its
        /// default. The network, loss and task are added by the run, which knows them. A setting
        /// added to `train` belongs here too (`TrainCommandConsistencyTests` checks it).
        ///
        /// `split`, `patience` and `monitor` are the run's, which depend on the data when not given.
        /// `--weight-decay` and `--momentum` are stored when given (absent: the optimizer's own).
        func storedOptions(patience: Int, split: Double, monitor: String?) -> [String: String] {
            var options = ["scale": scaleName, "optimizer": optimizerName, "lr": "\(learningRate)", "lr-schedule": schedule, "schedule": schedule,
                           "batch-size": String(batchSize), "validation-split": "\(split)", "seed": String(seed), "early-stopping": String(patience),
                           "delimiter": delimiter, "header": header, "impute": impute, "dropout": "\(dropout)", "clip-norm": "\(clipNorm ?? 0)",
                           "class-weight": balancedClasses ? "balanced" : "none"]
            if let lossName { options["loss"] = lossName }
            if let monitor { options["monitor"] = monitor }
            if let weightDecay { options["weight-decay"] = "\(weightDecay)" }
            if let momentum { options["momentum"] = "\(momentum)" }
            return options
        }
    }

    /// What a resumed run's settings are checked against where its checkpoint stores none: what its
    /// model says (task, loss, scaling, hidden layers and activation), and the defaults, for a
    /// checkpoint written before every setting was stored (those stored only the options given:
    /// the others had their defaults, which are today's unless a default has changed since).
    static func comparedSettings(_ resumed: ResumedRun) -> [String: (value: String, note: String)] {
        var compared: [String: (value: String, note: String)] = [:]
        var stored = resumed.state.configuration
        stored.removeValue(forKey: "arch")
        if let defaults = try? Settings(Arguments(options: stored)) {   // an invalid stored setting is refused by adoptSettings's check
            let patience = defaults.patience ?? (defaults.split > 0 ? 10 : 0)
            for (key, value) in defaults.storedOptions(patience: patience, split: defaults.split, monitor: defaults.monitor) { compared[key] = (value, "its default") }
        }
        let model = resumed.model
        switch model.task {
        case .classification: compared["task"] = ("classify", "its model's task")
        case .regression: compared["task"] = ("regress", "its model's task")
        case .languageModel: break
        }
        if let loss = model.loss { compared["loss"] = (loss.rawValue, "its model's loss") }
        compared["scale"] = (model.scaling?.method.rawValue ?? "none", "its model's feature scaling")
        if let (hidden, activation) = multilayerPerceptron(model.network) {
            compared["layers"] = (hidden.isEmpty ? "none" : hidden.map(String.init).joined(separator: ","), "its network's hidden layers")
            if let activation { compared["activation"] = (activation.description, "its network's activation") }
        }
        return compared
    }

    /// The hidden layer sizes and activation of a network that `--layers` and `--activation` build
    /// (dense layers with one activation between them); nil for any other network.
    static func multilayerPerceptron(_ network: any Layer<Float>) -> (hidden: [Int], activation: ActivationFunction?)? {
        guard let layers = (network as? Sequential<Float>)?.layers, !layers.isEmpty else { return nil }
        var hidden: [Int] = [], activation: ActivationFunction? = nil
        for (index, layer) in layers.enumerated() {
            if index % 2 == 0 {
                guard let dense = layer as? Dense<Float>, dense.activation == .identity else { return nil }
                if index == layers.count - 1 { return (hidden, activation) }
                hidden.append(dense.outputSize)
            } else {
                guard let function = (layer as? Activation<Float>)?.function, activation == nil || activation == function else { return nil }
                activation = function
            }
        }
        return nil   // it ends with an activation
    }

    /// Checks the `planned-epochs` a checkpoint stores (the first run's total, which a resumed run
    /// takes when `--epochs` is not given): an integer in 1...1000000 (or `auto[:CAP]`) when present.
    static func checkPlannedEpochs(_ options: Arguments) throws {
        if let planned = options.string("planned-epochs") {
            _ = try epochs(planned, option: "'planned-epochs'")
        }
    }

    /// `--epochs`' value: a number in 1...1000000 (fixed), or `auto` / `auto:CAP` (until converged,
    /// at most CAP epochs, ``TrainingDefaults/maximumAutoEpochs`` by default).
    static func epochs(_ text: String, option: String) throws -> (fixed: Int?, cap: Int?) {
        let word = text.lowercased()
        if word == "auto" { return (nil, TrainingDefaults.maximumAutoEpochs) }
        if word.hasPrefix("auto:"), let cap = Int(word.dropFirst(5)), (1...1_000_000).contains(cap) { return (nil, cap) }
        if let fixed = Int(text), (1...1_000_000).contains(fixed) { return (fixed, nil) }
        throw CommandLineError.usage("option \(option.hasPrefix("--") ? "'\(option)'" : option) expects a number of epochs in 1...1000000, 'auto' or 'auto:CAP' (CAP in 1...1000000), got '\(Excerpt.of(text))'", command: "train")
    }

    /// The option that names the learning-rate schedule: `--schedule`, or its old spelling
    /// `--lr-schedule` when only that is given; both with different values is a usage error.
    static func scheduleOption(_ options: Arguments) throws -> String {
        guard let old = options.string("lr-schedule") else { return "schedule" }
        if let new = options.string("schedule"), new.lowercased() != old.lowercased() {
            throw CommandLineError.usage("'--schedule \(Excerpt.of(new))' and '--lr-schedule \(Excerpt.of(old))' differ: '--lr-schedule' is the old spelling of '--schedule'; give one", command: "train")
        }
        return "lr-schedule"
    }

    /// Checks `train`'s outputs before any work (``Invocation/checkOutputs(_:inputs:command:)``):
    /// writable, and replacing neither an input (the options named in `inputs`) nor each other.
    /// The outputs are `--out`, `--plot` and the checkpoint: `--checkpoint`, else the `--resume`
    /// file, which a resumed run goes on writing; that file is an input of the other outputs.
    static func checkOutputs(of options: Arguments, out: CommandPath, inputs names: [String], in invocation: Invocation) throws {
        let inputs: [(option: String, path: CommandPath)] = names.compactMap { name in options.path(name).map { ("--\(name)", $0) } }
        var outputs: [(option: String, path: CommandPath)] = [("--out", out)]
        if let plot = options.path("plot") { outputs.append(("--plot", plot)) }
        if let checkpoint = options.path("checkpoint") ?? options.path("resume") { outputs.append(("--checkpoint", checkpoint)) }
        try invocation.checkOutputs(outputs, inputs: inputs, command: "train")
        if let resume = options.path("resume") {
            try invocation.checkOutputs(outputs.filter { $0.option != "--checkpoint" }, inputs: [("--resume", resume)], command: "train")
        }
    }

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        var options = try Arguments(arguments, command: "train", valued: valued, flags: flags, in: invocation)
        if options.flag("help") { invocation.print(help); return }
        if let config = options.path("config") { try options.merge(configFile: config, command: "train", valued: valued, flags: flags) }
        if options.string("threads") != nil {
            let threads = try options.integer("threads", default: 1, in: 1...4096, command: "train")
            let previous = Parallel.threadCountOverride
            Parallel.threadCountOverride = threads
            defer { Parallel.threadCountOverride = previous }
            try train(options, in: invocation)
        } else {
            try train(options, in: invocation)
        }
    }

    /// `train` after `--help`, `--config` and `--threads`: a language model's run, or a table's.
    static func train(_ options: Arguments, in invocation: Invocation) throws {
        var options = options
        if options.string("task")?.lowercased() == "language-model" {
            try LanguageModelTraining.run(options, in: invocation)
            return
        }
        if let other = languageModelOnly.sorted().first(where: { options.string($0) != nil }) {
            throw CommandLineError.usage("'--\(other)' applies only to '--task language-model' (a table's network has no context window)", command: "train")
        }
        let path = try options.requiredPath("data", command: "train")
        let out = try options.requiredPath("out", command: "train")
        if options.string("resume") != nil, options.string("arch") != nil {
            throw CommandLineError.usage("'--arch' cannot be combined with '--resume': the checkpoint holds the network", command: "train")
        }
        try checkOutputs(of: options, out: out, inputs: ["data", "targets", "config", "arch"], in: invocation)

        // A resumed run: the checkpoint's network and state, and its stored settings (never a path), each checked as its flag would be.
        let resumed = try options.path("resume").map { try ResumedRun.load($0, languageModel: false, in: invocation) }
        if let resumed {
            if multilayerPerceptron(resumed.model.network) == nil, let given = ["layers", "activation"].first(where: { options.string($0) != nil }) {
                throw CommandLineError.usage("'--\(given)' does not apply to the run in \(resumed.path.given): its network came from '--arch', and the checkpoint holds it", command: "train")
            }
            try resumed.adoptSettings(into: &options, storable: storedSettings, changeable: perInvocation, compared: comparedSettings(resumed), flags: flags) {
                _ = try Settings($0)
            }
        }
        let settings = options.options.filter { !perInvocation.contains($0.key) }
        let parsed = try Settings(options)
        let (taskChoice, hidden, activation) = (parsed.taskChoice, parsed.hidden, parsed.activation)
        let (optimizerName, learningRate, batchSize, seed) = (parsed.optimizerName, parsed.learningRate, parsed.batchSize, parsed.seed)
        // An MNIST-layout directory (images) is scaled globally unless --scale says otherwise.
        var isDirectory: ObjCBool = false
        let images = !path.isStandardStream && FileManager.default.fileExists(atPath: path.location, isDirectory: &isDirectory) && isDirectory.boolValue
        let scaleName = options.string("scale") == nil ? TrainingDefaults.scaling(images: images).rawValue : parsed.scaleName
        let (lossName, fixedEpochs, scheduleName) = (parsed.lossName, parsed.fixedEpochs, parsed.schedule)
        let architecture = resumed != nil ? nil : try options.path("arch").map(readArchitecture)
        if architecture != nil, options.string("layers") != nil || options.string("activation") != nil || options.string("dropout") != nil {
            throw CommandLineError.usage("'--arch' describes the whole network; it cannot be combined with '--layers', '--activation' or '--dropout'", command: "train")
        }
        let quiet = options.flag("quiet")

        // Data and task.
        // A fitted feature encoding (text columns, imputation) learns from the training rows only.
        var csv = try CSVReading(options, command: "train", imputing: true)
        csv.heldOut = HeldOutRows(fraction: parsed.givenSplit, seed: UInt32(seed))
        var data = try DataSource.load(path, role: .training, target: options.string("target"), features: options.string("features"),
                                       targetsPath: options.path("targets"), classification: taskChoice.map { $0 == "classify" },
                                       model: nil, needsTarget: true, dropMissing: options.flag("drop-missing"), command: "train",
                                       csv: csv, in: invocation)
        let inference = Result { () throws(TaskMismatch) in
            try TaskInference(targets: data.dataset.targets, classNames: data.classNames, targetName: data.targetName,
                              targetsAreNumeric: data.targetsAreNumeric, choice: taskChoice.flatMap(TaskInference<Float>.Choice.init(rawValue:)))
        }
        guard case .success(let inferred) = inference else {
            if case .failure(let mismatch) = inference { throw CommandLineError.failure(mismatch.description) }
            return
        }
        let (task, reason) = (inferred.task, inferred.reason)
        data.dataset.targets = inferred.targets
        data.classNames = inferred.classNames
        let features = data.dataset.features.shape[1]
        let loss = lossName.flatMap(Loss.init(rawValue:)) ?? (task == .regression(outputs: 1) ? .meanSquaredError : .softmaxCrossEntropy)
        let outputs = try outputSize(task: task, loss: loss)

        // Network (a resumed run's is the checkpoint's).
        var generator = RandomGenerator(seed: UInt32(seed))
        var network: any Layer<Float> = Sequential<Float>([])
        var networkLine = "\(features) → \(hidden.map(String.init).joined(separator: " → "))\(hidden.isEmpty ? "" : " → ")\(outputs), \(activation) hidden units"
        let limit = ResourceLimits.current.parameters
        if resumed != nil {
            // nothing to build
        } else if let (path, spec) = architecture {
            guard spec.embeddingVocabularies.isEmpty else {
                throw CommandLineError.usage("\(path): an embedding layer takes token ids, which only '--task language-model' gives it", command: "train")
            }
            let resolved: LayerSpec, produced: [Int]
            do { (resolved, produced) = try spec.resolved(for: [features]) } catch {
                throw CommandLineError.failure("\(path): \(error.description) (the data has \(features) features per row)")
            }
            guard produced == [outputs] else {
                throw CommandLineError.failure("\(path): the network ends with \(LayerSpec.format(produced)) but this task needs [N, \(outputs)] (\(outputs == 1 ? "one output" : "one output per class"))")
            }
            guard let count = resolved.parameterCount, count <= limit else {
                throw CommandLineError.failure("\(path): the network would have \(resolved.parameterCount.map(String.init) ?? "more than 2^63") parameters for the data's \(features) features, over the limit of \(limit) (SYNAPSE_MAX_PARAMETERS raises it)")
            }
            guard resolved.largestActivation(for: [features]) <= limit else {
                throw CommandLineError.failure("\(path): one example's activations would exceed \(limit) values")
            }
            do { network = try resolved.makeLayer(generator: &generator) } catch {
                throw CommandLineError.failure("\(path): \(error)")
            }
            networkLine = "from \(path), \(features) → \(outputs)"
        } else {
            var sizes: [LayerSpec] = []
            var width = features
            for size in hidden + [outputs] {
                sizes.append(.dense(inputs: width, outputs: size, bias: true, activation: .identity))
                width = size
            }
            guard let count = LayerSpec.sequential(sizes).parameterCount, count <= limit else {
                throw CommandLineError.usage("the network \(networkLine.components(separatedBy: ",")[0]) would have \(LayerSpec.sequential(sizes).parameterCount.map(String.init) ?? "more than 2^63") parameters, over the limit of \(limit) (SYNAPSE_MAX_PARAMETERS raises it)", command: "train")
            }
            network = Sequential<Float>.mlp(sizes: [features] + hidden + [outputs], activation: activation, generator: &generator)
            if parsed.dropout > 0, let mlp = network as? Sequential<Float> {
                // Dropout after each hidden activation, each layer's masks seeded from --seed and its place.
                var layers: [any Layer<Float>] = []
                for layer in mlp.layers {
                    layers.append(layer)
                    if layer is Activation<Float> {
                        layers.append(Dropout<Float>(rate: parsed.dropout, seed: UInt32(truncatingIfNeeded: seed &+ 1000 &+ layers.count)))
                    }
                }
                network = Sequential<Float>(layers)
                networkLine += ", dropout \(parsed.dropout)"
            }
        }
        let model: Model<Float>
        if let resumed {
            model = resumed.model
            let fits = Result { () throws(InputMismatch) in try model.checkInput(exampleShape: Array(data.dataset.features.shape.dropFirst())) }
            if case .failure(let mismatch) = fits { throw CommandLineError.failure("\(resumed.path): \(mismatch.description)") }
            guard model.task == task, model.classNames == data.classNames, model.featureNames == data.featureNames,
                  model.featureEncoding == data.featureEncoding else {
                throw CommandLineError.failure("\(resumed.path): the checkpoint was trained on other data (its task, classes or features differ from \(path)'s)")
            }
            networkLine = "from \(resumed.path), resuming after epoch \(resumed.state.epochsCompleted)"
        } else {
            model = Model(network, task: task, scaling: scaleName == "none" ? nil : FeatureScaling.Method(rawValue: scaleName),
                          classNames: data.classNames)
        }
        model.featureNames = data.featureNames
        model.featureEncoding = data.featureEncoding
        model.targetName = data.targetName
        model.loss = loss

        let parameters = model.parameters
        let optimizer: any Optimizer<Float>
        do {
            optimizer = try (OptimizerChoice(rawValue: optimizerName) ?? .adam).make(parameters: parameters, learningRate: learningRate,
                                                                                      weightDecay: parsed.weightDecay, momentum: parsed.momentum,
                                                                                      nesterov: parsed.nesterov)
        } catch { throw CommandLineError.usage("--optimizer \(optimizerName): \(error.setting) \(error.description)", command: "train") }
        let rows = data.dataset.count
        let split = TrainingDefaults.heldOutFraction(rows: rows, given: parsed.givenSplit)
        let validates = split > 0
        let validation: Validation<Float> = validates ? .split(split) : .none
        let trainingRows = validates ? rows - Int((Double(rows) * split).rounded()) : rows
        let largestBatch = model.largestBatch(exampleShape: Array(data.dataset.features.shape.dropFirst()))
        guard min(batchSize, trainingRows) <= largestBatch else {
            throw CommandLineError.usage("a batch of \(batchSize) examples would hold more than \(limit) activation values in one layer of this network; use '--batch-size \(largestBatch)' or less (SYNAPSE_MAX_PARAMETERS raises the limit)", command: "train")
        }
        let epochs = fixedEpochs ?? parsed.autoEpochCap ?? TrainingDefaults.maximumAutoEpochs
        if fixedEpochs == nil, scheduleName == "cosine" || scheduleName == "step" {
            throw CommandLineError.usage("'--schedule \(scheduleName)' needs a number of epochs ('--epochs N'): with '--epochs auto' the run's length is not known (or use '--schedule plateau')", command: "train")
        }
        // Cosine annealing per step from --lr to 0 over the planned epochs (PyTorch's CosineAnnealingLR, T_max = all steps);
        // step: ×0.1 after each third of the epochs (PyTorch's StepLR, counted in steps).
        let batchesPerEpoch = (trainingRows + batchSize - 1) / batchSize
        let totalSteps = max(1, epochs.multipliedReportingOverflow(by: batchesPerEpoch).partialValue)
        let schedule: (any LearningRateSchedule)? = switch scheduleName {
        case "cosine": CosineWithWarmup(base: learningRate, warmupSteps: 0, totalSteps: totalSteps)
        case "step": StepDecay(base: learningRate, stepSize: max(1, ((epochs + 2) / 3).multipliedReportingOverflow(by: batchesPerEpoch).partialValue), gamma: 0.1)
        default: nil
        }
        // Stopping: --monitor (val_accuracy for a classifier, val_loss for a regression, the training loss without validation data).
        var classification = false
        if case .classification = task { classification = true }
        let monitor = parsed.monitor ?? TrainingDefaults.monitor(classification: classification, validates: validates)
        if monitor.hasPrefix("val_"), !validates {
            throw CommandLineError.usage("'--monitor \(monitor)' needs validation data ('--validation-split' above 0; below \(TrainingDefaults.smallDataRows) rows none is held out by default)", command: "train")
        }
        if monitor == "val_accuracy", !classification {
            throw CommandLineError.usage("'--monitor val_accuracy' is for classifiers; a regression watches val_loss or loss", command: "train")
        }
        let patience = try options.integer("early-stopping", default: validates || fixedEpochs == nil ? TrainingDefaults.patience : 0,
                                           in: 0...1_000_000, command: "train")
        var callbacks: [any TrainingCallback<Float>] = []
        if patience > 0 {
            callbacks.append(EarlyStopping<Float>(monitor: monitor, patience: patience, minimumDelta: TrainingDefaults.tolerance))
        }
        if scheduleName == "plateau" {
            let plateau = ReduceOnPlateau(mode: TrainingDefaults.maximizes(monitor) ? .max : .min, factor: 0.1,
                                          patience: max(1, (patience > 0 ? patience : TrainingDefaults.patience) / 2))
            callbacks.append(ReduceLearningRateOnPlateau<Float>(monitor: monitor, plateau: plateau))
        }
        var classWeights: [Double]? = nil
        if parsed.balancedClasses {
            guard case .classification(let classes) = task, loss == .softmaxCrossEntropy else {
                throw CommandLineError.usage("'--class-weight balanced' is for classifiers trained with cross_entropy", command: "train")
            }
            classWeights = ClassWeights.balanced(labels: data.dataset.labels, classes: classes)
        }

        invocation.print("data: \(Wording.count(rows, "row")), \(Wording.count(features, "feature"))\(data.droppedRows > 0 ? " (\(Wording.count(data.droppedRows, "row")) with missing values dropped by '--drop-missing')" : "")")
        if let encoding = data.featureEncoding { invocation.print("encoding: " + DataSource.describe(encoding) + (validates ? ", fitted on the training rows" : "")) }
        invocation.print("task: \(reason); loss: \(loss.rawValue)\(lossName == nil ? " (default)" : "")")
        invocation.print("network: \(networkLine), \(Wording.count(model.network.parameterCount, "parameter"))")
        let scheduleNote = ["cosine": " (cosine to 0)", "step": " (×0.1 every \((epochs + 2) / 3) epochs)", "plateau": " (×0.1 on plateaus of \(monitor))"][scheduleName] ?? ""
        let epochsNote = fixedEpochs == nil ? "epochs auto (at most \(epochs))" : Wording.count(epochs, "epoch")
        let validationNote = validates ? ", validation \(Wording.number(split * 100)) %"
            : (parsed.givenSplit == nil && rows < TrainingDefaults.smallDataRows ? ", no validation (under \(TrainingDefaults.smallDataRows) rows every row trains)" : ", no validation")
        let stoppingNote = patience > 0 ? ", stopping when \(monitor) has not improved by \(TrainingDefaults.tolerance) for \(patience) epochs (best weights kept)" : ""
        invocation.print("training: \(optimizerName) lr \(Wording.number(learningRate))\(scheduleNote), \(epochsNote), batch \(batchSize), scaling \(scaleName)"
              + validationNote + stoppingNote)
        let reporter = ProgressReporter(quiet: quiet, in: invocation)
        let history: History
        do {
            // Every setting, defaults included (see Settings.storedOptions); the spelling given wins.
            var stored = settings
            var resolved = parsed.storedOptions(patience: patience, split: split, monitor: monitor)
            resolved["loss"] = loss.rawValue
            if resumed == nil, architecture == nil {
                resolved["layers"] = hidden.isEmpty ? "none" : hidden.map(String.init).joined(separator: ",")
                resolved["activation"] = activation.description
            }
            stored.merge(resolved) { given, _ in given }
            stored["planned-epochs"] = fixedEpochs == nil ? "auto:\(epochs)" : String(epochs)
            var fitOptions = FitOptions<Float>(batchSize: batchSize, validation: validation, callbacks: callbacks, seed: UInt32(seed),
                                               checkpointing: options.path("checkpoint").map { Checkpointing(path: $0.location, configuration: stored) },
                                               learningRateSchedule: schedule, progress: reporter.report)
            fitOptions.gradientClipNorm = parsed.clipNorm
            fitOptions.classWeights = classWeights
            history = try model.fit(data.dataset, optimizer: optimizer, epochs: epochs, options: fitOptions, resumingFrom: resumed?.state)
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

        if let reason = history.stopReason { invocation.print(reason) }
        if fixedEpochs == nil, patience > 0, history.stopReason == nil, history.epochs.count >= epochs {
            invocation.warn("--epochs auto: \(monitor) was still improving by more than \(TrainingDefaults.tolerance) when the cap of \(epochs) epochs was reached; the model may be under-trained ('--epochs auto:CAP' raises the cap)")
        }
        if let last = history.epochs.last {
            let best = callbacks.compactMap { $0 as? EarlyStopping<Float> }.first?.bestEpoch
            let shown = best.flatMap { history.epochs.indices.contains($0) ? history.epochs[$0] : nil } ?? last
            invocation.print("result (epoch \(shown.epoch + 1) of \(history.epochs.count)): " + ProgressReporter.epochLine(shown, epochs: epochs)
                .components(separatedBy: "  ").dropFirst().dropLast().joined(separator: "  "))
        }
        invocation.print("saved \(out)" + (options.string("plot").map { " and \($0)" } ?? ""))
    }

    /// The architecture in the JSON file at `path`, with the path for messages.
    static func readArchitecture(_ path: CommandPath) throws -> (CommandPath, LayerSpec) {
        do { return (path, try LayerSpec.read(from: path.location)) } catch let error as DataError { throw CommandLineError.failure(error.description) }
    }

    /// Hidden layer sizes from `128,64` (or `none`).
    static func layerSizes(_ text: String) throws -> [Int] {
        if text.lowercased() == "none" { return [] }
        // Every comma separates two sizes: '64,,32', '64,' and '' are errors, not a layer fewer.
        return try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let size = Int(part.trimmingCharacters(in: .whitespaces)), (1...100_000).contains(size) else {
                throw CommandLineError.usage("option '--layers' expects sizes like 128,64 (each 1...100000) or 'none', got '\(Excerpt.of(text))'", command: "train")
            }
            return size
        }
    }

    /// The network's output units for the task and loss (the library's rule), a usage error when they do not fit.
    static func outputSize(task: Model<Float>.Task, loss: Loss) throws -> Int {
        let result: Result<Int, TaskMismatch> = Result { () throws(TaskMismatch) -> Int in try Model<Float>.outputSize(for: task, loss: loss) }
        switch result {
        case .success(let outputs): return outputs
        case .failure(let mismatch): throw CommandLineError.usage(mismatch.description, command: "train")
        }
    }
}
