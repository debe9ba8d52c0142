import SynapseCore
import SynapseNN
import Foundation

/// How a table's raw feature columns become the numbers a network sees, fitted on training data
/// and kept with the model (metadata `feature_encoding`), so that prediction encodes new rows
/// exactly as training did:
///
/// - a **numeric** column gives one feature, its value;
/// - a **text** column (no value a number, missing ones aside; a column mixing numbers and text
///   is an error, most likely a slip) is one-hot encoded: one feature per category seen in the training rows (sorted as text), 1 for the
///   row's category and 0 for the others. A category the training rows did not have gives all
///   zeros (scikit-learn's `OneHotEncoder(handle_unknown="ignore")`); ``CSVDataset/unknownCategories``
///   counts such values, so a program can warn about them. At most ``maximumCategories``
///   categories per column;
/// - a **missing** value — an empty field, `NA`, `N/A`, `NaN`, `null`, `None` or `?` (any case),
///   as everywhere in the CSV loader — is replaced with the column's ``Column/fill`` (numeric) or
///   ``Column/fillCategory`` (text) when the encoding imputes (``imputation``), and is an error
///   otherwise (or its row is dropped, with ``MissingValuePolicy/dropRows``).
///
/// Fitted by ``CSVDataset`` with ``CSVFeatureMode/fit(imputation:heldOut:)``; applied with ``CSVFeatureMode/apply(_:)``.
public struct FeatureEncoding: Sendable, Equatable, Codable {
    /// How missing values are filled, from the training rows' values of the column.
    public enum Imputation: String, Sendable, Codable, CaseIterable {
        /// The column's mean (text columns: the most frequent category).
        case mean
        /// The column's median (the mean of the middle two for an even count; text columns: the most frequent category).
        case median
        /// The column's most frequent value (the smallest of those tied).
        case mostFrequent = "most-frequent"
    }

    /// One raw column of the table.
    public struct Column: Sendable, Equatable, Codable {
        /// The column's name (its header name, or `column N`).
        public var name: String
        /// The categories of a text column, in feature order; nil for a numeric column.
        public var categories: [String]?
        /// The value a missing entry of a numeric column gets; nil: missing values are not imputed.
        public var fill: Double?
        /// The category a missing entry of a text column gets; nil: missing values are not imputed.
        public var fillCategory: String?

        /// A column with explicit contents (e.g. decoded from a model file).
        public init(name: String, categories: [String]? = nil, fill: Double? = nil, fillCategory: String? = nil) {
            self.name = name
            self.categories = categories
            self.fill = fill
            self.fillCategory = fillCategory
        }

        /// The features this column gives: one per category, or one.
        public var width: Int { categories?.count ?? 1 }
    }

    /// The raw columns, in the order the features are laid out.
    public var columns: [Column]
    /// How missing values were imputed; nil when they are not.
    public var imputation: Imputation?

    /// An encoding with explicit columns.
    public init(columns: [Column], imputation: Imputation?) {
        self.columns = columns
        self.imputation = imputation
    }

    /// The number of features the encoding gives per row.
    public var width: Int { columns.reduce(0) { $0 + $1.width } }

    /// The encoded features' names: a numeric column's name, and `name=category` for each category of a text column.
    public var featureNames: [String] {
        columns.flatMap { column in column.categories.map { $0.map { "\(column.name)=\($0)" } } ?? [column.name] }
    }

    /// The raw columns' names.
    public var columnNames: [String] { columns.map(\.name) }

    /// Whether the encoding changes anything: a text column, or imputation.
    public var isNeeded: Bool { imputation != nil || columns.contains { $0.categories != nil } }

    /// The most categories one text column may have: 1 000, or the environment variable
    /// `SYNAPSE_MAX_CATEGORIES` when it holds a positive integer.
    public static var maximumCategories: Int {
        guard let text = ProcessInfo.processInfo.environment["SYNAPSE_MAX_CATEGORIES"], let value = Int(text), value > 0 else { return 1000 }
        return value
    }

