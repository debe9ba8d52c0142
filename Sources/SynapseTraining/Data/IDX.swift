import SynapseCore
import SynapseNN
/// The IDX format of MNIST and Fashion-MNIST: a big-endian header (two zero bytes, a type code,
/// the rank, then one 32-bit size per dimension) followed by the elements in row-major order.
/// Files may be gzip-compressed.
public enum IDX {
    /// A decoded IDX file of unsigned bytes.
    public struct Array: Sendable {
        /// The dimensions from the header (e.g. `[60000, 28, 28]`).
        public var shape: [Int]
        /// The payload, row-major.
        public var bytes: [UInt8]
    }

    /// Reads an IDX file of unsigned bytes (type code 0x08), validating the header against the
    /// payload before allocating anything: magic, rank, dimensions and the exact byte count. A
    /// gzip file is inflated only as far as its header declares (see ``decode(_:path:)``).
    public static func read(_ path: String) throws -> Array {
        try decode(FileBytes.readRaw(path), path: path)
    }

    /// Decodes IDX bytes (gzip-compressed or not) as ``read(_:)`` does; `path` names the source in errors.
    ///
    /// Gzip data is inflated in two steps: the header alone, then exactly the byte count it
    /// declares (which must not exceed ``ResourceLimits/decompressedBytes``). Data beyond the
    /// declared size is an error found after inflating one byte more, so a small file that
    /// inflates to gigabytes is refused for the cost of its header.
    public static func decode(_ bytes: [UInt8], path: String) throws -> Array {
        guard FileBytes.isGzip(bytes) else {
            let header = try Header(bytes, path: path)
            guard header.elements == bytes.count - header.size else {
                throw DataError(path: path, "IDX header declares \(header.dimensions) = \(header.elements) bytes of data, but the file holds \(bytes.count - header.size)")
            }
            return Array(shape: header.shape, bytes: Swift.Array(bytes[header.size...]))
        }
        return try bytes.withUnsafeBytes { compressed in
            // The fixed part (magic, type, rank), then the dimensions, then the declared payload.
            let start = try FileBytes.inflate(compressed, path: path, atMost: 4).bytes
            let rank = try Header.rank(start, path: path)
            let header = try Header(FileBytes.inflate(compressed, path: path, atMost: 4 + 4 * rank).bytes, path: path)
            let (total, overflow) = header.size.addingReportingOverflow(header.elements)
            let limit = ResourceLimits.current.decompressedBytes
            guard !overflow, total <= limit else {
                throw FileBytes.tooLarge(path: path, limit: limit, declared: "its IDX header declares \(header.dimensions) = \(header.elements) bytes of data")
            }
            let payload = try FileBytes.inflate(compressed, path: path, atMost: total)
            var inflated = payload.bytes
            guard !payload.more else {
                throw DataError(path: path, "IDX header declares \(header.dimensions) = \(header.elements) bytes of data, but the gzip data holds more")
            }
            guard inflated.count == total else {
                throw DataError(path: path, "IDX header declares \(header.dimensions) = \(header.elements) bytes of data, but the file holds \(inflated.count - header.size)")
            }
            inflated.removeFirst(header.size)   // in place: no second copy of the payload
            return Array(shape: header.shape, bytes: inflated)
        }
    }

    /// A validated IDX header: the dimensions, their product, and the header's size in bytes.
    struct Header {
        var shape: [Int]
        var elements: Int
        var size: Int

        /// The dimensions as the messages print them (`10×28×28`).
        var dimensions: String { shape.map(String.init).joined(separator: "×") }

        /// The rank from the first four bytes, after checking the magic and the element type.
        static func rank(_ bytes: [UInt8], path: String) throws -> Int {
            guard bytes.count >= 4 else { throw DataError(path: path, "too short for an IDX header (\(bytes.count) bytes)") }
            guard bytes[0] == 0, bytes[1] == 0 else {
                throw DataError(path: path, "not an IDX file: the first two bytes must be 0 (found \(bytes[0]), \(bytes[1]))")
            }
            guard bytes[2] == 0x08 else {
                throw DataError(path: path, "IDX element type 0x\(String(bytes[2], radix: 16)) is not supported (only 0x08, unsigned bytes, as in MNIST)")
            }
            let rank = Int(bytes[3])
            guard (1...4).contains(rank) else { throw DataError(path: path, "IDX rank \(rank) is out of range 1...4") }
            return rank
        }

