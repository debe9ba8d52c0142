import Foundation
import Synapse

/// Loading a model file for a command, with errors that exit 1 and name the file.
enum CommandModel {
    /// The model in `path` (a model file or a checkpoint); warnings about the file go to `invocation`'s stderr.
    static func load(_ path: CommandPath, in invocation: Invocation) throws -> Model<Float> {
        guard FileManager.default.fileExists(atPath: path.location) else { throw CommandLineError.failure("\(path): no such model file") }
        let model = try Model<Float>.load(from: path.location)
        model.warnings.forEach(invocation.warn)
        return model
    }

    /// The model file a command reads: `--model MODEL`, the one spelling every command documents;
    /// a lone positional MODEL is accepted too (`synapse inspect m.safetensors`, as older scripts
    /// and the README's examples wrote it). Both, more than one, or none is a usage error.
    static func path(_ options: Arguments, command: String) throws -> CommandPath {
        if let given = options.path("model") {
            guard options.positional.isEmpty else {
                throw CommandLineError.usage("unexpected argument '\(Excerpt.of(options.positional[0]))' (the model is '--model \(Excerpt.of(given.given))')", command: command)
            }
            return given
        }
        guard options.positional.count <= 1 else {
            throw CommandLineError.usage("expected one model file, got \(options.positional.count) arguments; give it as '--model MODEL'", command: command)
        }
        guard let positional = options.positional.first else { throw CommandLineError.usage("missing required option '--model'", command: command) }
        return options.resolve(positional)
    }

    /// The file a command writes: `--out FILE`, the one spelling every command documents; `--output`
    /// (predict's older spelling) is accepted as a hidden alias. Returns the path and the spelling
    /// given, for messages; nil when neither is given.
    static func outputPath(_ options: Arguments, command: String) throws -> (path: CommandPath, option: String)? {
        switch (options.path("out"), options.path("output")) {
        case (let out?, nil): return (out, "--out")
        case (nil, let output?): return (output, "--output")
        case (nil, nil): return nil
        case (_?, _?): throw CommandLineError.usage("'--output' is another spelling of '--out'; give one", command: command)
        }
    }
}

/// `synapse evaluate`: loss and metrics of a saved model on labelled data.
enum EvaluateCommand {
    static let help = """
    Usage: synapse evaluate --model MODEL --data PATH [--target COLUMN] [--json]

    Computes the model's loss and metrics on PATH (a CSV file, an .npy file with --targets, or an
    MNIST directory, whose t10k-* test files are used). Classification: accuracy, macro
    precision/recall/F1 and the confusion matrix; regression: MSE, MAE and R². For a language
    model PATH is a text file: loss in nats per byte, bits per character and next-byte accuracy,
    every byte after the first predicted from up to a block of bytes before it.

    Options:
          --model MODEL        the model file, or a checkpoint of train --checkpoint (required)
          --data PATH          labelled data (required)
          --target COLUMN      target column name or 1-based number (default: the model's target column)
          --features COLS      feature columns (default: the model's feature names)
          --targets FILE.npy   targets for an .npy feature file
          --drop-missing       leave out rows with missing values (the model's --impute fills features)
          --delimiter CHAR     the CSV delimiter: one character, or comma, semicolon, tab, pipe
                               (default: guessed from the first lines among , ; tab |)
          --header yes|no|auto whether the first CSV row holds column names (default: auto)
          --json               print one JSON object (keys: loss, accuracy, precision, recall, f1,
                               confusion_matrix, classes, samples; or loss, mse, mae, r2, samples;
                               or loss, bpc, accuracy, bytes)
      -h, --help               show this help
    """

