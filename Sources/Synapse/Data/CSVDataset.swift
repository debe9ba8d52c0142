/// A CSV column, by header name or by 0-based index.
public enum CSVColumn: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// The column whose header is this name.
    case name(String)
    /// The column at this 0-based position.
    case index(Int)

    /// A column by name.
    public init(stringLiteral value: String) { self = .name(value) }
    /// A column by 0-based index.
    public init(integerLiteral value: Int) { self = .index(value) }

    /// `'name'` or `#index`.
    public var description: String {
        switch self {
        case .name(let name): return "'\(name)'"
        case .index(let index): return "#\(index)"
        }
    }
}

/// How the target column's values become targets.
public enum CSVLabels: Sendable, Equatable {
    /// Numbers stay numbers; if any value is not a number, all are class names.
    case automatic
    /// Every value is a class name (sorted: numerically when all are numbers, else as text).
    case classNames
    /// Every value must be a number.
    case numbers
}

/// What to do with a row that has an empty or `NA`-like value in a column being loaded.
public enum MissingValuePolicy: Sendable, Equatable {
    /// Stop with an error naming `file:line:column`.
    case error
    /// Leave the row out (``CSVDataset/droppedRows`` counts them).
    case dropRows
}

/// Features and targets loaded from a CSV file in one streaming pass over its bytes: a plain
/// file is memory-mapped and a gzip file decompressed once; numbers are parsed from the bytes
/// straight into the feature buffer, so a 100 MB file costs its bytes plus the tensor, not
/// several copies of its text.
public struct CSVDataset<Scalar: TensorScalar> {
    /// Features `[rows, features]` and targets `[rows]` (class indices or values).
    public var dataset: Dataset<Scalar>
    /// The feature columns' names (header names, or `column N` with N 1-based).
    public var featureNames: [String]
    /// The target column's name, if a target was loaded.
    public var targetName: String?
    /// Class names, index by index, when the targets were labels (string labels sorted, or the given names).
    public var classNames: [String]?
    /// Rows left out because of missing values (with ``MissingValuePolicy/dropRows``).
    public var droppedRows: Int
    /// Whether the file had a header row.
    public var hasHeader: Bool

    /// Loads a CSV file (gzip-compressed or not).
    ///
    /// - Parameters:
    ///   - target: the target column, or nil for features only (targets are then zeros).
    ///   - features: the feature columns, in this order; nil for every column but the target.
    ///   - hasHeader: nil to detect it: the first row is a header when some column holds text
    ///     there and a number in the second row (or, for a one-row file, when it holds no number).
    ///   - labels: how target values become targets; `classNames` given here fix the mapping
    ///     (e.g. a model's), and a label outside them is an error.
    ///   - missingValues: error or drop rows with empty/`NA`/`NaN`/`null`/`?` values.
    /// - Throws: ``DataError`` with `file:line:column` for malformed content.
    public static func load(_ path: String, target: CSVColumn?, features: [CSVColumn]? = nil, delimiter: Character = ",",
                            hasHeader: Bool? = nil, labels: CSVLabels = .automatic, classNames: [String]? = nil,
                            missingValues: MissingValuePolicy = .error, as type: Scalar.Type = Scalar.self) throws -> CSVDataset {
        let separator = try delimiterByte(delimiter, path: path)
        return try FileBytes.withContents(path) { bytes in
            try load(bytes: bytes, path: path, target: target, features: features, delimiter: separator, hasHeader: hasHeader,
                     labels: labels, classNames: classNames, missingValues: missingValues)
        }
    }

