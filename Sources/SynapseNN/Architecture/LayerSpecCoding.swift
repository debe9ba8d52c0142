import SynapseCore
import Foundation

// The JSON form of a `LayerSpec`, which model files store and `synapse train --arch` reads. Every
// layer is an object with a "type"; sizes a user may leave out when writing an architecture by hand
// ("in" of dense and conv2d, "features" of batchnorm) decode as 0 and are inferred from the data by
// `LayerSpec.resolved(for:)`. Pairs ("kernel", "stride", …) are a number or [height, width].
//
//   {"type": "conv2d", "in": 1, "out": 6, "kernel": 5, "stride": 1, "padding": "same", "dilation": 1, "bias": true}
//   {"type": "maxpool2d", "kernel": 2, "stride": 2, "padding": 0}      ("avgpool2d" likewise)
//   {"type": "global_avg_pool"}   {"type": "flatten"}   {"type": "reshape", "shape": [1, 28, 28]}
//   {"type": "batchnorm", "features": 16, "momentum": 0.1, "eps": 1e-5, "affine": true}
//   {"type": "dense", "in": 400, "out": 120, "bias": true, "activation": "relu"}
//   {"type": "activation", "function": "relu"}   {"type": "dropout", "rate": 0.5}
//   {"type": "sequential", "layers": [...]}
//   {"type": "residual", "block": [...layers] or {layer}, "shortcut": [...] or {layer}}  (no shortcut: + x)
//   {"type": "add"}   {"type": "concat", "axis": 1}   {"type": "identity"}
//   {"type": "graph", "inputs": ["x"], "nodes": [{"name": "a", "inputs": ["x"], "type": …, …fields}, …], "outputs": ["a"]}
//   {"type": "embedding", "vocabulary": 65, "width": 128}   (vocabulary left out: the text's)
//   {"type": "positional_embedding", "max_length": 128, "width": 128}   {"type": "sinusoidal_positions", "width": 128}
//   {"type": "layernorm", "features": 128, "eps": 1e-5, "affine": true}   {"type": "rmsnorm", "features": 128, "eps": 1e-6}
//   {"type": "attention", "width": 128, "heads": 4, "causal": true, "bias": true}
//   {"type": "transformer_block", "width": 128, "heads": 4, "feed_forward": 512, "dropout": 0.0, "causal": true}
//   {"type": "lstm", "in": 128, "hidden": 256, "num_layers": 2, "bias": true}   ("gru" likewise)
//   {"type": "dense", "out": "vocabulary"}   (a language model's last layer: as many outputs as the text has tokens)
//   {"type": "<a registered custom layer's typeName>", "config": {…}}

extension LayerSpec {
    private enum Key: String, CodingKey {
        case type, `in`, out, bias, activation, function, rate, layers, kernel, stride, padding, dilation, features, momentum, eps, affine, shape
        case block, shortcut, axis, name, inputs, nodes, outputs, config
        case vocabulary, width, maxLength = "max_length", heads, causal, feedForward = "feed_forward", hidden, numLayers = "num_layers", dropout
    }

