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
          --model MODEL        the model file (required)
          --data PATH          labelled data (required)
          --target COLUMN      target column name or 1-based number (default: the model's target column)
          --features COLS      feature columns (default: the model's feature names)
          --targets FILE.npy   targets for an .npy feature file
          --drop-missing       leave out rows with missing values
          --json               print one JSON object (keys: loss, accuracy, precision, recall, f1,
                               confusion_matrix, classes, samples; or loss, mse, mae, r2, samples;
                               or loss, bpc, accuracy, bytes)
      -h, --help               show this help
    """

    /// A language model's loss on a text file: nats per byte, bits per character, next-byte accuracy.
    static func evaluateText(_ model: Model<Float>, modelPath: CommandPath, dataPath: CommandPath, options: Arguments, in invocation: Invocation) throws {
        if let other = ["target", "features", "targets", "drop-missing"].first(where: { options.options[$0] != nil }) {
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
        let options = try Arguments(arguments, command: "evaluate", valued: ["model", "data", "target", "features", "targets"],
                                    flags: ["json", "drop-missing"], in: invocation)
        if options.flag("help") { invocation.print(help); return }
        let (modelPath, dataPath) = (try options.requiredPath("model", command: "evaluate"), try options.requiredPath("data", command: "evaluate"))
        let model = try CommandModel.load(modelPath, in: invocation)
        if case .languageModel = model.task {
            try evaluateText(model, modelPath: modelPath, dataPath: dataPath, options: options, in: invocation)
            return
        }
        let data = try DataSource.load(dataPath, role: .testing, target: options.string("target"),
                                       features: options.string("features"), targetsPath: options.path("targets"), classification: nil,
                                       model: model, needsTarget: true, dropMissing: options.flag("drop-missing"), command: "evaluate",
                                       in: invocation)
        try checkFit(model, data, targets: true)
        let evaluation = model.evaluate(data.dataset)
        guard evaluation.loss.isFinite else {
            throw CommandLineError.failure("\(modelPath): the model's outputs on \(dataPath) are not finite numbers (loss \(evaluation.loss)); its weights or scaling do not suit this data")
        }
        let classes = model.classLabels
        if options.flag("json") {
            // JSON has no NaN or ∞: such a value is null.
            func number(_ value: Double) -> Any { value.isFinite ? value : NSNull() }
            var object: [String: Any] = ["loss": number(evaluation.loss), "samples": data.dataset.count]
            for (name, value) in evaluation.metrics { object[name] = number(value) }
            if let matrix = evaluation.confusionMatrix { object["confusion_matrix"] = matrix; object["classes"] = classes }
            let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            invocation.print(String(decoding: json, as: UTF8.self))
            return
        }
        invocation.print(String(format: "samples   %d", data.dataset.count))
        invocation.print(String(format: "loss      %.6f", evaluation.loss))
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
            invocation.print(String(format: "mse       %.6f\nmae       %.6f\nr2        %.6f", evaluation.meanSquaredError ?? .nan,
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
    Usage: synapse predict --model MODEL --data PATH|- [--output FILE] [--probabilities]

    Prints one CSV row per input row: the predicted class label (classification), the
    probability of every class (--probabilities), or the predicted values (regression).
    PATH is a CSV file (its target column, if present, is ignored), '-' for CSV on standard
    input, an .npy feature file, or an MNIST directory (its t10k-* images).

    Options:
          --model MODEL     the model file (required)
          --data PATH|-     the inputs (required)
          --features COLS   feature columns (default: the model's feature names)
          --output FILE     write the CSV to FILE (atomically) instead of standard output
          --probabilities   class probabilities instead of labels
          --drop-missing    leave out rows with missing values
      -h, --help            show this help
    """

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        let options = try Arguments(arguments, command: "predict", valued: ["model", "data", "features", "output"],
                                    flags: ["probabilities", "drop-missing"], in: invocation)
        if options.flag("help") { invocation.print(help); return }
        let (modelPath, dataPath) = (try options.requiredPath("model", command: "predict"), try options.requiredPath("data", command: "predict"))
        if let output = options.path("output") {
            try invocation.checkOutputs([("--output", output)], inputs: [("--model", modelPath), ("--data", dataPath)], command: "predict")
        }
        let model = try CommandModel.load(modelPath, in: invocation)
        if case .languageModel = model.task {
            throw CommandLineError.failure("\(modelPath): a language model predicts text: use 'synapse generate --model \(modelPath)'")
        }
        let data = try DataSource.load(dataPath, role: .testing, target: nil,
                                       features: options.string("features"), targetsPath: nil, classification: nil, model: model,
                                       needsTarget: false, dropMissing: options.flag("drop-missing"), command: "predict", in: invocation)
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
        if let output = options.path("output") {
            do { try invocation.writeFile(Array(text.utf8), to: output) } catch let error as DataError { throw CommandLineError.failure(error.description) }
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
    Usage: synapse inspect MODEL

    Prints the model's architecture with parameter counts per layer, its task, classes, feature
    scaling and other metadata, the stored tensors and the file size.

    Options:
      -h, --help  show this help
    """

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        let options = try Arguments(arguments, command: "inspect", in: invocation)
        if options.flag("help") { invocation.print(help); return }
        guard options.positional.count == 1 else {
            throw CommandLineError.usage(options.positional.isEmpty ? "missing the model file" : "expected one model file, got \(options.positional.count)", command: "inspect")
        }
        let path = options.resolve(options.positional[0])
        let model = try CommandModel.load(path, in: invocation)
        let file = try SafeTensors.read(path.location)
        let size = (try? FileManager.default.attributesOfItem(atPath: path.location)[.size] as? Int) ?? 0
        invocation.print("file: \(path) (\(size) bytes, safetensors, \(file.metadata["dtype"] ?? "?"), format \(file.metadata["format"] ?? "?") \(file.metadata["format_version"] ?? ""))")
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
        if let scaling = model.scaling { invocation.print("scaling: \(scaling.method.rawValue) over \(scaling.shift.count) features") }
        let outline = try ArchitectureOutline(model.network, inputShape: model.exampleShape)
        let perExample = model.blockSize.map { " windows of \($0) tokens" } ?? model.featureCount.map { " \($0) feature\($0 == 1 ? "" : "s") per example" }
        invocation.print("\narchitecture:" + (perExample ?? ""))
        outlineTable(outline).forEach(invocation.print)
        invocation.print("\ntensors:")
        for name in file.entries.keys.sorted() {
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
    Usage: synapse plot MODEL --kind network|history|boundary|confusion --out FILE.svg [--data PATH]

    Draws the model as SVG:
      network    the layers and their connections (like the tutorial's figure; wide layers elided)
      history    the training curves stored in the model file: loss (log scale when it spans more
                 than two decades) and the main metric per epoch, the best epoch marked
      boundary   the decision regions of a classifier with 2 features, with the points of --data
      confusion  the confusion matrix of a classifier on --data, as a heatmap

    Options:
          --kind KIND       network, history, boundary or confusion (required)
          --out FILE.svg    where to write the SVG (required; written atomically)
          --data PATH       labelled data, for boundary and confusion
          --target COLUMN   target column name or 1-based number (default: the model's)
          --targets FILE    targets for an .npy feature file
      -h, --help            show this help
    """

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        let options = try Arguments(arguments, command: "plot", valued: ["kind", "out", "data", "target", "targets"], in: invocation)
        if options.flag("help") { invocation.print(help); return }
        guard options.positional.count == 1 else {
            throw CommandLineError.usage(options.positional.isEmpty ? "missing the model file" : "expected one model file, got \(options.positional.count)", command: "plot")
        }
        let kind = try options.choice("kind", ["network", "history", "boundary", "confusion"], default: nil, command: "plot")
        guard let kind else { throw CommandLineError.usage("missing required option '--kind'", command: "plot") }
        let out = try options.requiredPath("out", command: "plot")
        let path = options.resolve(options.positional[0])
        try invocation.checkOutputs([("--out", out)], inputs: [("MODEL", path)] + ["data", "targets"].compactMap { name in options.path(name).map { ("--\(name)", $0) } },
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
                                           dropMissing: true, command: "plot", in: invocation)
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
