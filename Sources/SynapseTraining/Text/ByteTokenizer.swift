import SynapseCore
/// A byte-level tokenizer: the vocabulary is the set of bytes seen in the training text, in
/// increasing order, so token `i` is the `i`-th smallest byte that occurred (a character-level
/// model for ASCII text, as Karpathy's char-rnn and nanoGPT's `shakespeare_char`). It is stored in
/// a model file's metadata (`vocabulary`: the byte values as a JSON array).
///
/// ```swift
/// let tokenizer = ByteTokenizer(training: Array("hello".utf8))   // vocabulary e, h, l, o
/// let ids = try tokenizer.encode(Array("hole".utf8))              // [1, 3, 2, 0]
/// let text = tokenizer.decode(ids)                                // "hole" as bytes
/// ```
public struct ByteTokenizer: Sendable, Equatable, Codable {
    /// The byte of each token id, increasing.
    public let bytes: [UInt8]
    /// The token id of each of the 256 byte values, or -1 for a byte outside the vocabulary.
    private let ids: [Int16]

    /// The tokenizer of the bytes that occur in `text` (at least one byte).
    public init(training text: [UInt8]) {
        var seen = [Bool](repeating: false, count: 256)
        for byte in text { seen[Int(byte)] = true }
        self.init(uncheckedBytes: (0..<256).filter { seen[$0] }.map(UInt8.init))
    }

    /// A tokenizer with the given vocabulary (a model file's), checked: 1 to 256 distinct bytes in increasing order.
    /// - Throws: ``TokenizerError`` describing what is wrong.
    public init(vocabulary bytes: [UInt8]) throws(TokenizerError) {
        guard !bytes.isEmpty else { throw TokenizerError("the vocabulary is empty") }
        guard zip(bytes, bytes.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw TokenizerError("the vocabulary's bytes must be distinct and in increasing order")
        }
        self.init(uncheckedBytes: bytes)
    }

    private init(uncheckedBytes bytes: [UInt8]) {
        self.bytes = bytes
        var ids = [Int16](repeating: -1, count: 256)
        for (id, byte) in bytes.enumerated() { ids[Int(byte)] = Int16(id) }
        self.ids = ids
    }

    /// The number of tokens.
    public var vocabularySize: Int { bytes.count }

    /// The token ids of `text`.
    /// - Throws: ``TokenizerError`` naming the first byte outside the vocabulary and its offset.
    public func encode(_ text: [UInt8]) throws(TokenizerError) -> [Int] {
        var result = [Int]()
        result.reserveCapacity(text.count)
        for (offset, byte) in text.enumerated() {
            let id = ids[Int(byte)]
            guard id >= 0 else {
                throw TokenizerError("byte \(ByteTokenizer.describe(byte)) at offset \(offset) is not in the model's vocabulary of \(bytes.count) bytes")
            }
            result.append(Int(id))
        }
        return result
    }

    /// The bytes of token ids (each in `0..<vocabularySize`).
    public func decode(_ tokens: [Int]) -> [UInt8] {
        tokens.map { bytes[$0] }
    }

    /// A byte as a reader would name it: `'a'`, or `0x0A` for one that is not printable ASCII.
    static func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
    }

    private enum CodingKeys: String, CodingKey { case bytes }

    /// Decodes and checks a vocabulary (a JSON object `{"bytes": [...]}`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let values = try container.decode([UInt8].self, forKey: .bytes)
        do { try self.init(vocabulary: values) } catch {
            throw DecodingError.dataCorruptedError(forKey: .bytes, in: container, debugDescription: error.description)
        }
    }

    /// Encodes the vocabulary as `{"bytes": [...]}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bytes, forKey: .bytes)
    }
}

/// Text that a tokenizer cannot handle (a byte outside the vocabulary), or a malformed vocabulary.
public struct TokenizerError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, in words.
    public let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}