    /// Decodes the JSON form above; optional fields take PyTorch's defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        func activation(_ key: Key, default fallback: ActivationFunction? = nil) throws -> ActivationFunction {
            if let fallback, !c.contains(key) { return fallback }
            let name = try c.decode(String.self, forKey: key)
            guard let function = ActivationFunction(name: name) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "unknown activation '\(name)' (known: \(ActivationFunction.names.joined(separator: ", ")))")
            }
            return function
        }
        func pair(_ key: Key, default fallback: Pair2D?) throws -> Pair2D {
            if let fallback, !c.contains(key) { return fallback }
            return try c.decode(Pair2D.self, forKey: key)
        }
        func value<T: Decodable>(_ key: Key, default fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? fallback }
        switch try c.decode(String.self, forKey: .type) {
        case "dense":
            // A language model's last layer may say "out": "vocabulary" (the text's, filled in by fillingVocabulary).
            let outputs = (try? c.decode(String.self, forKey: .out)) == "vocabulary" ? 0 : try c.decode(Int.self, forKey: .out)
            self = .dense(inputs: try value(.in, default: 0), outputs: outputs,
                          bias: try value(.bias, default: true), activation: try activation(.activation, default: .identity))
        case "activation": self = .activation(try activation(.function))
        case "dropout": self = .dropout(rate: try c.decode(Double.self, forKey: .rate))
        case "flatten": self = .flatten
        case "conv2d":
            let kernel = try pair(.kernel, default: nil), dilation = try pair(.dilation, default: 1)
            let padding: Pair2D
            if (try? c.decode(String.self, forKey: .padding)) == "same" {
                // Sizes from a file: bounded before any arithmetic on them.
                guard [kernel.y, kernel.x, dilation.y, dilation.x].allSatisfy({ (1...(1 << 20)).contains($0) }) else {
                    throw DecodingError.dataCorruptedError(forKey: .padding, in: c, debugDescription: "'same' padding needs a kernel and dilation in 1...1048576, got kernel \(kernel.y)×\(kernel.x), dilation \(dilation.y)×\(dilation.x)")
                }
                guard let same = Pair2D.samePadding(kernel: kernel, dilation: dilation) else {
                    throw DecodingError.dataCorruptedError(forKey: .padding, in: c, debugDescription: "'same' padding needs an odd kernel size, got \(kernel.y)×\(kernel.x)")
                }
                padding = same
            } else {
                padding = try pair(.padding, default: 0)
            }
            self = .conv2d(inputs: try value(.in, default: 0), outputs: try c.decode(Int.self, forKey: .out), kernel: kernel,
                           stride: try pair(.stride, default: 1), padding: padding, dilation: dilation, bias: try value(.bias, default: true))
        case let type where type == "maxpool2d" || type == "avgpool2d":
            let kernel = try pair(.kernel, default: nil)
            self = .pool2d(type == "maxpool2d" ? .max : .average, kernel: kernel, stride: try pair(.stride, default: kernel),
                           padding: try pair(.padding, default: 0))
        case "global_avg_pool": self = .globalAveragePool
        case "batchnorm":
            self = .batchNorm(features: try value(.features, default: 0), momentum: try value(.momentum, default: 0.1),
                              epsilon: try value(.eps, default: 1e-5), affine: try value(.affine, default: true))
        case "reshape": self = .reshape(try c.decode([Int].self, forKey: .shape))
        case "sequential": self = .sequential(try c.decode([LayerSpec].self, forKey: .layers))
        case "identity": self = .identity
        case "add": self = .add
        case "concat": self = .concatenate(axis: try value(.axis, default: 1))
        case "residual":
            // A branch is one layer, or a list of layers (a sequential).
            func branch(_ key: Key) throws -> LayerSpec? {
                guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
                // A list decodes as layers (its own errors reported, e.g. "missing 'out' at block[0]"), anything else as one layer.
                if (try? c.nestedUnkeyedContainer(forKey: key)) != nil { return .sequential(try c.decode([LayerSpec].self, forKey: key)) }
                return try c.decode(LayerSpec.self, forKey: key)
            }
            guard let block = try branch(.block) else {
                throw DecodingError.dataCorruptedError(forKey: .block, in: c, debugDescription: "a residual layer needs a 'block'")
            }
            self = .residual(block: block, shortcut: try branch(.shortcut))
        case "graph":
            self = .graph(GraphSpec(inputs: try c.decode([String].self, forKey: .inputs), nodes: try c.decode([GraphSpec.Node].self, forKey: .nodes),
                                    outputs: try c.decode([String].self, forKey: .outputs)))
        case "embedding": self = .embedding(vocabulary: try value(.vocabulary, default: 0), width: try c.decode(Int.self, forKey: .width))
        case "positional_embedding":
            self = .positionalEmbedding(maxLength: try value(.maxLength, default: 0), width: try value(.width, default: 0))
        case "sinusoidal_positions": self = .sinusoidalPositionalEncoding(width: try value(.width, default: 0))
        case "layernorm":
            self = .layerNorm(features: try value(.features, default: 0), epsilon: try value(.eps, default: 1e-5), affine: try value(.affine, default: true))
        case "rmsnorm":
            self = .rmsNorm(features: try value(.features, default: 0), epsilon: try c.decodeIfPresent(Double.self, forKey: .eps),
                            affine: try value(.affine, default: true))
        case "attention":
            self = .multiheadAttention(width: try value(.width, default: 0), heads: try c.decode(Int.self, forKey: .heads),
                                       causal: try value(.causal, default: false), bias: try value(.bias, default: true))
        case "transformer_block":
            self = .transformerBlock(width: try value(.width, default: 0), heads: try c.decode(Int.self, forKey: .heads),
                                     feedForward: try value(.feedForward, default: 0), dropout: try value(.dropout, default: 0),
                                     causal: try value(.causal, default: true))
        case let kind where kind == "lstm" || kind == "gru":
            self = .recurrent(kind == "lstm" ? .lstm : .gru, inputs: try value(.in, default: 0), hidden: try c.decode(Int.self, forKey: .hidden),
                              layers: try value(.numLayers, default: 1), bias: try value(.bias, default: true))
        case let other where LayerRegistry.contains(other):
            self = .custom(type: other, configuration: try value(.config, default: JSONValue.object([:])))
        case let other:
            let registered = LayerRegistry.names
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown layer type '\(Excerpt.of(other))' (known: dense, conv2d, maxpool2d, avgpool2d, global_avg_pool, batchnorm, activation, dropout, flatten, reshape, sequential, residual, add, concat, identity, graph, embedding, positional_embedding, sinusoidal_positions, layernorm, rmsnorm, attention, transformer_block, lstm, gru\(registered.isEmpty ? "" : "; registered: " + registered.joined(separator: ", ")))")
        }
    }

    /// Encodes the JSON form above, every field written out.
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
        case .conv2d(let inputs, let outputs, let kernel, let stride, let padding, let dilation, let bias):
            try c.encode("conv2d", forKey: .type)
            try c.encode(inputs, forKey: .in)
            try c.encode(outputs, forKey: .out)
            try c.encode(kernel, forKey: .kernel)
            try c.encode(stride, forKey: .stride)
            try c.encode(padding, forKey: .padding)
            try c.encode(dilation, forKey: .dilation)
            try c.encode(bias, forKey: .bias)
        case .pool2d(let kind, let kernel, let stride, let padding):
            try c.encode(kind == .max ? "maxpool2d" : "avgpool2d", forKey: .type)
            try c.encode(kernel, forKey: .kernel)
            try c.encode(stride, forKey: .stride)
            try c.encode(padding, forKey: .padding)
        case .globalAveragePool:
            try c.encode("global_avg_pool", forKey: .type)
        case .batchNorm(let features, let momentum, let epsilon, let affine):
            try c.encode("batchnorm", forKey: .type)
            try c.encode(features, forKey: .features)
            try c.encode(momentum, forKey: .momentum)
            try c.encode(epsilon, forKey: .eps)
            try c.encode(affine, forKey: .affine)
        case .reshape(let shape):
            try c.encode("reshape", forKey: .type)
            try c.encode(shape, forKey: .shape)
        case .sequential(let layers):
            try c.encode("sequential", forKey: .type)
            try c.encode(layers, forKey: .layers)
        case .identity:
            try c.encode("identity", forKey: .type)
        case .add:
            try c.encode("add", forKey: .type)
        case .concatenate(let axis):
            try c.encode("concat", forKey: .type)
            try c.encode(axis, forKey: .axis)
        case .residual(let block, let shortcut):
            try c.encode("residual", forKey: .type)
            try c.encode(block, forKey: .block)
            try c.encodeIfPresent(shortcut, forKey: .shortcut)
        case .graph(let graph):
            try c.encode("graph", forKey: .type)
            try c.encode(graph.inputs, forKey: .inputs)
            try c.encode(graph.nodes, forKey: .nodes)
            try c.encode(graph.outputs, forKey: .outputs)
        case .custom(let type, let configuration):
            try c.encode(type, forKey: .type)
            try c.encode(configuration, forKey: .config)
        case .embedding(let vocabulary, let width):
            try c.encode("embedding", forKey: .type)
            try c.encode(vocabulary, forKey: .vocabulary)
            try c.encode(width, forKey: .width)
        case .positionalEmbedding(let maxLength, let width):
            try c.encode("positional_embedding", forKey: .type)
            try c.encode(maxLength, forKey: .maxLength)
            try c.encode(width, forKey: .width)
        case .sinusoidalPositionalEncoding(let width):
            try c.encode("sinusoidal_positions", forKey: .type)
            try c.encode(width, forKey: .width)
        case .layerNorm(let features, let epsilon, let affine):
            try c.encode("layernorm", forKey: .type)
            try c.encode(features, forKey: .features)
            try c.encode(epsilon, forKey: .eps)
            try c.encode(affine, forKey: .affine)
        case .rmsNorm(let features, let epsilon, let affine):
            try c.encode("rmsnorm", forKey: .type)
            try c.encode(features, forKey: .features)
            try c.encodeIfPresent(epsilon, forKey: .eps)
            try c.encode(affine, forKey: .affine)
        case .multiheadAttention(let width, let heads, let causal, let bias):
            try c.encode("attention", forKey: .type)
            try c.encode(width, forKey: .width)
            try c.encode(heads, forKey: .heads)
            try c.encode(causal, forKey: .causal)
            try c.encode(bias, forKey: .bias)
        case .transformerBlock(let width, let heads, let feedForward, let dropout, let causal):
            try c.encode("transformer_block", forKey: .type)
            try c.encode(width, forKey: .width)
            try c.encode(heads, forKey: .heads)
            try c.encode(feedForward, forKey: .feedForward)
            try c.encode(dropout, forKey: .dropout)
            try c.encode(causal, forKey: .causal)
        case .recurrent(let kind, let inputs, let hidden, let layers, let bias):
            try c.encode(kind.rawValue, forKey: .type)
            try c.encode(inputs, forKey: .in)
            try c.encode(hidden, forKey: .hidden)
            try c.encode(layers, forKey: .numLayers)
            try c.encode(bias, forKey: .bias)
        }
    }
}

extension GraphSpec.Node: Codable {
    private enum Key: String, CodingKey { case name, inputs }

    /// A layer's JSON with its node's `"name"` and `"inputs"` beside its fields.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        self.init(name: try c.decode(String.self, forKey: .name), layer: try LayerSpec(from: decoder),
                  inputs: try c.decode([String].self, forKey: .inputs))
    }

    /// The layer's JSON with `"name"` and `"inputs"` added.
    public func encode(to encoder: any Encoder) throws {
        try layer.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(name, forKey: .name)
        try c.encode(inputs, forKey: .inputs)
    }
}
