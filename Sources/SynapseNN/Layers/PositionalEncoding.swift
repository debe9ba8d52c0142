import Foundation
import SynapseCore
// Position information for sequence models, added to token vectors `[B, T, C]`: a learned table
// (GPT-2's `wpe`) and the fixed sinusoids of "Attention Is All You Need". Both continue a sequence
// in a `DecodingCache` by adding the encodings of positions `cache.position ..< cache.position + t`.

/// A learned positional embedding (nanoGPT's `wpe`): `weight` `[maxLength, C]`, drawn from N(0, 1)
/// as `nn.Embedding(maxLength, C)`, whose row t is added to every position t of the input.
///
/// The input must be `[B, T, C]` (batch, positions, width) with `T ≤ maxLength`; the output has
/// the same shape: `y[b, t, :] = x[b, t, :] + weight[t, :]`.
public final class PositionalEmbedding<Scalar: TensorScalar>: IncrementalLayer {
    /// One vector per position, `[maxLength, width]`.
    public let weight: Tensor<Scalar>
    /// Ignored.
    public var isTraining = true

    /// The number of positions the table covers.
    public var maxLength: Int { weight.shape[0] }
    /// The length of each vector.
    public var width: Int { weight.shape[1] }

    /// A table of `maxLength` positions of `width` values, drawn from N(0, 1).
    public convenience init(maxLength: Int, width: Int, generator: inout RandomGenerator) {
        precondition(maxLength > 0 && width > 0, "PositionalEmbedding needs a positive length and width")
        self.init(weight: Tensor(randomNormal: [maxLength, width], generator: &generator))
    }

    /// A positional embedding with the given table `[maxLength, width]` (e.g. loaded from a file).
    public init(weight: Tensor<Scalar>) {
        precondition(weight.rank == 2, "PositionalEmbedding weight must be [maxLength, C], got \(weight.shape)")
        weight.requiresGrad = true
        self.weight = weight
    }

    /// `x + weight[0..<T]` for `x` `[B, T, C]`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { adding(x, from: 0) }

    /// `x + weight[p ..< p + t]` for the new positions `x` `[B, t, C]`, p = `cache.position`.
    public func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        adding(x, from: cache.position)
    }

    private func adding(_ x: Tensor<Scalar>, from start: Int) -> Tensor<Scalar> {
        precondition(x.rank == 3 && x.shape[2] == width,
                     "PositionalEmbedding of width \(width) needs an input [B, T, \(width)], got \(x.shape)")
        precondition(start + x.shape[1] <= maxLength,
                     "PositionalEmbedding covers \(maxLength) positions; positions \(start)..<\(start + x.shape[1]) asked")
        // The rows are a view of the table (recorded), broadcast over the batch: the table's
        // gradient is the batch sum of the input's, placed at those rows.
        return x + weight.rows(start..<(start + x.shape[1]))
    }
}

/// The fixed sinusoidal positional encoding of "Attention Is All You Need", added to the input;
/// no parameters:
///
///     PE[pos, 2i] = sin(pos / 10000^(2i/C)),   PE[pos, 2i + 1] = cos(pos / 10000^(2i/C))
///
/// The input must be `[B, T, C]` (batch, positions, width); the output has the same shape:
/// `y[b, t, :] = x[b, t, :] + PE[t, :]`. Any number of positions (the table grows as needed).
public final class SinusoidalPositionalEncoding<Scalar: TensorScalar>: IncrementalLayer {
    /// The length of each vector, C.
    public let width: Int
    /// Ignored.
    public var isTraining = true
    /// PE for the positions computed so far, `[n, C]` (a constant, not a parameter).
    private var table: Tensor<Scalar>

    /// An encoding of `width` values per position.
    public init(width: Int) {
        precondition(width > 0, "SinusoidalPositionalEncoding needs a positive width")
        self.width = width
        table = Tensor(zeros: [0, width])
    }

    /// PE for positions `range`, `[range.count, C]`: rows of the table, computed in Double.
    public func encodings(_ range: Range<Int>) -> Tensor<Scalar> {
        precondition(range.lowerBound >= 0, "positions cannot be negative")
        if range.upperBound > table.shape[0] { grow(to: Swift.max(range.upperBound, 2 * table.shape[0])) }
        return table.rows(range)
    }

    /// `x + PE[0..<T]` for `x` `[B, T, C]`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> { adding(x, from: 0) }

    /// `x + PE[p ..< p + t]` for the new positions `x` `[B, t, C]`, p = `cache.position`.
    public func decode(_ x: Tensor<Scalar>, cache: DecodingCache<Scalar>) -> Tensor<Scalar> {
        adding(x, from: cache.position)
    }

    private func adding(_ x: Tensor<Scalar>, from start: Int) -> Tensor<Scalar> {
        precondition(x.rank == 3 && x.shape[2] == width,
                     "SinusoidalPositionalEncoding of width \(width) needs an input [B, T, \(width)], got \(x.shape)")
        return x + encodings(start..<(start + x.shape[1]))
    }

    /// Recomputes the table for positions `0..<length`.
    private func grow(to length: Int) {
        var values = [Scalar](repeating: 0, count: length * width)
        // 1/10000^(2i/C) per pair of columns.
        let frequencies = (0..<((width + 1) / 2)).map { Foundation.pow(10000.0, -Double(2 * $0) / Double(width)) }
        for position in 0..<length {
            for (i, frequency) in frequencies.enumerated() {
                let angle = Double(position) * frequency
                values[position * width + 2 * i] = Scalar(Foundation.sin(angle))
                if 2 * i + 1 < width { values[position * width + 2 * i + 1] = Scalar(Foundation.cos(angle)) }
            }
        }
        table = Tensor(shape: [length, width], scalars: values)
    }
}
