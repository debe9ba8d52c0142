import SynapseCore
import SynapseNN
/// A small CSV file as a table of strings (see ``CSVDataset`` for loading features and targets
/// from files of any size: a table costs about 100 bytes per row more than its text). Every
/// error names `file:line:column`; column numbers count from 1.
public struct CSVTable: Sendable {
    /// The column names, when the file has a header row.
    public var header: [String]?
    /// The data rows' fields.
    public var rows: [[String]]
    /// The 1-based line number of each data row (for error messages).
    public var lineNumbers: [Int]
    /// Where the table came from.
    public var path: String

    /// Reads `path` (gzip-compressed or not). `hasHeader` nil means: detect it (see
    /// ``CSVDataset/load(_:target:features:delimiter:hasHeader:labels:classNames:missingValues:as:)``).
    ///
    /// `maxRows` reads only the first data rows (at least one; the header is detected from them):
    /// a plain file is then scanned no further, and a gzip file is inflated only as far as they
    /// reach, so peeking at the column names of a large file is cheap.
    public static func read(_ path: String, delimiter: Character = ",", hasHeader: Bool? = nil, maxRows: Int? = nil) throws -> CSVTable {
        let separator = try CSVDataset<Double>.delimiterByte(delimiter, path: path)
        guard let maxRows else {
            return try FileBytes.withContents(path) { try parse(bytes: $0, path: path, delimiter: separator, hasHeader: hasHeader, maxRows: nil) }
        }
        return try FileBytes.withRawContents(path) { raw in
            guard FileBytes.isGzip(raw) else { return try parse(bytes: raw, path: path, delimiter: separator, hasHeader: hasHeader, maxRows: maxRows) }
            // Inflate growing prefixes until one holds the rows wanted, complete.
            let limit = ResourceLimits.current.decompressedBytes
            var size = 1 << 16
            while true {
                let (head, more) = try FileBytes.inflate(raw, path: path, atMost: Swift.min(size, limit))
                if !more {
                    return try head.withUnsafeBytes { try parse(bytes: $0, path: path, delimiter: separator, hasHeader: hasHeader, maxRows: maxRows) }
                }
                if let table = try? head.withUnsafeBytes({ try parsePrefix(bytes: $0, path: path, delimiter: separator, hasHeader: hasHeader, maxRows: maxRows) }) {
                    return table
                }
                guard size < limit else { throw FileBytes.tooLarge(path: path, limit: limit) }
                size = size > limit / 4 ? limit : size * 4
            }
        }
    }

    /// Parses CSV text (see ``read(_:delimiter:hasHeader:maxRows:)``).
    public static func parse(_ text: String, path: String = "-", delimiter: Character = ",", hasHeader: Bool? = nil, maxRows: Int? = nil) throws -> CSVTable {
        let separator = try CSVDataset<Double>.delimiterByte(delimiter, path: path)
        var text = text   // read in place: a native string's UTF-8 is contiguous, so no copy is made
        return try text.withUTF8 { try parse(bytes: UnsafeRawBufferPointer($0), path: path, delimiter: separator, hasHeader: hasHeader, maxRows: maxRows) }
    }

    /// The records of `bytes`, at most `limit` of them, and the first two records' numbers (for the header heuristic).
    private static func collect(bytes: UnsafeRawBufferPointer, path: String, delimiter: UInt8, limit: Int)
        throws -> (records: [[String]], lines: [Int], firstTwo: [[CSVScanner.NumberValue]]) {
        var scanner = CSVScanner(bytes: bytes, delimiter: delimiter, path: path)
        var fields: [CSVField] = []
        var records: [[String]] = [], lines: [Int] = []
        var firstTwo: [[CSVScanner.NumberValue]] = []
        while records.count < limit, let line = try scanner.next(into: &fields) {
            if firstTwo.count < 2 { firstTwo.append(fields.map { scanner.number($0) }) }
            records.append(fields.map { scanner.text($0) })
            lines.append(line)
        }
        return (records, lines, firstTwo)
    }

    /// The table of a whole file, or of its first `maxRows` data rows.
    private static func parse(bytes: UnsafeRawBufferPointer, path: String, delimiter: UInt8, hasHeader: Bool?, maxRows: Int?) throws -> CSVTable {
        // One record more than the rows wanted: the first may be a header.
        let limit = maxRows.map { Swift.max(1, Swift.min($0, Int.max - 2)) + 1 } ?? Int.max
        var (records, lines, firstTwo) = try collect(bytes: bytes, path: path, delimiter: delimiter, limit: limit)
        return try table(&records, lines: &lines, firstTwo: firstTwo, path: path, hasHeader: hasHeader, maxRows: maxRows)
    }

