import SynapseCore
/// Sizes an architecture declares, computed with checked arithmetic (an architecture may come from
/// a hostile file): its parameter count, the input width its first dense layer fixes, and the
/// width its last dense layer gives.
extension LayerSpec {
    /// The number of trainable parameters (weights and biases; BatchNorm's γ and β), or nil when it
    /// overflows `Int`. Input sizes still to be inferred count as 0.
    public var parameterCount: Int? {
        func sum(_ terms: [Int?]) -> Int? {
            var total = 0
            for term in terms {
                guard let term else { return nil }
                let (next, overflow) = total.addingReportingOverflow(term)
                if overflow { return nil }
                total = next
            }
            return total
        }
        switch self {
        case .dense(let inputs, let outputs, let bias, _):
            guard let weights = [inputs, outputs].checkedProduct() else { return nil }
            return sum([weights, bias ? outputs : 0])
        case .conv2d(let inputs, let outputs, let kernel, _, _, _, let bias):
            guard let weights = [outputs, inputs, kernel.y, kernel.x].checkedProduct() else { return nil }
            return sum([weights, bias ? outputs : 0])
        case .batchNorm(let features, _, _, let affine):
            return affine ? sum([features, features]) : 0
        case .sequential(let layers):
            return sum(layers.map(\.parameterCount))
        case .activation, .dropout, .flatten, .pool2d, .globalAveragePool, .reshape:
            return 0
        }
    }

    /// The number of input features the architecture expects, when its first sized layer is a dense
    /// layer (nil when a flatten, reshape or convolution comes first, or the size is still to be inferred).
    public var inputSize: Int? {
        switch self {
        case .dense(let inputs, _, _, _): return inputs == 0 ? nil : inputs
        case .sequential(let layers):
            for layer in layers {
                switch layer {
                case .activation, .dropout: continue
                default: return layer.inputSize
                }
            }
            return nil
        default: return nil
        }
    }

    /// The width of each output row when the architecture ends with a dense layer (followed only by
    /// activations or dropout), else nil.
    public var outputWidth: Int? {
        switch self {
        case .dense(_, let outputs, _, _): return outputs
        case .sequential(let layers):
            for layer in layers.reversed() {
                switch layer {
                case .activation, .dropout: continue
                default: return layer.outputWidth
                }
            }
            return nil
        default: return nil
        }
    }
}