    /// Loads CSV text (standard input, tests), as ``load(_:target:features:delimiter:hasHeader:labels:classNames:missingValues:as:)``.
    public static func parse(_ text: String, path: String = "-", target: CSVColumn?, features: [CSVColumn]? = nil,
                             delimiter: Character = ",", hasHeader: Bool? = nil, labels: CSVLabels = .automatic,
                             classNames: [String]? = nil, missingValues: MissingValuePolicy = .error,
                             as type: Scalar.Type = Scalar.self) throws -> CSVDataset {
        let separator = try delimiterByte(delimiter, path: path)
        var utf8 = Array(text.utf8)
        return try utf8.withUnsafeMutableBytes { raw in
            try load(bytes: UnsafeRawBufferPointer(raw), path: path, target: target, features: features, delimiter: separator,
                     hasHeader: hasHeader, labels: labels, classNames: classNames, missingValues: missingValues)
        }
    }

    /// Loads CSV bytes (UTF-8, possibly gzip-compressed), as ``load(_:target:features:delimiter:hasHeader:labels:classNames:missingValues:as:)``.
    public static func decode(_ bytes: [UInt8], path: String = "-", target: CSVColumn?, features: [CSVColumn]? = nil,
                              delimiter: Character = ",", hasHeader: Bool? = nil, labels: CSVLabels = .automatic,
                              classNames: [String]? = nil, missingValues: MissingValuePolicy = .error,
                              as type: Scalar.Type = Scalar.self) throws -> CSVDataset {
        let separator = try delimiterByte(delimiter, path: path)
        let plain = bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b ? try FileBytes.gunzip(bytes, path: path) : bytes
        return try plain.withUnsafeBytes { raw in
            try load(bytes: raw, path: path, target: target, features: features, delimiter: separator, hasHeader: hasHeader,
                     labels: labels, classNames: classNames, missingValues: missingValues)
        }
    }

    /// The delimiter as one ASCII byte.
    static func delimiterByte(_ delimiter: Character, path: String) throws -> UInt8 {
        guard let ascii = delimiter.asciiValue, delimiter != "\"", delimiter != "\n", delimiter != "\r" else {
            throw DataError(path: path, "the delimiter must be one ASCII character other than a quote or line end, got '\(delimiter)'")
        }
        return ascii
    }

    /// The header heuristic on the first two records' number classifications.
    static func looksLikeHeader(_ firstTwo: [[CSVScanner.NumberValue]]) -> Bool {
        guard let first = firstTwo.first else { return false }
        guard firstTwo.count > 1 else { return !first.contains { if case .number = $0 { return true } else { return false } } }
        return zip(first, firstTwo[1]).contains { a, b in
            if a == .notANumber, case .number = b { return true } else { return false }
        }
    }