    /// The table of the first `maxRows` data rows of a prefix of the file, or an error when the
    /// prefix does not hold them complete: complete means another record starts after them.
    private static func parsePrefix(bytes: UnsafeRawBufferPointer, path: String, delimiter: UInt8, hasHeader: Bool?, maxRows: Int) throws -> CSVTable {
        let limit = Swift.max(1, Swift.min(maxRows, Int.max - 2)) + 2
        var (records, lines, firstTwo) = try collect(bytes: bytes, path: path, delimiter: delimiter, limit: limit)
        guard records.count == limit else { throw DataError(path: path, "the rows run past the inflated prefix") }
        records.removeLast()
        lines.removeLast()
        return try table(&records, lines: &lines, firstTwo: firstTwo, path: path, hasHeader: hasHeader, maxRows: maxRows)
    }

    /// Splits off the header (detected unless `hasHeader` says) and checks every row's width.
    private static func table(_ records: inout [[String]], lines: inout [Int], firstTwo: [[CSVScanner.NumberValue]], path: String,
                              hasHeader: Bool?, maxRows: Int?) throws -> CSVTable {
        guard !records.isEmpty else { throw DataError(path: path, "the file is empty: no rows to read") }
        let header = hasHeader ?? CSVDataset<Double>.looksLikeHeader(firstTwo)
        let width = records[0].count
        var names: [String]? = nil
        if header {
            // In place: the row arrays are moved, not copied.
            names = records.removeFirst()
            lines.removeFirst()
        }
        if let maxRows, records.count > Swift.max(1, maxRows) {
            records.removeLast(records.count - Swift.max(1, maxRows))
            lines.removeLast(lines.count - records.count)
        }
        for (row, fields) in records.enumerated() where fields.count != width {
            throw DataError(path: path, "row has \(fields.count) fields, expected \(width) like the \(header ? "header" : "first row")",
                            line: lines[row])
        }
        if records.isEmpty { throw DataError(path: path, "the file has a header but no data rows") }
        return CSVTable(header: names, rows: records, lineNumbers: lines, path: path)
    }

    /// The number of columns.
    public var columnCount: Int { header?.count ?? rows.first?.count ?? 0 }

    /// The value at a row and column as a number; a `DataError` at `file:line:column` otherwise
    /// (also for `inf` and numbers beyond the range of `Double`; `NaN` is a missing value).
    public func number(row: Int, column: Int) throws -> Double {
        var text = rows[row][column]
        let value = text.withUTF8 { utf8 in
            CSVScanner(bytes: UnsafeRawBufferPointer(utf8), delimiter: 0, path: path)
                .number(CSVField(start: 0, end: utf8.count, quoted: false, escapedQuotes: false, column: 1))
        }
        switch value {
        case .number(let number): return number
        case .missing:
            throw DataError(path: path, "missing value in column \(columnName(column))", line: lineNumbers[row], column: column + 1)
        case .nonFinite:
            throw DataError(path: path, "'\(Excerpt.of(text))' in column \(columnName(column)) is NaN or infinite, or too large for float64",
                            line: lineNumbers[row], column: column + 1)
        case .notANumber:
            throw DataError(path: path, "'\(Excerpt.of(text))' in column \(columnName(column)) is not a number",
                            line: lineNumbers[row], column: column + 1)
        }
    }

    /// Every column but `targetColumn` (0-based) as features `[rows, columns − 1]`, and
    /// `targetColumn` as targets `[rows]`; all values must be numbers, finite in `Scalar`
    /// (errors name `file:line:column`, columns counted from 1).
    public func numericDataset<Scalar: TensorScalar>(targetColumn: Int, as type: Scalar.Type = Scalar.self) throws -> Dataset<Scalar> {
        guard targetColumn >= 0 && targetColumn < columnCount else {
            throw DataError(path: path, "target column \(CSVDataset<Double>.oneBased(targetColumn)) does not exist (\(CSVDataset<Double>.columnRange(columnCount)))")
        }
        guard columnCount > 1 else { throw DataError(path: path, "no feature columns: the file has only the target column") }
        var features: [Scalar] = [], targets: [Scalar] = []
        features.reserveCapacity(rows.count * (columnCount - 1))
        targets.reserveCapacity(rows.count)
        for row in 0..<rows.count {
            for column in 0..<columnCount {
                let value = Scalar(try number(row: row, column: column))
                guard value.isFinite else {
                    throw DataError(path: path, "'\(Excerpt.of(rows[row][column]))' in column \(columnName(column)) is NaN or infinite, "
                                    + "or too large for \(Scalar.dtypeName)", line: lineNumbers[row], column: column + 1)
                }
                if column == targetColumn { targets.append(value) } else { features.append(value) }
            }
        }
        return try Dataset(checkedFeatures: Tensor(shape: [rows.count, columnCount - 1], scalars: features), targets: Tensor(targets), path: path)
    }

    /// A column's name for messages: its header name (quoted, cut to
    /// ``Excerpt/length`` characters), or its 1-based index.
    public func columnName(_ column: Int) -> String {
        if let header, column >= 0, column < header.count { return CSVDataset<Double>.quoted(header[column]) }
        return CSVDataset<Double>.oneBased(column)
    }
}
