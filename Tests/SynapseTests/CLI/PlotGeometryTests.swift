import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Synapse
@testable import SynapseTraining
@testable import SynapseCommandLine

/// An SVG document's elements: name, attributes, the ids of the groups around it, and its text.
struct SVGElement {
    var name: String, attributes: [String: String], groups: [String], text: String
    func number(_ key: String) -> Double { Double(attributes[key] ?? "") ?? .nan }
    var points: [(Double, Double)] {
        attributes["points", default: ""].split(separator: " ").compactMap { pair in
            let xy = pair.split(separator: ",").compactMap { Double($0) }
            return xy.count == 2 ? (xy[0], xy[1]) : nil
        }
    }
}

/// A parsed SVG document, with the geometry the tests check.
struct ParsedSVG {
    var elements: [SVGElement]
    var width: Double, height: Double

    init(_ document: String) throws {
        final class Collector: NSObject, XMLParserDelegate {
            var elements: [SVGElement] = []
            var groups: [String?] = []
            var text: Int? = nil
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                elements.append(SVGElement(name: name, attributes: attributes, groups: groups.compactMap { $0 }, text: ""))
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
        let parser = XMLParser(data: Data(document.utf8))
        let collector = Collector()
        parser.delegate = collector
        try #require(parser.parse(), "the SVG is not well-formed XML")
        elements = collector.elements
        let root = try #require(elements.first { $0.name == "svg" })
        let viewBox = root.attributes["viewBox", default: ""].split(separator: " ").compactMap { Double($0) }
        try #require(viewBox.count == 4 && viewBox[0] == 0 && viewBox[1] == 0, "viewBox \(viewBox)")
        (width, height) = (viewBox[2], viewBox[3])
    }

    var texts: [SVGElement] { elements.filter { $0.name == "text" } }
    func inGroup(_ id: String) -> [SVGElement] { elements.filter { $0.groups.contains(id) } }

    /// A text element's box: its estimated width (``TextMetrics``, rounded up from DejaVu Sans's
    /// advances) from the anchor, from an ascent of 0.8 em above the baseline to 0.25 em below,
    /// turned by its `rotate(…)` transform.
    static func box(_ text: SVGElement) -> (x0: Double, y0: Double, x1: Double, y1: Double) {
        let x = text.number("x"), y = text.number("y"), size = text.number("font-size")
        let w = TextMetrics.width(text.text, size: size, bold: text.attributes["font-weight"] == "bold")
        let left = text.attributes["text-anchor"] == "middle" ? x - w / 2 : text.attributes["text-anchor"] == "end" ? x - w : x
        var corners = [(left, y - 0.8 * size), (left + w, y - 0.8 * size), (left, y + 0.25 * size), (left + w, y + 0.25 * size)]
        if let transform = text.attributes["transform"], transform.hasPrefix("rotate(") {
            let values = transform.dropFirst(7).dropLast().split(separator: " ").compactMap { Double($0) }
            let (angle, cx, cy) = (values[0] * .pi / 180, values[1], values[2])
            corners = corners.map { p in
                let (dx, dy) = (p.0 - cx, p.1 - cy)
                return (cx + dx * cos(angle) - dy * sin(angle), cy + dx * sin(angle) + dy * cos(angle))
            }
        }
        return (corners.map(\.0).min()!, corners.map(\.1).min()!, corners.map(\.0).max()!, corners.map(\.1).max()!)
    }

    /// The texts whose box leaves the view box.
    var textsOutside: [String] {
        texts.compactMap { text in
            let b = Self.box(text)
            return [b.x0, b.y0, b.x1, b.y1].allSatisfy(\.isFinite) && b.x0 >= 0 && b.y0 >= 0 && b.x1 <= width && b.y1 <= height
                ? nil : "'\(text.text)' at \(b) in \(width)×\(height)"
        }
    }

    /// Pairs of texts among `texts` whose boxes overlap.
    static func overlapping(_ texts: [SVGElement]) -> [String] {
        var found: [String] = []
        let boxes = texts.map(box)
        for i in boxes.indices {
            for j in boxes.indices where j > i {
                let (a, b) = (boxes[i], boxes[j])
                if a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 { found.append("'\(texts[i].text)' and '\(texts[j].text)'") }
            }
        }
        return found
    }

    /// Legend boxes (the rectangles of every `legend` group).
    var legendBoxes: [(x0: Double, y0: Double, x1: Double, y1: Double)] {
        inGroup("legend").filter { $0.name == "rect" }.map { r in
            (r.number("x"), r.number("y"), r.number("x") + r.number("width"), r.number("y") + r.number("height"))
        }
    }

    /// Points of the plotted data (polylines and dots outside the legends), with the segments
    /// between polyline points sampled every pixel, that fall inside a legend box.
    var dataUnderLegends: [String] {
        var points: [(Double, Double)] = []
        for element in elements where !element.groups.contains("legend") && !element.groups.contains("axes") {
            if element.name == "polyline" {
                let p = element.points
                points += p
                for (a, b) in zip(p, p.dropFirst()) {
                    let steps = Int(max(abs(b.0 - a.0), abs(b.1 - a.1)).rounded(.up))
                    if steps > 1 { points += (1..<steps).map { t in (a.0 + (b.0 - a.0) * Double(t) / Double(steps), a.1 + (b.1 - a.1) * Double(t) / Double(steps)) } }
                }
            } else if element.name == "circle" {
                points.append((element.number("cx"), element.number("cy")))
            }
        }
        return legendBoxes.flatMap { box in
            points.filter { $0.0 >= box.x0 && $0.0 <= box.x1 && $0.1 >= box.y0 && $0.1 <= box.y1 }.map { "\($0) in legend \(box)" }
        }
    }
}

/// Writes `document` to `$SYNAPSE_PLOT_DIR/name.svg` when that variable is set, for looking at the
/// plots (rendered as PNG in a browser) beside what these tests check.
private func keep(_ document: String, as name: String) {
    guard let directory = ProcessInfo.processInfo.environment["SYNAPSE_PLOT_DIR"] else { return }
    try? document.write(toFile: "\(directory)/\(name).svg", atomically: true, encoding: .utf8)
}

/// A history of `count` epochs whose loss falls from `start` to `end` geometrically, with a
/// validation loss and accuracy; `best` is early stopping's best epoch.
private func history(epochs count: Int, from start: Double, to end: Double, best: Int? = nil, stopped: Bool = false) -> History {
    var history = History()
    for epoch in 0..<count {
        let t = count > 1 ? Double(epoch) / Double(count - 1) : 0
        let loss = start * pow(end / start, t)
        history.epochs.append(EpochLog(epoch: epoch, loss: loss, validationLoss: loss * (1.1 + 0.3 * t), metrics: ["accuracy": 0.5 + 0.45 * t],
                                       learningRate: 0.001, seconds: 0.1))
    }
    history.bestEpoch = best
    if stopped { history.stopReason = "early stopping" }
    return history
}

@Suite("plots: nothing clipped, legends beside the data, epochs labelled, scales chosen")
struct PlotGeometryTests {
    static let longNames = (0..<30).map { "class number \($0) with a rather long descriptive name" }

