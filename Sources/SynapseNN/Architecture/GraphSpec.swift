import SynapseCore
/// A ``Graph``'s architecture: its input names, its nodes (name, layer, input names) and its output
/// names. Its JSON, inside an architecture:
///
/// ```json
/// {"type": "graph", "inputs": ["x"],
///  "nodes": [{"name": "conv", "type": "conv2d", "inputs": ["x"], "out": 16, "kernel": 3, "padding": 1},
///            {"name": "sum", "type": "add", "inputs": ["conv", "x"]}],
///  "outputs": ["sum"]}
/// ```
///
/// Each node is a layer's JSON with a `"name"` and `"inputs"` added. Nodes may come in any order;
/// ``GraphTopology`` checks the structure.
public struct GraphSpec: Sendable, Equatable {
    /// A node: a layer applied to the outputs of `inputs`.
    public struct Node: Sendable, Equatable {
        /// The node's name (a Python identifier: it names the layer's parameters).
        public var name: String
        /// The layer the node applies.
        public var layer: LayerSpec
        /// The names of the nodes or graph inputs it takes, in order.
        public var inputs: [String]

        /// A node applying `layer` to `inputs`.
        public init(name: String, layer: LayerSpec, inputs: [String]) {
            self.name = name
            self.layer = layer
            self.inputs = inputs
        }
    }

    /// The graph's input names.
    public var inputs: [String]
    /// The nodes, in the order they were written.
    public var nodes: [Node]
    /// The names whose outputs the graph returns.
    public var outputs: [String]

    /// A graph architecture.
    public init(inputs: [String], nodes: [Node], outputs: [String]) {
        self.inputs = inputs
        self.nodes = nodes
        self.outputs = outputs
    }

    /// The node indices in an order where each comes after its inputs, the structure checked: names,
    /// cycles, dangling nodes (``GraphTopology/order(inputs:nodes:outputs:)``), and each layer's
    /// number of inputs (two or more for `add` and `concat`, one for any other).
    public func order() throws(GraphError) -> [Int] {
        let order = try GraphTopology.order(inputs: inputs, nodes: nodes.map { ($0.name, $0.inputs) }, outputs: outputs)
        for node in nodes {
            if case .graph = node.layer {
                throw GraphError("node '\(node.name)' is itself a graph: put it inside a sequential (its \"inputs\" would clash with the node's)")
            }
            let merges = node.layer.isMerge
            guard merges ? node.inputs.count >= 2 : node.inputs.count == 1 else {
                throw GraphError("node '\(node.name)' (\(node.layer.title)) takes \(merges ? "two or more inputs" : "one input"), got \(node.inputs.count)")
            }
        }
        return order
    }

    /// This graph with every node's left-out sizes taken from its inputs, and the shape of one
    /// example of each output, for one example of each input of the given shapes.
    /// - Throws: ``ShapeError`` naming the node, what it expected and the shapes it got; a wrong
    ///   structure is a ``ShapeError`` too (with the ``GraphError``'s message).
    public func resolved(forInputs shapes: [[Int]]) throws(ShapeError) -> (spec: GraphSpec, outputs: [[Int]]) {
        let order: [Int]
        do { order = try self.order() } catch { throw ShapeError("graph: \(error.description)") }
        guard shapes.count == inputs.count else { throw ShapeError("the graph takes \(inputs.count) inputs, given \(shapes.count) shapes") }
        var shape: [String: [Int]] = Dictionary(uniqueKeysWithValues: zip(inputs, shapes))
        var resolvedNodes = nodes
        for index in order {
            let node = nodes[index]
            let given = node.inputs.map { shape[$0]! }
            do {
                let (spec, output) = node.layer.isMerge ? try node.layer.resolved(merging: given, from: node.inputs)
                                                        : try node.layer.resolved(for: given[0])
                resolvedNodes[index].layer = spec
                shape[node.name] = output
            } catch {
                throw ShapeError("node '\(node.name)' of the graph: \(error.description)")
            }
        }
        return (GraphSpec(inputs: inputs, nodes: resolvedNodes, outputs: outputs), outputs.map { shape[$0]! })
    }

    /// The most values one example needs at once in any node (its inputs, its output, a convolution's
    /// lowered input), or `Int.max` when the shapes do not fit or overflow.
    public func largestActivation(forInputs shapes: [[Int]]) -> Int {
        activations(forInputs: shapes)?.largest ?? Int.max
    }

    /// The outputs' shapes and the largest activation, in one pass over the nodes (nil when a node
    /// cannot take its inputs).
    func activations(forInputs shapes: [[Int]]) -> (outputs: [[Int]], largest: Int)? {
        guard let order = try? self.order(), shapes.count == inputs.count else { return nil }
        var shape: [String: [Int]] = Dictionary(uniqueKeysWithValues: zip(inputs, shapes))
        var largest = shapes.map { $0.checkedProduct() ?? Int.max }.max() ?? 0
        for index in order {
            let node = nodes[index]
            let given = node.inputs.map { shape[$0]! }
            if node.layer.isMerge {
                guard let merged = try? node.layer.resolved(merging: given, from: node.inputs).output else { return nil }
                var total = 0
                for part in given + [merged] {
                    guard let size = part.checkedProduct() else { return nil }
                    let (sum, overflow) = total.addingReportingOverflow(size)
                    if overflow { return nil }
                    total = sum
                }
                largest = Swift.max(largest, total)
                shape[node.name] = merged
            } else {
                guard let (output, inner) = node.layer.activations(for: given[0]) else { return nil }
                largest = Swift.max(largest, inner)
                shape[node.name] = output
            }
        }
        return (outputs.map { shape[$0]! }, largest)
    }
}
