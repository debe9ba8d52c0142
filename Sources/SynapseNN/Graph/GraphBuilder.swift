import SynapseCore
/// Builds a ``Graph`` a node at a time, Keras-functional style:
///
/// ```swift
/// var rng = RandomGenerator(seed: 42)
/// let graph = GraphBuilder<Float>()
/// let x = graph.input(shape: [16, 14, 14])
/// let h = graph.add(Conv2D(inputChannels: 16, outputChannels: 16, kernelSize: 3, padding: 1, generator: &rng), x, name: "conv")
/// let y = graph.add(Add(), h, x, name: "sum")
/// let model = try graph.build(outputs: y)        // y = conv(x) + x
/// ```
///
/// Nodes left unnamed are named after their layer and position (`conv2d_1`, `add_2`).
public final class GraphBuilder<Scalar: TensorScalar> {
    /// A node's (or input's) output, to pass to later nodes.
    public struct Value: Hashable, Sendable {
        /// The node's name.
        public let name: String
    }

    private var inputs: [(name: String, shape: [Int]?)] = []
    private var nodes: [Graph<Scalar>.Node] = []

    /// An empty graph.
    public init() {}

    /// A new input of the graph; `shape` (one example's, without the batch axis) lets ``build(outputs:)``
    /// check every node's shapes before anything runs.
    public func input(_ name: String = "input", shape: [Int]? = nil) -> Value {
        inputs.append((name, shape))
        return Value(name: name)
    }

    /// A node applying `layer` to `inputs` (two or more for a ``MergeLayer``).
    @discardableResult
    public func add(_ layer: any Layer<Scalar>, _ inputs: Value..., name: String? = nil) -> Value {
        add(layer, inputs, name: name)
    }

    /// A node applying `layer` to `inputs` (two or more for a ``MergeLayer``).
    @discardableResult
    public func add(_ layer: any Layer<Scalar>, _ inputs: [Value], name: String? = nil) -> Value {
        let kind = String("\(type(of: layer))".prefix { $0 != "<" }).lowercased()
        let node = Graph.Node(name ?? "\(kind)_\(nodes.count)", layer, inputs: inputs.map(\.name))
        nodes.append(node)
        return Value(name: node.name)
    }

    /// The graph from the inputs to `outputs`.
    /// - Throws: ``GraphError`` for a wrong structure; ``ShapeError`` naming the node and the shapes
    ///   when every input has a shape and a node cannot take what it is given.
    public func build(outputs: Value...) throws -> Graph<Scalar> {
        let graph = try Graph(inputs: inputs.map(\.name), nodes: nodes, outputs: outputs.map(\.name))
        let shapes = inputs.compactMap(\.shape)
        if shapes.count == inputs.count, case .graph(let spec)? = try? LayerSpec(describing: graph) {
            _ = try spec.resolved(forInputs: shapes)
        }
        return graph
    }
}
