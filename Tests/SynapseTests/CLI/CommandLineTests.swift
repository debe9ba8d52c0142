import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Element names and `id`s of an XML document; nil when it is not well-formed.
func parseXML(_ path: String) -> (elements: [String], ids: [String: Int])? {
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var ids: [String: Int] = [:]
        var stack: [String] = []
        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append(name)
            if let id = attributes["id"] { stack.append(id); ids[id, default: 0] += 0 } else { stack.append("") }
            // Count the direct and nested children of every enclosing id'd group.
            for id in stack.dropLast() where !id.isEmpty { ids[id, default: 0] += 1 }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { stack.removeLast() }
    }
    guard let parser = XMLParser(contentsOf: URL(fileURLWithPath: path)) else { return nil }
    let collector = Collector()
    parser.delegate = collector
    return parser.parse() ? (collector.elements, collector.ids) : nil
}

@Suite("The synapse command line")
struct CommandLineTests {
    static let commands = ["train", "evaluate", "predict", "inspect", "plot", "demo", "bench"]

    /// Three Gaussian blobs with string labels, and a smooth regression target.
    static func writeData(_ directory: String) throws {
        var g = RandomGenerator(seed: 8)
        var blobs = "x1,x2,color\n"
        let centres = [(0.0, 0.0), (3.0, 3.0), (0.0, 4.0)], names = ["red", "green", "blue"]
        for i in 0..<150 {
            let c = i % 3
            blobs += String(format: "%.4f,%.4f,%@\n", centres[c].0 + 0.7 * g.nextGaussian(), centres[c].1 + 0.7 * g.nextGaussian(), names[c])
        }
        try blobs.write(toFile: "\(directory)/blobs.csv", atomically: true, encoding: .utf8)
        var regression = "a,b,y\n"
        for _ in 0..<300 {
            let a = g.nextDouble() * 4 - 2, b = g.nextDouble() * 4 - 2
            regression += String(format: "%.4f,%.4f,%.5f\n", a, b, sin(a) + 0.5 * b * b)
        }
        try regression.write(toFile: "\(directory)/regression.csv", atomically: true, encoding: .utf8)
        try "x1,x2,color\n1,2,red\nthree,4,green\n".write(toFile: "\(directory)/bad.csv", atomically: true, encoding: .utf8)
        try "garbage, not a model".write(toFile: "\(directory)/garbage.safetensors", atomically: true, encoding: .utf8)
        try "{\"epoch\": 3}".write(toFile: "\(directory)/typo.json", atomically: true, encoding: .utf8)
        try "{\"epochs\": 30, \"layers\": [16, 8], \"quiet\": true}".write(toFile: "\(directory)/good.json", atomically: true, encoding: .utf8)
        // 6×6 images of a horizontal or a vertical bar in noise, and convolutional architectures for them.
        var bars = (0..<36).map { "p\($0)" }.joined(separator: ",") + ",bar\n"
        for i in 0..<200 {
            let vertical = i % 2 == 1, at = 1 + Int(g.nextUInt32() % 4)
            let pixels = (0..<36).map { index -> String in
                let on = vertical ? index % 6 == at : index / 6 == at
                return String(format: "%.3f", (on ? 1.0 : 0.0) + 0.3 * g.nextDouble())
            }
            bars += pixels.joined(separator: ",") + (vertical ? ",vertical\n" : ",horizontal\n")
        }
        try bars.write(toFile: "\(directory)/bars.csv", atomically: true, encoding: .utf8)
        let convolution = """
            {"type": "sequential", "layers": [{"type": "reshape", "shape": [1, 6, 6]},
             {"type": "conv2d", "out": 4, "kernel": 3, "padding": "same"}, {"type": "activation", "function": "relu"},
             {"type": "maxpool2d", "kernel": 2}, {"type": "batchnorm"},
             {"type": "flatten"}, {"type": "dense", "out": 2}]}
            """
        try convolution.write(toFile: "\(directory)/cnn.json", atomically: true, encoding: .utf8)
        try convolution.replacingOccurrences(of: "\"out\": 4", with: "\"in\": 3, \"out\": 4").write(toFile: "\(directory)/channels.json", atomically: true, encoding: .utf8)
        try convolution.replacingOccurrences(of: "\"out\": 2", with: "\"out\": 5").write(toFile: "\(directory)/outputs.json", atomically: true, encoding: .utf8)
        try convolution.replacingOccurrences(of: "conv2d", with: "conv3d").write(toFile: "\(directory)/unknown.json", atomically: true, encoding: .utf8)
    }

