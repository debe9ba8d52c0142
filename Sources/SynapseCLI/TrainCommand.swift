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
          --targets FILE.npy       the targets for an .npy feature file
          --drop-missing           leave out rows with missing values instead of stopping
          --task classify|regress  default: inferred (text or small-integer targets → classify)
          --scale standard|minmax|global|none
                                   feature scaling fitted on the training rows (default: standard)
    Network and training:
          --layers N,N,...         hidden layer sizes (default: 100; 'none' for no hidden layer)
          --activation NAME        hidden activation (default: relu; also \(ActivationFunction.names.joined(separator: ", ")))
          --arch FILE.json         the network as a JSON layer list instead of --layers/--activation, e.g.
                                   {"type": "sequential", "layers": [{"type": "reshape", "shape": [1, 28, 28]},
                                    {"type": "conv2d", "out": 6, "kernel": 5, "padding": "same"}, ...]}
                                   (layer types and fields: README, "Convolutional networks"); input sizes
                                   may be left out and are taken from the data
          --loss NAME              classification: cross_entropy (default), nll, bce_logits, bce (2 classes);
                                   regression: mse (default), mae, huber
          --optimizer NAME         adam (default), adamw, sgd, rmsprop, adagrad
          --lr RATE                learning rate (default: 0.001; 0.01 for sgd and adagrad)
          --epochs N|auto          epochs (default: auto, about 2 000 updates, 20 to 500 epochs)
          --batch-size N           examples per update (default: 32)
          --validation-split F     fraction held out to measure generalisation (default: 0.1; 0 for none)
          --early-stopping N       stop after N epochs without val_loss improvement and keep the best
                                   weights (default: 10 with validation data; 0 to train every epoch)
          --seed N                 seeds initialisation, the split and shuffling (default: 42)
    Output:
          --out MODEL.safetensors  where to save the model (required; written atomically)
          --plot HISTORY.svg       also write the training curves as SVG
          --config FILE.json       read options from a JSON object ({"epochs": 50, ...}); flags win
          --quiet                  no progress output
      -h, --help                   show this help
    Checkpoints:
          --checkpoint PATH        after every epoch, save the model with the whole training state
                                   (optimizer, random generators, early stopping) to PATH, atomically
          --resume PATH            continue the run saved in checkpoint PATH after its last epoch, with
                                   its settings (give the same --data; --epochs may raise the total),
                                   checkpointing to PATH again unless --checkpoint says otherwise; the
                                   result is bit-identical to a run that was never interrupted

    Progress goes to stderr (a bar on a terminal, a line per epoch otherwise); results to stdout.
    """

    static let valued: Set<String> = ["data", "target", "features", "targets", "task", "scale", "layers", "activation", "loss",
                                      "optimizer", "lr", "epochs", "batch-size", "validation-split", "early-stopping", "seed",
                                      "out", "plot", "config", "arch", "checkpoint", "resume"]
    /// Options that are not part of a run's settings (a resumed run may change them).
    static let perInvocation: Set<String> = ["data", "targets", "out", "plot", "config", "checkpoint", "resume", "quiet", "epochs",
                                             "planned-epochs"]
    static let flags: Set<String> = ["quiet", "drop-missing"]

    static func run(_ arguments: [String]) throws {
        var options = try Arguments(arguments, command: "train", valued: valued, flags: flags)
        if options.flag("help") { print(help); return }
        if let config = options.string("config") { try options.merge(configFile: config, command: "train", valued: valued, flags: flags) }
        var resumed: (path: String, model: Model<Float>, state: TrainingState)? = nil
        if let path = options.string("resume") {
            do {
                let (model, state) = try Model<Float>.loadCheckpoint(from: path)
                resumed = (path, model, state)
            } catch let error as DataError { throw CommandLineError.failure(error.description) }
            try options.adopt(stored: resumed!.state.configuration, changeable: perInvocation, source: path, command: "train")
            if options.string("epochs") == nil, let total = resumed!.state.configuration["planned-epochs"] { options.set("epochs", total) }
            if options.string("checkpoint") == nil { options.set("checkpoint", path) }   // the resumed run goes on checkpointing there
        }
        let settings = options.options.filter { !perInvocation.contains($0.key) }
        let path = try options.required("data", command: "train")
        let out = try options.required("out", command: "train")
        let taskChoice = try options.choice("task", ["classify", "regress"], default: nil, command: "train")
        let scaleName = try options.choice("scale", ["standard", "minmax", "global", "none"], default: "standard", command: "train")!
        let architecture = resumed != nil ? nil : try options.string("arch").map(readArchitecture)
        if architecture != nil, options.string("layers") != nil || options.string("activation") != nil {
            throw CommandLineError.usage("'--arch' describes the whole network; it cannot be combined with '--layers' or '--activation'", command: "train")
        }
        let hidden = try layerSizes(options.string("layers") ?? "100")
        guard let activation = ActivationFunction(name: options.string("activation") ?? "relu") else {
            throw CommandLineError.usage("option '--activation' must be one of \(ActivationFunction.names.joined(separator: ", ")), got '\(options.string("activation")!)'", command: "train")
        }
        let optimizerName = try options.choice("optimizer", ["adam", "adamw", "sgd", "rmsprop", "adagrad"], default: "adam", command: "train")!
        let learningRate = try options.double("lr", default: ["sgd", "adagrad"].contains(optimizerName) ? 0.01 : 0.001, in: 1e-12...10, command: "train")
        let batchSize = try options.integer("batch-size", default: 32, in: 1...1_000_000, command: "train")
        let split = try options.double("validation-split", default: 0.1, in: 0...0.9, command: "train")
        let seed = try options.integer("seed", default: 42, in: 0...Int(UInt32.max), command: "train")
        let lossName = try options.choice("loss", Loss.allCases.map(\.rawValue), default: nil, command: "train")
        let epochsText = options.string("epochs") ?? "auto"
        let fixedEpochs = epochsText == "auto" ? nil : try options.integer("epochs", default: 0, in: 1...1_000_000, command: "train")
        let quiet = options.flag("quiet")

        // Data and task.
        var data = try DataSource.load(path, role: .training, target: options.string("target"), features: options.string("features"),
                                       targetsPath: options.string("targets"), classification: taskChoice.map { $0 == "classify" },
                                       model: nil, needsTarget: true, dropMissing: options.flag("drop-missing"), command: "train")
        let (task, reason) = try decideTask(&data, choice: taskChoice)
        let features = data.dataset.features.shape[1]
        let loss = lossName.flatMap(Loss.init(rawValue:)) ?? (task == .regression(outputs: 1) ? .meanSquaredError : .softmaxCrossEntropy)
        let outputs = try outputSize(task: task, loss: loss)
        if case .regression = task, loss.usesClassIndices || loss == .binaryCrossEntropy || loss == .binaryCrossEntropyWithLogits {
            throw CommandLineError.usage("loss '\(loss.rawValue)' is for classification; regression uses mse, mae or huber", command: "train")
        }
        if case .classification = task, [.meanSquaredError, .meanAbsoluteError, .huber].contains(loss) {
            throw CommandLineError.usage("loss '\(loss.rawValue)' is for regression; classification uses cross_entropy, nll, bce_logits or bce", command: "train")
        }

        // Network.
        var generator = RandomGenerator(seed: UInt32(seed))
        var layers: [any Layer<Float>] = []
        var networkLine = "\(features) → \(hidden.map(String.init).joined(separator: " → "))\(hidden.isEmpty ? "" : " → ")\(outputs), \(activation) hidden units"
        if let (path, spec) = architecture {
            let resolved: LayerSpec, produced: [Int]
            do { (resolved, produced) = try spec.resolved(for: [features]) } catch {
                throw CommandLineError.failure("\(path): \(error.description) (the data has \(features) features per row)")
            }
            guard produced == [outputs] else {
                throw CommandLineError.failure("\(path): the network ends with \(LayerSpec.format(produced)) but this task needs [N, \(outputs)] (\(outputs == 1 ? "one output" : "one output per class"))")
            }
            do { try resolved.validate(maximumParameters: 1 << 31) } catch {
                throw CommandLineError.failure("\(path): the network is too large for the data's \(features) features")
            }
            let layer: any Layer<Float> = resolved.makeLayer(generator: &generator)
            layers = (layer as? Sequential<Float>)?.layers ?? [layer]
            networkLine = "from \(path), \(features) → \(outputs)"
        } else {
            var width = features
            for size in hidden {
                layers.append(Dense(inputSize: width, outputSize: size, generator: &generator))
                layers.append(Activation(activation))
                width = size
            }
            layers.append(Dense(inputSize: width, outputSize: outputs, generator: &generator))
        }
        if loss == .negativeLogLikelihood { layers.append(Activation(.logSoftmax)) }
        if loss == .binaryCrossEntropy { layers.append(Activation(.sigmoid)) }
        let model: Model<Float>
        if let resumed {
            model = resumed.model
            guard model.task == task, model.classNames == data.classNames, model.featureNames == data.featureNames else {
                throw CommandLineError.failure("\(resumed.path): the checkpoint was trained on other data (its task, classes or features differ from \(path)'s)")
            }
            networkLine = "from \(resumed.path), resuming after epoch \(resumed.state.epochsCompleted)"
        } else {
            model = Model(Sequential<Float>(layers), task: task, scaling: scaleName == "none" ? nil : FeatureScaling.Method(rawValue: scaleName),
                          classNames: data.classNames)
        }
        model.featureNames = data.featureNames
        model.targetName = data.targetName
        model.loss = loss

        let parameters = model.parameters
        let optimizer: any Optimizer<Float>
        switch optimizerName {
        case "sgd": optimizer = SGD(parameters: parameters, learningRate: learningRate, momentum: 0.9)
        case "adamw": optimizer = AdamW.make(parameters: parameters, learningRate: learningRate)
        case "rmsprop": optimizer = RMSProp(parameters: parameters, learningRate: learningRate)
        case "adagrad": optimizer = Adagrad(parameters: parameters, learningRate: learningRate)
        default: optimizer = Adam(parameters: parameters, learningRate: learningRate)
        }
        let rows = data.dataset.count
        let validates = split > 0 && rows >= 10
        let validation: Validation<Float> = validates ? .split(split) : .none
        let trainingRows = validates ? rows - Int((Double(rows) * split).rounded()) : rows
        let batchesPerEpoch = max(1, (trainingRows + batchSize - 1) / batchSize)
        let epochs = fixedEpochs ?? min(500, max(20, (2000 + batchesPerEpoch - 1) / batchesPerEpoch))
        let patience = try options.integer("early-stopping", default: validates ? 10 : 0, in: 0...1_000_000, command: "train")
        var callbacks: [any TrainingCallback<Float>] = []
        if patience > 0 {
            guard validates else {
                throw CommandLineError.usage("'--early-stopping' needs validation data ('--validation-split' above 0)", command: "train")
            }
            callbacks.append(EarlyStopping<Float>(monitor: "val_loss", patience: patience))
        }

        print("data: \(rows) rows, \(features) features\(data.droppedRows > 0 ? " (\(data.droppedRows) rows with missing values dropped)" : "")")
        print("task: \(reason); loss: \(loss.rawValue)\(lossName == nil ? " (default)" : "")")
        print("network: \(networkLine), \(model.network.parameterCount) parameters")
        print("training: \(optimizerName) lr \(learningRate), \(epochs) epochs\(fixedEpochs == nil ? " (auto)" : ""), batch \(batchSize), scaling \(scaleName)"
              + (!validates ? ", no validation" : ", validation \(Int(split * 100)) %") + (patience > 0 ? ", early stopping after \(patience)" : ""))
        let reporter = ProgressReporter(quiet: quiet)
        let history: History
        do {
            var stored = settings
            stored["planned-epochs"] = String(epochs)
            history = try model.fit(data.dataset, optimizer: optimizer, epochs: epochs, batchSize: batchSize, validation: validation,
                                    callbacks: callbacks, seed: UInt32(seed),
                                    checkpointing: options.string("checkpoint").map { Checkpointing(path: $0, configuration: stored) },
                                    resumingFrom: resumed?.state, progress: reporter.report)
        } catch let error as TrainingError {
            throw CommandLineError.failure(error.description)
        } catch let error as DataError {
            throw CommandLineError.failure(error.description)
        }
        try model.save(to: out)
        if let plot = options.string("plot") {
            try AtomicFile.write(Array(Charts.trainingCurves(history, title: "Training \(URL(fileURLWithPath: out).lastPathComponent)").utf8), to: plot)
        }

        if let reason = history.stopReason { print(reason) }
        if let last = history.epochs.last {
            let best = callbacks.compactMap { $0 as? EarlyStopping<Float> }.first?.bestEpoch
            let shown = best.map { history.epochs[$0] } ?? last
            print("result (epoch \(shown.epoch + 1) of \(history.epochs.count)): " + ProgressReporter.epochLine(shown, epochs: epochs)
                .components(separatedBy: "  ").dropFirst().dropLast().joined(separator: "  "))
        }
        print("saved \(out)" + (options.string("plot").map { " and \($0)" } ?? ""))
    }

    /// The architecture in the JSON file at `path`, with the path for messages.
    static func readArchitecture(_ path: String) throws -> (String, LayerSpec) {
        do { return (path, try LayerSpec.read(from: path)) } catch let error as DataError { throw CommandLineError.failure(error.description) }
    }

    /// Hidden layer sizes from `128,64` (or `none`).
    static func layerSizes(_ text: String) throws -> [Int] {
        if text.lowercased() == "none" || text.isEmpty { return [] }
        return try text.split(separator: ",").map { part in
            guard let size = Int(part.trimmingCharacters(in: .whitespaces)), (1...100_000).contains(size) else {
                throw CommandLineError.usage("option '--layers' expects sizes like 128,64 (each 1...100000), got '\(text)'", command: "train")
            }
            return size
        }
    }

    /// Classification or regression, from the flag or the targets; numeric classes become named classes.
    static func decideTask(_ data: inout LoadedData, choice: String?) throws -> (Model<Float>.Task, String) {
        let column = data.targetName.map { "'\($0)'" } ?? "the targets"
        if let names = data.classNames {
            if choice == "regress" { throw CommandLineError.failure("\(column) holds text labels; it cannot be a regression target") }
            return (.classification(classes: names.count), "classification (\(names.count) classes from the text labels in \(column))")
        }
        let values = data.dataset.targets.scalars
        let distinct = Set(values)
        let integral = values.allSatisfy { $0 == $0.rounded() }
        let classify = choice.map { $0 == "classify" } ?? (integral && distinct.count <= 20 && (!data.targetsAreNumeric || distinct.count >= 2))
        guard classify else { return (.regression(outputs: 1), "regression (\(column) holds \(distinct.count) distinct real values)") }
        guard distinct.count >= 2 else { throw CommandLineError.failure("\(column) has a single value: nothing to classify") }
        guard distinct.count <= 1000 else { throw CommandLineError.failure("\(column) has \(distinct.count) distinct values: too many classes (use --task regress)") }
        // Classes in numeric order, named as the data spells them.
        let ordered = distinct.sorted()
        let index = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) })
        let names = ordered.map { $0 == $0.rounded() && abs($0) < 1e15 ? String(Int($0)) : String($0) }
        let isIdentity = ordered.enumerated().allSatisfy { Float($0.offset) == $0.element }
        if !isIdentity {
            data.dataset.targets = Tensor(values.map { Float(index[$0]!) })
        }
        data.classNames = names
        return (.classification(classes: ordered.count),
                "classification (\(ordered.count) classes from the \(choice == nil ? "small-integer " : "")values in \(column))")
    }

    /// Output units: classes, one logit for binary BCE, one value for regression.
    static func outputSize(task: Model<Float>.Task, loss: Loss) throws -> Int {
        switch task {
        case .regression(let outputs): return outputs
        case .classification(let classes):
            if loss == .binaryCrossEntropy || loss == .binaryCrossEntropyWithLogits {
                guard classes == 2 else {
                    throw CommandLineError.usage("loss '\(loss.rawValue)' needs exactly 2 classes, the data has \(classes)", command: "train")
                }
                return 1
            }
            return classes
        }
    }
}
