import Foundation
import Synapse

/// Data as the commands see it: features, targets (if any), and the names that travel with a model.
struct LoadedData {
    var dataset: Dataset<Float>
    var featureNames: [String]?
    var targetName: String?
    /// Class names when the targets are classes (string labels, or small integers as text).
    var classNames: [String]?
    /// Whether the targets are real values rather than class indices (nil: not decided by the data).
    var targetsAreNumeric: Bool
    /// Whether targets were loaded at all.
    var hasTargets: Bool
    /// Rows left out for missing values.
    var droppedRows: Int
    /// How text columns and missing values became features (fitted when training, the model's otherwise).
    var featureEncoding: FeatureEncoding? = nil
}

/// How a CSV file is read: `--delimiter`, `--header` and (when training) `--impute`.
struct CSVReading {
    /// The delimiter; nil: sniffed from the first lines (``CSVDialect``).
    var delimiter: Character? = nil
    /// Whether the first row is a header; nil: detected.
    var hasHeader: Bool? = nil
    /// How `train` fills missing values; nil: it does not.
    var imputation: FeatureEncoding.Imputation? = nil
    /// The rows `train` will hold out for validation, which a fitted encoding leaves out; nil: none.
    var heldOut: HeldOutRows? = nil

    /// The options that say how to read a CSV file, as each command accepts them.
    static let options: Set<String> = ["delimiter", "header"]

    /// Reads `--delimiter`, `--header` and, with `imputing`, `--impute`; a usage error for a bad value.
    init(_ options: Arguments, command: String, imputing: Bool = false) throws {
        if let text = options.string("delimiter"), text.lowercased() != "auto" {
            let named: [String: Character] = ["comma": ",", "semicolon": ";", "tab": "\t", "\\t": "\t", "pipe": "|", "space": " "]
            guard let character = named[text.lowercased()] ?? (text.count == 1 ? text.first : nil),
                  character.asciiValue != nil, character != "\"", character != "\n", character != "\r" else {
                throw CommandLineError.usage("option '--delimiter' expects one ASCII character other than a quote or line end (or comma, semicolon, tab, pipe), got '\(Excerpt.of(text))'", command: command)
            }
            delimiter = character
        }
        switch try options.choice("header", ["yes", "no", "auto"], default: "auto", command: command) {
        case "yes": hasHeader = true
        case "no": hasHeader = false
        default: hasHeader = nil
        }
        if imputing {
            imputation = try options.choice("impute", FeatureEncoding.Imputation.allCases.map(\.rawValue) + ["none"], default: nil, command: command)
                .flatMap(FeatureEncoding.Imputation.init(rawValue:))   // ("none", the default, is no imputation)
        }
    }

    /// Nothing given: sniffed delimiter, detected header, no imputation.
    init() {}
}

/// Reads `--data` in any of its forms: a CSV file (or `-` for standard input), an `.npy`
/// feature file with `--targets FILE.npy`, or an MNIST-layout directory of IDX files.
enum DataSource {
    /// Which MNIST files a directory contributes.
    enum Role { case training, testing }

    /// Loads `path`.
    ///
    /// - Parameters:
    ///   - target: `--target` (a header name or a 1-based column number); nil: the model's target
    ///     column if the file has it, else the last column (or none when `needsTarget` is false).
    ///   - features: `--features` (comma-separated names or 1-based numbers); nil: the model's
    ///     feature names when the file has them all, else every other column.
    ///   - model: the model being evaluated or used, whose names and classes fix the columns and labels.
    ///   - invocation: where `-` (standard input) is read.
    static func load(_ path: CommandPath, role: Role, target: String?, features: String?, targetsPath: CommandPath?,
                     classification: Bool?, model: Model<Float>?, needsTarget: Bool, dropMissing: Bool,
                     command: String, csv: CSVReading = CSVReading(), in invocation: Invocation) throws -> LoadedData {
        var isDirectory: ObjCBool = false
        if !path.isStandardStream, FileManager.default.fileExists(atPath: path.location, isDirectory: &isDirectory), isDirectory.boolValue {
            let dataset: Dataset<Float> = try MNIST.load(role == .training ? .train : .test, from: path.location)
            return LoadedData(dataset: dataset, featureNames: nil, targetName: "label", classNames: nil,
                              targetsAreNumeric: false, hasTargets: true, droppedRows: 0)
        }
        if path.given.lowercased().hasSuffix(".npy") { return try loadNumPy(path, targetsPath: targetsPath, needsTarget: needsTarget, command: command) }
        if targetsPath != nil { throw CommandLineError.usage("'--targets' goes with an .npy feature file", command: command) }
        return try loadCSV(path, target: target, features: features, classification: classification, model: model,
                           needsTarget: needsTarget, dropMissing: dropMissing, command: command, csv: csv, in: invocation)
    }