    @Test("--help on every subcommand, and synapse --help lists them")
    func help() throws {
        let top = try runSynapse(["--help"])
        #expect(top.status == 0)
        for command in Self.commands {
            #expect(top.stdout.contains("  \(command) "), "synapse --help does not list \(command)")
            let result = try runSynapse([command, "--help"])
            #expect(result.status == 0 && result.stdout.hasPrefix("Usage: synapse \(command)"), "\(command) --help: \(result)")
            #expect(result.stderr.isEmpty)
        }
    }

    @Test("classification with string labels: train, evaluate, predict (file and stdin), inspect, plots")
    func classification() throws {
        let directory = try temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData(directory)
        // 150 rows hold nothing out by default (fewer than 1 000); the plot's validation curves need a split.
        let train = try runSynapse(["train", "--data", "blobs.csv", "--target", "color", "--out", "blobs.safetensors", "--plot", "history.svg",
                                    "--validation-split", "0.1"], in: directory)
        #expect(train.status == 0, "\(train)")
        #expect(train.stdout.contains("task: classification (3 classes from the text labels in 'color'); loss: cross_entropy (default)"))
        #expect(train.stderr.contains("epoch 1/"), "one plain progress line per epoch on stderr when it is not a terminal")

        let evaluate = try runSynapse(["evaluate", "--model", "blobs.safetensors", "--data", "blobs.csv", "--json"], in: directory)
        #expect(evaluate.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        let accuracy = try #require(json["accuracy"] as? Double)
        #expect(accuracy >= 0.95 && accuracy <= 1, "accuracy \(accuracy)")
        #expect(json["classes"] as? [String] == ["blue", "green", "red"] && json["f1"] is Double && json["loss"] is Double)
        #expect((json["confusion_matrix"] as? [[Int]])?.flatMap { $0 }.reduce(0, +) == 150)

        let predict = try runSynapse(["predict", "--model", "blobs.safetensors", "--data", "blobs.csv"], in: directory)
        let lines = predict.stdout.split(separator: "\n")
        #expect(predict.status == 0 && lines.count == 151 && lines[0] == "color")
        #expect(lines.dropFirst().allSatisfy { ["red", "green", "blue"].contains(String($0)) })
        let piped = try runSynapse(["predict", "--model", "blobs.safetensors", "--data", "-", "--probabilities"], input: "x1,x2\n0,0\n3,3\n", in: directory)
        let rows = piped.stdout.split(separator: "\n")
        #expect(piped.status == 0 && rows.count == 3 && rows[0] == "blue,green,red", "\(piped)")
        let first = rows[1].split(separator: ",").compactMap { Double($0) }
        #expect(first.count == 3 && abs(first.reduce(0, +) - 1) < 1e-4 && first[2] > 0.9)
        let written = try runSynapse(["predict", "--model", "blobs.safetensors", "--data", "blobs.csv", "--output", "out.csv"], in: directory)
        #expect(written.status == 0 && written.stdout.isEmpty)
        #expect(try String(contentsOfFile: "\(directory)/out.csv", encoding: .utf8) == predict.stdout)

        let inspect = try runSynapse(["inspect", "blobs.safetensors"], in: directory)
        #expect(inspect.status == 0 && inspect.stdout.contains("task: classification, 3 classes: blue, green, red"))
        #expect(inspect.stdout.contains("0.weight  F32 [100, 2]") && inspect.stdout.contains("features: x1, x2"))

        // Plots: well-formed XML with the expected series.
        let history = try #require(parseXML("\(directory)/history.svg"))
        #expect(history.ids["series-loss"] != nil && history.ids["series-val_loss"] != nil && history.ids["series-val_accuracy"] != nil)
        #expect(history.ids["legend"] != nil && history.ids["axes"] != nil)
        for kind in ["network", "boundary", "confusion"] {
            var arguments = ["plot", "blobs.safetensors", "--kind", kind, "--out", "\(kind).svg"]
            if kind != "network" { arguments += ["--data", "blobs.csv"] }
            let plot = try runSynapse(arguments, in: directory)
            #expect(plot.status == 0, "\(plot)")
            let svg = try #require(parseXML("\(directory)/\(kind).svg"), "\(kind).svg is not well-formed XML")
            #expect(svg.elements.first == "svg")
            switch kind {
            case "network": #expect(svg.ids["layer-0"] == 2 * 2 + 2 && svg.ids["layer-2"] == 3 * 2 + 2)   // units, their names, 2 captions
            case "boundary": #expect(svg.ids["points"] == 150 && (230..<20 * 230).contains(svg.ids["regions"] ?? 0) && svg.ids["axes"] != nil)   // runs of 2-pixel rows
            default: #expect(svg.ids["cells"] == 9 * 3, "9 cells, each a rect with a title, and a count")   // rect, title, text
            }
        }
    }

