import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Synapse

/// The elements of an SVG file with their attributes, the ids of the groups around them, and text.
private func svgElements(_ path: String) -> [(name: String, attributes: [String: String], groups: [String], text: String)]? {
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String], groups: [String], text: String)] = []
        var groups: [String?] = []
        var text: Int? = nil   // the text element being read
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append((name, attributes, groups.compactMap { $0 }, ""))
            groups.append(name == "g" ? attributes["id"] : nil)
            text = name == "text" ? elements.count - 1 : nil
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let text { elements[text].text += string }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            groups.removeLast()
            text = nil
        }
    }
    guard let parser = XMLParser(contentsOf: URL(fileURLWithPath: path)) else { return nil }
    let collector = Collector()
    parser.delegate = collector
    return parser.parse() ? collector.elements : nil
}

@Suite("synapse inspect and plot of residual and graph networks")
struct NetworkDiagramTests {
    static let residual = """
        {"type": "sequential", "layers": [{"type": "reshape", "shape": [1, 6, 6]},
         {"type": "conv2d", "out": 4, "kernel": 3, "padding": 1},
         {"type": "residual", "block": [{"type": "conv2d", "out": 4, "kernel": 3, "padding": 1}, {"type": "activation", "function": "relu"},
                                        {"type": "conv2d", "out": 4, "kernel": 3, "padding": 1}]},
         {"type": "residual", "block": [{"type": "conv2d", "out": 8, "kernel": 3, "stride": 2, "padding": 1}, {"type": "batchnorm"}],
          "shortcut": {"type": "conv2d", "out": 8, "kernel": 1, "stride": 2}},
         {"type": "global_avg_pool"}, {"type": "dense", "out": 2}]}
        """
    /// An Inception-like block: three branches (one a sequential, one pooling) joined along the channels.
    static let inception = """
        {"type": "sequential", "layers": [{"type": "reshape", "shape": [1, 6, 6]},
         {"type": "conv2d", "out": 4, "kernel": 3, "padding": 1},
         {"type": "graph", "inputs": ["x"], "nodes": [
           {"name": "narrow", "type": "conv2d", "inputs": ["x"], "out": 2, "kernel": 1},
           {"name": "wide", "type": "sequential", "inputs": ["x"], "layers": [{"type": "conv2d", "out": 2, "kernel": 1},
              {"type": "activation", "function": "relu"}, {"type": "conv2d", "out": 4, "kernel": 5, "padding": 2}]},
           {"name": "pool", "type": "maxpool2d", "inputs": ["x"], "kernel": 3, "stride": 1, "padding": 1},
           {"name": "joined", "type": "concat", "inputs": ["narrow", "wide", "pool"]},
           {"name": "out", "type": "activation", "inputs": ["joined"], "function": "relu"}],
          "outputs": ["out"]},
         {"type": "global_avg_pool"}, {"type": "dense", "out": 2}]}
        """

