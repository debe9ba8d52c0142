import Foundation

/// A layer's architecture without its weights: what a model file records so that loading can
/// rebuild the same network. Its JSON is readable by anyone:
///
/// ```json
/// {"type": "sequential", "layers": [
///   {"type": "dense", "in": 784, "out": 128, "bias": true, "activation": "identity"},
///   {"type": "activation", "function": "relu"},
///   {"type": "dense", "in": 128, "out": 10, "bias": true, "activation": "identity"}]}
/// ```
public indirect enum LayerSpec: Sendable, Equatable, Codable {
    /// ``Dense``: `weight [out, in]`, optional `bias [out]`, an activation applied after.
    case dense(inputs: Int, outputs: Int, bias: Bool, activation: ActivationFunction)
    /// ``Activation``.
    case activation(ActivationFunction)
    /// ``Dropout`` with its rate.
    case dropout(rate: Double)
    /// ``Flatten``.
    case flatten
    /// ``Sequential`` of the given layers.
    case sequential([LayerSpec])

    /// Describes `layer`.
    /// - Throws: ``DataError`` (with path `model`) for layers this format cannot describe (custom classes).
    public init<Scalar: TensorScalar>(describing layer: any Layer<Scalar>) throws {
        switch layer {
        case let dense as Dense<Scalar>:
            self = .dense(inputs: dense.inputSize, outputs: dense.outputSize, bias: dense.bias != nil, activation: dense.activation)
        case let activation as Activation<Scalar>:
            self = .activation(activation.function)
        case let dropout as Dropout<Scalar>:
            self = .dropout(rate: dropout.rate)
        case is Flatten<Scalar>:
            self = .flatten
        case let sequential as Sequential<Scalar>:
            self = .sequential(try sequential.layers.map { try LayerSpec(describing: $0) })
        default:
            throw DataError(path: "model", "cannot describe a layer of type \(type(of: layer)) in a model file (Sequential, Dense, Activation, Dropout and Flatten can be saved)")
        }
    }

    /// A new layer with this architecture; parameters are zero until a state is loaded into them.
    public func makeLayer<Scalar: TensorScalar>(as type: Scalar.Type = Scalar.self) -> any Layer<Scalar> {
        switch self {
        case .dense(let inputs, let outputs, let bias, let activation):
            return Dense<Scalar>(weight: Tensor(zeros: [outputs, inputs]), bias: bias ? Tensor(zeros: [outputs]) : nil, activation: activation)
        case .activation(let function): return Activation<Scalar>(function)
        case .dropout(let rate): return Dropout<Scalar>(rate: rate)
        case .flatten: return Flatten<Scalar>()
        case .sequential(let layers): return Sequential<Scalar>(layers.map { $0.makeLayer(as: Scalar.self) })
        }
    }

    /// Checks sizes a hostile or corrupted file could get wrong, before anything is allocated.
    func validate(maximumParameters: Int) throws {
        switch self {
        case .dense(let inputs, let outputs, _, _):
            guard inputs > 0, outputs > 0, inputs.multipliedReportingOverflow(by: outputs).partialValue <= maximumParameters,
                  !inputs.multipliedReportingOverflow(by: outputs).overflow else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "dense layer \(inputs) → \(outputs) is not a valid size for this file"))
            }
        case .dropout(let rate):
            guard rate >= 0 && rate < 1 else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "dropout rate \(rate) is outside [0, 1)"))
            }
        case .sequential(let layers): try layers.forEach { try $0.validate(maximumParameters: maximumParameters) }
        case .activation, .flatten: break
        }
    }

    private enum Key: String, CodingKey { case type, `in`, out, bias, activation, function, rate, layers }

    /// Decodes the JSON form shown above.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        func activation(_ key: Key) throws -> ActivationFunction {
            let name = try c.decode(String.self, forKey: key)
            guard let function = ActivationFunction(name: name) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "unknown activation '\(name)'")
            }
            return function
        }
        switch try c.decode(String.self, forKey: .type) {
        case "dense":
            self = .dense(inputs: try c.decode(Int.self, forKey: .in), outputs: try c.decode(Int.self, forKey: .out),
                          bias: try c.decode(Bool.self, forKey: .bias), activation: try activation(.activation))
        case "activation": self = .activation(try activation(.function))
        case "dropout": self = .dropout(rate: try c.decode(Double.self, forKey: .rate))
        case "flatten": self = .flatten
        case "sequential": self = .sequential(try c.decode([LayerSpec].self, forKey: .layers))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown layer type '\(other)'")
        }
    }

    /// Encodes the JSON form shown above.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        switch self {
        case .dense(let inputs, let outputs, let bias, let activation):
            try c.encode("dense", forKey: .type)
            try c.encode(inputs, forKey: .in)
            try c.encode(outputs, forKey: .out)
            try c.encode(bias, forKey: .bias)
            try c.encode(activation.description, forKey: .activation)
        case .activation(let function):
            try c.encode("activation", forKey: .type)
            try c.encode(function.description, forKey: .function)
        case .dropout(let rate):
            try c.encode("dropout", forKey: .type)
            try c.encode(rate, forKey: .rate)
        case .flatten:
            try c.encode("flatten", forKey: .type)
        case .sequential(let layers):
            try c.encode("sequential", forKey: .type)
            try c.encode(layers, forKey: .layers)
        }
    }
}
