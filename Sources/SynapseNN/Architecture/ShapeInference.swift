import SynapseCore
/// A network that cannot take its input: which layer, what it expected and what it got, in the
/// per-example notation of the error messages (`Conv2D(3 → 6, 5×5) expected input [N, 3, H, W], got [N, 1, 28, 28]`).
public struct ShapeError: Error, CustomStringConvertible, Equatable {
    /// The whole message.
    public let description: String

    /// An error with the given message.
    public init(_ description: String) { self.description = description }
}

extension LayerSpec {
    /// The shape of one example after this layer, for one example of shape `input` (batch axis left out).
    /// - Throws: ``ShapeError`` naming the layer, the shape it expects and the shape it got.
    public func outputShape(for input: [Int]) throws(ShapeError) -> [Int] {
        try resolved(for: input).output
    }

    /// This architecture with the sizes left out of a hand-written spec (`"in"` of dense and conv2d,
    /// `"features"` of batchnorm, written as 0) taken from the input, and the output shape of one example.
    /// - Throws: ``ShapeError`` when a layer cannot take what the previous one gives it.
    public func resolved(for input: [Int]) throws(ShapeError) -> (spec: LayerSpec, output: [Int]) {
        func mismatch(_ expected: String) -> ShapeError {
            ShapeError("\(title) expected input \(expected), got \(Self.format(input))")
        }
        guard let count = input.checkedProduct() else { throw ShapeError("\(title): an input of \(Self.format(input)) is too large") }
        switch self {
        case .dense(let inputs, let outputs, let bias, let activation):
            // Rows of features [N, F], or vectors along a sequence [N, T, F] (the last axis, as nn.Linear).
            guard input.count == 1 || input.count == 2, inputs == 0 || input[input.count - 1] == inputs else {
                let f = inputs == 0 ? "F" : String(inputs)
                throw mismatch("[N, \(f)] or [N, T, \(f)]" + (input.count > 2 ? " (a flatten layer before it makes rows of images)" : ""))
            }
            guard outputs > 0 else { throw ShapeError("\(title): its \"out\" is not known (\"vocabulary\" is only known to a language model)") }
            return (.dense(inputs: input[input.count - 1], outputs: outputs, bias: bias, activation: activation), input.dropLast() + [outputs])
        case .conv2d(let inputs, let outputs, let kernel, let stride, let padding, let dilation, let bias):
            guard input.count == 3, inputs == 0 || input[0] == inputs else { throw mismatch("[N, \(inputs == 0 ? "C" : String(inputs)), H, W]") }
            guard input.allSatisfy({ $0 <= Self.largestSide }) else { throw ShapeError("\(title): an input of \(Self.format(input)) is too large") }
            let g = ConvolutionGeometry(height: input[1], width: input[2], kernel: kernel, stride: stride, padding: padding, dilation: dilation)
            guard g.outputHeight > 0, g.outputWidth > 0 else {
                throw ShapeError("\(title): its window does not fit an input of \(input[1])×\(input[2]) (input \(Self.format(input)))")
            }
            return (.conv2d(inputs: input[0], outputs: outputs, kernel: kernel, stride: stride, padding: padding, dilation: dilation, bias: bias),
                    [outputs, g.outputHeight, g.outputWidth])
        case .pool2d(_, let kernel, let stride, let padding):
            guard input.count == 3 else { throw mismatch("[N, C, H, W]") }
            guard input.allSatisfy({ $0 <= Self.largestSide }) else { throw ShapeError("\(title): an input of \(Self.format(input)) is too large") }
            let g = ConvolutionGeometry(height: input[1], width: input[2], kernel: kernel, stride: stride, padding: padding)
            guard g.outputHeight > 0, g.outputWidth > 0 else {
                throw ShapeError("\(title): its window does not fit an input of \(input[1])×\(input[2]) (input \(Self.format(input)))")
            }
            return (self, [input[0], g.outputHeight, g.outputWidth])
        case .globalAveragePool:
            guard input.count == 3 else { throw mismatch("[N, C, H, W]") }
            return (self, [input[0]])
        case .batchNorm(let features, let momentum, let epsilon, let affine):
            guard input.count == 1 || input.count == 3, features == 0 || input[0] == features else {
                let c = features == 0 ? "C" : String(features)
                throw mismatch("[N, \(c)] or [N, \(c), H, W]")
            }
            return (.batchNorm(features: input[0], momentum: momentum, epsilon: epsilon, affine: affine), input)
        case .reshape(let shape):
            guard shape.allSatisfy({ $0 > 0 }), let size = shape.checkedProduct() else { throw ShapeError("\(title): a shape needs positive sizes of a sensible product") }
            guard count == size else { throw mismatch("\(size) values per example") }
            return (self, shape)
        case .flatten:
            return (self, [count])
        case .activation, .dropout:
            return (self, input)
        case .sequential(let layers):
            var shape = input, resolvedLayers: [LayerSpec] = []
            for (index, layer) in layers.enumerated() {
                do {
                    let (spec, output) = try layer.resolved(for: shape)
                    resolvedLayers.append(spec)
                    shape = output
                } catch {
                    throw ShapeError("layer \(index) of the network: \(error.description)")
                }
            }
            return (.sequential(resolvedLayers), shape)
        case .identity:
            return (self, input)
        case .add, .concatenate:
            throw ShapeError("\(title) merges two or more inputs: use it as a node of a graph")
        case .residual(let block, let shortcut):
            let branch: (spec: LayerSpec, output: [Int])
            do { branch = try block.resolved(for: input) } catch { throw ShapeError("the block of a residual layer: \(error.description)") }
            var skip: (spec: LayerSpec, output: [Int])? = nil
            if let shortcut {
                do { skip = try shortcut.resolved(for: input) } catch { throw ShapeError("the shortcut of a residual layer: \(error.description)") }
            }
            let other = skip?.output ?? input
            guard branch.output == other else {
                throw ShapeError("Residual: its block gives \(Self.format(branch.output)) but \(shortcut == nil ? "its input (the identity shortcut) is" : "its shortcut gives") \(Self.format(other)) (a projection shortcut with the block's stride and channels makes them agree)")
            }
            return (.residual(block: branch.spec, shortcut: skip?.spec), branch.output)
        case .graph(let graph):
            guard graph.inputs.count == 1, graph.outputs.count == 1 else {
                throw ShapeError("a graph with \(graph.inputs.count) inputs and \(graph.outputs.count) outputs does not take one tensor and give one")
            }
            let (spec, outputs) = try graph.resolved(forInputs: [input])
            return (.graph(spec), outputs[0])
        case .embedding, .positionalEmbedding, .sinusoidalPositionalEncoding, .layerNorm, .rmsNorm, .multiheadAttention,
             .transformerBlock, .recurrent:
            return try resolvedSequenceLayer(for: input, mismatch: mismatch)
        case .custom(let type, let configuration):
            do { return (self, try LayerRegistry.outputShape(type, configuration: configuration, input: input)) } catch let error as ShapeError {
                throw ShapeError("\(title): \(error.description)")
            } catch {
                throw ShapeError("\(title): \(error)")
            }
        }
    }