    /// A language model's loss on a text file: nats per byte, bits per character, next-byte accuracy.
    static func evaluateText(_ model: Model<Float>, modelPath: CommandPath, dataPath: CommandPath, options: Arguments, in invocation: Invocation) throws {
        if let other = ["target", "features", "targets", "drop-missing", "delimiter", "header"].first(where: { options.options[$0] != nil }) {
            throw CommandLineError.usage("'--\(other)' does not apply to a language model, which reads a text file", command: "evaluate")
        }
        let text: [UInt8]
        do { text = try TextCorpus.read(dataPath.location) } catch let error as DataError { throw CommandLineError.failure(error.description) }
        let evaluation: Evaluation
        do { evaluation = try model.evaluate(text: text) } catch { throw CommandLineError.failure("\(dataPath): \(error.description)") }
        guard evaluation.loss.isFinite else {
            throw CommandLineError.failure("\(modelPath): the model's outputs on \(dataPath) are not finite numbers (loss \(evaluation.loss))")
        }
        let bitsPerCharacter = evaluation.bitsPerCharacter ?? evaluation.loss / log(2.0)
        if options.flag("json") {
            let object: [String: Any] = ["loss": evaluation.loss, "bpc": bitsPerCharacter, "accuracy": evaluation.accuracy ?? 0, "bytes": text.count]
            invocation.print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        invocation.print(String(format: "bytes     %d", text.count))
        invocation.print(String(format: "loss      %.6f nats per byte", evaluation.loss))
        invocation.print(String(format: "bpc       %.4f bits per character", bitsPerCharacter))
        invocation.print(String(format: "accuracy  %.4f (next byte)", evaluation.accuracy ?? 0))
    }

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        let options = try Arguments(arguments, command: "evaluate", valued: Set(["model", "data", "target", "features", "targets"]).union(CSVReading.options),
                                    flags: ["json", "drop-missing"], in: invocation)
        let csv = try CSVReading(options, command: "evaluate")
        if options.flag("help") { invocation.print(help); return }
        let (modelPath, dataPath) = (try CommandModel.path(options, command: "evaluate"), try options.requiredPath("data", command: "evaluate"))
        let model = try CommandModel.load(modelPath, in: invocation)
        if case .languageModel = model.task {
            try evaluateText(model, modelPath: modelPath, dataPath: dataPath, options: options, in: invocation)
            return
        }
        let data = try DataSource.load(dataPath, role: .testing, target: options.string("target"),
                                       features: options.string("features"), targetsPath: options.path("targets"), classification: nil,
                                       model: model, needsTarget: true, dropMissing: options.flag("drop-missing"), command: "evaluate",
                                       csv: csv, in: invocation)
        try checkFit(model, data, targets: true)
        let evaluation = model.evaluate(data.dataset)
        guard evaluation.loss.isFinite else {
            throw CommandLineError.failure("\(modelPath): the model's outputs on \(dataPath) are not finite numbers (loss \(evaluation.loss)); its weights or scaling do not suit this data")
        }
        let classes = model.classLabels
        if options.flag("json") {
            // JSON has no NaN or ∞: such a value is null.
            // Values at float32's precision (0.3, not 0.30000001192092896).
            func number(_ value: Double) -> Any { Wording.rounded(value).map { $0 as Any } ?? NSNull() }
            var object: [String: Any] = ["loss": number(evaluation.loss), "samples": data.dataset.count]
            for (name, value) in evaluation.metrics { object[name] = number(value) }
            if let matrix = evaluation.confusionMatrix { object["confusion_matrix"] = matrix; object["classes"] = classes }
            let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            invocation.print(String(decoding: json, as: UTF8.self))
            return
        }
        let lossName = (model.loss ?? model.defaultLoss).rawValue
        invocation.print(String(format: "samples   %d", data.dataset.count))
        // A regression's loss is often the MSE below: printed once, saying so, never as two near-equal unnamed numbers.
        if evaluation.meanSquaredError == nil || lossName != Loss.meanSquaredError.rawValue {
            invocation.print(String(format: "loss      %.6f (%@, the loss the model was trained with)", evaluation.loss, lossName))
        }
        if let accuracy = evaluation.accuracy, let report = evaluation.report, let matrix = evaluation.confusionMatrix {
            invocation.print(String(format: "accuracy  %.4f", accuracy))
            invocation.print(String(format: "precision %.4f (macro)\nrecall    %.4f (macro)\nf1        %.4f (macro)", report.macroPrecision, report.macroRecall, report.macroF1))
            let width = max(5, classes.map(\.count).max() ?? 1)
            invocation.print("\n" + "class".padding(toLength: width, withPad: " ", startingAt: 0) + "  precision  recall  f1      support")
            for (i, name) in classes.enumerated() where i < report.f1.count {
                invocation.print(name.padding(toLength: width, withPad: " ", startingAt: 0)
                      + String(format: "  %.4f     %.4f  %.4f  %d", report.precision[i], report.recall[i], report.f1[i], report.support[i]))
            }
            invocation.print("\nconfusion matrix (rows: true class, columns: predicted)")
            let cell = max(width, String(matrix.flatMap { $0 }.max() ?? 0).count) + 1
            invocation.print(String(repeating: " ", count: width) + classes.map { $0.leftPadded(cell) }.joined())
            for (i, row) in matrix.enumerated() {
                invocation.print((classes[safe: i] ?? "\(i)").padding(toLength: width, withPad: " ", startingAt: 0) + row.map { String($0).leftPadded(cell) }.joined())
            }
        } else {
            let mseNote = lossName == Loss.meanSquaredError.rawValue ? " (mean squared error, also the loss the model was trained with)" : " (mean squared error)"
            invocation.print(String(format: "mse       %.6f%@\nmae       %.6f (mean absolute error)\nr2        %.6f", evaluation.meanSquaredError ?? .nan, mseNote,
                         evaluation.meanAbsoluteError ?? .nan, evaluation.r2 ?? .nan))
        }
    }