    @Test("inspect prints the architecture as a table: names, layers, inputs, output shapes, parameters")
    func inspect() throws {
        let directory = try temporaryDirectory("cli-outline")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CommandLineTests.writeData(directory)
        try Self.residual.write(toFile: "\(directory)/residual.json", atomically: true, encoding: .utf8)
        let train = try runSynapse(["train", "--data", "bars.csv", "--arch", "residual.json", "--out", "r.safetensors", "--epochs", "1", "--quiet"], in: directory)
        #expect(train.status == 0, "\(train)")
        let inspect = try runSynapse(["inspect", "r.safetensors"], in: directory)
        #expect(inspect.status == 0, "\(inspect)")
        let lines = inspect.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex(of: "architecture: 36 features per example"), "\(inspect.stdout)")
        #expect(lines[start + 1].split(separator: " ") == ["name", "layer", "inputs", "output", "parameters"])
        func cells(_ name: String) -> [String]? {
            guard let line = lines[start...].first(where: { $0.split(separator: " ").first.map(String.init) == name }) else { return nil }
            return line.components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        #expect(cells("input") == ["input", "Input", "[N, 36]"])
        #expect(cells("2") == ["2", "Residual(block: 3 layers, shortcut: identity)", "1", "[N, 4, 6, 6]", "296"])
        #expect(cells("2.block.0") == ["2.block.0", "Conv2D(4 → 4, 3×3, padding 1×1)", "1", "[N, 4, 6, 6]", "148"])
        #expect(cells("2.add") == ["2.add", "Add", "2.block, 1", "[N, 4, 6, 6]", "0"])
        #expect(cells("3.shortcut") == ["3.shortcut", "Conv2D(4 → 8, 1×1, stride 2×2)", "2", "[N, 8, 3, 3]", "40"])
        #expect(cells("5") == ["5", "Dense(8 → 2)", "4", "[N, 2]", "18"])
        // Nesting shows as indentation; the table's columns line up.
        let block = try #require(lines.first { $0.contains("2.block.1 ") })
        #expect(block.hasPrefix("      2.block.1"), "depth 2: two levels of indentation under the table's own")
        let header = lines[start + 1]
        let layerColumn = try #require(header.range(of: "layer")).lowerBound.utf16Offset(in: header)
        #expect(lines[(start + 2)...].prefix(while: { !$0.isEmpty && !$0.contains("parameters,") })
                    .allSatisfy { $0.count > layerColumn && $0[$0.index($0.startIndex, offsetBy: layerColumn - 1)] == " " })
        let total: Int = 40 + 296 + 352 + 18   // conv, first residual, second (block 296 + 16, shortcut 40), dense
        #expect(inspect.stdout.contains("\n  \(total) parameters, output [N, 2]\n"), "\(inspect.stdout)")
        #expect(inspect.stdout.contains("tensors:\n") && inspect.stdout.contains("2.block.0.weight  F32 [4, 4, 3, 3]"))
    }

    @Test("plot --kind network draws branches side by side with merge markers, within the canvas, boxes apart, text inside")
    func plot() throws {
        let directory = try temporaryDirectory("cli-diagram")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CommandLineTests.writeData(directory)
        for (name, architecture, adds, concats) in [("residual", Self.residual, 2, 0), ("inception", Self.inception, 0, 1)] {
            try architecture.write(toFile: "\(directory)/\(name).json", atomically: true, encoding: .utf8)
            let train = try runSynapse(["train", "--data", "bars.csv", "--arch", "\(name).json", "--out", "\(name).safetensors", "--epochs", "1", "--quiet"],
                                       in: directory)
            #expect(train.status == 0, "\(train)")
            let plot = try runSynapse(["plot", "\(name).safetensors", "--kind", "network", "--out", "\(name).svg"], in: directory)
            #expect(plot.status == 0, "\(plot)")
            let elements = try #require(svgElements("\(directory)/\(name).svg"), "\(name).svg is not well-formed XML")
            let root = try #require(elements.first { $0.name == "svg" })
            let width = Double(root.attributes["width"]!)!, height = Double(root.attributes["height"]!)!
            func number(_ element: (name: String, attributes: [String: String], groups: [String], text: String), _ key: String) -> Double {
                Double(element.attributes[key] ?? "0") ?? .nan
            }
            func groups(_ prefix: String) -> Set<String> { Set(elements.flatMap(\.groups).filter { $0.hasPrefix(prefix) }) }
            #expect(groups("merge-add-").count == adds && groups("merge-concat-").count == concats, "\(name): merge markers")
            if concats > 0 {
                #expect(elements.contains { $0.name == "text" && $0.text == "concat" && $0.groups.last?.hasPrefix("merge-concat-") == true })
            }

            // Everything inside the canvas (text by a conservative estimate of its width: 0.6 em a character).
            var outside: [String] = []
            for element in elements {
                var xs: [Double] = [], ys: [Double] = []
                switch element.name {
                case "rect":
                    xs = [number(element, "x"), number(element, "x") + number(element, "width")]
                    ys = [number(element, "y"), number(element, "y") + number(element, "height")]
                case "circle":
                    let (cx, cy, r) = (number(element, "cx"), number(element, "cy"), number(element, "r"))
                    xs = [cx - r, cx + r]; ys = [cy - r, cy + r]
                case "line":
                    xs = [number(element, "x1"), number(element, "x2")]; ys = [number(element, "y1"), number(element, "y2")]
                case "polyline", "polygon":
                    let points = element.attributes["points", default: ""].split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
                    xs = points.map { $0[0] }; ys = points.map { $0[1] }
                case "text":
                    let x = number(element, "x"), size = number(element, "font-size"), w = 0.6 * size * Double(element.text.count)
                    switch element.attributes["text-anchor"] {
                    case "middle": xs = [x - w / 2, x + w / 2]
                    case "end": xs = [x - w, x]
                    default: xs = [x, x + w]
                    }
                    ys = [number(element, "y") - size, number(element, "y")]
                default: continue
                }
                if !(xs + ys).allSatisfy(\.isFinite) || xs.contains(where: { $0 < 0 || $0 > width }) || ys.contains(where: { $0 < 0 || $0 > height }) {
                    outside.append("\(element.name) \(element.attributes) \(element.text)")
                }
            }
            #expect(outside.isEmpty, "\(name): outside the \(width)×\(height) canvas: \(outside)")

            // Layer boxes and merge markers do not overlap; each box's text fits inside it.
            var boxes: [(id: String, x0: Double, y0: Double, x1: Double, y1: Double)] = []
            for element in elements where (element.name == "rect" || element.name == "circle") {
                guard let id = element.groups.last, id.hasPrefix("node-") || id.hasPrefix("merge-") else { continue }
                if element.name == "circle" {
                    let (cx, cy, r) = (number(element, "cx"), number(element, "cy"), number(element, "r"))
                    boxes.append((id, cx - r, cy - r, cx + r, cy + r))
                } else {
                    boxes.append((id, number(element, "x"), number(element, "y"), number(element, "x") + number(element, "width"), number(element, "y") + number(element, "height")))
                }
            }
            #expect(boxes.count == groups("node-").count + adds + concats, "one shape per layer and merge")
            for (i, a) in boxes.enumerated() {
                for b in boxes[(i + 1)...] where a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 {
                    Issue.record("\(name): \(a.id) overlaps \(b.id)")
                }
            }
            for element in elements where element.name == "text" {
                guard let id = element.groups.last, id.hasPrefix("node-"), let box = boxes.first(where: { $0.id == id }) else { continue }
                // 0.55 em a character: DejaVu Sans's average over letters, digits and the captions' punctuation
                // (a caption like `2.block.1 · [N, 4, 6, 6]` is 109 px at 10 px; this estimates 132).
                let em = element.attributes["font-weight"] == "bold" ? 0.6 : 0.55
                let w = em * number(element, "font-size") * Double(element.text.count), x = number(element, "x")
                #expect(x - w / 2 >= box.x0 && x + w / 2 <= box.x1 && number(element, "y") > box.y0 && number(element, "y") < box.y1,
                        "\(name): '\(element.text)' does not fit its box \(box)")
            }
            // Branches side by side: some level holds two or more layers (or a layer and a shortcut's arrow).
            let nodeGroups = groups("node-")
            #expect(nodeGroups.contains("node-input") && nodeGroups.contains(name == "residual" ? "node-3.shortcut" : "node-2.wide.2"))
            let rows = Dictionary(grouping: boxes.filter { $0.id.hasPrefix("node-") }, by: { Int($0.y0) })
            #expect(rows.values.contains { $0.count >= 2 }, "\(name): no two layers side by side")
        }
    }

    @Test("a graph whose arrows would need too many bends to draw is listed as a column instead (a crafted file cannot make plot allocate billions)")
    func tooLargeToDraw() throws {
        let directory = try temporaryDirectory("cli-diagram-large")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CommandLineTests.writeData(directory)
        // 400 nodes each adding the graph's input: the input's arrows cross ~80 000 levels in all.
        var nodes = [#"{"name": "n0", "type": "identity", "inputs": ["x"]}"#]
        for i in 1..<400 { nodes.append(#"{"name": "n\#(i)", "type": "add", "inputs": ["n\#(i - 1)", "x"]}"#) }
        nodes.append(#"{"name": "head", "type": "dense", "out": 3, "inputs": ["n399"]}"#)
        let json = #"{"type": "graph", "inputs": ["x"], "outputs": ["head"], "nodes": ["# + nodes.joined(separator: ", ") + "]}"
        try json.write(toFile: "\(directory)/wide.json", atomically: true, encoding: .utf8)
        let train = try runSynapse(["train", "--data", "blobs.csv", "--arch", "wide.json", "--out", "wide.safetensors", "--epochs", "1", "--quiet"], in: directory)
        #expect(train.status == 0, "\(train)")
        let plot = try runSynapse(["plot", "wide.safetensors", "--kind", "network", "--out", "wide.svg"], in: directory)
        #expect(plot.status == 0, "\(plot)")
        let svg = try String(contentsOfFile: "\(directory)/wide.svg", encoding: .utf8)
        #expect(svg.contains("too many branches to draw in full") && svg.utf8.count < 100_000)
    }
}
