import SynapseCore
/// An architecture as a table: one row per layer, in an order where every row comes after the rows
/// it takes its input from — what `synapse inspect` prints and `synapse plot --kind network` draws.
///
/// Rows are named like PyTorch's module paths (`3.block.0`, graph node names such as `branch_a.1`),
/// so a row's parameters are the tensors whose names start with its name and a dot. A row's
/// ``Row/inputs`` name the rows (or the network's input) whose outputs it takes: the previous layer
/// in a sequential, a node's inputs in a graph. Containers (a residual, a graph, a sequential inside
/// another layer) have a row of their own followed by their children, one level deeper; naming a
/// container as an input means its output (a residual's sum, a graph's output node). A residual
/// ends with a merge row, `<name>.add`, adding its block's output to its shortcut's (or its input).
/// The first rows are the inputs (`input`, or a top-level graph's input names). A network that is
/// one residual has rows `block…`, `shortcut…` and `add`; one that is a single other layer, one row `layer`.
///
/// ```
/// input        Input                                           [N, 784]
/// 0            Reshape([1, 28, 28])          input             [N, 1, 28, 28]        0
/// 4            Residual(block: 5 layers, …)  3                 [N, 16, 28, 28]    4672
///   4.block.0  Conv2D(16 → 16, 3×3, …)       3                 [N, 16, 28, 28]    2304
///   …
///   4.add      Add                           4.block.4, 3      [N, 16, 28, 28]       0
/// ```
public struct ArchitectureOutline: Sendable, Equatable {
    /// What a row stands for.
    public enum Role: Sendable, Equatable {
        /// One of the network's inputs (no layer).
        case input
        /// A layer applied to one input.
        case layer
        /// A layer merging two or more inputs (``LayerSpec/add``, ``LayerSpec/concatenate(axis:)``,
        /// and the sum that ends a residual).
        case merge
        /// A residual, graph or nested sequential: its children follow, one level deeper.
        case container
    }

    /// One layer of the architecture.
    public struct Row: Sendable, Equatable {
        /// The dotted path (`3.block.0`), a graph node's name, or an input's name.
        public var name: String
        /// The layer, its inferred sizes filled in when the input shape was known; nil for an input.
        public var layer: LayerSpec?
        /// What the row stands for.
        public var role: Role
        /// The names of the rows (or inputs) whose outputs it takes, in order.
        public var inputs: [String]
        /// The shape of one example of its output (batch axis left out), when known.
        public var outputShape: [Int]?
        /// Its trainable parameters (a container's: all its children's), nil when unknown (a custom
        /// layer described only by its architecture) or when the count overflows.
        public var parameterCount: Int?
        /// How deeply it is nested: 0 for the rows of the network itself.
        public var depth: Int
        /// The name of the container it belongs to (nil at the top).
        public var parent: String?

        /// The layer's short name (``LayerSpec/title``), or `Input`.
        public var title: String { layer?.title ?? "Input" }
        /// The layer's one-line description with its settings (``LayerSpec/summary``), or `Input`.
        public var summary: String { layer?.summary ?? "Input" }
    }

    /// The rows, each after the rows it takes as input; containers before their children.
    public private(set) var rows: [Row]
    /// The shape of one example the outline was made for, if given.
    public let inputShape: [Int]?
    /// Why shapes stop being known, when the layers cannot take the input (the first shape error).
    public private(set) var shapeProblem: ShapeError?
    /// For a container's name, the row whose output is the container's output.
    private var exits: [String: String] = [:]
    /// The name standing for the network's output.
    private var outputName: String?
    /// The row of a network that is a single layer (not a sequential, residual or graph): it holds every parameter.
    private var wholeNetworkRow: String?

    /// The outline of `spec` for one example of shape `inputShape` (batch axis left out; nil when
    /// unknown: rows then have no shapes, and sizes still to be inferred stay unknown).
    public init(_ spec: LayerSpec, inputShape: [Int]? = nil) {
        self.inputShape = inputShape
        rows = []
        let sources: [String]
        if case .graph(let graph) = spec {
            sources = graph.inputs
        } else {
            sources = ["input"]
        }
        var shapes: [String: [Int]] = [:]
        for name in sources {
            rows.append(Row(name: name, layer: nil, role: .input, inputs: [], outputShape: inputShape, parameterCount: 0, depth: 0, parent: nil))
            if let inputShape { shapes[name] = inputShape }
        }
        var context = Context(shapes: shapes)
        switch spec {
        case .sequential(let layers):
            var previous = sources[0]
            for (index, layer) in layers.enumerated() {
                previous = add(layer, name: "\(index)", inputs: [previous], depth: 0, parent: nil, context: &context)
            }
            outputName = previous
        case .graph(let graph):
            addNodes(of: graph, prefix: "", inputNames: Dictionary(graph.inputs.map { ($0, $0) }, uniquingKeysWith: { a, _ in a }),
                     depth: 0, parent: nil, context: &context)
            outputName = graph.outputs.first
        case .residual:
            outputName = add(spec, name: "", inputs: sources, depth: 0, parent: nil, context: &context)
        default:
            outputName = add(spec, name: "layer", inputs: sources, depth: 0, parent: nil, context: &context)
            wholeNetworkRow = outputName
        }
        shapeProblem = context.problem
    }