    /// The data must fit the model — its features and, with `targets`, its targets (the library's
    /// checks) — else exit 1 with the reason.
    static func checkFit(_ model: Model<Float>, _ data: LoadedData, targets: Bool) throws {
        let shape = Array(data.dataset.features.shape.dropFirst())
        let rows = data.dataset.count
        let result = Result { () throws(InputMismatch) in
            try model.checkInput(exampleShape: shape)
            if targets { try model.checkTargets(data.dataset.targets, rows: rows) }
        }
        if case .failure(let mismatch) = result { throw CommandLineError.failure(mismatch.description) }
    }
}

/// `synapse predict`: one output row per input row, as CSV.
enum PredictCommand {
    static let help = """
    Usage: synapse predict --model MODEL --data PATH|- [--out FILE] [--probabilities]

    Prints one CSV row per input row: the predicted class label (classification), the
    probability of every class (--probabilities), or the predicted values (regression).
    PATH is a CSV file (its target column, if present, is ignored: by name when the file has
    a header, else give its number with --target), '-' for CSV on standard input, an .npy
    feature file, or an MNIST directory (its t10k-* images). Text columns and missing values
    are encoded as in training (the model keeps the categories and the --impute values).

    Options:
          --model MODEL     the model file, or a checkpoint of train --checkpoint (required)
          --data PATH|-     the inputs (required)
          --target COLUMN   a target column to leave out: a header name or a 1-based number
                            (default: the model's target column, when the header has it)
          --features COLS   feature columns (default: the model's feature names)
          --out FILE        write the CSV to FILE (atomically) instead of standard output
          --probabilities   class probabilities instead of labels
          --drop-missing    leave out rows with missing values
          --delimiter CHAR  the CSV delimiter: one character, or comma, semicolon, tab, pipe
                            (default: guessed from the first lines among , ; tab |)
          --header yes|no|auto
                            whether the first CSV row holds column names (default: auto)
      -h, --help            show this help
    """

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        // `--output` is `--out`'s older spelling, accepted but no longer documented.
        let options = try Arguments(arguments, command: "predict", valued: Set(["model", "data", "features", "out", "output", "target"]).union(CSVReading.options),
                                    flags: ["probabilities", "drop-missing"], in: invocation)
        let csv = try CSVReading(options, command: "predict")
        if options.flag("help") { invocation.print(help); return }
        let (modelPath, dataPath) = (try CommandModel.path(options, command: "predict"), try options.requiredPath("data", command: "predict"))
        let output = try CommandModel.outputPath(options, command: "predict")
        if let output {
            try invocation.checkOutputs([(output.option, output.path)], inputs: [("--model", modelPath), ("--data", dataPath)], command: "predict")
        }
        let model = try CommandModel.load(modelPath, in: invocation)
        if case .languageModel = model.task {
            throw CommandLineError.failure("\(modelPath): a language model predicts text: use 'synapse generate --model \(modelPath)'")
        }
        let data = try DataSource.load(dataPath, role: .testing, target: options.string("target"),
                                       features: options.string("features"), targetsPath: nil, classification: nil, model: model,
                                       needsTarget: false, dropMissing: options.flag("drop-missing"), command: "predict", csv: csv, in: invocation)
        try EvaluateCommand.checkFit(model, data, targets: false)
        let outputs = model.predict(data.dataset.features)
        if let index = outputs.firstNonFiniteIndex() {
            throw CommandLineError.failure("\(dataPath): the model's output for row \(index[0] + 1) is not finite (NaN or ∞); no predictions were written")
        }
        var lines: [String] = []
        let columns = outputs.shape.count > 1 ? outputs.shape[1] : 1
        let values = outputs.scalars
        switch model.task {
        case .classification:
            let classes = model.classLabels
            let loss = model.loss ?? model.defaultLoss
            if options.flag("probabilities") {
                lines.append(classes.map(csvField).joined(separator: ","))
                for row in loss.probabilities(fromOutputs: outputs) { lines.append(row.map { String(format: "%.6g", $0) }.joined(separator: ",")) }
            } else {
                lines.append(csvField(model.targetName ?? "prediction"))
                for best in loss.classes(fromOutputs: outputs) { lines.append(csvField(classes[safe: best] ?? String(best))) }
            }
        case .languageModel:
            return   // refused above
        case .regression:
            let name = model.targetName ?? "prediction"
            lines.append(columns == 1 ? csvField(name) : (0..<columns).map { csvField("\(name)_\($0)") }.joined(separator: ","))
            for r in 0..<outputs.shape[0] {
                lines.append((0..<columns).map { String(format: "%.8g", values[r * columns + $0]) }.joined(separator: ","))
            }
        }
        let text = lines.joined(separator: "\n") + "\n"
        if let output {
            do { try invocation.writeFile(Array(text.utf8), to: output.path) } catch let error as DataError { throw CommandLineError.failure(error.description) }
        } else {
            invocation.write(text)
        }
    }

    /// A CSV field, quoted when it needs to be.
    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}