    @Test("training curves: texts inside, legend off the curves, first and last epoch labelled, best epoch marked, log scale over 2 decades",
          arguments: [(1, 0.9, 0.9, nil as Int?), (2, 0.9, 0.5, 1), (7, 2.0, 0.4, nil), (47, 2.5, 0.002, 30), (300, 1.0, 0.5, 250)])
    func trainingCurves(epochs: Int, start: Double, end: Double, best: Int?) throws {
        let h = history(epochs: epochs, from: start, to: end, best: best, stopped: best != nil)
        let document = Charts.trainingCurves(h, title: "Training a model with a long file name, \(epochs) epochs.safetensors")
        keep(document, as: "curves-\(epochs)")
        let svg = try ParsedSVG(document)
        #expect(svg.textsOutside.isEmpty, "\(svg.textsOutside)")
        #expect(svg.legendBoxes.count == 2, "a legend per panel")
        #expect(svg.dataUnderLegends.isEmpty, "\(svg.dataUnderLegends.prefix(3))")
        #expect(Self.overlappingAxisLabels(svg).isEmpty, "\(Self.overlappingAxisLabels(svg))")
        // The first and last epoch are tick labels of both panels' epoch axes.
        let tickLabels = svg.inGroup("axes").filter { $0.name == "text" }.map(\.text)
        #expect(tickLabels.filter { $0 == "1" }.count >= 2 && tickLabels.filter { $0 == String(epochs) }.count >= 2, "\(tickLabels)")
        // Log scale exactly when the losses span more than two decades.
        let spansDecades = max(start, end * 1.4) / min(start, end) > 100
        #expect(tickLabels.contains("loss (log scale)") == spansDecades, "\(tickLabels)")
        // The marked epoch: early stopping's best, else the lowest validation loss (the last here).
        let marked = best ?? epochs - 1
        let lines = svg.inGroup("best-epoch").filter { $0.name == "line" }
        let loss = try #require(svg.elements.first { $0.attributes["id"] == "series-loss" }).points
        #expect(lines.count == 2 && lines.allSatisfy { abs($0.number("x1") - loss[marked].0) < 0.01 }, "marker at epoch \(marked + 1)")
        let legendText = svg.inGroup("legend").filter { $0.name == "text" }.map(\.text)
        #expect(legendText.contains(best != nil ? "best: epoch \(marked + 1)" : "lowest val_loss: epoch \(marked + 1)"), "\(legendText)")
        #expect(legendText.contains("stopped early: epoch \(epochs)") == (best != nil))
        // Few epochs: every point is a dot (a single epoch's polyline would be invisible).
        #expect((svg.inGroup("points-loss").count == epochs) == (epochs <= 30))
    }