    /// The outline of a built network: as ``init(_:inputShape:)`` of its architecture, with the
    /// parameter counts of custom layers taken from the layers themselves.
    /// - Throws: ``UnsupportedLayerError`` when the network holds a layer the architecture cannot describe.
    public init<Scalar: TensorScalar>(_ network: any Layer<Scalar>, inputShape: [Int]? = nil) throws {
        self.init(try LayerSpec(describing: network), inputShape: inputShape)
        guard rows.contains(where: { $0.parameterCount == nil }) else { return }
        let counts = network.namedParameters.map { ($0.name, $0.tensor.count) }
        for index in rows.indices where rows[index].parameterCount == nil {
            let name = rows[index].name
            let whole = name == wholeNetworkRow
            rows[index].parameterCount = counts.filter { whole || $0.0.hasPrefix(name + ".") }.reduce(0) { $0 + $1.1 }
        }
    }

    /// The row named `name`, if any.
    public func row(named name: String) -> Row? { rows.first { $0.name == name } }

    /// The row whose output `name` stands for as an input: the row itself, or for a container the
    /// row that gives the container's output (a residual's merge, a graph's output node, a
    /// sequential's last layer).
    public func producer(of name: String) -> Row? {
        var current = name
        while let exit = exits[current] { current = exit }
        return row(named: current)
    }

    /// The shape of one example of the network's output, when known.
    public var outputShape: [Int]? {
        guard let outputName else { return inputShape }
        return producer(of: outputName)?.outputShape
    }

    /// The trainable parameters of the whole network (nil when a count is unknown or overflows).
    public var parameterCount: Int? {
        var total = 0
        for row in rows where row.depth == 0 {
            guard let count = row.parameterCount else { return nil }
            let (sum, overflow) = total.addingReportingOverflow(count)
            if overflow { return nil }
            total = sum
        }
        return total
    }

    /// Whether the network branches: some row merges two or more inputs (a residual, a graph).
    public var hasBranches: Bool { rows.contains { $0.role == .merge } }

    // MARK: - Building the rows

    /// Shapes known so far, by row name (a container's is its output's), and the first problem.
    private struct Context {
        var shapes: [String: [Int]]
        var problem: ShapeError?
    }

