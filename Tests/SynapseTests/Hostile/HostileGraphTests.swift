import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Hostile graph descriptions (`graph`, `residual`, `add`, `concat`, `identity` in architecture JSON,
/// from `synapse train --arch` and from a model file's `architecture`): cycles, dangling and
/// duplicate names, names that are not identifiers, wrong fan-in, shapes that do not merge, deep
/// nesting and huge fan-in. Each is refused with a message naming the node and the problem — never
/// a trap, a hang or an unbounded allocation. The same inputs, as files, are in
/// `Fuzz/corpus/Architecture/hostile-graph-*.json`.
@Suite("Hostile graph architectures")
struct HostileGraphTests {
    /// A graph's JSON.
    static func graph(_ inputs: [String], _ nodes: [String], _ outputs: [String]) -> String {
        func list(_ names: [String]) -> String { "[" + names.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        return #"{"type":"graph","inputs":\#(list(inputs)),"nodes":[\#(nodes.joined(separator: ","))],"outputs":\#(list(outputs))}"#
    }

    /// A node's JSON: `fields` is the layer's JSON without its braces.
    static func node(_ name: String, _ fields: String, _ inputs: [String]) -> String {
        #"{"name":"\#(name)","inputs":[\#(inputs.map { "\"\($0)\"" }.joined(separator: ","))],\#(fields)}"#
    }

    static let dense3 = #""type":"dense","out":3"#
    static let dense4 = #""type":"dense","out":4"#
    static let identity = #""type":"identity""#
    static let add = #""type":"add""#

    /// Structures `LayerSpec.decode` refuses: the JSON and the exact message after "g.json: not a valid architecture: ".
    static let structural: [(name: String, json: String, message: String)] = [
        ("self-loop", graph(["x"], [node("a", dense3, ["a"])], ["a"]), "graph: the graph has a cycle: 'a' → 'a'"),
        ("cycle of three", graph(["x"], [node("a", identity, ["c"]), node("b", identity, ["a"]), node("c", add, ["b", "x"])], ["c"]),
         "graph: the graph has a cycle: 'b' → 'c' → 'a' → 'b'"),
        ("unknown input", graph(["x"], [node("a", dense3, ["nope"])], ["a"]), "graph: node 'a' takes 'nope', which is not a node or input of the graph"),
        ("unknown output", graph(["x"], [node("a", dense3, ["x"])], ["nope"]), "graph: the output 'nope' is not a node or input of the graph"),
        ("duplicate node", graph(["x"], [node("a", dense3, ["x"]), node("a", dense3, ["x"])], ["a"]), "graph: the name 'a' is used twice"),
        ("node named as an input", graph(["x"], [node("x", dense3, ["x"])], ["x"]), "graph: the name 'x' is used twice"),
        ("duplicate input", graph(["x", "x"], [node("a", dense3, ["x"])], ["a"]), "graph: the name 'x' is used twice"),
        ("duplicate output", graph(["x"], [node("a", dense3, ["x"])], ["a", "a"]), "graph: an output is listed twice: 'a', 'a'"),
        ("name starting with a digit", graph(["x"], [node("1a", dense3, ["x"])], ["1a"]),
         "graph: '1a' cannot name a node: use letters, digits and _ (not first), at most 64 characters"),
        ("name with a dot", graph(["x"], [node("a.weight", dense3, ["x"])], ["a.weight"]),
         "graph: 'a.weight' cannot name a node: use letters, digits and _ (not first), at most 64 characters"),
        ("empty name", graph(["x"], [node("", dense3, ["x"])], [""]),
         "graph: '' cannot name a node: use letters, digits and _ (not first), at most 64 characters"),
        ("non-ASCII name", graph(["x"], [node("ä", dense3, ["x"])], ["ä"]),
         "graph: 'ä' cannot name a node: use letters, digits and _ (not first), at most 64 characters"),
        ("65-character name", graph(["x"], [node(String(repeating: "a", count: 65), dense3, ["x"])], [String(repeating: "a", count: 65)]),
         "graph: '\(String(repeating: "a", count: 65))' cannot name a node: use letters, digits and _ (not first), at most 64 characters"),
        ("1 MB name", graph(["x"], [node(String(repeating: "a", count: 1 << 20), dense3, ["x"])], ["a"]),
         "graph: '\(String(repeating: "a", count: 80))…' cannot name a node: use letters, digits and _ (not first), at most 64 characters"),
        ("no inputs", graph([], [node("a", dense3, ["x"])], ["a"]), "graph: the graph has no inputs"),
        ("no outputs", graph(["x"], [node("a", dense3, ["x"])], []), "graph: the graph has no outputs"),
        ("node without inputs", graph(["x"], [node("a", dense3, [])], ["a"]), "graph: node 'a' has no inputs"),
        ("add of one input", graph(["x"], [node("a", add, ["x"])], ["a"]), "graph: node 'a' (Add) takes two or more inputs, got 1"),
        ("concat of one input", graph(["x"], [node("a", #""type":"concat""#, ["x"])], ["a"]),
         "graph: node 'a' (Concatenate(axis 1)) takes two or more inputs, got 1"),
        ("dense of two inputs", graph(["x"], [node("a", dense3, ["x", "x"])], ["a"]), "graph: node 'a' (Dense(? → 3)) takes one input, got 2"),
        ("node that is a graph", graph(["x"], [#"{"name":"a","inputs":["x"],"type":"graph","nodes":[{"name":"b","inputs":["x"],"type":"identity"}],"outputs":["b"]}"#], ["a"]),
         #"graph: node 'a' is itself a graph: put it inside a sequential (its "inputs" would clash with the node's)"#),
        ("node leading nowhere", graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"])], ["a"]), "graph: node 'b' does not lead to any output"),
        ("unused input", graph(["x", "y"], [node("a", dense3, ["x"])], ["a"]), "graph: the input 'y' is not used by any node"),
        ("two inputs", graph(["x", "y"], [node("a", add, ["x", "y"])], ["a"]),
         "a graph in an architecture takes one input and gives one output, this one has 2 and 1"),
        ("two outputs", graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"])], ["a", "b"]),
         "a graph in an architecture takes one input and gives one output, this one has 1 and 2"),
        ("two outputs, nested", #"{"type":"sequential","layers":[\#(graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"])], ["a", "b"]))]}"#,
         "a graph in an architecture takes one input and gives one output, this one has 1 and 2"),
        ("two-input graph as a residual block", #"{"type":"residual","block":\#(graph(["x", "y"], [node("a", add, ["x", "y"])], ["a"]))}"#,
         "a graph in an architecture takes one input and gives one output, this one has 2 and 1"),
        ("fan-in 4 097", graph(["x"], [node("s", add, Array(repeating: "x", count: 4097))], ["s"]), "graph: node 's' has 4097 inputs, more than 4096"),
        ("fan-in 100 000", graph(["x"], [node("s", add, Array(repeating: "x", count: 100_000))], ["s"]), "graph: node 's' has 100000 inputs, more than 4096"),
        ("concat axis 0", graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"]), node("c", #""type":"concat","axis":0"#, ["a", "b"])], ["c"]),
         "node 'c': concat needs an axis in 1...8 or -8...-1 (0 is the batch axis), got 0"),
        ("concat axis 9", graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"]), node("c", #""type":"concat","axis":9"#, ["a", "b"])], ["c"]),
         "node 'c': concat needs an axis in 1...8 or -8...-1 (0 is the batch axis), got 9"),
        ("concat axis -2^63", graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"]), node("c", #""type":"concat","axis":-9223372036854775808"#, ["a", "b"])], ["c"]),
         "node 'c': concat needs an axis in 1...8 or -8...-1 (0 is the batch axis), got -9223372036854775808"),
        ("concat axis 2^63-1", graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"]), node("c", #""type":"concat","axis":9223372036854775807"#, ["a", "b"])], ["c"]),
         "node 'c': concat needs an axis in 1...8 or -8...-1 (0 is the batch axis), got 9223372036854775807"),
        ("concat axis as a string", graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"]), node("c", #""type":"concat","axis":"1""#, ["a", "b"])], ["c"]),
         "wrong type at nodes[2].axis"),
        ("residual without a block", #"{"type":"residual"}"#, "a residual layer needs a 'block' at block"),
        ("residual with a null block", #"{"type":"residual","block":null}"#, "a residual layer needs a 'block' at block"),
        ("residual with a number as block", #"{"type":"residual","block":3}"#, "wrong type at block"),
        ("node without a name", graph(["x"], [#"{"type":"identity","inputs":["x"]}"#], ["x"]), "missing 'name' at nodes[0]"),
    ]

    /// Structures that decode but cannot take a 3-feature input: the JSON and the exact `ShapeError`.
    static let shapes: [(name: String, json: String, message: String)] = [
        ("add of 3 and 4 values", graph(["x"], [node("a", dense3, ["x"]), node("b", dense4, ["x"]), node("s", add, ["a", "b"])], ["s"]),
         "node 's' of the graph: Add: its inputs 'a' [N, 3] and 'b' [N, 4] differ (add needs one shape)"),
        ("add of a vector and an image", graph(["x"], [node("a", dense4, ["x"]), node("r", #""type":"reshape","shape":[1,2,2]"#, ["a"]), node("s", add, ["a", "r"])], ["s"]),
         "node 's' of the graph: Add: its inputs 'a' [N, 4] and 'r' [N, 1, 2, 2] differ (add needs one shape)"),
        ("concat axis 2 of vectors", graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"]), node("c", #""type":"concat","axis":2"#, ["a", "b"])], ["c"]),
         "node 'c' of the graph: Concatenate(axis 2): axis 2 is not an axis of [N, 3] other than the batch axis"),
        ("concat axis -2 of vectors", graph(["x"], [node("a", dense3, ["x"]), node("b", dense3, ["x"]), node("c", #""type":"concat","axis":-2"#, ["a", "b"])], ["c"]),
         "node 'c' of the graph: Concatenate(axis -2): axis -2 is not an axis of [N, 3] other than the batch axis"),
        ("concat of ranks 1 and 2", graph(["x"], [node("a", dense4, ["x"]), node("r", #""type":"reshape","shape":[2,2]"#, ["a"]), node("c", #""type":"concat""#, ["a", "r"])], ["c"]),
         "node 'c' of the graph: Concatenate(axis 1): its inputs 'a' [N, 4] and 'r' [N, 2, 2] differ in a size other than axis 1"),
        ("add outside a graph", #"{"type":"add"}"#, "Add merges two or more inputs: use it as a node of a graph"),
        ("concat outside a graph", #"{"type":"sequential","layers":[{"type":"concat","axis":1}]}"#,
         "layer 0 of the network: Concatenate(axis 1) merges two or more inputs: use it as a node of a graph"),
        ("add as a residual block", #"{"type":"residual","block":{"type":"add"}}"#,
         "the block of a residual layer: Add merges two or more inputs: use it as a node of a graph"),
        ("residual block of another width", #"{"type":"residual","block":{"type":"dense","out":4}}"#,
         "Residual: its block gives [N, 4] but its input (the identity shortcut) is [N, 3] (a projection shortcut with the block's stride and channels makes them agree)"),
        ("residual shortcut of another width", #"{"type":"residual","block":{"type":"dense","out":3},"shortcut":{"type":"dense","out":5}}"#,
         "Residual: its block gives [N, 3] but its shortcut gives [N, 5] (a projection shortcut with the block's stride and channels makes them agree)"),
        ("mismatch inside a nested graph", #"{"type":"sequential","layers":[\#(graph(["x"], [#"{"name":"s","inputs":["x"],"type":"sequential","layers":[\#(graph(["y"], [node("a", dense3, ["y"]), node("b", dense4, ["y"]), node("m", add, ["a", "b"])], ["m"]))]}"#], ["s"]))]}"#,
         "layer 0 of the network: node 's' of the graph: layer 0 of the network: node 'm' of the graph: Add: its inputs 'a' [N, 3] and 'b' [N, 4] differ (add needs one shape)"),
    ]

    @Test("structural errors: LayerSpec.decode throws a DataError naming the node and the problem", arguments: structural.indices)
    func structure(_ index: Int) {
        let (name, json, message) = Self.structural[index]
        #expect(throws: DataError(path: "g.json", "not a valid architecture: \(message)"), "\(name)") {
            try LayerSpec.decode(Data(json.utf8), path: "g.json")
        }
    }

    @Test("shape errors: the graph decodes, and shape inference for 3 features names the node and both shapes", arguments: shapes.indices)
    func shape(_ index: Int) throws {
        let (name, json, message) = Self.shapes[index]
        let spec = try LayerSpec.decode(Data(json.utf8), path: "g.json")
        #expect(throws: ShapeError(message), "\(name)") { try spec.resolved(for: [3]) }
        #expect(spec.largestActivation(for: [3]) == Int.max, "\(name)")
    }

    @Test("a NUL, an escape sequence or a single huge grapheme in a name is quoted, escaped and cut short")
    func controlCharactersInNames() {
        // One grapheme cluster of 100 000 combining accents: `Excerpt.of` counts characters, so the whole name is quoted.
        let grapheme = "a" + String(repeating: "\u{301}", count: 100_000)
        do { _ = try LayerSpec.decode(Data(Self.graph(["x"], [Self.node(grapheme, Self.dense3, ["x"])], ["x"]).utf8), path: "g.json") } catch {
            #expect("\(error)".utf8.count < 1_000)
        }
        for name in ["a\\u0000", "a\\u001b[2J"] {
            do { _ = try LayerSpec.decode(Data(Self.graph(["x"], [Self.node(name, Self.dense3, ["x"])], ["x"]).utf8), path: "g.json") } catch {
                #expect(!"\(error)".unicodeScalars.contains { $0.value < 0x20 }, "\(name)")
            }
        }
    }

    @Test("a residual block given as a list reports the error inside the list, not 'wrong type'")
    func residualListError() {
        #expect(throws: DataError(path: "g.json", "not a valid architecture: missing 'out' at block[0]")) {
            try LayerSpec.decode(Data(#"{"type":"residual","block":[{"type":"dense"}]}"#.utf8), path: "g.json")
        }
    }

    @Test("nesting beyond the JSON parser's depth is refused, and the message says so")
    func deepNesting() throws {
        // 500 nested residuals: accepted, resolved, built and run.
        let deep = String(repeating: #"{"type":"residual","block":"#, count: 500) + #"{"type":"identity"}"# + String(repeating: "}", count: 500)
        let spec = try LayerSpec.decode(Data(deep.utf8), path: "g.json")
        let (resolved, output) = try spec.resolved(for: [3])
        #expect(output == [3])
        #expect(resolved.largestActivation(for: [3]) == 3)
        var generator = RandomGenerator(seed: 1)
        let network: any Layer<Float> = try resolved.makeLayer(generator: &generator)
        #expect(network(Tensor<Float>(zeros: [2, 3])).shape == [2, 3])
        // 10 000 levels of residual, sequential, graph and plain arrays: refused, never a stack overflow.
        let levels = 10_000
        let cases = [
            String(repeating: #"{"type":"residual","block":"#, count: levels) + #"{"type":"identity"}"# + String(repeating: "}", count: levels),
            String(repeating: #"{"type":"sequential","layers":["#, count: levels) + #"{"type":"identity"}"# + String(repeating: "]}", count: levels),
            String(repeating: #"{"type":"residual","block":["#, count: levels) + #"{"type":"identity"}"# + String(repeating: "]}", count: levels),
            String(repeating: #"{"type":"graph","inputs":["x"],"outputs":["a"],"nodes":[{"name":"a","inputs":["x"],"type":"sequential","layers":["#, count: levels)
                + #"{"type":"identity"}"# + String(repeating: "]}]}", count: levels),
            #"{"type":"sequential","layers":"# + String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + "}",
        ]
        for json in cases {
            #expect(throws: DataError.self) { try LayerSpec.decode(Data(json.utf8), path: "g.json") }
            do { _ = try LayerSpec.decode(Data(json.utf8), path: "g.json") } catch {
                #expect("\(error)".contains("nest") || "\(error)".contains("deep"), "\(error)")
            }
        }
    }

    @Test("huge fan-in, long chains, diamonds and long cycles are checked in linear time")
    func large() throws {
        // A cycle through 50 000 nodes: named, with the message kept short.
        let count = 50_000
        var nodes = (0..<count).map { Self.node("n\($0)", Self.identity, ["n\(($0 + 1) % count)"]) }
        nodes.append(Self.node("o", Self.add, ["n0", "x"]))
        do { _ = try LayerSpec.decode(Data(Self.graph(["x"], nodes, ["o"]).utf8), path: "g.json"); Issue.record("a cycle was accepted") } catch {
            #expect("\(error)".hasPrefix("g.json: not a valid architecture: graph: the graph has a cycle: 'n49999' → 'n49998'"))
            #expect("\(error)".utf8.count < 10_000)
        }
        // A chain of 50 000 identities and 20 000 diamonds: each node is visited a bounded number of times.
        let chain = Self.graph(["x"], [Self.node("n0", Self.identity, ["x"])] + (1..<count).map { Self.node("n\($0)", Self.identity, ["n\($0 - 1)"]) }, ["n\(count - 1)"])
        var diamonds: [String] = [], previous = "x"
        for i in 0..<20_000 {
            diamonds += [Self.node("a\(i)", #""type":"activation","function":"relu""#, [previous]), Self.node("b\(i)", Self.identity, [previous]),
                         Self.node("m\(i)", Self.add, ["a\(i)", "b\(i)"])]
            previous = "m\(i)"
        }
        for json in [chain, Self.graph(["x"], diamonds, [previous])] {
            let started = ContinuousClock.now
            let spec = try LayerSpec.decode(Data(json.utf8), path: "g.json")
            let (resolved, output) = try spec.resolved(for: [3])
            #expect(output == [3])
            #expect(resolved.largestActivation(for: [3]) == 9 || resolved.largestActivation(for: [3]) == 3)
            #expect(ContinuousClock.now - started < .seconds(60), "a linear pass over 60 000 nodes")
        }
    }

    @Test("nesting times nodes: largestActivation re-resolves every subtree at every level")
    func nestedWork() throws {
        // The same 2 000 relu nodes flat, and inside 100 sequentials: the work should not grow 100-fold.
        let nodes = [Self.node("r0", #""type":"activation","function":"relu""#, ["x"])]
            + (1..<2_000).map { Self.node("r\($0)", #""type":"activation","function":"relu""#, ["r\($0 - 1)"]) }
        let flat = Self.graph(["x"], nodes, ["r1999"])
        let nested = String(repeating: #"{"type":"sequential","layers":["#, count: 100) + flat + String(repeating: "]}", count: 100)
        func time(_ json: String) throws -> Duration {
            let spec = try LayerSpec.decode(Data(json.utf8), path: "g.json")
            let started = ContinuousClock.now
            #expect(spec.largestActivation(for: [3]) == 3)
            return ContinuousClock.now - started
        }
        let (once, hundredfold) = (try time(flat), try time(nested))
        #expect(hundredfold < once * 10, "flat \(once), nested 100 deep \(hundredfold)")
    }

    @Test("the CLI: train --arch with each hostile graph is exit 1 naming the file, the node and the problem")
    func trainCommand() throws {
        let directory = try temporaryDirectory("hostile-graph")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/in.csv")
        let cases = Self.structural.filter { $0.json.utf8.count < 100_000 }.map { ($0.name, $0.json, "g.json: not a valid architecture: \($0.message)") }
            + Self.shapes.map { ($0.name, $0.json, "g.json: \($0.message) (the data has 3 features per row)") }
        for (name, json, message) in cases {
            try json.write(toFile: "\(directory)/g.json", atomically: true, encoding: .utf8)
            let result = try runSynapse(["train", "--data", "in.csv", "--arch", "g.json", "--epochs", "1", "--quiet", "--out", "m.safetensors"], in: directory)
            #expect(result.status == 1, "\(name): \(result.status)")
            #expect(result.stderr == "synapse: \(message)\n", "\(name)")
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/m.safetensors"), "\(name)")
        }
        // A graph that fits trains and is saved.
        let good = #"{"type":"sequential","layers":[\#(Self.graph(["x"], [Self.node("a", Self.dense3, ["x"]), Self.node("s", Self.add, ["a", "x"])], ["s"])),{"type":"dense","out":2}]}"#
        try good.write(toFile: "\(directory)/g.json", atomically: true, encoding: .utf8)
        let trained = try runSynapse(["train", "--data", "in.csv", "--arch", "g.json", "--epochs", "1", "--quiet", "--out", "m.safetensors"], in: directory)
        #expect(trained.status == 0, "\(trained)")
    }

    @Test("crafted model files: a graph architecture in the metadata is checked like --arch (exit 1 from predict, evaluate, inspect, plot)")
    func craftedModelFiles() throws {
        let directory = try temporaryDirectory("hostile-graph-model")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/in.csv")
        let good = #"{"type":"sequential","layers":[\#(Self.graph(["x"], [Self.node("a", Self.dense3, ["x"]), Self.node("s", Self.add, ["a", "x"])], ["s"])),{"type":"dense","out":2}]}"#
        try good.write(toFile: "\(directory)/g.json", atomically: true, encoding: .utf8)
        #expect(try runSynapse(["train", "--data", "in.csv", "--arch", "g.json", "--epochs", "1", "--quiet", "--out", "m.safetensors"], in: directory).status == 0)
        let dense = #""type":"dense","in":3,"out":3,"bias":true,"activation":"identity""#
        let last = #"{"type":"dense","in":3,"out":2,"bias":true,"activation":"identity"}"#
        func network(_ graph: String) -> String { #"{"type":"sequential","layers":[\#(graph),\#(last)]}"# }
        let cases: [(String, String, String)] = [
            ("cycle", network(Self.graph(["x"], [Self.node("a", dense, ["s"]), Self.node("s", Self.add, ["a", "x"])], ["s"])),
             "c.safetensors: architecture in the metadata is invalid: graph: the graph has a cycle: 's' → 'a' → 's'"),
            ("two outputs", network(Self.graph(["x"], [Self.node("a", dense, ["x"]), Self.node("s", Self.identity, ["x"])], ["a", "s"])),
             "c.safetensors: architecture in the metadata is invalid: a graph in an architecture takes one input and gives one output, this one has 1 and 2"),
            ("bad name", network(Self.graph(["x"], [Self.node("a.b", dense, ["x"]), Self.node("s", Self.add, ["a.b", "x"])], ["s"])),
             "c.safetensors: architecture in the metadata is invalid: graph: 'a.b' cannot name a node: use letters, digits and _ (not first), at most 64 characters"),
            ("add of 3 and 3×1", network(Self.graph(["x"], [Self.node("a", dense, ["x"]), Self.node("r", #""type":"reshape","shape":[3,1]"#, ["x"]), Self.node("s", Self.add, ["a", "r"])], ["s"])),
             "c.safetensors: the architecture does not take the 3 features the file describes: layer 0 of the network: node 's' of the graph: Add: its inputs 'a' [N, 3] and 'r' [N, 3, 1] differ (add needs one shape)"),
            ("dangling node", network(Self.graph(["x"], [Self.node("a", dense, ["x"]), Self.node("s", Self.add, ["a", "x"]), Self.node("d", Self.identity, ["x"])], ["s"])),
             "c.safetensors: architecture in the metadata is invalid: graph: node 'd' does not lead to any output"),
        ]
        for (name, architecture, message) in cases {
            try HostileInputTests.craft("\(directory)/m.safetensors", to: "\(directory)/c.safetensors") { $0["architecture"] = architecture }
            for command in [["predict", "--model", "c.safetensors", "--data", "in.csv"], ["evaluate", "--model", "c.safetensors", "--data", "in.csv"],
                            ["inspect", "c.safetensors"], ["plot", "c.safetensors", "--kind", "network", "--out", "p.svg"]] {
                let result = try runSynapse(command, in: directory)
                #expect(result.status == 1 && result.stderr.contains(message), "\(name), \(command[0]): \(result)")
            }
        }
    }
}