    /// Whether the layer merges several inputs (``Add``, ``Concatenate``): a graph node with two or more inputs.
    public var isMerge: Bool {
        switch self {
        case .add, .concatenate: return true
        default: return false
        }
    }

    /// A merge layer's output for one example of each of `inputs` (named `names` in errors).
    /// - Throws: ``ShapeError`` naming the two inputs that do not agree, and their shapes.
    public func resolved(merging inputs: [[Int]], from names: [String]) throws(ShapeError) -> (spec: LayerSpec, output: [Int]) {
        guard let first = inputs.first else { throw ShapeError("\(title) has no inputs") }
        func disagree(_ i: Int, _ what: String) -> ShapeError {
            ShapeError("\(title): its inputs '\(names[0])' \(Self.format(first)) and '\(names[i])' \(Self.format(inputs[i])) \(what)")
        }
        switch self {
        case .add:
            if let i = inputs.firstIndex(where: { $0 != first }) { throw disagree(i, "differ (add needs one shape)") }
            return (self, first)
        case .concatenate(let axis):
            // `axis` counts the batch axis; within one example it is axis - 1.
            let rank = first.count + 1
            let along = (axis < 0 ? axis + rank : axis) - 1
            guard along >= 0, along < first.count else {
                throw ShapeError("\(title): axis \(axis) is not an axis of \(Self.format(first)) other than the batch axis")
            }
            var total = 0
            for (i, shape) in inputs.enumerated() {
                guard shape.count == first.count, shape.indices.allSatisfy({ $0 == along || shape[$0] == first[$0] }) else {
                    throw disagree(i, "differ in a size other than axis \(axis)")
                }
                let (sum, overflow) = total.addingReportingOverflow(shape[along])
                guard !overflow else { throw ShapeError("\(title): the joined size overflows") }
                total = sum
            }
            var output = first
            output[along] = total
            guard output.checkedProduct() != nil else { throw ShapeError("\(title): an output of \(Self.format(output)) is too large") }
            return (self, output)
        default:
            return try resolved(for: first)
        }
    }

