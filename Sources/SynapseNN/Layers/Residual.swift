import SynapseCore
/// A residual block (He et al., 2015): `block(x) + shortcut(x)`, or `block(x) + x` without a
/// shortcut. The shortcut is usually absent (the block keeps the shape) or a 1×1 convolution with
/// the block's stride and a BatchNorm (a projection, where the block changes the shape).
///
/// Its children are named `block` and `shortcut`, as in the PyTorch module
///
/// ```python
/// class Residual(nn.Module):
///     def __init__(self, block, shortcut=None):
///         super().__init__()
///         self.block = block
///         self.shortcut = shortcut if shortcut is not None else nn.Identity()
///     def forward(self, x):
///         return self.block(x) + self.shortcut(x)
/// ```
///
/// so parameters are `block.0.weight`, `shortcut.0.weight`, … (`3.block.0.weight` inside a
/// ``Sequential``). The activation after the sum (ReLU in a ResNet) is the next layer's job.
public final class Residual<Scalar: TensorScalar>: Layer {
    /// The residual branch F in y = F(x) + x.
    public let block: any Layer<Scalar>
    /// The shortcut branch, or nil for the identity.
    public let shortcut: (any Layer<Scalar>)?
    /// Training or evaluation mode (use ``Layer/train(_:)`` / ``Layer/eval()`` to set it recursively).
    public var isTraining = true

    /// A residual block adding `block(x)` to `shortcut(x)` (to `x` itself when `shortcut` is nil).
    public init(_ block: any Layer<Scalar>, shortcut: (any Layer<Scalar>)? = nil) {
        self.block = block
        self.shortcut = shortcut
    }

    /// y = block(x) + shortcut(x);  ∂y/∂x = ∂block/∂x + ∂shortcut/∂x (both paths' gradients accumulate in x).
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        let skip = shortcut.map { $0(x) } ?? x
        let branch = block(x)
        precondition(branch.shape == skip.shape, "Residual: the block gives \(branch.shape) but the shortcut gives \(skip.shape)")
        return branch + skip
    }

    /// `block`, then `shortcut` when there is one.
    public var namedChildren: [(name: String, layer: any Layer<Scalar>)] {
        [("block", block)] + (shortcut.map { [("shortcut", $0)] } ?? [])
    }
}