/// `synapse inspect`: what a model file holds.
enum InspectCommand {
    static let help = """
    Usage: synapse inspect --model MODEL

    Prints the model's architecture with parameter counts per layer, its task, classes, feature
    scaling and other metadata, the stored tensors and the file size. MODEL may be a model file or
    a checkpoint of train --checkpoint (then also the epochs it holds; its training state's
    tensors are not listed).

    Options:
          --model MODEL  the model file (required; 'synapse inspect MODEL' works too)
      -h, --help         show this help
    """

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        let options = try Arguments(arguments, command: "inspect", valued: ["model"], in: invocation)
        if options.flag("help") { invocation.print(help); return }
        let path = try CommandModel.path(options, command: "inspect")
        let model = try CommandModel.load(path, in: invocation)
        let file = try SafeTensors.read(path.location)
        let size = (try? FileManager.default.attributesOfItem(atPath: path.location)[.size] as? Int) ?? 0
        invocation.print("file: \(path) (\(size) bytes, safetensors, \(file.metadata["dtype"] ?? "?"), format \(file.metadata["format"] ?? "?") \(file.metadata["format_version"] ?? ""))")
        let checkpoint = file.metadata["training_state"] != nil
        if checkpoint {
            let state = try Model<Float>.loadCheckpoint(from: path.location).state
            invocation.print("checkpoint: training state after epoch \(state.epochsCompleted) (train --resume continues it; predict and evaluate use its weights)")
        }
        switch model.task {
        case .classification(let classes):
            invocation.print("task: classification, \(classes) classes: \(model.classLabels.joined(separator: ", "))")
        case .regression(let outputs): invocation.print("task: regression, \(outputs) output\(outputs == 1 ? "" : "s")")
        case .languageModel(let vocabulary):
            let shown = model.tokenizer.map { ": " + String(decoding: $0.bytes.filter { (0x20...0x7E).contains($0) }, as: UTF8.self) } ?? ""
            invocation.print("task: language model, \(vocabulary) byte tokens\(shown)" + (model.blockSize.map { ", block size \($0)" } ?? ""))
        }
        if let loss = model.loss { invocation.print("loss: \(loss.rawValue)") }
        if let names = model.featureNames {
            let shown = names.count > 12 ? names.prefix(10).joined(separator: ", ") + ", … (\(names.count) in all)" : names.joined(separator: ", ")
            invocation.print("features: \(shown)")
        }
        if let target = model.targetName { invocation.print("target: \(target)") }
        if let encoding = model.featureEncoding { invocation.print("encoding: " + DataSource.describe(encoding)) }
        if let scaling = model.scaling { invocation.print("scaling: \(scaling.method.rawValue) over \(scaling.shift.count) features") }
        let outline = try ArchitectureOutline(model.network, inputShape: model.exampleShape)
        let perExample = model.blockSize.map { " windows of \($0) tokens" } ?? model.featureCount.map { " \($0) feature\($0 == 1 ? "" : "s") per example" }
        invocation.print("\narchitecture:" + (perExample ?? ""))
        outlineTable(outline).forEach(invocation.print)
        invocation.print("\ntensors:")
        for name in file.entries.keys.sorted() where !(checkpoint && name.hasPrefix("state.")) {
            let entry = file.entries[name]!
            invocation.print("  \(name)  \(entry.dtype.rawValue) \(entry.shape)")
        }
    }
}

