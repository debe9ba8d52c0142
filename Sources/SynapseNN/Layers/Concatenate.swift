import SynapseCore
/// Its inputs joined along `axis` (`torch.cat(inputs, dim=axis)`, Keras's `Concatenate`): the merge
/// point of parallel branches (Inception-style) in a ``Graph``. The axis counts the batch axis, as
/// in PyTorch: for images `[N, C, H, W]`, axis 1 (the default) stacks the branches' channels.
public final class Concatenate<Scalar: TensorScalar>: MergeLayer {
    /// The axis to join along (negative counts from the end; never the batch axis 0).
    public let axis: Int
    /// Ignored.
    public var isTraining = true

    /// A concatenation along `axis` (1: channels of images, features of rows).
    public init(axis: Int = 1) {
        self.axis = axis
    }

    /// y = [x₁ ‖ x₂ ‖ …] along `axis`; ∂y/∂xᵢ is xᵢ's slab of the gradient (``concatenate(_:axis:)``).
    public func callAsFunction(_ inputs: [Tensor<Scalar>]) -> Tensor<Scalar> {
        concatenate(inputs, axis: axis)
    }
}
