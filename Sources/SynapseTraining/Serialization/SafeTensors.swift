import SynapseCore
import SynapseNN
import CZlib
import Foundation

/// The safetensors format (Hugging Face's, read by `safetensors.numpy` and `safetensors.torch`):
///
/// ```
/// [8 bytes: N, little-endian UInt64][N bytes: JSON header][data]
/// header = {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …,
///           "__metadata__": {"key": "string value", …}}
/// ```
///
/// Offsets are relative to the start of the data section; tensors are little-endian, row-major,
/// stored back to back. ``decode(_:path:)`` checks all of that before trusting any number in it.
public struct SafeTensors: Sendable {
    /// An element type. Synapse reads and writes `F32` and `F64`; the others are recognised so
    /// that errors can name them.
    public enum DType: String, Sendable, CaseIterable {
        /// 32-bit float.
        case f32 = "F32"
        /// 64-bit float.
        case f64 = "F64"
        /// Types Synapse recognises but cannot load as tensors.
        case f16 = "F16", bf16 = "BF16", i8 = "I8", u8 = "U8", i16 = "I16", i32 = "I32", i64 = "I64", bool = "BOOL"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .f64, .i64: return 8
            case .f32, .i32: return 4
            case .f16, .bf16, .i16: return 2
            case .i8, .u8, .bool: return 1
            }
        }
    }

    /// One named tensor of a file: its type, shape and little-endian bytes.
    public struct Entry: Sendable, Equatable {
        /// The element type.
        public var dtype: DType
        /// The shape (empty for a scalar).
        public var shape: [Int]
        /// `dtype.size × shape.product` bytes, little-endian, row-major.
        public var bytes: [UInt8]

        /// An entry holding `tensor`'s values (F32 for `Float`, F64 for `Double`).
        public init<Scalar: TensorScalar>(_ tensor: Tensor<Scalar>) {
            dtype = Scalar.self == Float.self ? .f32 : .f64
            shape = tensor.shape
            bytes = tensor.withUnsafeBufferPointer { buffer in
                Array(UnsafeRawBufferPointer(buffer))   // x86-64 and arm64 are little-endian, as the format
            }
        }

        /// An entry from raw parts (checked by the encoder).
        public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }

        /// The values as a tensor of `Scalar`, converting between F32 and F64 if needed.
        /// - Throws: ``DataError`` for element types other than F32 and F64.
        public func tensor<Scalar: TensorScalar>(as type: Scalar.Type = Scalar.self, name: String, path: String) throws -> Tensor<Scalar> {
            let count = shape.reduce(1, *)
            let result = Tensor<Scalar>(uninitializedShape: shape)
            try bytes.withUnsafeBytes { raw in
                switch dtype {
                case .f32:
                    let values = raw.bindMemory(to: Float.self)
                    if Scalar.self == Float.self {
                        result.data.withMemoryRebound(to: Float.self, capacity: count) { $0.update(from: values.baseAddress!, count: count) }
                    } else {
                        for i in 0..<count { result.data[i] = Scalar(values[i]) }
                    }
                case .f64:
                    let values = raw.bindMemory(to: Double.self)
                    if Scalar.self == Double.self {
                        result.data.withMemoryRebound(to: Double.self, capacity: count) { $0.update(from: values.baseAddress!, count: count) }
                    } else {
                        for i in 0..<count { result.data[i] = Scalar(values[i]) }
                    }
                default:
                    throw DataError(path: path, "tensor '\(name)' has dtype \(dtype.rawValue); Synapse loads F32 and F64 tensors")
                }
            }
            return result
        }
    }

    /// What a decoded file's checksum vouched for.
    public enum Integrity: Sendable, Equatable {
        /// The header (tensor names, types, shapes, offsets, metadata) and the data matched `synapse_crc32`.
        case verified
        /// Only the data matched `synapse_data_crc32` (a file from Synapse before header checksums).
        case dataOnly
        /// The file has no checksum (written by another program, or the checksum was removed).
        case unverified
        /// Built in memory, not decoded.
        case notRead
    }

    /// The tensors by name.
    public var entries: [String: Entry]
    /// The `__metadata__` string map.
    public var metadata: [String: String]
    /// What the checksum of the decoded file covered (``Integrity/notRead`` for contents built in memory).
    public var integrity: Integrity = .notRead

    /// A file's contents.
    public init(entries: [String: Entry] = [:], metadata: [String: String] = [:]) {
        self.entries = entries
        self.metadata = metadata
    }

    /// A sentence for the user when the file was not fully verified, else nil.
    public var integrityWarning: String? {
        switch integrity {
        case .verified, .notRead: return nil
        case .dataOnly: return "its checksum covers the tensor data only (written by an older Synapse): the metadata (classes, scaling, architecture) is not verified"
        case .unverified: return "it has no checksum: damage to its metadata or data cannot be detected"
        }
    }

    /// The largest header accepted (the reference implementation's limit).
    public static let maximumHeaderSize = 100_000_000

    // MARK: Writing

    /// The file's bytes: tensors sorted by name and stored in that order, the header padded with
    /// spaces to a multiple of 8 bytes so the data is aligned.
    public func encoded() -> [UInt8] {
        var header: [String: Any] = [:]
        var offset = 0
        let names = entries.keys.sorted()
        for name in names {
            let entry = entries[name]!
            precondition(entry.bytes.count == entry.dtype.size * entry.shape.reduce(1, *),
                         "safetensors entry '\(name)': \(entry.bytes.count) bytes for \(entry.dtype.rawValue) \(entry.shape)")
            header[name] = ["dtype": entry.dtype.rawValue, "shape": entry.shape, "data_offsets": [offset, offset + entry.bytes.count]] as [String: Any]
            offset += entry.bytes.count
        }
        // Two CRC-32s travel in the metadata, so a damaged or altered file is refused on load: one of
        // the data section (read by every Synapse since checkpoints) and one of the whole header's
        // meaning (names, types, shapes, offsets, metadata) followed by the data.
        var data: [UInt8] = []
        data.reserveCapacity(offset)
        for name in names { data += entries[name]!.bytes }
        var metadata = self.metadata
        metadata.removeValue(forKey: Self.headerChecksumKey)
        let dataCRC = data.withUnsafeBufferPointer { crc32_z(0, $0.baseAddress, $0.count) }
        metadata[Self.checksumKey] = Self.hex(dataCRC)
        let spans = names.reduce(into: (list: [(String, DType, [Int], Int, Int)](), offset: 0)) { state, name in
            let entry = entries[name]!
            state.list.append((name, entry.dtype, entry.shape, state.offset, state.offset + entry.bytes.count))
            state.offset += entry.bytes.count
        }.list
        metadata[Self.headerChecksumKey] = Self.hex(Self.headerChecksum(metadata: metadata, spans: spans, dataCRC: dataCRC, dataSize: data.count))
        header["__metadata__"] = metadata
        // JSONSerialization of strings, integers and arrays cannot fail.
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])).map { [UInt8]($0) } ?? []
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var result: [UInt8] = []
        result.reserveCapacity(8 + json.count + offset)
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { result.append(contentsOf: $0) }
        result += json
        result += data
        return result
    }

    /// Writes the file atomically (see ``AtomicFile``).
    /// - Throws: ``DataError`` when the header would exceed ``maximumHeaderSize`` (readers, this one
    ///   included, would refuse the file) or the file cannot be written.
    public func write(to path: String) throws {
        let bytes = encoded()
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(Self.maximumHeaderSize) else {
            throw DataError(path: path, "the file's header would be \(length) bytes, over the \(Self.maximumHeaderSize / 1_000_000) MB that safetensors readers accept (class or feature names too long?); nothing was written")
        }
        try AtomicFile.write(bytes, to: path)
    }

    // MARK: Reading

    /// Reads and validates a safetensors file.
    public static func read(_ path: String) throws -> SafeTensors {
        guard FileManagerShim.exists(path) else { throw DataError(path: path, "no such file") }
        // Mapped, not copied: the tensors are copied out of the mapping once.
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw DataError(path: path, "cannot read the file (permissions?)")
        }
        return try data.withUnsafeBytes { try decode(raw: $0, path: path) }
    }

    /// Decodes and validates safetensors bytes: the header length is bounded by the file, the
    /// header is a JSON object of well-formed entries, every byte count equals dtype × shape, and
    /// the entries tile the data section exactly (in range, contiguous, no overlaps, no gaps).
    public static func decode(_ bytes: [UInt8], path: String) throws -> SafeTensors {
        try bytes.withUnsafeBytes { try decode(raw: $0, path: path) }
    }

    /// ``decode(_:path:)`` over bytes in memory (a mapped file, say).
    static func decode(raw bytes: UnsafeRawBufferPointer, path: String) throws -> SafeTensors {
        func fail(_ message: String) -> DataError { DataError(path: path, message) }
        guard bytes.count >= 8 else { throw fail("not a safetensors file: \(bytes.count) bytes, too short for the 8-byte header length") }
        var declared: UInt64 = 0
        for i in 0..<8 { declared |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard declared <= UInt64(bytes.count - 8) else {
            throw fail("header length \(declared) exceeds the \(bytes.count - 8) bytes after it (truncated file, or not safetensors)")
        }
        guard declared <= UInt64(maximumHeaderSize) else { throw fail("header length \(declared) exceeds the 100 MB limit") }
        let headerLength = Int(declared)
        guard headerLength >= 2, bytes[8] == UInt8(ascii: "{") else { throw fail("the header is not a JSON object") }
        // Foundation's JSON objects take ~60 bytes of memory per byte of a header of many small
        // entries: count the entries first and refuse more tensors than the limit.
        let tensorLimit = ResourceLimits.current.tensors
        var entryCount = 0
        do {
            let buffer = bytes, key = Array("data_offsets".utf8)
            var i = 8, end = 8 + headerLength - key.count
            while i <= end {
                if buffer[i] == key[0], buffer[i + 1] == key[1], Array(buffer[i..<(i + key.count)]) == key { entryCount += 1; i += key.count } else { i += 1 }
                if entryCount > tensorLimit { end = 0 }
            }
        }
        guard entryCount <= tensorLimit else {
            throw fail("the header lists more than \(tensorLimit) tensors (the limit; SYNAPSE_MAX_TENSORS raises it)")
        }
        let headerBytes = Data(bytes[8..<(8 + headerLength)])
        guard let object = try? JSONSerialization.jsonObject(with: headerBytes), let header = object as? [String: Any] else {
            throw fail("the header is not well-formed JSON (corrupted file?)")
        }
        let dataStart = 8 + headerLength, dataSize = bytes.count - dataStart

        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let map = raw as? [String: Any] else { throw fail("__metadata__ must be an object of strings") }
            for (key, value) in map {
                guard let string = value as? String else { throw fail("__metadata__ value for '\(key)' is not a string") }
                metadata[key] = string
            }
        }

        var spans: [(name: String, begin: Int, end: Int, dtype: DType, shape: [Int])] = []
        for (name, raw) in header where name != "__metadata__" {
            guard let entry = raw as? [String: Any] else { throw fail("tensor '\(name)': header entry is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw fail("tensor '\(name)': missing dtype") }
            guard let dtype = DType(rawValue: dtypeName) else { throw fail("tensor '\(name)': unknown dtype '\(dtypeName)'") }
            guard let shapeValues = entry["shape"] as? [Any], let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("tensor '\(name)': shape must be a list of non-negative integers")
            }
            guard let offsetValues = entry["data_offsets"] as? [Any], let offsets = integers(offsetValues), offsets.count == 2 else {
                throw fail("tensor '\(name)': data_offsets must be two integers [begin, end]")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard 0 <= begin, begin <= end, end <= dataSize else {
                throw fail("tensor '\(name)': data_offsets [\(begin), \(end)] fall outside the \(dataSize)-byte data section")
            }
            guard let elements = shape.checkedProduct(limit: dataSize) else { throw fail("tensor '\(name)': shape \(shape) is larger than the file") }
            guard elements * dtype.size == end - begin else {
                throw fail("tensor '\(name)': \(dtype.rawValue) \(shape) needs \(elements * dtype.size) bytes, data_offsets give \(end - begin)")
            }
            spans.append((name, begin, end, dtype, shape))
        }
        spans.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var position = 0
        for span in spans {
            guard span.begin == position else {
                throw fail(span.begin < position
                    ? "tensor '\(span.name)' overlaps the tensor before it (offset \(span.begin) < \(position))"
                    : "a gap of \(span.begin - position) bytes before tensor '\(span.name)' (offsets must be contiguous)")
            }
            position = span.end
        }
        guard position == dataSize else {
            throw fail("the data section holds \(dataSize) bytes but the tensors account for \(position) (truncated or padded file)")
        }
        var integrity = Integrity.unverified
        let storedHeader = metadata.removeValue(forKey: headerChecksumKey)
        let dataSection = UnsafeRawBufferPointer(rebasing: bytes[dataStart...])
        let dataCRC = crc32_z(0, dataSection.baseAddress?.assumingMemoryBound(to: UInt8.self), dataSection.count)
        if let stored = metadata[checksumKey] {
            let actual = hex(dataCRC)
            guard stored == actual else {
                throw fail("the tensor data does not match its checksum (stored \(Excerpt.of(stored)), computed \(actual)): the file was damaged after it was written")
            }
            integrity = .dataOnly
        }
        if let stored = storedHeader {
            let actual = hex(headerChecksum(metadata: metadata, spans: spans.map { ($0.name, $0.dtype, $0.shape, $0.begin, $0.end) },
                                            dataCRC: dataCRC, dataSize: dataSize))
            guard stored == actual else {
                throw fail("the header (metadata, tensor names or shapes) or the data does not match the file's checksum (stored \(Excerpt.of(stored)), computed \(actual)): the file was altered or damaged after it was written")
            }
            integrity = .verified
        }
        metadata.removeValue(forKey: checksumKey)
        var entries: [String: Entry] = [:]
        for span in spans {
            entries[span.name] = Entry(dtype: span.dtype, shape: span.shape, bytes: Array(bytes[(dataStart + span.begin)..<(dataStart + span.end)]))
        }
        var file = SafeTensors(entries: entries, metadata: metadata)
        file.integrity = integrity
        return file
    }

    /// The metadata key of the data section's CRC-32 (8 hex digits), written by Synapse and checked when present.
    public static let checksumKey = "synapse_data_crc32"
    /// The metadata key of the CRC-32 of the header's meaning and the data (8 hex digits), written
    /// by Synapse and checked when present: any change to a tensor's name, type, shape or offsets,
    /// to a metadata entry (including removing the data checksum) or to the data is refused.
    public static let headerChecksumKey = "synapse_crc32"

    /// The CRC-32 (zlib's) of `bytes` as 8 lowercase hex digits.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> String {
        hex(bytes.withUnsafeBufferPointer { buffer in crc32_z(0, buffer.baseAddress, buffer.count) })
    }

    /// A CRC-32 as 8 lowercase hex digits.
    static func hex(_ value: UInt) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: Swift.max(0, 8 - digits.count)) + digits
    }

    /// The CRC-32 of a canonical form of the header — every metadata entry but the header checksum,
    /// sorted by key, then every tensor sorted by name with its type, shape and offsets, each field
    /// ended by a zero byte — continued over the data (combined from the data's own CRC-32), so
    /// that reformatting the JSON does not matter but any change of meaning does.
    static func headerChecksum(metadata: [String: String], spans: [(String, DType, [Int], Int, Int)], dataCRC: UInt, dataSize: Int) -> UInt {
        var canonical: [UInt8] = Array("synapse-header-1\u{0}".utf8)
        for key in metadata.keys.sorted() where key != headerChecksumKey {
            canonical += Array(key.utf8) + [0] + Array(metadata[key]!.utf8) + [0]
        }
        canonical.append(1)
        for (name, dtype, shape, begin, end) in spans.sorted(by: { $0.0 < $1.0 }) {
            let fields = [name, dtype.rawValue, shape.map(String.init).joined(separator: ","), String(begin), String(end)]
            for field in fields { canonical += Array(field.utf8) + [0] }
        }
        let headerCRC = canonical.withUnsafeBufferPointer { crc32_z(0, $0.baseAddress, $0.count) }
        return UInt(crc32_combine(uLong(headerCRC), uLong(dataCRC), off_t(dataSize)))
    }

    /// JSON numbers as exact non-fractional integers, or nil.
    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            guard let number = value as? NSNumber else { return nil }
            let double = number.doubleValue
            guard double == double.rounded(), abs(double) < 9.0e15 else { return nil }
            result.append(number.intValue)
        }
        return result
    }
}
