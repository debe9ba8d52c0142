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
                     command: String, in invocation: Invocation) throws -> LoadedData {
        var isDirectory: ObjCBool = false
        if !path.isStandardStream, FileManager.default.fileExists(atPath: path.location, isDirectory: &isDirectory), isDirectory.boolValue {
            let dataset: Dataset<Float> = try MNIST.load(role == .training ? .train : .test, from: path.location)
            return LoadedData(dataset: dataset, featureNames: nil, targetName: "label", classNames: nil,
                              targetsAreNumeric: false, hasTargets: true, droppedRows: 0)
        }
        if path.given.lowercased().hasSuffix(".npy") { return try loadNumPy(path, targetsPath: targetsPath, needsTarget: needsTarget, command: command) }
        if targetsPath != nil { throw CommandLineError.usage("'--targets' goes with an .npy feature file", command: command) }
        return try loadCSV(path, target: target, features: features, classification: classification, model: model,
                           needsTarget: needsTarget, dropMissing: dropMissing, command: command, in: invocation)
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
                                needsTarget: Bool, dropMissing: Bool, command: String, in invocation: Invocation) throws -> LoadedData {
        let text: String?
        if path.isStandardStream {
            text = String(decoding: invocation.readStandardInput(), as: UTF8.self)
        } else {
            guard FileManager.default.fileExists(atPath: path.location) else { throw CommandLineError.failure("\(path): no such file") }
            text = nil
        }
        // The header and width decide how names and numbers are read.
        let (header, width) = try peekHeader(path: path, text: text)
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
        var featureColumns: [CSVColumn]? = nil
        if let features {
            featureColumns = try features.split(separator: ",").map { try column(String($0).trimmingCharacters(in: .whitespaces), role: "feature") }
        } else if let names = model?.featureNames, let header {
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
        let loaded: CSVDataset<Float> = try text.map {
            try CSVDataset.parse($0, path: "-", target: targetColumn, features: featureColumns, labels: labels, classNames: classNames, missingValues: missing)
        } ?? CSVDataset.load(path.location, target: targetColumn, features: featureColumns, labels: labels, classNames: classNames, missingValues: missing)
        return LoadedData(dataset: loaded.dataset, featureNames: loaded.featureNames, targetName: loaded.targetName,
                          classNames: loaded.classNames, targetsAreNumeric: loaded.classNames == nil, hasTargets: targetColumn != nil,
                          droppedRows: loaded.droppedRows)
    }

    /// The header names if the file has a header row (detected as the loader does), and the number of
    /// columns, from the first two records only (for a .gz file, only they are inflated). A file the
    /// loader could not read either is an error here, not a guess.
    private static func peekHeader(path: CommandPath, text: String?) throws -> (header: [String]?, width: Int) {
        let table = try text.map { try CSVTable.parse($0, path: path.given, maxRows: 1) } ?? CSVTable.read(path.location, maxRows: 1)
        return (table.header, table.columnCount)
    }
}