extension InspectCommand {
    /// The outline as an aligned table: name (indented by nesting), layer, inputs, output shape (when
    /// the input shape is known), parameters; then the total, and where shapes stop fitting.
    static func outlineTable(_ outline: ArchitectureOutline) -> [String] {
        let shapes = outline.inputShape != nil
        var table: [[String]] = [["name", "layer", "inputs"] + (shapes ? ["output"] : []) + ["parameters"]]
        for row in outline.rows {
            let name = String(repeating: "  ", count: row.depth) + row.name
            let parameters = row.role == .input ? "" : row.parameterCount.map(String.init) ?? "?"
            table.append([name, row.summary, row.inputs.joined(separator: ", ")]
                         + (shapes ? [row.outputShape.map { LayerSpec.format($0) } ?? "?"] : []) + [parameters])
        }
        let widths = table[0].indices.map { column in table.map { $0[column].count }.max()! }
        var lines = table.map { cells in
            "  " + cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell.leftPadded(widths[column]) : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "   ").replacing(/\ +$/, with: "")
        }
        let output = outline.outputShape.map { ", output \(LayerSpec.format($0))" } ?? ""
        lines.append("  \(outline.parameterCount.map(String.init) ?? "?") parameters\(output)")
        if let problem = outline.shapeProblem { lines.append("  shapes unknown from \(problem.description)") }
        return lines
    }
}