    @Test("regression: train, evaluate (R²), predict values; a JSON configuration file")
    func regression() throws {
        let directory = try temporaryDirectory("cli-regression")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData(directory)
        let train = try runSynapse(["train", "--data", "regression.csv", "--out", "r.safetensors", "--epochs", "150", "--quiet"], in: directory)
        #expect(train.status == 0 && train.stderr.isEmpty, "\(train)")
        #expect(train.stdout.contains("task: regression ('y' holds 300 distinct real values); loss: mse (default)"))
        let evaluate = try runSynapse(["evaluate", "--model", "r.safetensors", "--data", "regression.csv", "--json"], in: directory)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        #expect((json["r2"] as? Double ?? 0) > 0.95 && json["mse"] is Double && json["mae"] is Double)
        let predict = try runSynapse(["predict", "--model", "r.safetensors", "--data", "regression.csv"], in: directory)
        let values = predict.stdout.split(separator: "\n").dropFirst().compactMap { Double($0) }
        #expect(predict.stdout.hasPrefix("y\n") && values.count == 300)

        let configured = try runSynapse(["train", "--data", "regression.csv", "--out", "c.safetensors", "--config", "good.json"], in: directory)
        #expect(configured.status == 0 && configured.stdout.contains("2 → 16 → 8 → 1") && configured.stdout.contains("30 epochs"), "\(configured)")
    }

    @Test("--arch: a convolutional network from a JSON file trains, evaluates, predicts, is inspected and drawn")
    func architectureFile() throws {
        let directory = try temporaryDirectory("cli-arch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData(directory)
        let train = try runSynapse(["train", "--data", "bars.csv", "--arch", "cnn.json", "--out", "cnn.safetensors",
                                    "--epochs", "20", "--scale", "none", "--quiet"], in: directory)
        #expect(train.status == 0, "\(train)")
        #expect(train.stdout.contains("network: from cnn.json, 36 → 2, 122 parameters"), "\(train.stdout)")   // 40 conv + 8 batch norm + 74 dense
        let evaluate = try runSynapse(["evaluate", "--model", "cnn.safetensors", "--data", "bars.csv", "--json"], in: directory)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any])
        #expect((json["accuracy"] as? Double ?? 0) >= 0.95, "\(evaluate)")
        let predict = try runSynapse(["predict", "--model", "cnn.safetensors", "--data", "bars.csv"], in: directory)
        #expect(predict.status == 0 && predict.stdout.split(separator: "\n").count == 201)
        let inspect = try runSynapse(["inspect", "cnn.safetensors"], in: directory)
        #expect(inspect.status == 0 && inspect.stdout.contains("F32 [4, 1, 3, 3]") && inspect.stdout.contains("running_mean"), "\(inspect)")
        let plot = try runSynapse(["plot", "cnn.safetensors", "--kind", "network", "--out", "network.svg"], in: directory)
        #expect(plot.status == 0, "\(plot)")
        #expect(parseXML("\(directory)/network.svg")?.elements.first == "svg")

