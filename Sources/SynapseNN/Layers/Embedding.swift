import SynapseCore
/// A table of learned vectors, one per token (PyTorch's `nn.Embedding`): `weight` `[V, C]`, drawn
/// from N(0, 1) as PyTorch does. Its input holds token ids (whole numbers in `0..<V`, stored in the
/// tensor's scalar type); its output has the input's shape plus a last axis of C.
public final class Embedding<Scalar: TensorScalar>: Layer {
    /// The vectors, `[vocabulary, width]`.
    public let weight: Tensor<Scalar>
    /// Ignored.
    public var isTraining = true

    /// The number of tokens.
    public var vocabularySize: Int { weight.shape[0] }
    /// The length of each vector.
    public var width: Int { weight.shape[1] }

    /// An embedding of `vocabularySize` tokens into vectors of `width`, drawn from N(0, 1).
    public convenience init(vocabularySize: Int, width: Int, generator: inout RandomGenerator) {
        precondition(vocabularySize > 0 && width > 0, "Embedding needs a positive vocabulary and width")
        self.init(weight: Tensor(randomNormal: [vocabularySize, width], generator: &generator))
    }

    /// An embedding with the given table (e.g. loaded from a file).
    public init(weight: Tensor<Scalar>) {
        precondition(weight.rank == 2, "Embedding weight must be [V, C], got \(weight.shape)")
        weight.requiresGrad = true
        self.weight = weight
    }

    /// The vectors of the token ids in `x` (any shape): `[…] → […, C]`.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        embedding(weight, indices: tokenIndices(x), shape: x.shape)
    }

    /// The token ids in `x` as row numbers of the table (each a whole number below the vocabulary size).
    public func tokenIndices(_ x: Tensor<Scalar>) -> [Int] {
        x.doubleScalars.map { value -> Int in
            precondition(value.rounded() == value && value >= 0 && value < Double(vocabularySize),
                         "Embedding of \(vocabularySize) tokens got the id \(value)")
            return Int(value)
        }
    }
}