    /// Tick labels of the same axis group that overlap.
    static func overlappingAxisLabels(_ svg: ParsedSVG) -> [String] {
        let axes = svg.elements.enumerated().filter { $0.element.name == "g" && $0.element.attributes["id"] == "axes" }.map(\.offset)
        return axes.flatMap { start -> [String] in
            let depth = svg.elements[start].groups.count
            let members = svg.elements[(start + 1)...].prefix { $0.groups.count > depth }.filter { $0.name == "text" }
            return ParsedSVG.overlapping(Array(members))
        }
    }

    @Test("a loss spanning less than two decades stays linear; one spanning more is log-scaled with decade ticks")
    func logScaleChoice() throws {
        let linear = try ParsedSVG(Charts.trainingCurves(history(epochs: 20, from: 1, to: 0.02), title: "t"))
        #expect(!linear.texts.contains { $0.text == "loss (log scale)" })
        let log = try ParsedSVG(Charts.trainingCurves(history(epochs: 20, from: 3, to: 0.001), title: "t"))
        let ticks = log.inGroup("axes").filter { $0.name == "text" }.map(\.text)
        #expect(ticks.contains("loss (log scale)") && ticks.contains("0.01") && ticks.contains("0.1") && ticks.contains("1"), "\(ticks)")
        // Decade ticks are evenly spaced on the page.
        let y = { (label: String) in log.texts.first { $0.text == label && $0.groups.contains("axes") }!.number("y") }
        #expect(abs((y("0.01") - y("0.1")) - (y("0.1") - y("1"))) < 0.02)
        // One notation per axis: from 1e7 down to 1e-5, every tick written with an exponent.
        let wide = try #require(LogScale([2e7, 3e4])).ticks.map(\.label)
        #expect(wide == ["1e5", "1e6", "1e7"], "\(wide)")
        let small = try #require(LogScale([1.5, 8e-6])).ticks.map(\.label)
        #expect(small == ["1e-5", "1e-4", "1e-3", "1e-2", "1e-1", "1e0"], "\(small)")
    }

