import SynapseCore
import SynapseNN
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One field of a CSV record: a byte range of the file, and how to read it.
struct CSVField {
    /// Byte offsets of the field's content (inside the quotes for a quoted field).
    var start: Int, end: Int
    /// Whether the field was quoted, and whether it contains doubled quotes to undo.
    var quoted: Bool, escapedQuotes: Bool
    /// The 1-based column (byte position in its line) where the field starts, for messages.
    var column: Int
}

/// Splits CSV bytes (RFC 4180: a one-byte delimiter, double quotes with `""` inside, LF, CRLF or
/// CR line ends) into records of field ranges without copying the text: the loaders decide which
/// fields become strings and which are parsed straight into numbers.
struct CSVScanner {
    let bytes: UnsafeRawBufferPointer
    let delimiter: UInt8
    let path: String
    private(set) var position = 0
    private(set) var line = 1
    private var lineStart = 0

    init(bytes: UnsafeRawBufferPointer, delimiter: UInt8, path: String) {
        self.bytes = bytes
        self.delimiter = delimiter
        self.path = path
        // A UTF-8 byte-order mark is not data.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { position = 3; lineStart = 3 }
    }

    private static let quote = UInt8(ascii: "\""), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    /// Reads the next record that is not a blank line into `fields`; returns its 1-based line
    /// number, or nil at the end of the data.
    mutating func next(into fields: inout [CSVField]) throws -> Int? {
        while position < bytes.count {
            fields.removeAll(keepingCapacity: true)
            let recordLine = line
            var blank = true
            while true {
                let field = try scanField()
                fields.append(field)
                if field.quoted || field.end > field.start { blank = false }
                guard position < bytes.count else { break }
                let c = bytes[position]
                if c == delimiter { position += 1; blank = false; continue }
                endLine(at: c)
                break
            }
            if !blank { return recordLine }
        }
        return nil
    }

    /// Consumes a line end (`\n`, `\r\n` or `\r`) starting with `c` at `position`.
    private mutating func endLine(at c: UInt8) {
        position += (c == Self.carriageReturn && position + 1 < bytes.count && bytes[position + 1] == Self.newline) ? 2 : 1
        line += 1
        lineStart = position
    }

    /// Scans one field up to (not including) the delimiter or line end that follows it.
    private mutating func scanField() throws -> CSVField {
        let column = position - lineStart + 1
        if position < bytes.count && bytes[position] == Self.quote {
            let (openLine, openColumn) = (line, column)
            position += 1
            let start = position
            var escaped = false
            while true {
                guard position < bytes.count else {
                    throw DataError(path: path, "a quoted field is never closed", line: openLine, column: openColumn)
                }
                let c = bytes[position]
                if c == Self.quote {
                    if position + 1 < bytes.count && bytes[position + 1] == Self.quote { escaped = true; position += 2; continue }
                    let end = position
                    position += 1
                    if position < bytes.count, bytes[position] != delimiter, bytes[position] != Self.newline, bytes[position] != Self.carriageReturn {
                        throw DataError(path: path, "unexpected text after a closing quote (quote the whole field and double inner quotes)",
                                        line: line, column: position - lineStart + 1)
                    }
                    return CSVField(start: start, end: end, quoted: true, escapedQuotes: escaped, column: column)
                }
                if c == Self.newline || (c == Self.carriageReturn && !(position + 1 < bytes.count && bytes[position + 1] == Self.newline)) {
                    line += 1
                    lineStart = position + 1
                }
                position += 1
            }
        }
        let start = position
        while position < bytes.count {
            let c = bytes[position]
            if c == delimiter || c == Self.newline || c == Self.carriageReturn { break }
            if c == Self.quote {
                throw DataError(path: path, "a quote inside an unquoted field (quote the whole field and double inner quotes)",
                                line: line, column: position - lineStart + 1)
            }
            position += 1
        }
        return CSVField(start: start, end: position, quoted: false, escapedQuotes: false, column: column)
    }

