/// A small CSV file as a table of strings (see ``CSVDataset`` for loading features and targets
/// from files of any size). Every error names `file:line:column`.
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
    /// ``CSVDataset/load(_:target:features:delimiter:hasHeader:labels:missingValues:as:)``).
    public static func read(_ path: String, delimiter: Character = ",", hasHeader: Bool? = nil) throws -> CSVTable {
        let separator = try CSVDataset<Double>.delimiterByte(delimiter, path: path)
        return try FileBytes.withContents(path) { try parse(bytes: $0, path: path, delimiter: separator, hasHeader: hasHeader) }
    }

    /// Parses CSV text (see ``read(_:delimiter:hasHeader:)``).
    public static func parse(_ text: String, path: String = "-", delimiter: Character = ",", hasHeader: Bool? = nil) throws -> CSVTable {
        let separator = try CSVDataset<Double>.delimiterByte(delimiter, path: path)
        var utf8 = Array(text.utf8)
        return try utf8.withUnsafeMutableBytes { try parse(bytes: UnsafeRawBufferPointer($0), path: path, delimiter: separator, hasHeader: hasHeader) }
    }

    private static func parse(bytes: UnsafeRawBufferPointer, path: String, delimiter: UInt8, hasHeader: Bool?) throws -> CSVTable {
        var scanner = CSVScanner(bytes: bytes, delimiter: delimiter, path: path)
        var fields: [CSVField] = []
        var records: [[String]] = [], lines: [Int] = []
        var firstTwo: [[CSVScanner.NumberValue]] = []
        while let line = try scanner.next(into: &fields) {
            if firstTwo.count < 2 { firstTwo.append(fields.map { scanner.number($0) }) }
            records.append(fields.map { scanner.text($0) })
            lines.append(line)
        }
        guard !records.isEmpty else { throw DataError(path: path, "the file is empty: no rows to read") }
        let header = hasHeader ?? CSVDataset<Double>.looksLikeHeader(firstTwo)
        let table = CSVTable(header: header ? records[0] : nil, rows: header ? Array(records.dropFirst()) : records,
                             lineNumbers: header ? Array(lines.dropFirst()) : lines, path: path)
        let width = records[0].count
        for (row, fields) in table.rows.enumerated() where fields.count != width {
            throw DataError(path: path, "row has \(fields.count) fields, expected \(width) like the \(header ? "header" : "first row")",
                            line: table.lineNumbers[row])
        }
        if table.rows.isEmpty { throw DataError(path: path, "the file has a header but no data rows") }
        return table
    }

    /// The number of columns.
    public var columnCount: Int { header?.count ?? rows.first?.count ?? 0 }

    /// The value at a row and column as a number; a `DataError` at `file:line:column` otherwise.
    public func number(row: Int, column: Int) throws -> Double {
        let text = rows[row][column]
        var utf8 = Array(text.utf8)
        let value = utf8.withUnsafeMutableBytes { raw in
            CSVScanner(bytes: UnsafeRawBufferPointer(raw), delimiter: 0, path: path)
                .number(CSVField(start: 0, end: raw.count, quoted: false, escapedQuotes: false, column: 1))
        }
        switch value {
        case .number(let number): return number
        case .missing:
            throw DataError(path: path, "missing value in column \(columnName(column))", line: lineNumbers[row], column: column + 1)
        case .notANumber:
            throw DataError(path: path, "'\(text)' in column \(columnName(column)) is not a number", line: lineNumbers[row], column: column + 1)
        }
    }

    /// Every column but `targetColumn` as features `[rows, columns − 1]`, and `targetColumn` as
    /// targets `[rows]`; all values must be numbers (errors name `file:line:column`).
    public func numericDataset<Scalar: TensorScalar>(targetColumn: Int, as type: Scalar.Type = Scalar.self) throws -> Dataset<Scalar> {
        guard targetColumn >= 0 && targetColumn < columnCount else {
            throw DataError(path: path, "target column \(targetColumn + 1) does not exist (the file has \(columnCount) columns)")
        }
        var features: [Scalar] = [], targets: [Scalar] = []
        features.reserveCapacity(rows.count * (columnCount - 1))
        targets.reserveCapacity(rows.count)
        for row in 0..<rows.count {
            for column in 0..<columnCount {
                let value = Scalar(try number(row: row, column: column))
                if column == targetColumn { targets.append(value) } else { features.append(value) }
            }
        }
        return Dataset(features: Tensor(shape: [rows.count, columnCount - 1], scalars: features), targets: Tensor(targets))
    }

    /// A column's name for messages: its header name, or its 1-based index.
    public func columnName(_ column: Int) -> String {
        if let header, column < header.count { return "'\(header[column])'" }
        return "\(column + 1)"
    }
}
