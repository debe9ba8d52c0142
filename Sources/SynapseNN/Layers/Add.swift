import SynapseCore
/// The sum of its inputs, which must have the same shape (Keras's `Add`; in PyTorch, `a + b` in a
/// module's `forward`): the merge point of a residual connection in a ``Graph``.
///
/// Unlike `+` on tensors it does not broadcast: inputs of different shapes are a mistake in the
/// graph, refused by shape inference before training.
public final class Add<Scalar: TensorScalar>: MergeLayer {
    /// Ignored.
    public var isTraining = true

    /// An add layer.
    public init() {}

    /// y = x₁ + x₂ + … + xₙ;  ∂y/∂xᵢ = I, so each input receives the output's gradient (via `+`).
    public func callAsFunction(_ inputs: [Tensor<Scalar>]) -> Tensor<Scalar> {
        precondition(!inputs.isEmpty, "Add needs at least one input")
        precondition(inputs.allSatisfy { $0.shape == inputs[0].shape }, "Add needs inputs of one shape, got \(inputs.map(\.shape))")
        return inputs.dropFirst().reduce(inputs[0], +)
    }
}
