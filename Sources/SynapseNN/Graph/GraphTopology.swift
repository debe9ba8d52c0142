import SynapseCore
/// A graph whose structure is wrong: a name that is unknown, used twice or not an identifier, a
/// cycle, a node that leads nowhere, or a layer given the wrong number of inputs.
public struct GraphError: Error, CustomStringConvertible, Equatable {
    /// The whole message, naming the node.
    public let description: String

    /// An error with the given message.
    public init(_ description: String) { self.description = description }
}

/// The structure of a graph — its input names, its nodes' names and inputs, its output names —
/// checked, and put in an order where every node comes after its inputs. The one home of these
/// rules for both the ``Graph`` layer and its architecture (``GraphSpec``).
public enum GraphTopology {
    /// The most nodes a graph may have (as many as the layers of an architecture file).
    public static let maximumNodes = 100_000
    /// The most inputs one node may merge.
    public static let maximumFanIn = 4_096
    /// The longest node name: node names become parameter names (`stem.weight`).
    public static let maximumNameLength = 64

    /// Whether `name` can name a node: a Python identifier (`[A-Za-z_][A-Za-z0-9_]*`, at most
    /// ``maximumNameLength`` characters), since it is the attribute of the equivalent PyTorch module.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, bytes.count <= maximumNameLength else { return false }
        func letter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
        return letter(first) && bytes.allSatisfy { letter($0) || ($0 >= 48 && $0 <= 57) }
    }

    /// The indices of `nodes` in an order where each comes after the nodes it takes as input.
    /// - Throws: ``GraphError`` for no inputs or outputs, a name that is not an identifier or is used
    ///   twice, a node with no inputs or too many, an unknown name, a cycle (named along its path),
    ///   a node that does not lead to any output, or an input that no node uses.
    public static func order(inputs: [String], nodes: [(name: String, inputs: [String])], outputs: [String]) throws(GraphError) -> [Int] {
        func quoted(_ name: String) -> String { "'\(Excerpt.of(name))'" }
        guard !inputs.isEmpty else { throw GraphError("the graph has no inputs") }
        guard !outputs.isEmpty else { throw GraphError("the graph has no outputs") }
        guard nodes.count <= maximumNodes, inputs.count <= maximumFanIn, outputs.count <= maximumFanIn else {
            throw GraphError("the graph has more than \(maximumNodes) nodes or \(maximumFanIn) inputs or outputs")
        }
        // Names: inputs take 0..<inputs.count, node i takes inputs.count + i.
        var index: [String: Int] = [:]
        for (i, name) in (inputs + nodes.map(\.name)).enumerated() {
            guard isValidName(name) else {
                throw GraphError("\(quoted(name)) cannot name a node: use letters, digits and _ (not first), at most \(maximumNameLength) characters")
            }
            guard index.updateValue(i, forKey: name) == nil else { throw GraphError("the name \(quoted(name)) is used twice") }
        }
        var sources: [[Int]] = []              // per node: the slots it reads
        sources.reserveCapacity(nodes.count)
        for node in nodes {
            guard !node.inputs.isEmpty else { throw GraphError("node \(quoted(node.name)) has no inputs") }
            guard node.inputs.count <= maximumFanIn else { throw GraphError("node \(quoted(node.name)) has \(node.inputs.count) inputs, more than \(maximumFanIn)") }
            sources.append(try node.inputs.map { (name) throws(GraphError) -> Int in
                guard let slot = index[name] else { throw GraphError("node \(quoted(node.name)) takes \(quoted(name)), which is not a node or input of the graph") }
                return slot
            })
        }
        let outputSlots = try outputs.map { (name) throws(GraphError) -> Int in
            guard let slot = index[name] else { throw GraphError("the output \(quoted(name)) is not a node or input of the graph") }
            return slot
        }
        guard Set(outputs).count == outputs.count else { throw GraphError("an output is listed twice: \(outputs.map(quoted).joined(separator: ", "))") }

        // Kahn's algorithm: a node is ready once every node it reads is placed.
        let base = inputs.count
        var waiting = sources.map { $0.filter { $0 >= base }.count }
        var readers = [[Int]](repeating: [], count: nodes.count)
        for (node, slots) in sources.enumerated() { for slot in slots where slot >= base { readers[slot - base].append(node) } }
        var order = (0..<nodes.count).filter { waiting[$0] == 0 }
        var next = 0
        while next < order.count {
            for reader in readers[order[next]] {
                waiting[reader] -= 1
                if waiting[reader] == 0 { order.append(reader) }
            }
            next += 1
        }
        if order.count < nodes.count {
            // Every unplaced node reads an unplaced node: walking back from one must repeat a node.
            var walk = [waiting.firstIndex { $0 > 0 }!], seen: [Int: Int] = [walk[0]: 0]
            while true {
                let previous = sources[walk.last!].first { $0 >= base && waiting[$0 - base] > 0 }! - base
                if let start = seen[previous] {
                    let path = Array(walk[start...].reversed()) + [walk.last!]
                    // A long cycle is named by its first and last few nodes (the message stays short).
                    let shown = path.count <= 12 ? path.map { quoted(nodes[$0].name) }
                        : path.prefix(6).map { quoted(nodes[$0].name) } + ["… (\(path.count - 11) more)"] + path.suffix(5).map { quoted(nodes[$0].name) }
                    throw GraphError("the graph has a cycle: \(shown.joined(separator: " → "))")
                }
                seen[previous] = walk.count
                walk.append(previous)
            }
        }
        // Every node must lead to an output, and every input must be used.
        var useful = [Bool](repeating: false, count: base + nodes.count)
        var stack = outputSlots
        while let slot = stack.popLast() {
            if useful[slot] { continue }
            useful[slot] = true
            if slot >= base { stack += sources[slot - base] }
        }
        if let unused = nodes.indices.first(where: { !useful[base + $0] }) {
            throw GraphError("node \(quoted(nodes[unused].name)) does not lead to any output")
        }
        if let unused = inputs.indices.first(where: { !useful[$0] }) {
            throw GraphError("the input \(quoted(inputs[unused])) is not used by any node")
        }
        return order
    }
}