    /// The most values one example needs at once in any layer — its input, its output, or a
    /// convolution's lowered input (C·kh·kw·OH·OW values): what running the network on a batch
    /// allocates per example at most (`Int.max` when the input does not fit or the count overflows).
    public func largestActivation(for input: [Int]) -> Int {
        activations(for: input)?.largest ?? Int.max
    }

    /// The output shape for one example of shape `input` and the largest activation on the way, in
    /// one pass over the architecture (each container visits its children once, so the work is
    /// linear in the layers however deep they nest); nil when a layer cannot take its input.
    func activations(for input: [Int]) -> (output: [Int], largest: Int)? {
        func size(_ shape: [Int]) -> Int { shape.checkedProduct() ?? Int.max }
        switch self {
        case .sequential(let layers):
            var shape = input, largest = size(input)
            for layer in layers {
                guard let (output, inner) = layer.activations(for: shape) else { return nil }
                largest = Swift.max(largest, inner)
                shape = output
            }
            return (shape, largest)
        case .residual(let block, let shortcut):
            guard let branch = block.activations(for: input) else { return nil }
            var largest = Swift.max(size(input), branch.largest)
            if let shortcut {
                guard let skip = shortcut.activations(for: input), skip.output == branch.output else { return nil }
                largest = Swift.max(largest, skip.largest)
            } else if branch.output != input {
                return nil
            }
            return (branch.output, largest)
        case .graph(let graph):
            guard graph.inputs.count == 1, graph.outputs.count == 1, let (outputs, largest) = graph.activations(forInputs: [input]) else { return nil }
            return (outputs[0], largest)
        case .conv2d(_, _, let kernel, _, _, _, _):
            guard let output = try? outputShape(for: input) else { return nil }
            let lowered = size([input[0], kernel.y, kernel.x, output[1], output[2]])
            return (output, Swift.max(size(input), size(output), lowered))
        default:
            // A single layer: its own shape rule, no children (and a sequence layer's work space).
            guard let output = try? outputShape(for: input) else { return nil }
            return (output, Swift.max(size(input), size(output), sequenceLayerActivation(for: input, output: output) ?? 0))
        }
    }

    /// The largest height, width or channel count a convolution or pooling layer takes (2^40): with
    /// windows, strides, dilations and paddings of at most 2^20 (``validate(maximumParameters:allowingInferredSizes:)``),
    /// the output-size formula cannot overflow.
    static let largestSide = 1 << 40

    /// `[N, 1, 28, 28]` for the example shape `[1, 28, 28]`.
    public static func format(_ shape: [Int]) -> String {
        "[" + (["N"] + shape.map(String.init)).joined(separator: ", ") + "]"
    }

    /// The layer as shape errors and the network plot name it (`Conv2D(1 → 6, 5×5)`): kind and
    /// sizes, sizes still to be inferred as `?` (see ``describe(detailed:)``).
    public var title: String { describe(detailed: false) }

    /// The layer as ``Layer/summary`` and `synapse inspect` print it (`Conv2D(1 → 6, 5×5, padding 2×2)`):
    /// the title plus every setting that differs from PyTorch's default.
    public var summary: String { describe(detailed: true) }

