import SynapseCore
import Foundation

/// How a layer's parameters start, drawn from the NumPy-compatible ``RandomGenerator`` so a seed
/// reproduces them exactly. Fan-in and fan-out are the input and output sizes of a dense layer
/// (for convolutions, channels × kernel area).
///
/// | initializer | distribution |
/// |---|---|
/// | `xavierUniform` (Glorot) | U(±√(6 / (fanIn + fanOut))) |
/// | `xavierNormal` | N(0, 2 / (fanIn + fanOut)) |
/// | `heUniform` (Kaiming) | U(±√(6 / fanIn)) |
/// | `heNormal` | N(0, 2 / fanIn) |
/// | `lecunUniform` | U(±√(3 / fanIn)) |
/// | `lecunNormal` | N(0, 1 / fanIn) |
/// | `pytorchDefault` | U(±1/√fanIn) — `nn.Linear`'s default (kaiming_uniform with a = √5) |
/// | `standardNormal` | N(0, 1) — the tutorial's `np.random.randn` |
public enum Initializer: Sendable, Equatable, Codable {
    /// All zeros.
    case zeros
    /// Every element equal to a value.
    case constant(Double)
    /// U(low, high).
    case uniform(low: Double, high: Double)
    /// N(mean, standardDeviation²).
    case normal(mean: Double, standardDeviation: Double)
    /// Glorot/Xavier uniform: U(±√(6 / (fanIn + fanOut))).
    case xavierUniform
    /// Glorot/Xavier normal: N(0, 2 / (fanIn + fanOut)).
    case xavierNormal
    /// He/Kaiming uniform for ReLU networks: U(±√(6 / fanIn)).
    case heUniform
    /// He/Kaiming normal: N(0, 2 / fanIn).
    case heNormal
    /// LeCun uniform: U(±√(3 / fanIn)).
    case lecunUniform
    /// LeCun normal: N(0, 1 / fanIn).
    case lecunNormal
    /// PyTorch's default for `nn.Linear` weights and biases: U(±1/√fanIn).
    case pytorchDefault
    /// The tutorial's `np.random.randn`: N(0, 1).
    case standardNormal

    /// A new tensor of `shape` drawn from this initializer, requiring gradients.
    public func makeTensor<Scalar: TensorScalar>(_ shape: [Int], fanIn: Int, fanOut: Int,
                                                 generator: inout RandomGenerator) -> Tensor<Scalar> {
        let fanIn = Double(Swift.max(fanIn, 1)), fanOut = Double(Swift.max(fanOut, 1))
        let tensor: Tensor<Scalar>
        switch self {
        case .zeros: tensor = Tensor(zeros: shape)
        case .constant(let value): tensor = Tensor(repeating: Scalar(value), shape: shape)
        case .uniform(let low, let high): tensor = Tensor(randomUniform: shape, low: low, high: high, generator: &generator)
        case .normal(let mean, let sd): tensor = Tensor(randomNormal: shape, mean: mean, standardDeviation: sd, generator: &generator)
        case .xavierUniform:
            let bound = (6 / (fanIn + fanOut)).squareRoot()
            tensor = Tensor(randomUniform: shape, low: -bound, high: bound, generator: &generator)
        case .xavierNormal:
            tensor = Tensor(randomNormal: shape, standardDeviation: (2 / (fanIn + fanOut)).squareRoot(), generator: &generator)
        case .heUniform:
            let bound = (6 / fanIn).squareRoot()
            tensor = Tensor(randomUniform: shape, low: -bound, high: bound, generator: &generator)
        case .heNormal:
            tensor = Tensor(randomNormal: shape, standardDeviation: (2 / fanIn).squareRoot(), generator: &generator)
        case .lecunUniform:
            let bound = (3 / fanIn).squareRoot()
            tensor = Tensor(randomUniform: shape, low: -bound, high: bound, generator: &generator)
        case .lecunNormal:
            tensor = Tensor(randomNormal: shape, standardDeviation: (1 / fanIn).squareRoot(), generator: &generator)
        case .pytorchDefault:
            let bound = 1 / fanIn.squareRoot()
            tensor = Tensor(randomUniform: shape, low: -bound, high: bound, generator: &generator)
        case .standardNormal:
            tensor = Tensor(randomNormal: shape, generator: &generator)
        }
        tensor.requiresGrad = true
        return tensor
    }
}
