import SynapseCore
import SynapseNN
import Foundation
/// A text as token ids, split by position for a language model: the first 90 % to train on, the
/// last 10 % held out (as nanoGPT's `shakespeare_char`), and cut into windows of a block size.
///
/// A language model learns to predict token t+1 from tokens ≤ t, so a window of `blockSize + 1`
/// tokens gives an input of `blockSize` tokens and, shifted by one, its targets.
public struct TextCorpus: Sendable {
    /// The tokenizer (its vocabulary is the set of bytes of the whole text, or a model's).
    public let tokenizer: ByteTokenizer
    /// The first part of the text's tokens, to train on.
    public let training: [Int]
    /// The last part, held out.
    public let validation: [Int]

    /// Tokenizes `text` (with `tokenizer`, or one built from the text) and splits it by position,
    /// holding out the last `heldOutFraction` (0 for none).
    /// - Throws: ``TokenizerError`` for a byte outside a given tokenizer's vocabulary.
    public init(text: [UInt8], tokenizer: ByteTokenizer? = nil, heldOutFraction: Double = 0.1) throws(TokenizerError) {
        precondition((0..<1).contains(heldOutFraction), "the held-out fraction must be in [0, 1), got \(heldOutFraction)")
        let tokenizer = tokenizer ?? ByteTokenizer(training: text)
        let tokens = try tokenizer.encode(text)
        let cut = tokens.count - Int((Double(tokens.count) * heldOutFraction).rounded())
        self.tokenizer = tokenizer
        self.training = Array(tokens[..<cut])
        self.validation = Array(tokens[cut...])
    }

    /// The bytes of a text file (gunzipped when it is gzip, within ``ResourceLimits/decompressedBytes``).
    /// - Throws: ``DataError`` naming the file when it cannot be read or is empty.
    public static func read(_ path: String) throws -> [UInt8] {
        // An empty file is refused before reading (Foundation leaks the buffer of an empty mapped
        // read on Linux); others are memory-mapped and copied once.
        var status = stat()
        if stat(path, &status) == 0, status.st_size == 0 { throw DataError(path: path, "the text is empty") }
        let bytes = try FileBytes.withContents(path) { Array($0.bindMemory(to: UInt8.self)) }
        guard !bytes.isEmpty else { throw DataError(path: path, "the text is empty") }
        return bytes
    }

    /// `count` windows of `blockSize + 1` tokens of `tokens` starting at random offsets drawn from
    /// `generator` (nanoGPT's `get_batch`): features `[count, blockSize]` and targets (the same
    /// windows shifted by one) `[count, blockSize]`, token ids stored as scalars.
    /// - Precondition: `tokens` has more than `blockSize` tokens.
    public static func randomWindows<Scalar: TensorScalar>(of tokens: [Int], count: Int, blockSize: Int,
                                                           generator: inout RandomGenerator) -> Dataset<Scalar> {
        precondition(blockSize > 0 && tokens.count > blockSize, "windows of \(blockSize) + 1 tokens need a longer text than \(tokens.count) tokens")
        let starts = (0..<count).map { _ in generator.integer(in: 0..<(tokens.count - blockSize)) }
        return windows(of: tokens, starting: starts, blockSize: blockSize)
    }

    /// The consecutive non-overlapping windows of `tokens` (the last partial one left out unless it
    /// is the only one): how held-out text is evaluated, every token predicted once.
    public static func consecutiveWindows<Scalar: TensorScalar>(of tokens: [Int], blockSize: Int) -> Dataset<Scalar> {
        precondition(blockSize > 0 && tokens.count >= 2, "a window needs at least 2 tokens")
        let block = Swift.min(blockSize, tokens.count - 1)
        let starts = Array(stride(from: 0, to: tokens.count - block, by: block))
        return windows(of: tokens, starting: starts, blockSize: block)
    }

    /// The windows of `blockSize` + 1 tokens of `tokens` at `starts`, as inputs and shifted targets.
    static func windows<Scalar: TensorScalar>(of tokens: [Int], starting starts: [Int], blockSize: Int) -> Dataset<Scalar> {
        let features = Tensor<Scalar>(zeros: [starts.count, blockSize]), targets = Tensor<Scalar>(zeros: [starts.count, blockSize])
        features.withUnsafeMutableBufferPointer { x in
            targets.withUnsafeMutableBufferPointer { y in
                for (row, start) in starts.enumerated() {
                    for t in 0..<blockSize {
                        x[row * blockSize + t] = Scalar(Double(tokens[start + t]))
                        y[row * blockSize + t] = Scalar(Double(tokens[start + t + 1]))
                    }
                }
            }
        }
        return Dataset(features: features, targets: targets)
    }
}