    @Test("confusion matrix: 3 short and 30 long class names, no label clipped or overlapping another or the cells", arguments: [3, 30])
    func confusion(classes: Int) throws {
        let names = classes == 30 ? Self.longNames : ["setosa", "versicolor", "virginica"]
        let matrix = (0..<classes).map { i in (0..<classes).map { j in i == j ? 40 + i : (i + j) % 3 } }
        let document = Charts.confusion(matrix, classNames: names, title: "Confusion matrix of a model (accuracy 0.912)")
        keep(document, as: "confusion-\(classes)")
        let svg = try ParsedSVG(document)
        #expect(svg.textsOutside.isEmpty, "\(svg.textsOutside.prefix(3))")
        let labels = svg.inGroup("labels").filter { $0.name == "text" }
        #expect(labels.count == 2 * classes && Set(labels.map(\.text)) == Set(names.map(Charts.shown)))
        // Labels are whole up to the longest shown name.
        #expect(labels.allSatisfy { !$0.text.hasSuffix("…") })
        #expect(ParsedSVG.overlapping(labels + svg.texts.filter { !$0.groups.contains("cells") && !$0.groups.contains("labels") }).isEmpty,
                "\(ParsedSVG.overlapping(labels).prefix(3))")
        let cells = svg.inGroup("cells").filter { $0.name == "rect" }
        let grid = (cells.map { $0.number("x") }.min()!, cells.map { $0.number("y") }.min()!,
                    cells.map { $0.number("x") + $0.number("width") }.max()!, cells.map { $0.number("y") + $0.number("height") }.max()!)
        for label in labels {
            let b = ParsedSVG.box(label)
            #expect(!(b.x0 < grid.2 && grid.0 < b.x1 && b.y0 < grid.3 && grid.1 < b.y1), "'\(label.text)' over the cells")
        }
        // The colour scale is outlined, so its white zero end shows against the page.
        let scale = svg.inGroup("legend").filter { $0.name == "rect" }
        #expect(scale.contains { $0.attributes["fill"] == "none" && $0.attributes["stroke"] != nil && $0.number("height") >= 100 },
                "an outline around the colour scale")
        // Every count fits its cell.
        for text in svg.inGroup("cells").filter({ $0.name == "text" }) {
            let b = ParsedSVG.box(text)
            #expect(cells.contains { c in b.x0 >= c.number("x") && b.x1 <= c.number("x") + c.number("width") && b.y0 >= c.number("y") - 0.01 && b.y1 <= c.number("y") + c.number("height") + 0.01 })
        }
    }

    @Test("network diagram: long feature and class names written whole, inside the canvas", arguments: [false, true])
    func network(longNames: Bool) throws {
        let features = longNames ? (0..<8).map { "mean concave points of the nucleus \($0)" } : ["a", "b"]
        let classes = longNames ? Array(Self.longNames.prefix(4)) : ["x", "y", "z"]
        let spec = LayerSpec.sequential([.dense(inputs: features.count, outputs: 16, bias: true, activation: .relu),
                                         .dense(inputs: 16, outputs: classes.count, bias: true, activation: .identity)])
        let document = Charts.network(spec, featureNames: features, classNames: classes, title: "Network of a model.safetensors")
        keep(document, as: "network-\(longNames ? "long" : "short")")
        let svg = try ParsedSVG(document)
        #expect(svg.textsOutside.isEmpty, "\(svg.textsOutside.prefix(3))")
        let texts = Set(svg.texts.map(\.text))
        #expect(features.allSatisfy(texts.contains) && classes.allSatisfy(texts.contains))
        #expect(ParsedSVG.overlapping(svg.texts).isEmpty, "\(ParsedSVG.overlapping(svg.texts).prefix(3))")
    }

    @Test("layer stack: a long layer description widens the boxes and the canvas")
    func layerStack() throws {
        let spec = LayerSpec.sequential([.reshape([1, 28, 28]), .conv2d(inputs: 1, outputs: 32, kernel: 5, stride: 1, padding: 2, dilation: 1, bias: true),
                                         .activation(.relu), .globalAveragePool, .dense(inputs: 32, outputs: 10, bias: true, activation: .identity)])
        let document = Charts.network(spec, featureNames: nil, classNames: nil, title: "Network of cnn.safetensors")
        keep(document, as: "stack")
        let svg = try ParsedSVG(document)
        #expect(svg.textsOutside.isEmpty, "\(svg.textsOutside.prefix(3))")
        #expect(ParsedSVG.overlapping(svg.texts).isEmpty, "\(ParsedSVG.overlapping(svg.texts).prefix(3))")
    }

    /// Two interleaved half moons with `classes` classes (rotated copies), 2 features.
    static func writeMoons(_ path: String, classes: Int, names: [String], features: (String, String)) throws {
        var g = RandomGenerator(seed: 3)
        var text = "\(features.0),\(features.1),label\n"
        for i in 0..<(60 * classes) {
            let c = i % classes, t = g.nextDouble() * .pi
            let angle = 2 * .pi * Double(c) / Double(classes)
            let (x, y) = (cos(t) + 0.1 * g.nextGaussian(), sin(t) - 0.2 + 0.1 * g.nextGaussian())
            text += String(format: "%.4f,%.4f,%@\n", x * cos(angle) - y * sin(angle), x * sin(angle) + y * cos(angle), names[c])
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("boundary: 2-pixel regions, texts inside, legend off the points; 2 short and 5 long class names", arguments: [false, true])
    func boundary(longNames: Bool) throws {
        let directory = try temporaryDirectory("plot-boundary")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let classes = longNames ? 5 : 2
        let names = longNames ? Array(Self.longNames.prefix(5)) : ["a", "b"]
        let features = longNames ? ("distance from the city centre in kilometres", "mean annual household income in thousands") : ("x", "y")
        try Self.writeMoons("\(directory)/moons.csv", classes: classes, names: names, features: features)
        let train = try runSynapse(["train", "--data", "moons.csv", "--target", "label", "--layers", "32,32", "--epochs", "40", "--out", "m.safetensors", "--quiet"],
                                   in: directory)
        try #require(train.status == 0, "\(train)")
        let plot = try runSynapse(["plot", "m.safetensors", "--kind", "boundary", "--data", "moons.csv", "--target", "label", "--out", "b.svg"], in: directory)
        try #require(plot.status == 0, "\(plot)")
        let document = try String(contentsOfFile: "\(directory)/b.svg", encoding: .utf8)
        keep(document, as: "boundary-\(classes)")
        let svg = try ParsedSVG(document)
        #expect(svg.textsOutside.isEmpty, "\(svg.textsOutside.prefix(3))")
        #expect(svg.dataUnderLegends.isEmpty, "\(svg.dataUnderLegends.prefix(3))")
        let regions = svg.inGroup("regions").filter { $0.name == "rect" }
        // Smooth: rows of at most 2 pixels (runs of one class merged, so the file stays small).
        #expect(regions.allSatisfy { $0.number("height") <= 2.31 } && regions.count < 20 * 230, "\(regions.count) region rectangles")
        #expect(Set(regions.map { $0.attributes["fill"]! }).count == classes, "every class predicted somewhere")
        // Not anti-aliased: scaled down (a browser page), anti-aliased rows showed white stripes between them.
        #expect(svg.elements.contains { $0.attributes["id"] == "regions" && $0.attributes["shape-rendering"] == "crispEdges" })
        #expect(document.utf8.count < 2_000_000)
        let legend = svg.inGroup("legend").filter { $0.name == "text" }.map(\.text)
        #expect(names.allSatisfy(legend.contains), "\(legend)")
        let swatches = svg.inGroup("legend").filter { $0.name == "circle" }.compactMap { $0.attributes["fill"] }
        #expect(swatches.count == classes && Set(swatches).count == classes, "a colour per class: \(swatches)")
    }

    @Test("class colours: 12 classes (a boundary's points and regions) each get a colour and a region tint of their own")
    func classColors() {
        let colors = (0..<12).map(SVG.classColor)
        #expect(Set(colors).count == 12, "\(colors)")
        #expect(Set(colors.map { tint($0, 0.28) }).count == 12)
        #expect(SVG.classColor(12) == SVG.classColor(0), "beyond 12 the colours repeat")
    }

    @Test("plot --kind history draws the curves stored in a saved model, the same as train --plot; a model without history is an error")
    func historyFromModelFile() throws {
        let directory = try temporaryDirectory("plot-history")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try CommandLineTests.writeData(directory)
        for epochs in [1, 2, 12] {
            let train = try runSynapse(["train", "--data", "blobs.csv", "--target", "color", "--epochs", "\(epochs)", "--out", "m.safetensors",
                                        "--plot", "during.svg", "--quiet", "--early-stopping", epochs == 2 ? "0" : "2"], in: directory)
            try #require(train.status == 0, "\(train)")
            let plot = try runSynapse(["plot", "m.safetensors", "--kind", "history", "--out", "after.svg"], in: directory)
            try #require(plot.status == 0, "\(plot)")
            let after = try String(contentsOfFile: "\(directory)/after.svg", encoding: .utf8)
            #expect(after == (try String(contentsOfFile: "\(directory)/during.svg", encoding: .utf8)))
            keep(after, as: "history-\(epochs)")
            let svg = try ParsedSVG(after)
            #expect(svg.textsOutside.isEmpty && svg.dataUnderLegends.isEmpty)
            let model = try Model<Float>.load(from: "\(directory)/m.safetensors")
            let history = try #require(model.history)
            #expect(history.epochs.count <= epochs && history.epochs.count >= 1)
            #expect((history.bestEpoch != nil) == (epochs != 2), "early stopping's best epoch is stored (none without early stopping)")
            let ticks = svg.inGroup("axes").filter { $0.name == "text" }.map(\.text)
            #expect(ticks.contains("1") && ticks.contains(String(history.epochs.count)))
        }
        // A model never trained: no history, exit 1 naming the file.
        var g = RandomGenerator(seed: 1)
        let bare = Model<Float>(Sequential<Float>.mlp(sizes: [2, 3], activation: .relu, generator: &g), task: .classification(classes: 3))
        try bare.save(to: "\(directory)/bare.safetensors")
        let refused = try runSynapse(["plot", "bare.safetensors", "--kind", "history", "--out", "bare.svg"], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("bare.safetensors") && refused.stderr.contains("no training history"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/bare.svg"))
    }

    @Test("a model file's history is checked when loaded: epochs in order, the best epoch among them")
    func hostileHistory() throws {
        let directory = try temporaryDirectory("plot-history-hostile")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var g = RandomGenerator(seed: 1)
        let model = Model<Float>(Sequential<Float>.mlp(sizes: [2, 3], activation: .relu, generator: &g), task: .classification(classes: 3))
        model.history = history(epochs: 3, from: 1, to: 0.5, best: 1)
        try model.save(to: "\(directory)/good.safetensors")
        // Stored whole but the epoch times (0: the same run writes the same bytes).
        var withoutTimes = try #require(model.history)
        for i in withoutTimes.epochs.indices { withoutTimes.epochs[i].seconds = 0 }
        #expect(try Model<Float>.load(from: "\(directory)/good.safetensors").history == withoutTimes)
        for (name, bad) in [("best", { var h = $0 as History; h.bestEpoch = 3; return h }), ("order", { var h = $0 as History; h.epochs[1].epoch = 5; return h })] {
            model.history = bad(history(epochs: 3, from: 1, to: 0.5, best: 1))
            try model.save(to: "\(directory)/\(name).safetensors")
            #expect(throws: DataError.self) { try Model<Float>.load(from: "\(directory)/\(name).safetensors") }
        }
    }
}