    /// Checks an encoding from an untrusted source (a model file): at least one column, names and
    /// categories of at most ``ResourceLimits/nameLength`` bytes together, no repeated category, at
    /// most ``maximumCategories`` categories per column and at most `maximumWidth` features, finite
    /// fills, and fill categories that are categories.
    /// - Returns: a description of the first problem, or nil.
    public func problem(maximumWidth: Int) -> String? {
        guard !columns.isEmpty else { return "no columns" }
        let limit = Self.maximumCategories
        var total = 0
        for (index, column) in columns.enumerated() {
            let name = "column \(index + 1) ('\(Excerpt.of(column.name))')"
            if column.name.utf8.count > ResourceLimits.nameLength { return "the name of \(name) is longer than \(ResourceLimits.nameLength) bytes" }
            if let fill = column.fill, !(abs(fill) <= Double(Float.greatestFiniteMagnitude)) { return "\(name) has the fill value \(fill), not a finite float32" }
            if let categories = column.categories {
                if column.fill != nil { return "\(name) is a text column with a numeric fill value" }
                guard !categories.isEmpty else { return "\(name) has no categories" }
                guard categories.count <= limit else {
                    return "\(name) has \(categories.count) categories, more than \(limit) (SYNAPSE_MAX_CATEGORIES raises the limit)"
                }
                guard Set(categories).count == categories.count else { return "\(name) repeats a category" }
                if let long = categories.first(where: { column.name.utf8.count + 1 + $0.utf8.count > ResourceLimits.nameLength }) {
                    return "category '\(Excerpt.of(long))' of \(name) makes a feature name longer than \(ResourceLimits.nameLength) bytes"
                }
                if let fill = column.fillCategory, !categories.contains(fill) { return "the fill category of \(name) is not one of its categories" }
            } else if column.fillCategory != nil {
                return "\(name) is a numeric column with a fill category"
            }
            total += column.width
            guard total <= maximumWidth else { return "the columns give more than \(maximumWidth) features" }
        }
        return nil
    }
}

/// How ``CSVDataset`` turns feature columns into numbers.
public enum CSVFeatureMode: Sendable, Equatable {
    /// Every feature column must hold numbers (no ``FeatureEncoding``).
    case numeric
    /// Fit a ``FeatureEncoding`` on the rows loaded when some feature column holds text or
    /// `imputation` is given (else load as ``numeric``): text columns are one-hot encoded, and
    /// missing values filled by `imputation` (with none, a missing value is an error or drops its
    /// row, as the missing-value policy says).
    ///
    /// With `heldOut`, the rows a training run will hold out for validation are left out of the
    /// fit (categories and fill values come from the training rows only, as the feature scaling
    /// does); their values are still checked, and a category only they have is encoded as all zeros.
    case fit(imputation: FeatureEncoding.Imputation?, heldOut: HeldOutRows? = nil)
    /// Encode with a fitted encoding (a model's); its columns are the feature columns, in order.
    case apply(FeatureEncoding)
}

/// Thrown inside the loader when a feature column holds text under ``CSVFeatureMode/fit(imputation:heldOut:)``
/// without an encoding yet: the load starts again with one fitted.
struct NeedsFeatureEncoding: Error {}

extension FeatureEncoding {
    /// What the fitting pass knows about one column.
    private struct ColumnStatistics {
        /// The first text and the first number met (line, excerpt): a column holds one kind.
        var firstText: (Int, String)? = nil, firstNumber: (Int, String)? = nil
        var text: Bool { firstText != nil }
        /// Every distinct text value's count.
        var counts: [String: Int] = [:]
        var sum = 0.0, count = 0
        /// The numbers, kept for a median or a most frequent value.
        var numbers = ChunkedStore<Double>()
    }

