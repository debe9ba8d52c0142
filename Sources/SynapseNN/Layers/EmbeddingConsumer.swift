import SynapseCore

/// A layer that can be handed token ids together with the ``Embedding`` before it, and computes
/// `self(embedding(ids))` with less work — ``Sequential`` does so for every such adjacent pair.
/// ``LSTM`` and ``GRU`` multiply the embedding table by their first input weight once per table row
/// instead of once per token.
public protocol EmbeddingConsumer<Scalar>: Layer {
    /// `self(table(tokens))`, the same values (up to the order of floating-point sums).
    func callAsFunction(tokens: Tensor<Scalar>, embeddedBy table: Embedding<Scalar>) -> Tensor<Scalar>
}
