/// Comma-separated values (RFC 4180): a delimiter, optional double-quoted fields (with `""` for a
/// quote inside), LF or CRLF line ends, optionally gzip-compressed. Every error names
/// `file:line:column`.
public struct CSVTable: Sendable {
    /// The column names, when the file has a header row.
    public var header: [String]?
    /// The data rows' fields.
    public var rows: [[String]]
    /// The 1-based line number of each data row (for error messages).
    public var lineNumbers: [Int]
    /// Where the table came from.
    public var path: String

    /// Parses `path`. `hasHeader` nil means: detect (a first row whose fields are not all numeric
    /// while the second row's are).
    public static func read(_ path: String, delimiter: Character = ",", hasHeader: Bool? = nil) throws -> CSVTable {
        let bytes = try FileBytes.read(path)
        return try parse(String(decoding: bytes, as: UTF8.self), path: path, delimiter: delimiter, hasHeader: hasHeader)
    }

    /// Parses CSV text (see ``read(_:delimiter:hasHeader:)``).
    public static func parse(_ text: String, path: String = "-", delimiter: Character = ",", hasHeader: Bool? = nil) throws -> CSVTable {
        var records: [[String]] = [], lines: [Int] = []
        var field = "", record: [String] = []
        var inQuotes = false, line = 1, column = 0, recordLine = 1, quoteLine = 0, quoteColumn = 0
        var fieldWasQuoted = false
        var iterator = text.makeIterator()
        var pending: Character? = nil
        func endRecord() {
            record.append(field)
            // A line with nothing on it is not a record.
            if !(record.count == 1 && record[0].isEmpty && !fieldWasQuoted) { records.append(record); lines.append(recordLine) }
            record = []; field = ""; fieldWasQuoted = false
        }
        while let c = pending ?? iterator.next() {
            pending = nil
            column += 1
            if inQuotes {
                if c == "\"" {
                    let next = iterator.next()
                    if next == "\"" { field.append("\""); column += 1 } else { inQuotes = false; pending = next }
                } else {
                    if c == "\n" || c == "\r\n" { line += 1; column = 0 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty else {
                    throw DataError(path: path, "a quote inside an unquoted field (quote the whole field and double inner quotes)", line: line, column: column)
                }
                inQuotes = true; fieldWasQuoted = true; quoteLine = line; quoteColumn = column
            case delimiter:
                record.append(field); field = ""; fieldWasQuoted = false
            case "\n", "\r\n", "\r":
                endRecord()
                line += 1; column = 0; recordLine = line
            default:
                field.append(c)
            }
        }
        if inQuotes { throw DataError(path: path, "a quoted field is never closed", line: quoteLine, column: quoteColumn) }
        if !field.isEmpty || !record.isEmpty || fieldWasQuoted { endRecord() }
        guard !records.isEmpty else { throw DataError(path: path, "the file is empty: no rows to read") }

        let header: Bool
        if let hasHeader { header = hasHeader } else {
            let firstNumeric = records[0].allSatisfy { Double($0.trimmingWhitespace) != nil }
            let secondNumeric = records.count > 1 && records[1].contains { Double($0.trimmingWhitespace) != nil }
            header = !firstNumeric && (secondNumeric || records.count == 1)
        }
        let table = CSVTable(header: header ? records[0].map(\.trimmingWhitespace) : nil,
                             rows: header ? Array(records.dropFirst()) : records,
                             lineNumbers: header ? Array(lines.dropFirst()) : lines, path: path)
        let width = table.header?.count ?? table.rows.first?.count ?? 0
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
        let text = rows[row][column].trimmingWhitespace
        if text.isEmpty {
            throw DataError(path: path, "missing value in column \(columnName(column))", line: lineNumbers[row], column: column + 1)
        }
        guard let value = Double(text) else {
            throw DataError(path: path, "'\(text)' in column \(columnName(column)) is not a number", line: lineNumbers[row], column: column + 1)
        }
        guard value.isFinite else {
            throw DataError(path: path, "'\(text)' in column \(columnName(column)) is not a finite number", line: lineNumbers[row], column: column + 1)
        }
        return value
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

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
