import SynapseCore
/// Randomly zeroes a fraction `rate` of its inputs during training and scales the rest by
/// 1/(1 − rate) ("inverted dropout", as PyTorch); the identity in evaluation mode.
public final class Dropout<Scalar: TensorScalar>: Layer {
    /// The probability of zeroing each element.
    public let rate: Double
    /// Whether dropout is active.
    public var isTraining = true
    /// The generator the masks are drawn from (seeded, so training is reproducible).
    public var generator: RandomGenerator

    /// A dropout layer with drop probability `rate` in [0, 1), drawing masks from a generator seeded with `seed`.
    public init(rate: Double, seed: UInt32 = 0) {
        precondition(rate >= 0 && rate < 1, "Dropout rate must be in [0, 1), got \(rate)")
        self.rate = rate
        self.generator = RandomGenerator(seed: seed)
    }

    /// `x ⊙ m / (1 − rate)` with `m ~ Bernoulli(1 − rate)` in training, for `x` of any rank (the
    /// functional ``dropout(_:rate:generator:)``, same draws); `x` in evaluation.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        guard isTraining, rate > 0 else { return x }
        return dropout(x, rate: rate, generator: &generator)
    }
}
