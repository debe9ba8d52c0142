import SynapseCore
import SynapseNN
import Foundation

/// NumPy's `.npy` format, versions 1.0, 2.0 and 3.0: the magic `\x93NUMPY`, a version, a
/// little-endian header length (2 bytes in 1.0, 4 bytes after), a Python-literal header
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded to 64 bytes, then the
/// elements in C order.
///
/// Reads float32, float64, int32, int64 and uint8 (either byte order); writes little-endian.
/// Fortran order, object arrays and other dtypes are refused with a message saying so.
public struct NumPyArray: Sendable, Equatable {
    /// The element types Synapse reads and writes.
    public enum DType: String, Sendable, CaseIterable {
        /// `float32` (`f4`).
        case float32 = "f4"
        /// `float64` (`f8`).
        case float64 = "f8"
        /// `int32` (`i4`).
        case int32 = "i4"
        /// `int64` (`i8`).
        case int64 = "i8"
        /// `uint8` (`u1`).
        case uint8 = "u1"

        /// Bytes per element.
        public var size: Int { self == .uint8 ? 1 : self == .float32 || self == .int32 ? 4 : 8 }
    }

    /// The element type.
    public var dtype: DType
    /// The shape (`[]` for a 0-d array).
    public var shape: [Int]
    /// The elements, C order, little-endian, `dtype.size` bytes each.
    public var bytes: [UInt8]

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// An array from raw little-endian bytes.
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        precondition(bytes.count == dtype.size * shape.reduce(1, *), "NumPyArray: \(bytes.count) bytes for \(dtype) \(shape)")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// An array holding a tensor's values (float32 for `Float`, float64 for `Double`).
    public init<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>) {
        self.init(dtype: Scalar.self == Float.self ? .float32 : .float64, shape: tensor.shape,
                  bytes: tensor.withUnsafeBufferPointer { Array(UnsafeRawBufferPointer($0)) })
    }

    /// An integer array (int64 unless another integer `dtype` is given; values must fit it).
    public init(integers: [Int], shape: [Int]? = nil, dtype: DType = .int64) {
        precondition(dtype == .int64 || dtype == .int32 || dtype == .uint8, "integer arrays are int64, int32 or uint8")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(integers.count * dtype.size)
        for value in integers {
            switch dtype {
            case .uint8: bytes.append(UInt8(value))
            case .int32: withUnsafeBytes(of: Int32(value).littleEndian) { bytes.append(contentsOf: $0) }
            default: withUnsafeBytes(of: Int64(value).littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        self.init(dtype: dtype, shape: shape ?? [integers.count], bytes: bytes)
    }

    /// Every element converted to `Double` (exact for all five types but int64 beyond 2⁵³).
    public var doubles: [Double] {
        bytes.withUnsafeBytes { raw in
            (0..<count).map { i -> Double in
                let offset = i * dtype.size
                switch dtype {
                case .float32: return Double(Float(bitPattern: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian))
                case .float64: return Double(bitPattern: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian)
                case .int32: return Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                case .int64: return Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
                case .uint8: return Double(raw[offset])
                }
            }
        }
    }

    /// The elements as a tensor of `Scalar` with the array's shape (bit-exact when the float type matches).
    public func tensor<Scalar: TensorScalar>(as type: Scalar.Type = Scalar.self) -> Tensor<Scalar> {
        let result = Tensor<Scalar>(uninitializedShape: shape)
        if (dtype == .float32 && Scalar.self == Float.self) || (dtype == .float64 && Scalar.self == Double.self) {
            bytes.withUnsafeBytes { raw in UnsafeMutableRawPointer(result.data).copyMemory(from: raw.baseAddress!, byteCount: raw.count) }
        } else {
            for (i, value) in doubles.enumerated() { result.data[i] = Scalar(value) }
        }
        return result
    }

    // MARK: Writing

    /// The `.npy` bytes (version 1.0 unless the header needs 2.0), little-endian, C order.
    public func encoded() -> [UInt8] {
        let descr = dtype == .uint8 ? "|u1" : "<\(dtype.rawValue)"
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        let version: UInt8 = header.count + 11 > 65535 ? 2 : 1
        let prefix = version == 1 ? 10 : 12
        // Pad with spaces so that the data starts on a 64-byte boundary; end with a newline.
        while (prefix + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0a)
        var result: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        if version == 1 {
            result += [UInt8(header.count & 0xff), UInt8(header.count >> 8)]
        } else {
            for shift in stride(from: 0, to: 32, by: 8) { result.append(UInt8((header.count >> shift) & 0xff)) }
        }
        return result + header + bytes
    }

    /// Writes the array to `path` atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(encoded(), to: path)
    }

    // MARK: Reading

    /// Reads an `.npy` file.
    public static func read(_ path: String) throws -> NumPyArray {
        try decode(FileBytes.read(path), path: path)
    }

    /// Decodes `.npy` bytes, validating magic, version, header and the exact payload size.
    public static func decode(_ bytes: [UInt8], path: String) throws -> NumPyArray {
        func fail(_ message: String) -> DataError { DataError(path: path, message) }
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw fail("not a .npy file (it must start with \\x93NUMPY)")
        }
        let major = bytes[6]
        guard (1...3).contains(major) else { throw fail(".npy format version \(major).\(bytes[7]) is not supported (1.0, 2.0, 3.0 are)") }
        let lengthSize = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthSize else { throw fail("truncated .npy header") }
        var headerLength = 0
        for i in 0..<lengthSize { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        let dataStart = 8 + lengthSize + headerLength
        guard dataStart <= bytes.count else {
            throw fail("header length \(headerLength) runs past the end of the \(bytes.count)-byte file")
        }
        // NumPy itself refuses headers over 10 000 bytes unless told otherwise; one for the dtypes
        // read here never comes near this.
        guard headerLength <= maximumHeaderLength else {
            throw fail("header length \(headerLength) is more than the \(maximumHeaderLength) bytes a header of these dtypes can need")
        }
        let headerBytes = bytes[(8 + lengthSize)..<dataStart]
        guard let header = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else { throw fail("the header is not text") }
        var parser = HeaderParser(text: header, path: path)
        let fields = try parser.parse()

        guard let descr = fields.descr else { throw fail("the header has no 'descr' (dtype)") }
        guard let fortran = fields.fortranOrder else { throw fail("the header has no 'fortran_order'") }
        guard let shape = fields.shape else { throw fail("the header has no 'shape'") }
        if fortran { throw fail("Fortran-ordered arrays are not supported; save with np.ascontiguousarray(a) first") }
        let quoted = Excerpt.of(descr)
        guard let order = descr.first, descr.count >= 2 else { throw fail("dtype '\(quoted)' is not supported") }
        if descr.hasPrefix("|O") || descr == "O" { throw fail("object arrays (dtype 'O') cannot be read: they hold pickled Python objects") }
        let code = String(descr.dropFirst())
        guard let dtype = DType(rawValue: code), "<>|=".contains(order) else {
            throw fail("dtype '\(quoted)' is not supported (float32, float64, int32, int64 and uint8 are)")
        }
        guard shape.count <= maximumRank else { throw fail("the shape has \(shape.count) dimensions (NumPy allows at most \(maximumRank))") }
        guard let elements = shape.checkedProduct(limit: bytes.count) else { throw fail("shape \(shape) is larger than the file could hold") }
        let expected = elements * dtype.size, available = bytes.count - dataStart
        guard expected == available else {
            throw fail("shape \(shape) of \(dtype) needs \(expected) bytes of data, the file holds \(available)")
        }
        // Nothing to learn from, and a [20, 0] array would reach the network as a zero-sized layer.
        guard elements > 0 else { throw fail("no values: shape \(pythonShape(shape))") }
        var payload = Array(bytes[dataStart...])
        if order == ">" && dtype.size > 1 {
            // Big-endian: reverse each element's bytes.
            for start in stride(from: 0, to: payload.count, by: dtype.size) { payload[start..<(start + dtype.size)].reverse() }
        }
        return NumPyArray(dtype: dtype, shape: shape, bytes: payload)
    }

    /// The longest header ``decode(_:path:)`` reads (NumPy's own default limit is 10 000 bytes).
    static let maximumHeaderLength = 65_536

    /// The most dimensions a shape may have (NumPy 2's `NPY_MAXDIMS`).
    static let maximumRank = 64

    /// A shape as NumPy prints it: `(20, 0)`, `(3,)`, `()`.
    static func pythonShape(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }

    /// A parser for the header's Python dict literal (strings, booleans, integer tuples).
    private struct HeaderParser {
        var characters: [Character]
        var position = 0
        let path: String

        init(text: String, path: String) {
            characters = Array(text)
            self.path = path
        }

        struct Fields { var descr: String?; var fortranOrder: Bool?; var shape: [Int]? }

        mutating func parse() throws -> Fields {
            var fields = Fields()
            skipSpace()
            try expect("{")
            while true {
                skipSpace()
                if peek() == "}" { position += 1; break }
                let key = try string()
                skipSpace(); try expect(":"); skipSpace()
                switch key {
                case "descr":
                    guard peek() == "'" || peek() == "\"" else { throw fail("'descr' must be a string (structured dtypes are not supported)") }
                    fields.descr = try string()
                case "fortran_order": fields.fortranOrder = try boolean()
                case "shape": fields.shape = try tuple()
                default: throw fail("unexpected key '\(Excerpt.of(key))' in the header")
                }
                skipSpace()
                if peek() == "," { position += 1; continue }
                skipSpace()
                if peek() == "}" { position += 1; break }
                throw fail("expected ',' or '}' in the header at character \(position + 1)")
            }
            return fields
        }

        func fail(_ message: String) -> DataError { DataError(path: path, "malformed .npy header: \(message)") }
        func peek() -> Character? { position < characters.count ? characters[position] : nil }
        mutating func skipSpace() { while let c = peek(), c == " " || c == "\n" || c == "\t" { position += 1 } }
        mutating func expect(_ c: Character) throws {
            guard peek() == c else { throw fail("expected '\(c)' at character \(position + 1)") }
            position += 1
        }
        mutating func string() throws -> String {
            guard let quote = peek(), quote == "'" || quote == "\"" else { throw fail("expected a quoted string at character \(position + 1)") }
            position += 1
            var result = ""
            while let c = peek(), c != quote { result.append(c); position += 1 }
            try expect(quote)
            return result
        }
        mutating func boolean() throws -> Bool {
            for (word, value) in [("True", true), ("False", false)] where String(characters[position..<Swift.min(position + word.count, characters.count)]) == word {
                position += word.count
                return value
            }
            throw fail("expected True or False at character \(position + 1)")
        }
        mutating func tuple() throws -> [Int] {
            try expect("(")
            var values: [Int] = []
            while true {
                skipSpace()
                if peek() == ")" { position += 1; return values }
                var digits = ""
                while let c = peek(), c.isASCII, c.isNumber { digits.append(c); position += 1 }
                guard !digits.isEmpty, let value = Int(digits) else { throw fail("shape must be a tuple of non-negative integers") }
                values.append(value)
                skipSpace()
                if peek() == "," { position += 1 } else if peek() != ")" { throw fail("expected ',' or ')' in the shape") }
            }
        }
    }
}
