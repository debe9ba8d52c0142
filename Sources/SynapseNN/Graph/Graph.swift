import SynapseCore
/// A network of named nodes, each a layer applied to the outputs of earlier nodes or of the graph's
/// inputs — residual connections, parallel branches and their merges (Keras's functional `Model`;
/// in PyTorch, a module whose `forward` wires its children by hand). Build one with
/// ``GraphBuilder``, or from an architecture's ``GraphSpec``.
///
/// Each node's layer is a child named after the node, so parameters are `stem.weight`,
/// `branch_a.0.weight`, … as in the equivalent `nn.Module` with those attributes. A node whose
/// layer is a ``MergeLayer`` (``Add``, ``Concatenate``) takes two or more inputs; any other layer
/// takes one. A node may feed several others: its gradient is the sum over its uses.
public final class Graph<Scalar: TensorScalar>: Layer {
    /// A layer applied to the outputs of `inputs` (node or graph-input names).
    public struct Node {
        /// The node's name: its output's name, and its layer's name among the graph's children.
        public let name: String
        /// The layer the node applies.
        public let layer: any Layer<Scalar>
        /// The names of the nodes (or graph inputs) whose outputs it takes, in order.
        public let inputs: [String]

        /// A node applying `layer` to `inputs`.
        public init(_ name: String, _ layer: any Layer<Scalar>, inputs: [String]) {
            self.name = name
            self.layer = layer
            self.inputs = inputs
        }
    }

    /// The names of the graph's inputs, in the order ``callAsFunction(_:)-([Tensor])`` takes them.
    public let inputNames: [String]
    /// The nodes, each after the nodes it reads (a topological order).
    public let nodes: [Node]
    /// The names of the nodes (or inputs) whose outputs the graph returns, in order.
    public let outputNames: [String]
    /// Training or evaluation mode (use ``Layer/train(_:)`` / ``Layer/eval()`` to set it recursively).
    public var isTraining = true
    /// Per node (in `nodes` order), the slots it reads: 0..<inputs for graph inputs, then nodes by position.
    let sources: [[Int]]
    let outputSlots: [Int]

    /// A graph of `nodes` (in any order) from `inputs` to `outputs`.
    /// - Throws: ``GraphError`` for unknown or repeated names, cycles, nodes that lead to no output,
    ///   unused inputs, and merge layers with fewer than two inputs or other layers with more than one.
    public init(inputs: [String] = ["input"], nodes: [Node], outputs: [String]) throws(GraphError) {
        let order = try GraphTopology.order(inputs: inputs, nodes: nodes.map { ($0.name, $0.inputs) }, outputs: outputs)
        for node in nodes {
            let merges = node.layer is any MergeLayer<Scalar>
            guard merges ? node.inputs.count >= 2 : node.inputs.count == 1 else {
                throw GraphError("node '\(node.name)' (\(node.layer.summary)) takes \(merges ? "two or more inputs" : "one input"), got \(node.inputs.count)")
            }
        }
        self.inputNames = inputs
        self.nodes = order.map { nodes[$0] }
        self.outputNames = outputs
        var slot: [String: Int] = [:]
        for (i, name) in (inputs + self.nodes.map(\.name)).enumerated() { slot[name] = i }
        sources = self.nodes.map { $0.inputs.map { slot[$0]! } }
        outputSlots = outputs.map { slot[$0]! }
    }

    /// The graph's outputs for its `inputs` (one tensor per graph input, in ``inputNames`` order):
    /// each node's layer applied to its inputs' outputs, in order.
    public func callAsFunction(_ inputs: [Tensor<Scalar>]) -> [Tensor<Scalar>] {
        precondition(inputs.count == inputNames.count, "the graph takes \(inputNames.count) inputs, got \(inputs.count)")
        var values: [Tensor<Scalar>] = inputs
        values.reserveCapacity(inputs.count + nodes.count)
        for (node, slots) in zip(nodes, sources) {
            if let merge = node.layer as? any MergeLayer<Scalar> {
                values.append(merge(slots.map { values[$0] }))
            } else {
                values.append(node.layer(values[slots[0]]))
            }
        }
        return outputSlots.map { values[$0] }
    }

    /// The output of a graph with one input and one output.
    public func callAsFunction(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
        precondition(inputNames.count == 1 && outputNames.count == 1,
                     "a graph with \(inputNames.count) inputs and \(outputNames.count) outputs is called with an array of inputs")
        return self([x])[0]
    }

    /// The nodes' layers, named after the nodes, in topological order.
    public var namedChildren: [(name: String, layer: any Layer<Scalar>)] {
        nodes.map { ($0.name, $0.layer) }
    }

    /// One line per node: name, layer, inputs, parameters.
    public var summary: String {
        var lines = ["Graph(inputs: \(inputNames.joined(separator: ", ")))"]
        for node in nodes {
            lines.append("  \(node.name) = \(node.layer.summary) ← \(node.inputs.joined(separator: ", "))   \(node.layer.parameterCount) parameters")
        }
        lines.append(") → \(outputNames.joined(separator: ", "))  \(parameterCount) parameters")
        return lines.joined(separator: "\n")
    }
}