    private static func loadNumPy(_ path: CommandPath, targetsPath: CommandPath?, needsTarget: Bool, command: String) throws -> LoadedData {
        let array = try NumPyArray.read(path.location)
        guard !array.shape.isEmpty, array.shape[0] > 0 else { throw CommandLineError.failure("\(path): expected an array of rows, got shape \(array.shape)") }
        let rows = array.shape[0], width = array.count / rows
        let features = array.tensor(as: Float.self).reshaped([rows, width])
        try requireFinite(features, path: path, what: "feature")
        guard let targetsPath else {
            if needsTarget { throw CommandLineError.usage("an .npy feature file needs '--targets FILE.npy'", command: command) }
            return LoadedData(dataset: Dataset(features: features, targets: Tensor(zeros: [rows])), featureNames: nil, targetName: nil,
                              classNames: nil, targetsAreNumeric: true, hasTargets: false, droppedRows: 0)
        }
        let targets = try NumPyArray.read(targetsPath.location)
        guard targets.shape.first == rows, targets.count == rows else {
            throw CommandLineError.failure("\(targetsPath): \(targets.shape) targets for \(rows) feature rows (expected [\(rows)])")
        }
        let isInteger = targets.dtype == .int32 || targets.dtype == .int64 || targets.dtype == .uint8
        let targetValues = targets.tensor(as: Float.self).reshaped([rows])
        try requireFinite(targetValues, path: targetsPath, what: "target")
        return LoadedData(dataset: Dataset(features: features, targets: targetValues),
                          featureNames: nil, targetName: nil, classNames: nil, targetsAreNumeric: !isInteger, hasTargets: true, droppedRows: 0)
    }

    /// Refuses NaN and infinite values (also float64 values too large for float32), naming where they are.
    private static func requireFinite(_ values: Tensor<Float>, path: CommandPath, what: String) throws {
        guard let index = values.firstNonFiniteIndex() else { return }
        let offset = index.count == 2 ? index[0] * values.shape[1] + index[1] : index[0]
        let place = index.count == 2 ? "row \(index[0] + 1), column \(index[1] + 1)" : "row \(index[0] + 1)"
        let value = values.withUnsafeBufferPointer { $0[offset] }
        throw CommandLineError.failure("\(path): the \(what) value at \(place) is \(value) (NaN or infinite, or too large for float32); clean or drop it")
    }