/// `synapse plot`: SVG pictures of a model.
enum PlotCommand {
    static let help = """
    Usage: synapse plot --model MODEL --kind network|history|boundary|confusion --out FILE.svg [--data PATH]

    Draws the model as SVG:
      network    the layers and their connections (like the tutorial's figure; wide layers elided)
      history    the training curves stored in the model file: loss (log scale when it spans more
                 than two decades) and the main metric per epoch, the best epoch marked
      boundary   the decision regions of a classifier with 2 features, with the points of --data
      confusion  the confusion matrix of a classifier on --data, as a heatmap

    Options:
          --model MODEL     the model file (required; a lone MODEL argument works too)
          --kind KIND       network, history, boundary or confusion (required)
          --out FILE.svg    where to write the SVG (required; written atomically)
          --data PATH       labelled data, for boundary and confusion
          --target COLUMN   target column name or 1-based number (default: the model's)
          --targets FILE    targets for an .npy feature file
          --delimiter CHAR  the CSV delimiter (default: guessed among , ; tab |)
          --header yes|no|auto
                            whether the first CSV row holds column names (default: auto)
      -h, --help            show this help
    """

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        let options = try Arguments(arguments, command: "plot", valued: Set(["model", "kind", "out", "data", "target", "targets"]).union(CSVReading.options), in: invocation)
        if options.flag("help") { invocation.print(help); return }
        let path = try CommandModel.path(options, command: "plot")
        let kind = try options.choice("kind", ["network", "history", "boundary", "confusion"], default: nil, command: "plot")
        guard let kind else { throw CommandLineError.usage("missing required option '--kind'", command: "plot") }
        let out = try options.requiredPath("out", command: "plot")
        try invocation.checkOutputs([("--out", out)], inputs: [(options.string("model") == nil ? "MODEL" : "--model", path)] + ["data", "targets"].compactMap { name in options.path(name).map { ("--\(name)", $0) } },
                                    command: "plot")
        if kind != "network" && kind != "history" && options.string("data") == nil {
            throw CommandLineError.usage("missing required option '--data' (a '\(kind)' plot shows the model on data)", command: "plot")
        }
        let model = try CommandModel.load(path, in: invocation)
        let name = URL(fileURLWithPath: path.given).lastPathComponent
        let document: String
        if kind == "network" {
            document = Charts.network(try LayerSpec(describing: model.network), featureNames: model.featureNames,
                                      classNames: model.classNames, inputShape: model.exampleShape, title: "Network of \(name)")
        } else if kind == "history" {
            document = try PlotCommand.history(of: model, path: path, name: name)
        } else {
            guard case .classification = model.task else { throw CommandLineError.failure("\(path): a '\(kind)' plot needs a classifier") }
            let dataPath = try options.requiredPath("data", command: "plot")
            let data = try DataSource.load(dataPath, role: .testing, target: options.string("target"), features: nil,
                                           targetsPath: options.path("targets"), classification: true, model: model, needsTarget: true,
                                           dropMissing: true, command: "plot", csv: try CSVReading(options, command: "plot"), in: invocation)
            try EvaluateCommand.checkFit(model, data, targets: true)
            if kind == "boundary" {
                guard data.dataset.features.shape[1] == 2 else {
                    throw CommandLineError.failure("a decision boundary needs a model with 2 features; this one has \(data.dataset.features.shape[1])")
                }
                document = Charts.boundary(model: model, data: data.dataset, featureNames: model.featureNames ?? data.featureNames ?? [],
                                           title: "Decision regions of \(name)")
            } else {
                let evaluation = model.evaluate(data.dataset)
                document = Charts.confusion(evaluation.confusionMatrix ?? [], classNames: model.classLabels,
                                            title: String(format: "Confusion matrix of %@ (accuracy %.3f)", name, evaluation.accuracy ?? 0))
            }
        }
        try invocation.writeFile(Array(document.utf8), to: out)
        invocation.print("wrote \(out)")
    }
}

extension String {
    /// The string right-aligned in `width` characters.
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