    private static func load(bytes: UnsafeRawBufferPointer, path: String, target: CSVColumn?, features: [CSVColumn]?,
                             delimiter: UInt8, hasHeader: Bool?, labels: CSVLabels, classNames: [String]?,
                             missingValues: MissingValuePolicy) throws -> CSVDataset {
        var scanner = CSVScanner(bytes: bytes, delimiter: delimiter, path: path)
        var fields: [CSVField] = []

        // The first two records decide the header and the width.
        var lookahead = scanner
        var firstTwo: [[CSVScanner.NumberValue]] = []
        var headerNames: [String] = []
        for _ in 0..<2 {
            guard try lookahead.next(into: &fields) != nil else { break }
            if firstTwo.isEmpty { headerNames = fields.map { lookahead.text($0) } }
            firstTwo.append(fields.map { lookahead.number($0) })
        }
        guard !firstTwo.isEmpty else { throw DataError(path: path, "the file is empty: no rows to read") }
        let header = hasHeader ?? looksLikeHeader(firstTwo)
        let width = firstTwo[0].count
        if header { _ = try scanner.next(into: &fields) }
        let names = header ? headerNames : (1...width).map { "column \($0)" }

        func resolve(_ column: CSVColumn, role: String) throws -> Int {
            switch column {
            case .index(let index):
                guard index >= 0 && index < width else {
                    throw DataError(path: path, "\(role) column #\(index) does not exist: the file has \(width) columns (#0 to #\(width - 1))")
                }
                return index
            case .name(let name):
                guard header else {
                    throw DataError(path: path, "\(role) column '\(name)' is named, but the file has no header row (give a 0-based index instead)")
                }
                guard let index = headerNames.firstIndex(of: name) else {
                    throw DataError(path: path, "no \(role) column '\(name)' in the header (columns: \(headerNames.joined(separator: ", ")))")
                }
                return index
            }
        }
        let targetIndex = try target.map { try resolve($0, role: "target") }
        let featureIndices = try features.map { try $0.map { try resolve($0, role: "feature") } }
            ?? (0..<width).filter { $0 != targetIndex }
        guard !featureIndices.isEmpty else { throw DataError(path: path, "no feature columns to load") }
        if let targetIndex, featureIndices.contains(targetIndex) {
            throw DataError(path: path, "column '\(names[targetIndex])' cannot be both a feature and the target")
        }

        var values: [Scalar] = []
        var targetNumbers: [Double] = [], targetTexts: [String] = [], targetLines: [Int] = []
        var allNumeric = true
        var rows = 0, dropped = 0
        records: while let line = try scanner.next(into: &fields) {
            guard fields.count == width else {
                throw DataError(path: path, "row has \(fields.count) fields, expected \(width) like the \(header ? "header" : "first row")", line: line)
            }
            func missing(_ column: Int) -> DataError {
                DataError(path: path, "missing value in column '\(names[column])' (drop such rows with the missing-values option)",
                          line: line, column: fields[column].column)
            }
            let mark = values.count
            for column in featureIndices {
                switch scanner.number(fields[column]) {
                case .number(let value): values.append(Scalar(value))
                case .missing:
                    guard missingValues == .dropRows else { throw missing(column) }
                    values.removeSubrange(mark...)
                    dropped += 1
                    continue records
                case .notANumber:
                    throw DataError(path: path, "'\(scanner.text(fields[column]))' in column '\(names[column])' is not a number",
                                    line: line, column: fields[column].column)
                }
            }
            if let targetIndex {
                let field = fields[targetIndex]
                switch scanner.number(field) {
                case .missing:
                    values.removeSubrange(mark...)
                    guard missingValues == .dropRows else { throw missing(targetIndex) }
                    dropped += 1
                    continue records
                case .number(let value):
                    targetNumbers.append(value)
                case .notANumber:
                    guard labels != .numbers else {
                        throw DataError(path: path, "target '\(scanner.text(field))' in column '\(names[targetIndex])' is not a number",
                                        line: line, column: field.column)
                    }
                    allNumeric = false
                    targetNumbers.append(.nan)
                }
                if labels != .numbers { targetTexts.append(scanner.text(field)); targetLines.append(line) }
            }
            rows += 1
        }
        guard rows > 0 else {
            throw DataError(path: path, dropped > 0 ? "every row has a missing value: nothing left to load" : "the file has a header but no data rows")
        }

        // Targets: numbers, or class indices of labels.
        var targets: [Scalar]
        var classes: [String]? = nil
        if targetIndex == nil {
            targets = [Scalar](repeating: 0, count: rows)
        } else if labels == .numbers || (labels == .automatic && allNumeric && classNames == nil) {
            targets = targetNumbers.map { Scalar($0) }
        } else {
            let names = classNames ?? Set(targetTexts).sorted { a, b in
                if allNumeric, let x = Double(a), let y = Double(b) { return x < y }
                return a < b
            }
            let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            targets = []
            targets.reserveCapacity(rows)
            for (text, line) in zip(targetTexts, targetLines) {
                guard let k = index[text] else {
                    throw DataError(path: path, "label '\(text)' is not one of the model's classes (\(names.joined(separator: ", ")))", line: line)
                }
                targets.append(Scalar(k))
            }
            classes = names
        }
        return CSVDataset(dataset: Dataset(features: Tensor(shape: [rows, featureIndices.count], scalars: values), targets: Tensor(targets)),
                          featureNames: featureIndices.map { names[$0] }, targetName: targetIndex.map { names[$0] },
                          classNames: classes, droppedRows: dropped, hasHeader: header)
    }
}