    /// The one home of a layer kind's one-line description: the title, and with `detailed` the
    /// settings that differ from PyTorch's defaults.
    public func describe(detailed: Bool) -> String {
        func size(_ n: Int) -> String { n == 0 ? "?" : String(n) }
        func pair(_ name: String, _ value: Pair2D, unless normal: Pair2D) -> String {
            value == normal ? "" : ", \(name) \(value.y)×\(value.x)"
        }
        func flag(_ text: String, when condition: Bool) -> String { detailed && condition ? ", \(text)" : "" }
        switch self {
        case .dense(let inputs, let outputs, let bias, let activation):
            return "Dense(\(size(inputs)) → \(outputs)\(activation == .identity ? "" : ", \(activation)")\(flag("no bias", when: !bias)))"
        case .conv2d(let inputs, let outputs, let kernel, let stride, let padding, let dilation, _):
            let settings = detailed ? pair("stride", stride, unless: 1) + pair("padding", padding, unless: 0) + pair("dilation", dilation, unless: 1) : ""
            return "Conv2D(\(size(inputs)) → \(outputs), \(kernel.y)×\(kernel.x)\(settings))"
        case .pool2d(let kind, let kernel, let stride, let padding):
            return "\(kind == .max ? "MaxPool2D" : "AvgPool2D")(\(kernel.y)×\(kernel.x)" + pair("stride", stride, unless: kernel)
                + pair("padding", padding, unless: 0) + ")"
        case .globalAveragePool: return "GlobalAveragePool"
        case .batchNorm(let features, _, _, let affine): return "BatchNorm(\(size(features))\(flag("no affine", when: !affine)))"
        case .reshape(let shape): return "Reshape(\(shape))"
        case .flatten: return "Flatten"
        case .activation(let function): return "Activation(\(function))"
        case .dropout(let rate): return "Dropout(\(rate))"
        case .sequential(let layers): return "Sequential(\(layers.count) layers)"
        case .identity: return "Identity"
        case .add: return "Add"
        case .concatenate(let axis): return "Concatenate(axis \(axis))"
        case .residual(let block, let shortcut):
            func branch(_ spec: LayerSpec) -> String {
                if case .sequential(let layers) = spec { return "\(layers.count) layer\(layers.count == 1 ? "" : "s")" }
                return spec.title
            }
            return "Residual(block: \(branch(block)), shortcut: \(shortcut.map(branch) ?? "identity"))"
        case .graph(let graph): return "Graph(\(graph.nodes.count) nodes)"
        case .custom(let type, _): return "\(Excerpt.of(type))" + (detailed ? " (custom)" : "")
        case .embedding, .positionalEmbedding, .sinusoidalPositionalEncoding, .layerNorm, .rmsNorm, .multiheadAttention,
             .transformerBlock, .recurrent:
            return describeSequenceLayer(detailed: detailed)
        }
    }
}

extension LayerSpec {
    /// Whether the network is dense layers, activations, dropout and flattening only (drawn as units and connections).
    public var isMultilayerPerceptron: Bool {
        switch self {
        case .dense, .activation, .dropout, .flatten: return true
        case .sequential(let layers): return layers.allSatisfy(\.isMultilayerPerceptron)
        case .conv2d, .pool2d, .globalAveragePool, .batchNorm, .reshape, .identity, .add, .concatenate, .residual, .graph, .custom,
             .embedding, .positionalEmbedding, .sinusoidalPositionalEncoding, .layerNorm, .rmsNorm, .multiheadAttention,
             .transformerBlock, .recurrent: return false
        }
    }
}

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
        case .residual(let block, let shortcut):
            return sum([block.parameterCount, shortcut?.parameterCount ?? 0])
        case .graph(let graph):
            return sum(graph.nodes.map(\.layer.parameterCount))
        case .activation, .dropout, .flatten, .pool2d, .globalAveragePool, .reshape, .identity, .add, .concatenate:
            return 0
        case .custom:
            return 0     // unknown until built; the stored tensors are checked against the built layer
        case .embedding, .positionalEmbedding, .sinusoidalPositionalEncoding, .layerNorm, .rmsNorm, .multiheadAttention,
             .transformerBlock, .recurrent:
            return sequenceLayerParameterCount
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
