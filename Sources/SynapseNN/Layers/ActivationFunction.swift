import SynapseCore
/// An activation function as a value: what ``Dense`` applies after its affine map, what an
/// ``Activation`` layer applies, and how model files name them (`"relu"`, `"leaky_relu"`, …).
public enum ActivationFunction: Sendable, Equatable, Codable, CustomStringConvertible {
    /// x (no activation).
    case identity
    /// σ(x) = 1 / (1 + e^{−x}).
    case sigmoid
    /// tanh x.
    case tanh
    /// max(x, 0).
    case relu
    /// x for x > 0, slope·x otherwise.
    case leakyReLU(slope: Double)
    /// x for x > 0, α(eˣ − 1) otherwise.
    case elu(alpha: Double)
    /// x·Φ(x), exactly (erf) or with the tanh approximation.
    case gelu(approximate: Bool)
    /// x·σ(x) (also called swish).
    case silu
    /// ln(1 + eˣ).
    case softplus
    /// e^{xᵢ} / Σⱼ e^{xⱼ} along the last axis.
    case softmax
    /// xᵢ − ln Σⱼ e^{xⱼ} along the last axis.
    case logSoftmax

    /// Applies the function (differentiably) to `x`.
    public func callAsFunction<Scalar: TensorScalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        switch self {
        case .identity: return x
        case .sigmoid: return SynapseCore.sigmoid(x)
        case .tanh: return SynapseCore.tanh(x)
        case .relu: return SynapseCore.relu(x)
        case .leakyReLU(let slope): return SynapseCore.leakyReLU(x, slope: Scalar(slope))
        case .elu(let alpha): return SynapseCore.elu(x, alpha: Scalar(alpha))
        case .gelu(let approximate): return SynapseCore.gelu(x, approximation: approximate ? .tanh : .none)
        case .silu: return SynapseCore.silu(x)
        case .softplus: return SynapseCore.softplus(x)
        case .softmax: return SynapseCore.softmax(x, axis: -1)
        case .logSoftmax: return SynapseCore.logSoftmax(x, axis: -1)
        }
    }

    /// The name used on the command line and in model files (`relu`, `leaky_relu(0.01)`, `gelu_tanh`, …).
    public var description: String {
        switch self {
        case .identity: return "identity"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .relu: return "relu"
        case .leakyReLU(let slope): return slope == 0.01 ? "leaky_relu" : "leaky_relu(\(slope))"
        case .elu(let alpha): return alpha == 1 ? "elu" : "elu(\(alpha))"
        case .gelu(let approximate): return approximate ? "gelu_tanh" : "gelu"
        case .silu: return "silu"
        case .softplus: return "softplus"
        case .softmax: return "softmax"
        case .logSoftmax: return "log_softmax"
        }
    }

    /// Parses a name as ``description`` prints it (case-insensitive; `swish` is `silu`); nil if unknown.
    public init?(name: String) {
        let text = name.lowercased().replacingOccurrences(of: " ", with: "")
        var base = text, argument: Double? = nil
        if let open = text.firstIndex(of: "("), text.hasSuffix(")") {
            base = String(text[..<open])
            guard let value = Double(text[text.index(after: open)..<text.index(before: text.endIndex)]) else { return nil }
            argument = value
        }
        switch (base, argument) {
        case ("identity", nil), ("linear", nil), ("none", nil): self = .identity
        case ("sigmoid", nil): self = .sigmoid
        case ("tanh", nil): self = .tanh
        case ("relu", nil): self = .relu
        case ("leaky_relu", let a), ("leakyrelu", let a): self = .leakyReLU(slope: a ?? 0.01)
        case ("elu", let a): self = .elu(alpha: a ?? 1)
        case ("gelu", nil): self = .gelu(approximate: false)
        case ("gelu_tanh", nil): self = .gelu(approximate: true)
        case ("silu", nil), ("swish", nil): self = .silu
        case ("softplus", nil): self = .softplus
        case ("softmax", nil): self = .softmax
        case ("log_softmax", nil), ("logsoftmax", nil): self = .logSoftmax
        default: return nil
        }
    }

    /// Every activation's name, for help texts and error messages.
    public static let names = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "gelu_tanh",
                               "silu", "softplus", "softmax", "log_softmax"]

    /// The names of the element-wise activations, which suit a hidden layer (`synapse train
    /// --activation`): every name in ``names`` but `softmax` and `log_softmax`, which normalise
    /// along a layer's outputs and belong to a classifier's last layer or its loss.
    public static let hiddenLayerNames = names.filter { $0 != "softmax" && $0 != "log_softmax" }

    /// Whether the function works element by element (every case but ``softmax`` and ``logSoftmax``),
    /// as a hidden layer's activation must.
    public var isElementwise: Bool {
        switch self {
        case .softmax, .logSoftmax: return false
        default: return true
        }
    }
}