    /// The field's text: unquoted, `""` undone, and (when not quoted) spaces and tabs trimmed.
    func text(_ field: CSVField) -> String {
        var (start, end) = (field.start, field.end)
        if !field.quoted {
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        return field.escapedQuotes ? text.replacingOccurrences(of: "\"\"", with: "\"") : text
    }

    /// The field's text cut for an error message (``Excerpt/of(_:)``), without first
    /// copying the whole of a huge field.
    func excerpt(_ field: CSVField) -> String {
        // Enough bytes for the quoted characters and the knowledge that more follow.
        let enough = 4 * (Excerpt.length + 1) + 16
        guard field.end - field.start > enough else { return Excerpt.of(text(field)) }
        let cut = Excerpt.of(text(CSVField(start: field.start, end: field.start + enough, quoted: field.quoted,
                                                       escapedQuotes: field.escapedQuotes, column: field.column)))
        return cut.hasSuffix("…") ? cut : cut + "…"
    }

    /// What a field holds when read as a number.
    enum NumberValue: Equatable {
        /// A finite number.
        case number(Double)
        /// Empty, or a conventional missing-value marker (`NA`, `N/A`, `NaN`, `null`, `None`, `?`).
        case missing
        /// A number that is not finite: `inf`, `-Infinity`, or one beyond the range of `Double` (`1e999`).
        case nonFinite
        /// Anything else.
        case notANumber
    }

    /// The field as a number, parsed from the bytes in place (`strtod` on a copy: on the stack
    /// for the usual short field, on the heap for a long one, so that a 70-digit decimal is read
    /// as correctly as a short one). Hexadecimal floats, which `strtod` accepts, are not CSV numbers.
    func number(_ field: CSVField) -> NumberValue {
        var (start, end) = (field.start, field.end)
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        let length = end - start
        if length == 0 { return .missing }
        let first = bytes[start]
        guard (first >= 0x30 && first <= 0x39) || first == 0x2D || first == 0x2B || first == 0x2E else { return classify(start, end) }
        if length < 64 {
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
                parse(start, end, into: buffer.baseAddress.unsafelyUnwrapped)
            }
        }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: length + 1)
        defer { buffer.deallocate() }
        return parse(start, end, into: buffer)
    }

    /// `strtod` on the trimmed bytes `start..<end` copied to `buffer` (room for them and a NUL).
    private func parse(_ start: Int, _ end: Int, into buffer: UnsafeMutablePointer<CChar>) -> NumberValue {
        let length = end - start
        for i in 0..<length { buffer[i] = CChar(bitPattern: bytes[start + i]) }
        buffer[length] = 0
        var endPointer: UnsafeMutablePointer<CChar>? = nil
        let value = strtod(buffer, &endPointer)
        guard let endPointer, endPointer == buffer + length else { return classify(start, end) }
        for i in 0..<length where buffer[i] == CChar(UInt8(ascii: "x")) || buffer[i] == CChar(UInt8(ascii: "X")) { return .notANumber }
        if value.isNaN { return classify(start, end) == .missing ? .missing : .nonFinite }   // "-nan" is "nan"
        return value.isFinite ? .number(value) : .nonFinite
    }

    /// The missing-value markers (lowercase), with or without a sign for NaN.
    private static let missingMarkers: [[UInt8]] = ["na", "n/a", "nan", "-nan", "+nan", "null", "none", "?"].map { Array($0.utf8) }

    /// Missing-value markers, infinities and other text, for the trimmed bytes `start..<end`.
    private func classify(_ start: Int, _ end: Int) -> NumberValue {
        let length = end - start
        guard length <= 9 else { return .notANumber }
        var lower: [UInt8] = []
        for i in start..<end { lower.append(bytes[i] >= 0x41 && bytes[i] <= 0x5A ? bytes[i] + 0x20 : bytes[i]) }
        if length == 0 || Self.missingMarkers.contains(lower) { return .missing }
        if lower.first == 0x2B || lower.first == 0x2D { lower.removeFirst() }
        return lower == Array("inf".utf8) || lower == Array("infinity".utf8) ? .nonFinite : .notANumber
    }
}