    /// Fits an encoding on the records `scanner` has left (the data rows), for the columns
    /// `featureIndices` of `names`. Rows the loader would drop (missing target, or a missing
    /// feature when nothing is imputed, under `dropRows`) are left out of the statistics, and so
    /// are the rows `heldOut` describes (counted among the rows kept, as the loader counts them).
    static func fit(scanner: CSVScanner, width: Int, header: Bool, featureIndices: [Int], names: [String], targetIndex: Int?,
                    imputation: Imputation?, dropRows: Bool, heldOut: HeldOutRows?, path: String) throws -> FeatureEncoding {
        var fields: [CSVField] = []
        /// Whether the loader keeps a record (after checking its width).
        func kept(_ scanner: CSVScanner, line: Int) throws -> Bool {
            guard fields.count == width else {
                throw DataError(path: path, "row has \(fields.count) fields, expected \(width) like the \(header ? "header" : "first row")", line: line)
            }
            guard dropRows else { return true }
            if let targetIndex, scanner.number(fields[targetIndex]) == .missing { return false }
            if imputation == nil, featureIndices.contains(where: { scanner.number(fields[$0]) == .missing }) { return false }
            return true
        }
        // The held-out rows, from the number of rows kept (a first pass when some are held out).
        var heldOutMask: [Bool]? = nil
        if let heldOut {
            var counting = scanner, count = 0
            while let line = try counting.next(into: &fields) {
                if try kept(counting, line: line) { count += 1 }
            }
            heldOutMask = heldOut.mask(rows: count)
        }
        var scanner = scanner
        var statistics = [ColumnStatistics](repeating: ColumnStatistics(), count: featureIndices.count)
        let limit = maximumCategories
        let keepNumbers = imputation == .median || imputation == .mostFrequent
        var rows = 0, trainingRows = 0
        records: while let line = try scanner.next(into: &fields) {
            guard try kept(scanner, line: line) else { continue records }
            let training = !(heldOutMask?[rows] ?? false)
            rows += 1
            if training { trainingRows += 1 }
            for (k, column) in featureIndices.enumerated() {
                let field = fields[column]
                let name = CSVDataset<Double>.quoted(names[column])
                switch scanner.number(field) {
                case .missing:
                    continue
                case .nonFinite:
                    throw DataError(path: path, "'\(scanner.excerpt(field))' in column \(name) is NaN or infinite, or too large for float64",
                                    line: line, column: field.column)
                case .number(let number):
                    // A number among text: most likely a slip, never guessed to be a category.
                    if let first = statistics[k].firstText {
                        throw DataError(path: path, "'\(scanner.excerpt(field))' in column \(name) is a number, but the column holds text "
                                        + "('\(first.1)' on line \(first.0)); a column is either numbers or text", line: line, column: field.column)
                    }
                    if statistics[k].firstNumber == nil { statistics[k].firstNumber = (line, scanner.excerpt(field)) }
                    guard training else { continue }
                    statistics[k].sum += number
                    statistics[k].count += 1
                    if keepNumbers { statistics[k].numbers.append(number) }
                case .notANumber:
                    if let first = statistics[k].firstNumber {
                        throw DataError(path: path, "'\(scanner.excerpt(field))' in column \(name) is not a number, but the column's other values are "
                                        + "('\(first.1)' on line \(first.0)); a column is either numbers or text", line: line, column: field.column)
                    }
                    if statistics[k].firstText == nil { statistics[k].firstText = (line, scanner.excerpt(field)) }
                    guard training else { continue }
                    let text = scanner.text(field)
                    if let count = statistics[k].counts[text] {
                        statistics[k].counts[text] = count + 1
                    } else if statistics[k].counts.count < limit {
                        if names[column].utf8.count + 1 + text.utf8.count > ResourceLimits.nameLength {
                            throw DataError(path: path, "'\(scanner.excerpt(field))' in column \(name) is \(text.utf8.count) bytes long: "
                                            + "a category and its column's name may have at most \(ResourceLimits.nameLength - 1) bytes together", line: line, column: field.column)
                        }
                        statistics[k].counts[text] = 1
                    } else {
                        throw tooManyCategories(names[column], limit: limit, line: line, path: path)
                    }
                }
            }
        }
        guard trainingRows > 0 else { throw DataError(path: path, "no data rows to fit the feature encoding on") }
        var columns: [Column] = []
        for (k, column) in featureIndices.enumerated() {
            var statistics = statistics[k]
            let name = names[column]
            if statistics.text {
                let categories = statistics.counts.keys.sorted()
                guard !categories.isEmpty else {
                    throw DataError(path: path, "text column \(CSVDataset<Double>.quoted(name)) has no values in the training rows (only in the rows held out for validation)")
                }
                var fillCategory: String? = nil
                if imputation != nil {
                    // The most frequent category; the first in order among those tied.
                    fillCategory = categories.max { a, b in
                        let (x, y) = (statistics.counts[a] ?? 0, statistics.counts[b] ?? 0)
                        return x != y ? x < y : a > b
                    }
                }
                columns.append(Column(name: name, categories: categories, fillCategory: fillCategory))
                continue
            }
            var fill: Double? = nil
            if let imputation {
                guard statistics.count > 0 else {
                    throw DataError(path: path, "column \(CSVDataset<Double>.quoted(name)) has no values \(heldOutMask == nil ? "" : "in the training rows ")to impute its missing ones from")
                }
                switch imputation {
                case .mean:
                    fill = statistics.sum / Double(statistics.count)
                    if !(fill?.isFinite ?? false) { fill = 0 }   // sums beyond Double's range: refused below as not float32
                case .median, .mostFrequent:
                    var values = [Double](repeating: 0, count: statistics.numbers.count)
                    values.withUnsafeMutableBufferPointer { buffer in
                        if let base = buffer.baseAddress { statistics.numbers.move(into: base) }
                    }
                    values.sort()
                    if imputation == .median {
                        let middle = values.count / 2
                        fill = values.count % 2 == 1 ? values[middle] : values[middle - 1] / 2 + values[middle] / 2
                    } else {
                        var best = values[0], bestRun = 0, run = 0
                        for (i, value) in values.enumerated() {
                            run = i > 0 && values[i - 1] == value ? run + 1 : 1
                            if run > bestRun { best = value; bestRun = run }
                        }
                        fill = best
                    }
                }
                if let value = fill, !(abs(value) <= Double(Float.greatestFiniteMagnitude)) {
                    throw DataError(path: path, "the \(imputation.rawValue) of column \(CSVDataset<Double>.quoted(name)) is \(value), beyond float32's range")
                }
            }
            columns.append(Column(name: name, fill: fill))
        }
        return FeatureEncoding(columns: columns, imputation: imputation)
    }