    private static func loadCSV(_ path: CommandPath, target: String?, features: String?, classification: Bool?, model: Model<Float>?,
                                needsTarget: Bool, dropMissing: Bool, command: String, csv: CSVReading, in invocation: Invocation) throws -> LoadedData {
        let text: String?
        if path.isStandardStream {
            text = String(decoding: invocation.readStandardInput(), as: UTF8.self)
        } else {
            guard FileManager.default.fileExists(atPath: path.location) else { throw CommandLineError.failure("\(path): no such file") }
            text = nil
        }
        // The delimiter (given or sniffed), then the header and width decide how names and numbers are read.
        let delimiter = try csv.delimiter ?? text.map { CSVDialect.sniffDelimiter(text: $0) } ?? CSVDialect.sniffDelimiter(path: path.location)
        let (header, width) = try peekHeader(path: path, text: text, delimiter: delimiter, hasHeader: csv.hasHeader)
        // A model's raw columns: those its feature encoding was fitted on, else its features.
        let encoding = model?.featureEncoding
        let modelColumns = encoding?.columnNames ?? model?.featureNames
        func column(_ spelling: String, role: String) throws -> CSVColumn {
            if let header, header.contains(spelling) { return .name(spelling) }
            if let number = Int(spelling) {
                guard number >= 1 else { throw CommandLineError.usage("\(role) column numbers start at 1, got \(number)", command: command) }
                return .index(number - 1)
            }
            return .name(spelling)   // the loader reports unknown names with the list of columns
        }
        var targetColumn: CSVColumn? = nil
        if let target { targetColumn = try column(target, role: "target") }
        else if let name = model?.targetName, let header, header.contains(name) { targetColumn = .name(name) }
        else if needsTarget { targetColumn = .index(max(width - 1, 0)) }
        else if let model, header == nil, features == nil, let expected = encoding?.columns.count ?? model.featureCount, width == expected + 1 {
            // By position, the file has one column too many: most likely the target.
            throw CommandLineError.failure("\(path): the file has \(width) columns, one more than the \(expected) feature columns of the model; if one of them is the target, give its number with '--target'")
        }
        var featureColumns: [CSVColumn]? = nil
        if let features {
            featureColumns = try features.split(separator: ",").map { try column(String($0).trimmingCharacters(in: .whitespaces), role: "feature") }
        } else if let names = modelColumns, let header {
            // A file with a header must name every feature the model was trained on: matching by
            // position would silently feed the wrong columns.
            let missing = names.filter { !header.contains($0) }
            guard missing.isEmpty else {
                let listed = missing.prefix(5).map { "'\(Excerpt.of($0))'" }.joined(separator: ", ") + (missing.count > 5 ? ", … (\(missing.count) in all)" : "")
                throw CommandLineError.failure("\(path): the header lacks the model's feature column\(missing.count == 1 ? "" : "s") \(listed); give '--features' to choose columns, or a file without a header to match by position")
            }
            featureColumns = names.map { .name($0) }
        }
        let isClassifier: Bool? = model.map { if case .classification = $0.task { return true } else { return false } } ?? classification
        let labels: CSVLabels = isClassifier == true ? .classNames : isClassifier == false ? .numbers : .automatic
        let classNames = isClassifier == true ? model?.classNames : nil
        let missing: MissingValuePolicy = dropMissing ? .dropRows : .error
        // Training fits an encoding when a column holds text or --impute asks; a model applies its own.
        let featureMode: CSVFeatureMode = model == nil ? .fit(imputation: csv.imputation, heldOut: csv.heldOut) : encoding.map { .apply($0) } ?? .numeric
        if let encoding, featureColumns == nil {
            // By position: the columns other than the target must be the encoding's.
            let available = width - (targetColumn == nil ? 0 : 1)
            guard available == encoding.columns.count else {
                throw CommandLineError.failure("\(path): the model reads \(encoding.columns.count) columns (\(CSVColumnListing.names(encoding.columnNames))) but the file has \(available) feature columns; give '--features' to choose them")
            }
        }
        let loaded: CSVDataset<Float> = try text.map {
            try CSVDataset.parse($0, path: "-", target: targetColumn, features: featureColumns, delimiter: delimiter, hasHeader: header != nil,
                                 labels: labels, classNames: classNames, missingValues: missing, featureMode: featureMode)
        } ?? CSVDataset.load(path.location, target: targetColumn, features: featureColumns, delimiter: delimiter, hasHeader: header != nil,
                             labels: labels, classNames: classNames, missingValues: missing, featureMode: featureMode)
        if loaded.unknownCategories > 0, model == nil {
            invocation.warn("\(path): \(loaded.unknownCategories) value\(loaded.unknownCategories == 1 ? "" : "s") in the rows held out for validation \(loaded.unknownCategories == 1 ? "is" : "are") in no category of the training rows (the encoding is fitted on those): encoded as all zeros")
        } else if loaded.unknownCategories > 0 {
            invocation.warn("\(path): \(loaded.unknownCategories) value\(loaded.unknownCategories == 1 ? " is" : "s are") in no category the model learned in training (text columns \(CSVColumnListing.names(encoding?.columns.filter { $0.categories != nil }.map(\.name) ?? []))): encoded as all zeros")
        }
        return LoadedData(dataset: loaded.dataset, featureNames: loaded.featureNames, targetName: loaded.targetName,
                          classNames: loaded.classNames, targetsAreNumeric: loaded.classNames == nil, hasTargets: targetColumn != nil,
                          droppedRows: loaded.droppedRows, featureEncoding: loaded.featureEncoding)
    }

    /// The header names if the file has a header row (detected as the loader does), and the number of
    /// columns, from the first two records only (for a .gz file, only they are inflated). A file the
    /// loader could not read either is an error here, not a guess.
    private static func peekHeader(path: CommandPath, text: String?, delimiter: Character, hasHeader: Bool?) throws -> (header: [String]?, width: Int) {
        let table = try text.map { try CSVTable.parse($0, path: path.given, delimiter: delimiter, hasHeader: hasHeader, maxRows: 1) }
            ?? CSVTable.read(path.location, delimiter: delimiter, hasHeader: hasHeader, maxRows: 1)
        return (table.header, table.columnCount)
    }
}

/// Column names as a message lists them.
enum CSVColumnListing {
    /// At most 5 names, quoted and cut, then how many in all.
    static func names(_ names: [String]) -> String {
        names.prefix(5).map { "'\(Excerpt.of($0))'" }.joined(separator: ", ") + (names.count > 5 ? ", … (\(names.count) in all)" : "")
    }
}

extension DataSource {
    /// A line saying what an encoding does: its text columns with their category counts, and the imputation.
    static func describe(_ encoding: FeatureEncoding) -> String {
        let text = encoding.columns.filter { $0.categories != nil }
        var parts: [String] = []
        if !text.isEmpty {
            let shown = text.prefix(5).map { "'\(Excerpt.of($0.name))' (\($0.width) categor\($0.width == 1 ? "y" : "ies"))" }.joined(separator: ", ")
            parts.append("one-hot \(shown)\(text.count > 5 ? ", … (\(text.count) text columns)" : "")")
        }
        if let imputation = encoding.imputation { parts.append("missing values imputed (\(imputation.rawValue))") }
        return parts.joined(separator: "; ") + ", \(encoding.columns.count) column\(encoding.columns.count == 1 ? "" : "s") → \(encoding.width) feature\(encoding.width == 1 ? "" : "s")"
    }
}