    private static func join(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    /// Appends the rows of `layer` named `name`, taking `inputs`; returns the name that stands for its output.
    private mutating func add(_ layer: LayerSpec, name: String, inputs: [String], depth: Int, parent: String?, context: inout Context) -> String {
        let given = inputs.map { context.shapes[$0] }
        let known = given.allSatisfy { $0 != nil } ? given.map { $0! } : nil
        // The layer with its sizes resolved, and its output shape, when the input shapes are known.
        var resolved = layer
        var output: [Int]? = nil
        if let known {
            do {
                let result = layer.isMerge ? try layer.resolved(merging: known, from: inputs) : try layer.resolved(for: known[0])
                resolved = result.spec
                output = result.output
            } catch {
                if context.problem == nil { context.problem = ShapeError("\(name.isEmpty ? "the network" : name): \(error.description)") }
            }
        }
        switch resolved {
        case .sequential(let layers) where !layers.isEmpty:
            let index = appendContainer(name, resolved, inputs: inputs, output: output, depth: depth, parent: parent)
            var previous = inputs[0]
            for (i, child) in layers.enumerated() {
                previous = add(child, name: Self.join(name, "\(i)"), inputs: [previous], depth: depth + 1, parent: name, context: &context)
            }
            finishContainer(index, exit: previous, output: output, context: &context)
        case .residual(let block, let shortcut):
            let index = appendContainer(name, resolved, inputs: inputs, output: output, depth: depth, parent: name.isEmpty ? nil : parent)
            let childDepth = name.isEmpty ? depth : depth + 1
            let childParent = name.isEmpty ? parent : name
            let blockEnd = add(block, name: Self.join(name, "block"), inputs: inputs, depth: childDepth, parent: childParent, context: &context)
            let shortcutEnd = shortcut.map { add($0, name: Self.join(name, "shortcut"), inputs: inputs, depth: childDepth, parent: childParent, context: &context) }
                ?? inputs[0]
            let sum = Self.join(name, "add")
            rows.append(Row(name: sum, layer: .add, role: .merge, inputs: [blockEnd, shortcutEnd], outputShape: output, parameterCount: 0,
                            depth: childDepth, parent: childParent))
            if let output { context.shapes[sum] = output }
            if let index { finishContainer(index, exit: sum, output: output, context: &context) } else { return sum }
        case .graph(let graph):
            let index = appendContainer(name, resolved, inputs: inputs, output: output, depth: depth, parent: parent)
            // The graph's input names stand for what the graph is given.
            let outside = Dictionary(uniqueKeysWithValues: zip(graph.inputs, inputs))
            addNodes(of: graph, prefix: name, inputNames: outside, depth: depth + 1, parent: name, context: &context)
            let exit = graph.outputs.first.map { outside[$0] ?? Self.join(name, $0) } ?? inputs[0]
            finishContainer(index, exit: exit, output: output, context: &context)
        default:
            rows.append(Row(name: name, layer: resolved, role: layer.isMerge ? .merge : .layer, inputs: inputs, outputShape: output,
                            parameterCount: Self.ownParameters(of: resolved), depth: depth, parent: parent))
            if let output { context.shapes[name] = output }
        }
        return name
    }

    /// A graph's nodes in topological order, named `prefix.node`, their input names mapped through
    /// `inputNames` (the graph's inputs) or prefixed (other nodes).
    private mutating func addNodes(of graph: GraphSpec, prefix: String, inputNames: [String: String], depth: Int, parent: String?,
                                   context: inout Context) {
        let order: [Int]
        do { order = Self.writtenOrder(graph, checked: try graph.order()) } catch {
            if context.problem == nil { context.problem = ShapeError("\(prefix.isEmpty ? "graph" : prefix): \(error.description)") }
            order = Array(graph.nodes.indices)
        }
        for index in order {
            let node = graph.nodes[index]
            let inputs = node.inputs.map { inputNames[$0] ?? Self.join(prefix, $0) }
            _ = add(node.layer, name: Self.join(prefix, node.name), inputs: inputs, depth: depth, parent: parent, context: &context)
        }
    }

    /// The nodes in the order they were written as far as each still comes after its inputs (a
    /// node's missing inputs are taken first, depth first): an Inception block written branch by
    /// branch is listed branch by branch. `checked` is an order already known to be acyclic.
    private static func writtenOrder(_ graph: GraphSpec, checked: [Int]) -> [Int] {
        let index = Dictionary(graph.nodes.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var placed = [Bool](repeating: false, count: graph.nodes.count), order: [Int] = []
        order.reserveCapacity(graph.nodes.count)
        for start in graph.nodes.indices where !placed[start] {
            // An explicit stack (a crafted file may chain 100 000 nodes): (node, next input to visit).
            var stack = [(start, 0)]
            while let (node, next) = stack.last {
                let inputs = graph.nodes[node].inputs
                if next < inputs.count {
                    stack[stack.count - 1].1 += 1
                    if let source = index[inputs[next]], !placed[source] { stack.append((source, 0)) }
                } else {
                    stack.removeLast()
                    if !placed[node] { placed[node] = true; order.append(node) }
                }
            }
        }
        return order.count == checked.count ? order : checked
    }

    /// Appends a container's row (nil for the unnamed root residual, which has none).
    private mutating func appendContainer(_ name: String, _ layer: LayerSpec, inputs: [String], output: [Int]?, depth: Int, parent: String?) -> Int? {
        if name.isEmpty { return nil }
        rows.append(Row(name: name, layer: layer, role: .container, inputs: inputs, outputShape: output, parameterCount: 0, depth: depth, parent: parent))
        return rows.count - 1
    }

    /// Records the row giving a container's output, its shape, and the sum of its children's parameters.
    private mutating func finishContainer(_ index: Int?, exit: String, output: [Int]?, context: inout Context) {
        guard let index else { return }
        let name = rows[index].name
        exits[name] = exit
        let shape = output ?? context.shapes[exit]
        rows[index].outputShape = shape
        if let shape { context.shapes[name] = shape }
        var total: Int? = 0
        for row in rows[(index + 1)...] where row.parent == name {
            guard let sum = total, let count = row.parameterCount else { total = nil; break }
            let (next, overflow) = sum.addingReportingOverflow(count)
            total = overflow ? nil : next
        }
        rows[index].parameterCount = total
    }

    /// A leaf layer's parameters: nil for a custom layer (known only once built).
    private static func ownParameters(of layer: LayerSpec) -> Int? {
        if case .custom = layer { return nil }
        return layer.parameterCount
    }
}