    private static func tooManyCategories(_ name: String, limit: Int, line: Int, path: String) -> DataError {
        DataError(path: path, "text column \(CSVDataset<Double>.quoted(name)) has more than \(limit) distinct values (value \(limit < Int.max ? limit + 1 : limit) "
                  + "is on line \(line)); one-hot encoding takes at most \(limit) categories per column (SYNAPSE_MAX_CATEGORIES raises the limit; "
                  + "or leave the column out with --features)")
    }

    /// The encoding prepared for encoding rows: a dictionary per text column.
    struct Encoder {
        let encoding: FeatureEncoding
        let lookups: [[String: Int]?]
        let fillIndices: [Int?]

        init(_ encoding: FeatureEncoding) {
            self.encoding = encoding
            let lookups = encoding.columns.map { column in
                column.categories.map { Dictionary($0.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first }) }
            }
            self.lookups = lookups
            fillIndices = encoding.columns.indices.map { k in
                guard let fill = encoding.columns[k].fillCategory else { return nil }
                return lookups[k]?[fill]
            }
        }

        /// What ``write(_:column:scanner:into:)`` did with a field.
        enum Outcome { case written, unknownCategory, missing }

        /// Appends the features of raw column `k`'s `field` to `values`: `.missing` (nothing
        /// appended) when the value is missing and not imputed.
        /// - Throws: ``DataError`` for a value a numeric column cannot take.
        @inline(__always)
        func write<Scalar: TensorScalar>(_ field: CSVField, column k: Int, name: String, line: Int, scanner: CSVScanner, path: String,
                                         into values: inout ChunkedStore<Scalar>) throws -> Outcome {
            let column = encoding.columns[k]
            let value = scanner.number(field)
            guard let lookup = lookups[k] else {
                switch value {
                case .number(let number):
                    let scalar = Scalar(number)
                    guard scalar.isFinite else {
                        throw DataError(path: path, "'\(scanner.excerpt(field))' in column \(CSVDataset<Double>.quoted(name)) is NaN or infinite, or too large for \(Scalar.dtypeName)",
                                        line: line, column: field.column)
                    }
                    values.append(scalar)
                case .missing:
                    guard let fill = column.fill else { return .missing }
                    values.append(Scalar(fill))
                case .nonFinite:
                    throw DataError(path: path, "'\(scanner.excerpt(field))' in column \(CSVDataset<Double>.quoted(name)) is NaN or infinite, or too large for \(Scalar.dtypeName)",
                                    line: line, column: field.column)
                case .notANumber:
                    throw DataError(path: path, "'\(scanner.excerpt(field))' in column \(CSVDataset<Double>.quoted(name)) is not a number (the column was numeric in the training data)",
                                    line: line, column: field.column)
                }
                return .written
            }
            let index: Int?
            if value == .missing {
                guard let fill = fillIndices[k] else { return .missing }
                index = fill
            } else {
                index = lookup[scanner.text(field)]
            }
            for position in 0..<lookup.count { values.append(position == index ? 1 : 0) }
            return index == nil ? .unknownCategory : .written
        }
    }
}