        /// Parses and checks the header at the start of `bytes` (which may hold more: the payload).
        init(_ bytes: [UInt8], path: String) throws {
            let rank = try Header.rank(bytes, path: path)
            size = 4 + 4 * rank
            guard bytes.count >= size else { throw DataError(path: path, "IDX header truncated: rank \(rank) needs \(size) bytes") }
            shape = (0..<rank).map { d in
                let o = 4 + 4 * d
                return Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
            }
            // Every product of the dimensions must fit, zero-sized ones set aside (a [0, 2³², 2³²] file
            // would otherwise overflow when its images are flattened).
            let dimensions = shape.map(String.init).joined(separator: "×")
            guard let product = shape.map({ Swift.max($0, 1) }).checkedProduct() else {
                throw DataError(path: path, "IDX dimensions \(dimensions) are too large")
            }
            // An empty array has nothing to learn from, and would reach the network as a zero-sized layer.
            guard !shape.contains(0) else { throw DataError(path: path, "the IDX file holds no values: dimensions \(dimensions)") }
            elements = product
        }
    }

    /// Images as a `[N, rows·columns]` tensor scaled to [0, 1] (pixel / 255).
    public static func images<Scalar: TensorScalar>(_ path: String, as type: Scalar.Type = Scalar.self) throws -> Tensor<Scalar> {
        let file = try read(path)
        guard file.shape.count == 3 else { throw DataError(path: path, "expected an image file [count, rows, columns], got rank \(file.shape.count)") }
        let tensor = Tensor<Scalar>(uninitializedShape: [file.shape[0], file.shape[1] * file.shape[2]])
        // Concrete loops per type (this runs over 47 million bytes for MNIST).
        file.bytes.withUnsafeBufferPointer { bytes in
            if Scalar.self == Float.self {
                tensor.data.withMemoryRebound(to: Float.self, capacity: bytes.count) { out in
                    for i in 0..<bytes.count { out[i] = Float(bytes[i]) * (1 / 255) }
                }
            } else {
                tensor.data.withMemoryRebound(to: Double.self, capacity: bytes.count) { out in
                    for i in 0..<bytes.count { out[i] = Double(bytes[i]) * (1 / 255) }
                }
            }
        }
        return tensor
    }

    /// Labels as a `[N]` tensor of class indices.
    public static func labels<Scalar: TensorScalar>(_ path: String, as type: Scalar.Type = Scalar.self) throws -> Tensor<Scalar> {
        let file = try read(path)
        guard file.shape.count == 1 else { throw DataError(path: path, "expected a label file [count], got rank \(file.shape.count)") }
        return Tensor(shape: [file.shape[0]], scalars: file.bytes.map { Scalar($0) })
    }
}

/// The four-file MNIST layout: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each optionally `.gz`.
public enum MNIST {
    /// Which half of the data set.
    public enum Split: String, Sendable {
        /// The 60 000 training examples (`train-*`).
        case train
        /// The 10 000 test examples (`t10k-*`).
        case test = "t10k"
    }

    /// Loads one split from `directory` as features `[N, 784]` in [0, 1] and class-index targets `[N]`.
    public static func load<Scalar: TensorScalar>(_ split: Split, from directory: String, as type: Scalar.Type = Scalar.self) throws -> Dataset<Scalar> {
        func locate(_ name: String) throws -> String {
            for candidate in ["\(directory)/\(name)", "\(directory)/\(name).gz"] where FileManagerShim.exists(candidate) { return candidate }
            throw DataError(path: "\(directory)/\(name)[.gz]", "MNIST file not found (expected the four-file IDX layout)")
        }
        let images: Tensor<Scalar> = try IDX.images(locate("\(split.rawValue)-images-idx3-ubyte"))
        let labels: Tensor<Scalar> = try IDX.labels(locate("\(split.rawValue)-labels-idx1-ubyte"))
        guard images.shape[0] == labels.shape[0] else {
            throw DataError(path: directory, "\(images.shape[0]) images but \(labels.shape[0]) labels")
        }
        return try Dataset(checkedFeatures: images, targets: labels, path: directory)
    }
}
