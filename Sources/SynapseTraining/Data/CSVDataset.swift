import SynapseCore
import SynapseNN
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

    /// `'name'` (cut to ``Excerpt/length`` characters) or `column N`, N counted
    /// from 1 as messages and the command line count columns.
    public var description: String {
        switch self {
        case .name(let name): return "'\(Excerpt.of(name))'"
        case .index(let index): return "column \(CSVDataset<Double>.oneBased(index))"
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
/// straight into chunked buffers that are moved into the tensor at the end, and text labels are
/// kept once per distinct label, so a 100 MB file costs its bytes plus about the tensor, not
/// several copies of its text.
///
/// Values must be finite in `Scalar` (`1e39` is too large for `Float`); `inf` is refused like
/// one, and `NaN` is a missing value. At most ``ResourceLimits/classes`` distinct text labels
/// make classes.
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
    /// The encoding the feature columns went through (fitted or applied), when one was needed
    /// (see ``CSVFeatureMode``); ``featureNames`` are then the encoded features' names.
    public var featureEncoding: FeatureEncoding? = nil
    /// Values of text columns that are none of the encoding's categories (encoded as all zeros).
    public var unknownCategories: Int = 0

    /// Loads a CSV file (gzip-compressed or not).
    ///
    /// - Parameters:
    ///   - target: the target column, or nil for features only (targets are then zeros).
    ///   - features: the feature columns, in this order; nil for every column but the target.
    ///   - hasHeader: nil to detect it: the first row is a header when some column holds text
    ///     there and a number in the second row (or, for a one-row file, when it holds no number).
    ///   - labels: how target values become targets; `classNames` given here fix the mapping
    ///     (e.g. a model's), and a label outside them is an error.
    ///   - missingValues: error or drop rows with empty/`NA`/`N/A`/`NaN`/`null`/`None`/`?` values
    ///     (values an encoding imputes are not missing).
    ///   - featureMode: numbers only, or text columns one-hot encoded and missing values imputed
    ///     by a ``FeatureEncoding`` fitted here or given (``CSVFeatureMode``).
    /// - Throws: ``DataError`` with `file:line:column` for malformed content.
    public static func load(_ path: String, target: CSVColumn?, features: [CSVColumn]? = nil, delimiter: Character = ",",
                            hasHeader: Bool? = nil, labels: CSVLabels = .automatic, classNames: [String]? = nil,
                            missingValues: MissingValuePolicy = .error, featureMode: CSVFeatureMode = .numeric,
                            as type: Scalar.Type = Scalar.self) throws -> CSVDataset {
        let separator = try delimiterByte(delimiter, path: path)
        return try FileBytes.withContents(path) { bytes in
            try load(bytes: bytes, path: path, target: target, features: features, delimiter: separator, hasHeader: hasHeader,
                     labels: labels, classNames: classNames, missingValues: missingValues, featureMode: featureMode)
        }
    }

    /// Loads CSV text (standard input, tests), as ``load(_:target:features:delimiter:hasHeader:labels:classNames:missingValues:featureMode:as:)``.
    public static func parse(_ text: String, path: String = "-", target: CSVColumn?, features: [CSVColumn]? = nil,
                             delimiter: Character = ",", hasHeader: Bool? = nil, labels: CSVLabels = .automatic,
                             classNames: [String]? = nil, missingValues: MissingValuePolicy = .error,
                             featureMode: CSVFeatureMode = .numeric, as type: Scalar.Type = Scalar.self) throws -> CSVDataset {
        let separator = try delimiterByte(delimiter, path: path)
        var utf8 = Array(text.utf8)
        return try utf8.withUnsafeMutableBytes { raw in
            try load(bytes: UnsafeRawBufferPointer(raw), path: path, target: target, features: features, delimiter: separator,
                     hasHeader: hasHeader, labels: labels, classNames: classNames, missingValues: missingValues, featureMode: featureMode)
        }
    }

    /// Loads CSV bytes (UTF-8, possibly gzip-compressed), as ``load(_:target:features:delimiter:hasHeader:labels:classNames:missingValues:featureMode:as:)``.
    public static func decode(_ bytes: [UInt8], path: String = "-", target: CSVColumn?, features: [CSVColumn]? = nil,
                              delimiter: Character = ",", hasHeader: Bool? = nil, labels: CSVLabels = .automatic,
                              classNames: [String]? = nil, missingValues: MissingValuePolicy = .error,
                              featureMode: CSVFeatureMode = .numeric, as type: Scalar.Type = Scalar.self) throws -> CSVDataset {
        let separator = try delimiterByte(delimiter, path: path)
        let plain = FileBytes.isGzip(bytes) ? try FileBytes.gunzip(bytes, path: path) : bytes
        return try plain.withUnsafeBytes { raw in
            try load(bytes: raw, path: path, target: target, features: features, delimiter: separator, hasHeader: hasHeader,
                     labels: labels, classNames: classNames, missingValues: missingValues, featureMode: featureMode)
        }
    }

    /// Loads the bytes under `featureMode`: a fit without imputation first tries the numbers-only
    /// load, and fits an encoding only when a feature column turns out to hold text.
    private static func load(bytes: UnsafeRawBufferPointer, path: String, target: CSVColumn?, features: [CSVColumn]?,
                             delimiter: UInt8, hasHeader: Bool?, labels: CSVLabels, classNames: [String]?,
                             missingValues: MissingValuePolicy, featureMode: CSVFeatureMode) throws -> CSVDataset {
        if case .fit(nil, _) = featureMode {
            do {
                return try load(bytes: bytes, path: path, target: target, features: features, delimiter: delimiter, hasHeader: hasHeader,
                                labels: labels, classNames: classNames, missingValues: missingValues, featureMode: featureMode, fitNow: false)
            } catch is NeedsFeatureEncoding {}
        }
        return try load(bytes: bytes, path: path, target: target, features: features, delimiter: delimiter, hasHeader: hasHeader,
                        labels: labels, classNames: classNames, missingValues: missingValues, featureMode: featureMode, fitNow: true)
    }

    /// The delimiter as one ASCII byte.
    static func delimiterByte(_ delimiter: Character, path: String) throws -> UInt8 {
        guard let ascii = delimiter.asciiValue, delimiter != "\"", delimiter != "\n", delimiter != "\r" else {
            throw DataError(path: path, "the delimiter must be one ASCII character other than a quote or line end, got '\(Excerpt.of(String(delimiter)))'")
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

    /// "the file has N columns: 1 to N", for messages about a column that does not exist.
    static func columnRange(_ width: Int) -> String {
        width == 1 ? "the file has 1 column" : "the file has \(width) columns: 1 to \(width)"
    }

    /// `index + 1` as text, for messages that count columns from 1.
    static func oneBased(_ index: Int) -> String {
        index < Int.max ? String(index + 1) : "\(index) + 1"
    }

    /// A name from the input, quoted and cut for a message.
    static func quoted(_ name: String) -> String { "'\(Excerpt.of(name))'" }

    /// Names from the input as a message lists them: each cut, at most 20 of them.
    static func listing(_ names: [String]) -> String {
        let shown = names.prefix(20).map { Excerpt.of($0) }.joined(separator: ", ")
        return names.count > 20 ? "\(shown), … (\(names.count) in all)" : shown
    }

    // Specialised for both scalar types: the unspecialised generic loop spends most of its time
    // looking up generic metadata for every value appended.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private static func load(bytes: UnsafeRawBufferPointer, path: String, target: CSVColumn?, features: [CSVColumn]?,
                             delimiter: UInt8, hasHeader: Bool?, labels: CSVLabels, classNames: [String]?,
                             missingValues: MissingValuePolicy, featureMode: CSVFeatureMode, fitNow: Bool) throws -> CSVDataset {
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

        // Column numbers in messages count from 1, as the command line's flags do.
        func resolve(_ column: CSVColumn, role: String) throws -> Int {
            switch column {
            case .index(let index):
                guard index >= 0 && index < width else {
                    throw DataError(path: path, "\(role) column \(oneBased(index)) does not exist (\(columnRange(width)))")
                }
                return index
            case .name(let name):
                guard header else {
                    throw DataError(path: path, "\(role) column \(quoted(name)) is named, but the file has no header row "
                                    + "(give the column's number instead, counting from 1)")
                }
                guard let index = headerNames.firstIndex(of: name) else {
                    throw DataError(path: path, "no \(role) column \(quoted(name)) in the header (columns: \(listing(headerNames)))")
                }
                return index
            }
        }
        let targetIndex = try target.map { try resolve($0, role: "target") }
        let featureIndices = try features.map { try $0.map { try resolve($0, role: "feature") } }
            ?? (0..<width).filter { $0 != targetIndex }
        guard !featureIndices.isEmpty else {
            let delimiterHint = width == 1 && CSVDialect.candidates.contains(where: { $0 != Character(UnicodeScalar(delimiter)) && (headerNames.first ?? "").contains($0) })
                ? " (is the delimiter another than '\(Character(UnicodeScalar(delimiter)))'?)" : ""
            throw DataError(path: path, "no feature columns: the file has only \(width == 1 ? "1 column" : "\(width) columns"), "
                            + (targetIndex.map { "and column \(quoted(names[$0])) is the target" } ?? "and none is chosen") + delimiterHint)
        }
        if let targetIndex, featureIndices.contains(targetIndex) {
            throw DataError(path: path, "column \(quoted(names[targetIndex])) cannot be both a feature and the target")
        }
        if let long = (featureIndices + (targetIndex.map { [$0] } ?? [])).first(where: { names[$0].utf8.count > ResourceLimits.nameLength }) {
            throw DataError(path: path, "the name of column \(long + 1) ('\(Excerpt.of(names[long]))') is \(names[long].utf8.count) bytes long; "
                            + "column names may have at most \(ResourceLimits.nameLength)")
        }

        // The feature encoding: fitted here on the (training) data rows, or given.
        var encoding: FeatureEncoding? = nil
        switch featureMode {
        case .numeric: break
        case .apply(let given):
            guard given.columns.count == featureIndices.count else {
                throw DataError(path: path, "the feature encoding has \(given.columns.count) columns but \(featureIndices.count) feature columns were chosen")
            }
            encoding = given
        case .fit(let imputation, let heldOut):
            if fitNow {
                let fitted = try FeatureEncoding.fit(scanner: scanner, width: width, header: header, featureIndices: featureIndices, names: names,
                                                     targetIndex: targetIndex, imputation: imputation, dropRows: missingValues == .dropRows,
                                                     heldOut: heldOut, path: path)
                if fitted.isNeeded { encoding = fitted }
            }
        }
        let encoder = encoding.map { FeatureEncoding.Encoder($0) }
        let mayNeedEncoding: Bool = { if case .fit = featureMode { return !fitNow } else { return false } }()
        var unknownCategories = 0
        let encodedWidth = encoding?.width ?? featureIndices.count
        let encodedValueLimit = ResourceLimits.current.parameters

        func notFinite(_ field: CSVField, column: Int, line: Int) -> DataError {
            DataError(path: path, "'\(scanner.excerpt(field))' in column \(quoted(names[column])) is NaN or infinite, or too large for \(Scalar.dtypeName)",
                      line: line, column: field.column)
        }

        // Targets: numbers while they may be numbers, and label ids (one string per distinct
        // label) while they may be labels; whichever the column turns out to be is kept.
        let classLimit = ResourceLimits.current.classes
        let given: [String: Int]? = classNames.map { Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
        var keepNumbers = targetIndex != nil && (labels == .numbers || (labels == .automatic && classNames == nil))
        var keepLabels = targetIndex != nil && labels != .numbers
        var numbers = ChunkedStore<Scalar>(), ids = ChunkedStore<Int32>()
        var labelIDs: [String: Int32] = [:], labelTexts: [String] = []
        var allNumeric = true
        var firstNotFinite: DataError? = nil   // a number too large for Scalar: an error if the targets stay numbers
        var overflowLine: Int? = nil           // where a numeric column passed the class limit (automatic labels)
        var longLabel: DataError? = nil        // a label too long for a class name, in a column that may still be numbers

        var values = ChunkedStore<Scalar>()
        var rows = 0, dropped = 0
        records: while let line = try scanner.next(into: &fields) {
            guard fields.count == width else {
                throw DataError(path: path, "row has \(fields.count) fields, expected \(width) like the \(header ? "header" : "first row")", line: line)
            }
            func missing(_ column: Int) -> DataError {
                DataError(path: path, "missing value in column \(quoted(names[column])) (fill such values with '--impute', or leave their rows out with '--drop-missing'; missingValues: .dropRows in Swift)",
                          line: line, column: fields[column].column)
            }
            var written = 0
            if let encoder {
                for (k, column) in featureIndices.enumerated() {
                    let before = values.count
                    switch try encoder.write(fields[column], column: k, name: names[column], line: line, scanner: scanner, path: path, into: &values) {
                    case .written: break
                    case .unknownCategory: unknownCategories += 1
                    case .missing:
                        guard missingValues == .dropRows else { throw missing(column) }
                        values.removeLast(written)
                        dropped += 1
                        continue records
                    }
                    written += values.count - before
                }
                // One-hot codes can be far larger than their text: bounded as a network's parameters are.
                if values.count > encodedValueLimit {
                    throw DataError(path: path, "the encoded features pass \(encodedValueLimit) values at this row (\(encodedWidth) per row); "
                                    + "SYNAPSE_MAX_PARAMETERS raises the limit, --features can leave text columns out", line: line)
                }
            }
            for column in featureIndices where encoder == nil {
                let field = fields[column]
                switch scanner.number(field) {
                case .number(let number):
                    let value = Scalar(number)
                    guard value.isFinite else { throw notFinite(field, column: column, line: line) }
                    values.append(value)
                    written += 1
                case .missing:
                    guard missingValues == .dropRows else { throw missing(column) }
                    values.removeLast(written)
                    dropped += 1
                    continue records
                case .nonFinite:
                    throw notFinite(field, column: column, line: line)
                case .notANumber:
                    if mayNeedEncoding { throw NeedsFeatureEncoding() }
                    throw DataError(path: path, "'\(scanner.excerpt(field))' in column \(quoted(names[column])) is not a number",
                                    line: line, column: field.column)
                }
            }
            if let targetIndex {
                let field = fields[targetIndex]
                let value = scanner.number(field)
                if value == .missing {
                    values.removeLast(written)
                    guard missingValues == .dropRows else { throw missing(targetIndex) }
                    dropped += 1
                    continue records
                }
                switch value {
                case .number(let number) where keepNumbers:
                    let scalar = Scalar(number)
                    if !scalar.isFinite {
                        if labels == .numbers { throw notFinite(field, column: targetIndex, line: line) }
                        if firstNotFinite == nil { firstNotFinite = notFinite(field, column: targetIndex, line: line) }
                    }
                    numbers.append(scalar)
                case .nonFinite where keepNumbers:
                    if labels == .numbers { throw notFinite(field, column: targetIndex, line: line) }
                    if firstNotFinite == nil { firstNotFinite = notFinite(field, column: targetIndex, line: line) }
                    numbers.append(.nan)
                case .notANumber:
                    guard labels != .numbers else {
                        throw DataError(path: path, "target '\(scanner.excerpt(field))' in column \(quoted(names[targetIndex])) is not a number",
                                        line: line, column: field.column)
                    }
                    allNumeric = false
                    if keepNumbers { keepNumbers = false; numbers = ChunkedStore(); firstNotFinite = nil }
                default: break
                }
                func tooManyClasses() -> DataError {
                    DataError(path: path, "column \(quoted(names[targetIndex])) has more than \(classLimit) distinct class labels (label "
                              + "\(classLimit < Int.max ? classLimit + 1 : classLimit) is on line \(overflowLine ?? line)); "
                              + "set SYNAPSE_MAX_CLASSES to raise the limit", line: line)
                }
                if keepLabels {
                    let text = scanner.text(field)
                    if let given {
                        guard let k = given[text] else {
                            throw DataError(path: path, "label \(quoted(text)) is not one of the model's classes (\(listing(classNames ?? [])))", line: line)
                        }
                        ids.append(Int32(truncatingIfNeeded: k))
                    } else if let id = labelIDs[text] {
                        ids.append(id)
                    } else if text.utf8.count > ResourceLimits.nameLength {
                        // Too long for a class name: an error unless the column can still be numbers.
                        let error = DataError(path: path, "label '\(scanner.excerpt(field))' in column \(quoted(names[targetIndex])) is \(text.utf8.count) bytes long; "
                                              + "class names may have at most \(ResourceLimits.nameLength)", line: line)
                        guard keepNumbers else { throw error }
                        longLabel = error
                        keepLabels = false
                        ids = ChunkedStore()
                        labelIDs = [:]
                        labelTexts = []
                    } else if labelTexts.count < classLimit {
                        let id = Int32(truncatingIfNeeded: labelTexts.count)
                        labelIDs[text] = id
                        labelTexts.append(text)
                        ids.append(id)
                    } else {
                        overflowLine = line
                        // Too many for classes: an error unless the column can still be numbers.
                        guard keepNumbers else { throw tooManyClasses() }
                        keepLabels = false
                        ids = ChunkedStore()
                        labelIDs = [:]
                        labelTexts = []
                    }
                } else if overflowLine != nil && !keepNumbers {
                    throw tooManyClasses()   // the column passed the class limit as numbers, then turned out to be labels
                } else if let longLabel, !keepNumbers {
                    throw longLabel          // a long number, then labels after all
                }
            }
            rows += 1
        }
        guard rows > 0 else {
            throw DataError(path: path, dropped > 0 ? "every row has a missing value: nothing left to load" : "the file has a header but no data rows")
        }

        // Targets: numbers, or class indices of labels.
        let features = Tensor<Scalar>(uninitializedShape: [rows, encodedWidth])
        values.move(into: features.data)
        var targets: Tensor<Scalar>
        var classes: [String]? = nil
        if targetIndex == nil {
            targets = Tensor(zeros: [rows])
        } else if keepNumbers {
            if let firstNotFinite { throw firstNotFinite }
            targets = Tensor(uninitializedShape: [rows])
            numbers.move(into: targets.data)
        } else {
            let order: [Int]
            if let classNames {
                order = Array(classNames.indices)
                classes = classNames
            } else {
                // Sorted: numerically when every label is a number, else as text.
                order = labelTexts.indices.sorted { i, j in
                    let (a, b) = (labelTexts[i], labelTexts[j])
                    if allNumeric, let x = Double(a), let y = Double(b), x != y { return x < y }
                    return a < b
                }
                classes = order.map { labelTexts[$0] }
            }
            var rank = [Scalar](repeating: 0, count: order.count)
            for (k, id) in order.enumerated() { rank[id] = Scalar(k) }
            targets = Tensor(zeros: [rows])
            ids.forEach { i, id in targets.data[i] = rank[Int(id)] }
        }
        return CSVDataset(dataset: try Dataset(checkedFeatures: features, targets: targets, path: path),
                          featureNames: encoding?.featureNames ?? featureIndices.map { names[$0] }, targetName: targetIndex.map { names[$0] },
                          classNames: classes, droppedRows: dropped, hasHeader: header, featureEncoding: encoding,
                          unknownCategories: unknownCategories)
    }
}

/// Values appended in fixed-size chunks (1 MiB each): growing never copies what is stored (an
/// array that doubles holds its old and new buffers at once), and ``move(into:)`` frees each
/// chunk as soon as it is copied, so moving the values into a tensor costs one chunk, not a
/// second copy of them all.
struct ChunkedStore<Element> {
    private var chunks: [[Element]] = []
    /// The number of values stored.
    private(set) var count = 0

    private static var chunkCapacity: Int { Swift.max(1, (1 << 20) / Swift.max(1, MemoryLayout<Element>.stride)) }

    /// Appends one value.
    mutating func append(_ value: Element) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkCapacity {
            chunks.append([])
            chunks[chunks.count - 1].reserveCapacity(Self.chunkCapacity)
        }
        chunks[chunks.count - 1].append(value)
        count += 1
    }

    /// Removes the last `k` values (a row that is dropped after all).
    mutating func removeLast(_ k: Int) {
        var k = Swift.min(k, count)
        while k > 0, let last = chunks.indices.last {
            let n = Swift.min(k, chunks[last].count)
            chunks[last].removeLast(n)
            if chunks[last].isEmpty { chunks.removeLast() }
            k -= n
            count -= n
        }
    }

    /// Calls `body` with each value's position and the value, in order.
    func forEach(_ body: (Int, Element) -> Void) {
        var i = 0
        for chunk in chunks {
            for value in chunk { body(i, value); i += 1 }
        }
    }

    /// Copies the values, in order, to `destination` (which must have room for ``count``),
    /// freeing each chunk once copied; the store is empty afterwards.
    mutating func move(into destination: UnsafeMutablePointer<Element>) {
        var offset = 0
        for k in chunks.indices {
            chunks[k].withUnsafeBufferPointer { chunk in
                if let base = chunk.baseAddress { (destination + offset).initialize(from: base, count: chunk.count) }
                offset += chunk.count
            }
            chunks[k] = []
        }
        chunks = []
        count = 0
    }
}