        // Data of the wrong width for a CNN without feature names or scaling (trained on .npy): the shape
        // inference refuses it before the network runs (it used to stop at the reshape's precondition).
        try NumPyArray(Tensor<Double>(shape: [20, 36], scalars: (0..<720).map { Double($0 % 7) / 7 })).write(to: "\(directory)/x.npy")
        try NumPyArray(Tensor<Double>((0..<20).map { Double($0 % 2) })).write(to: "\(directory)/y.npy")
        try NumPyArray(Tensor<Double>(shape: [4, 35], scalars: [Double](repeating: 0.5, count: 140))).write(to: "\(directory)/narrow.npy")
        try NumPyArray(Tensor<Double>([0, 1, 0, 1])).write(to: "\(directory)/y4.npy")
        let bare = try runSynapse(["train", "--data", "x.npy", "--targets", "y.npy", "--arch", "cnn.json", "--out", "bare.safetensors",
                                   "--epochs", "1", "--scale", "none", "--quiet"], in: directory)
        #expect(bare.status == 0, "\(bare)")
        for command in [["predict", "--model", "bare.safetensors", "--data", "narrow.npy"],
                        ["evaluate", "--model", "bare.safetensors", "--data", "narrow.npy", "--targets", "y4.npy"]] {
            let narrow = try runSynapse(command, in: directory)
            #expect(narrow.status == 1 && narrow.stderr.contains("the data's 35 feature columns do not fit the model: layer 0 of the network: Reshape"),
                    "\(command): \(narrow)")
        }
    }

    /// A bad invocation, its exit status and words its message must contain.
    struct BadInvocation: CustomStringConvertible, Sendable {
        let arguments: [String]
        let status: Int32
        let message: String
        var description: String { "synapse " + arguments.joined(separator: " ") }
    }

    static let badInvocations: [BadInvocation] = [
        BadInvocation(arguments: [], status: 2, message: "Usage: synapse COMMAND"),
        BadInvocation(arguments: ["frobnicate"], status: 2, message: "unknown command 'frobnicate'"),
        BadInvocation(arguments: ["train"], status: 2, message: "missing required option '--data'"),
        BadInvocation(arguments: ["train", "--data"], status: 2, message: "option '--data' needs a value"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv"], status: 2, message: "missing required option '--out'"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--out", "m.safetensors", "--epochs", "ten"], status: 2, message: "option '--epochs' expects a number of epochs in 1...1000000, 'auto' or 'auto:CAP'"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--out", "m.safetensors", "--lr", "-1"], status: 2, message: "option '--lr' expects a number"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--out", "m.safetensors", "--bogus"], status: 2, message: "unknown option '--bogus'"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--out", "m.safetensors", "--optimizer", "adamm"], status: 2, message: "option '--optimizer' must be one of adam"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--out", "m.safetensors", "--activation", "relux"], status: 2, message: "option '--activation' must be one of"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--out", "m.safetensors", "--layers", "10,x"], status: 2, message: "option '--layers' expects sizes"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--out", "m.safetensors", "--loss", "mse"], status: 2, message: "loss 'mse' is for regression"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--out", "m.safetensors", "--config", "typo.json"], status: 2, message: "unknown option 'epoch' in the configuration file"),
        BadInvocation(arguments: ["train", "--data", "missing.csv", "--out", "m.safetensors"], status: 1, message: "missing.csv: no such file"),
        BadInvocation(arguments: ["train", "--data", "bad.csv", "--out", "m.safetensors"], status: 1, message: "bad.csv:3:1: 'three' in column 'x1' is not a number"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--target", "shape", "--out", "m.safetensors"], status: 1, message: "no target column 'shape' in the header (columns: x1, x2, color)"),
        BadInvocation(arguments: ["evaluate", "--model", "nothing.safetensors", "--data", "blobs.csv"], status: 1, message: "nothing.safetensors: no such model file"),
        BadInvocation(arguments: ["evaluate", "--model", "garbage.safetensors", "--data", "blobs.csv"], status: 1, message: "garbage.safetensors: header length"),
        BadInvocation(arguments: ["inspect"], status: 2, message: "missing required option '--model'"),
        BadInvocation(arguments: ["plot", "garbage.safetensors", "--kind", "pie", "--out", "p.svg"], status: 2, message: "option '--kind' must be one of network, history, boundary, confusion"),
        BadInvocation(arguments: ["predict", "--model", "garbage.safetensors"], status: 2, message: "missing required option '--data'"),
        BadInvocation(arguments: ["train", "--data", "bars.csv", "--out", "m.safetensors", "--arch", "cnn.json", "--layers", "8"], status: 2, message: "cannot be combined with '--layers'"),
        BadInvocation(arguments: ["train", "--data", "bars.csv", "--out", "m.safetensors", "--arch", "none.json"], status: 1, message: "none.json: cannot read the architecture file"),
        BadInvocation(arguments: ["train", "--data", "bars.csv", "--out", "m.safetensors", "--arch", "channels.json"], status: 1, message: "layer 1 of the network: Conv2D(3 → 4, 3×3) expected input [N, 3, H, W], got [N, 1, 6, 6]"),
        BadInvocation(arguments: ["train", "--data", "bars.csv", "--out", "m.safetensors", "--arch", "outputs.json"], status: 1, message: "this task needs [N, 2]"),
        BadInvocation(arguments: ["train", "--data", "bars.csv", "--out", "m.safetensors", "--arch", "unknown.json"], status: 1, message: "unknown.json: not a valid architecture"),
        BadInvocation(arguments: ["train", "--data", "blobs.csv", "--out", "m.safetensors", "--arch", "cnn.json"], status: 1, message: "(the data has 2 features per row)"),
        BadInvocation(arguments: ["demo", "bogus"], status: 2, message: "unknown demo 'bogus'"),
        BadInvocation(arguments: ["bench", "--repeats", "0"], status: 2, message: "option '--repeats' expects an integer in 1...1000"),
    ]

    @Test("bad invocations: exit status 2 for usage, 1 for data and model problems; no output file", arguments: badInvocations)
    func badInvocation(_ bad: BadInvocation) throws {
        let directory = try temporaryDirectory("cli-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData(directory)
        let result = try runSynapse(bad.arguments, in: directory)
        #expect(result.status == bad.status, "\(bad): \(result)")
        #expect(result.stderr.contains(bad.message), "\(bad): stderr was \(result.stderr)")
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/m.safetensors") && !FileManager.default.fileExists(atPath: "\(directory)/p.svg"))
    }
}
