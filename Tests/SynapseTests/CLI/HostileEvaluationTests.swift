import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Regression cases for the second round of the "hostile files and paths" issue (a review of the
/// first round's fixes): targets that are not the model's classes, models whose network does not
/// give the task's outputs, activations too large for a batch, plots of unusual numbers, resumed
/// runs on other data, crafted optimizer states, and outputs that would replace standard input.
/// Each case trapped, hung or answered wrongly before its fix.
@Suite("Hostile data for evaluation, plots and resumed runs")
struct HostileEvaluationTests {
    /// Writes `values` as a float64 .npy file of `shape`.
    static func writeNPY(_ values: [Double], shape: [Int], _ path: String) throws {
        try NumPyArray(Tensor<Double>(shape: shape, scalars: values)).write(to: path)
    }

    /// 40 rows of 3 features, and 0/1 labels.
    static func writeArrays(_ directory: String, features: Int = 3) throws {
        try writeNPY((0..<(40 * features)).map { Double($0 % 7) / 7 }, shape: [40, features], "\(directory)/x\(features).npy")
        try writeNPY((0..<40).map { Double($0 % 2) }, shape: [40], "\(directory)/y.npy")
    }

    @Test("targets that are not class indices, or too few for the outputs: exit 1 from evaluate and plot, never a trap")
    func targets() throws {
        let directory = try temporaryDirectory("hostile-targets")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeArrays(directory)
        let trained = try runSynapse(["train", "--data", "x3.npy", "--targets", "y.npy", "--task", "classify", "--epochs", "1", "--quiet",
                                      "--layers", "4", "--out", "m.safetensors"], in: directory)
        try #require(trained.status == 0, "\(trained)")
        for (value, message) in [(5.0, "target row 1 is 5, not one of the model's 2 class indices"), (-1, "target row 1 is -1,"),
                                 (0.7, "target row 1 is 0.7,"), (1e30, "target row 1 is 1e+30,")] {
            try Self.writeNPY([value] + (1..<40).map { Double($0 % 2) }, shape: [40], "\(directory)/bad.npy")
            for command in [["evaluate", "--model", "m.safetensors"], ["plot", "m.safetensors", "--kind", "confusion", "--out", "c.svg"]] {
                let result = try runSynapse(command + ["--data", "x3.npy", "--targets", "bad.npy"], in: directory)
                #expect(result.status == 1 && result.stderr.contains(message), "\(command[0]) \(value): \(result)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/c.svg"))

        // A 2-output regression evaluated on one target per row.
        var generator = RandomGenerator(seed: 1)
        let twoOutputs = Model(Sequential<Float>([Dense(inputSize: 3, outputSize: 2, generator: &generator)]), task: .regression(outputs: 2))
        try twoOutputs.save(to: "\(directory)/two.safetensors")
        let short = try runSynapse(["evaluate", "--model", "two.safetensors", "--data", "x3.npy", "--targets", "y.npy"], in: directory)
        #expect(short.status == 1 && short.stderr.contains("the targets have shape [40] but 40 rows of this model need 2 target values each"), "\(short)")
    }

    @Test("a network that does not give the task's outputs is refused; a plot of a network without dense layers is drawn")
    func outputShapes() throws {
        let directory = try temporaryDirectory("hostile-outputs")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeArrays(directory)
        // Flatten only: 3 values per row for a 2-class task (the width cannot be told from the architecture).
        try Model(Sequential<Float>([Flatten()]), task: .classification(classes: 2)).save(to: "\(directory)/flat.safetensors")
        for command in [["predict", "--model", "flat.safetensors", "--data", "x3.npy"],
                        ["evaluate", "--model", "flat.safetensors", "--data", "x3.npy", "--targets", "y.npy"]] {
            let result = try runSynapse(command, in: directory)
            #expect(result.status == 1 && result.stderr.contains("the network gives [N, 3] per batch but the model's task needs [N, 2]"), "\(result)")
        }
        let plotted = try runSynapse(["plot", "flat.safetensors", "--kind", "network", "--out", "n.svg"], in: directory)
        #expect(plotted.status == 0 && FileManager.default.fileExists(atPath: "\(directory)/n.svg"), "\(plotted)")
    }

    @Test("activations: nested networks and convolution scratch are counted; a batch too large for the limit is exit 2")
    func activations() throws {
        let nested = LayerSpec.sequential([.sequential([.dense(inputs: 2, outputs: 1_000_000, bias: true, activation: .identity)])])
        #expect(nested.largestActivation(for: [2]) == 1_000_000)
        let conv = LayerSpec.conv2d(inputs: 1, outputs: 1, kernel: Pair2D(3, 3), stride: Pair2D(1, 1), padding: Pair2D(0, 0),
                                    dilation: Pair2D(1, 1), bias: true)
        #expect(conv.largestActivation(for: [1, 10, 10]) == 9 * 8 * 8, "the lowered input C·kh·kw·OH·OW")

        let directory = try temporaryDirectory("hostile-batch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/in.csv")
        let limit = ["SYNAPSE_MAX_PARAMETERS": "100000"]
        let big = try runSynapse(["train", "--data", "in.csv", "--layers", "2000", "--batch-size", "64", "--out", "m.safetensors"],
                                 in: directory, environment: limit)
        #expect(big.status == 2 && big.stderr.contains("use '--batch-size 50' or less"), "\(big)")
        let fits = try runSynapse(["train", "--data", "in.csv", "--layers", "2000", "--batch-size", "50", "--epochs", "1", "--quiet",
                                   "--out", "m.safetensors"], in: directory, environment: limit)
        #expect(fits.status == 0, "\(fits)")

        // A kernel of 2^40 with the input channels left out: refused when read, not an overflow when sized.
        try #"{"type": "sequential", "layers": [{"type": "reshape", "shape": [1, 1, 3]}, {"type": "conv2d", "out": 2, "kernel": 1099511627776}, {"type": "flatten"}, {"type": "dense", "out": 2}]}"#
            .write(toFile: "\(directory)/k.json", atomically: true, encoding: .utf8)
        let kernel = try runSynapse(["train", "--data", "in.csv", "--arch", "k.json", "--out", "k.safetensors"], in: directory)
        #expect(kernel.status == 1 && kernel.stderr.contains("conv2d layer needs a kernel, stride and dilation in 1...1048576"), "\(kernel)")

        // More layers than any real network: refused before decoding.
        let layers = Array(repeating: #"{"type": "flatten"}"#, count: LayerSpec.maximumLayers + 1).joined(separator: ",")
        try #"{"type": "sequential", "layers": [\#(layers)]}"#.write(toFile: "\(directory)/many.json", atomically: true, encoding: .utf8)
        let many = try runSynapse(["train", "--data", "in.csv", "--arch", "many.json", "--out", "k.safetensors"], in: directory)
        #expect(many.status == 1 && many.stderr.contains("more than 100000 layers"), "\(many)")
    }

    @Test("training-curve plots of negative or constant values: drawn, without a trap or an endless loop")
    func curves() throws {
        let directory = try temporaryDirectory("hostile-curves")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Targets near 10^5 and almost no learning: one epoch of loss ~10^10 (a range below float
        // precision once padded) and an r2 far below 0.
        var text = "a,b,y\n"
        for i in 0..<40 { text += "\(Double(i % 5) / 5),\(Double(i % 3) / 3),\(100_000 + i % 7)\n" }
        try text.write(toFile: "\(directory)/r.csv", atomically: true, encoding: .utf8)
        let result = try runSynapse(["train", "--data", "r.csv", "--task", "regress", "--epochs", "1", "--lr", "0.000000001", "--quiet",
                                     "--validation-split", "0", "--out", "r.safetensors", "--plot", "r.svg"], in: directory)
        #expect(result.status == 0 && FileManager.default.fileExists(atPath: "\(directory)/r.svg"), "\(result)")
    }

    @Test("a resumed run on data of another width, and crafted optimizer states: exit 1 naming the checkpoint")
    func resumed() throws {
        let directory = try temporaryDirectory("hostile-resume")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeArrays(directory)
        try Self.writeArrays(directory, features: 5)
        let train = ["train", "--targets", "y.npy", "--task", "classify", "--quiet", "--layers", "4", "--optimizer", "sgd"]
        #expect(try runSynapse(train + ["--data", "x3.npy", "--epochs", "2", "--out", "m.safetensors", "--checkpoint", "ck.safetensors"],
                               in: directory).status == 0)
        let wider = try runSynapse(train + ["--data", "x5.npy", "--epochs", "3", "--out", "r.safetensors", "--resume", "ck.safetensors"], in: directory)
        #expect(wider.status == 1 && wider.stderr.contains("ck.safetensors: the data has 5 feature columns but the model expects 3"), "\(wider)")

        func optimizer(_ name: String, _ value: Any) -> (inout [String: Any]) -> Void {
            { metadata in HostileInputTests.editState(&metadata) { state in
                var optimizer = state["optimizer"] as! [String: Any]
                var values = optimizer["hyperparameters"] as! [String: Any]
                values[name] = value
                optimizer["hyperparameters"] = values
                state["optimizer"] = optimizer
            } }
        }
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("negative learning rate", optimizer("learningRate", -1), "hyper-parameter 'learningRate' is -1.0, outside [0.0, ∞)"),
            ("negative momentum", optimizer("momentum", -0.5), "hyper-parameter 'momentum' is -0.5"),
            ("nesterov 2", optimizer("nesterov", 2), "hyper-parameter 'nesterov' is 2.0, not 0 or 1"),
            ("nesterov without momentum", { m in optimizer("nesterov", 1)(&m); optimizer("momentum", 0)(&m) }, "Nesterov momentum needs a momentum above 0"),
            ("fewer epoch logs", { m in HostileInputTests.editState(&m) { s in
                var history = s["history"] as! [String: Any]; history["epochs"] = Array((history["epochs"] as! [Any]).prefix(1)); s["history"] = history } },
             "has 1 epoch logs for 2 completed epochs"),
        ]
        for (name, edit, message) in cases {
            try HostileInputTests.craft("\(directory)/ck.safetensors", to: "\(directory)/c.safetensors", edit)
            let result = try runSynapse(train + ["--data", "x3.npy", "--epochs", "3", "--out", "r.safetensors", "--resume", "c.safetensors"], in: directory)
            #expect(result.status == 1 && result.stderr.contains(message), "\(name): \(result)")
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/r.safetensors"), "\(name)")
        }
        // Adam's betas must lie in [0, 1), as torch.optim.Adam requires.
        var generator = RandomGenerator(seed: 3)
        let layer = Dense<Float>(inputSize: 2, outputSize: 1, generator: &generator)
        let adam = Adam(parameters: layer.parameters)
        var state = adam.state
        state.hyperparameters["beta1"] = 1
        #expect { try Adam(parameters: layer.parameters).load(state: state) } throws: { error in
            "\(error)".contains("hyper-parameter 'beta1' is 1.0, outside [0.0, 1.0)")
        }
    }

    @Test("crafted scaling and weights: float32 overflow is refused by predict and evaluate; long names are refused")
    func overflowAndNames() throws {
        let directory = try temporaryDirectory("hostile-overflow")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/in.csv")
        #expect(try runSynapse(["train", "--data", "in.csv", "--epochs", "1", "--quiet", "--layers", "4", "--out", "m.safetensors"], in: directory).status == 0)
        try HostileInputTests.craft("\(directory)/m.safetensors", to: "\(directory)/shift.safetensors") { metadata in
            metadata["scaling"] = #"{"method":"standard","shift":[1e300,0,0],"scale":[1,1,1]}"#
        }
        let shifted = try runSynapse(["predict", "--model", "shift.safetensors", "--data", "in.csv"], in: directory)
        #expect(shifted.status == 1 && shifted.stderr.contains("both must lie within float32's range"), "\(shifted)")
        // Every weight float32's largest value: finite weights, infinite outputs.
        try HostileInputTests.craft("\(directory)/m.safetensors", to: "\(directory)/huge.safetensors", data: { data in
            for i in stride(from: 0, to: data.count - 3, by: 4) { data.replaceSubrange(i..<(i + 4), with: [0xff, 0xff, 0x7f, 0x7f]) }
        }) { _ in }
        for command in ["predict", "evaluate"] {
            let result = try runSynapse([command, "--model", "huge.safetensors", "--data", "in.csv"], in: directory)
            #expect(result.status == 1 && result.stderr.contains("not finite"), "\(command): \(result)")
        }
        // Class names of more than 1 024 bytes: refused in a model file, and in the data before training.
        let long = String(repeating: "c", count: 2000)
        try HostileInputTests.craft("\(directory)/m.safetensors", to: "\(directory)/names.safetensors") { metadata in
            metadata["class_names"] = "[\"\(long)\", \"b\"]"
        }
        let names = try runSynapse(["evaluate", "--model", "names.safetensors", "--data", "in.csv"], in: directory)
        #expect(names.status == 1 && names.stderr.contains("name 1 ('ccc") && names.stderr.contains("is 2000 bytes long, over the limit of 1024"), "\(names)")
        try "a,b,label\n1,2,\(long)\n2,3,short\n".write(toFile: "\(directory)/long.csv", atomically: true, encoding: .utf8)
        let labels = try runSynapse(["train", "--data", "long.csv", "--out", "l.safetensors"], in: directory)
        #expect(labels.status == 1 && labels.stderr.contains("is 2000 bytes long; class names may have at most 1024"), "\(labels)")
        try "a,\(long),label\n1,2,x\n2,3,y\n".write(toFile: "\(directory)/header.csv", atomically: true, encoding: .utf8)
        let header = try runSynapse(["train", "--data", "header.csv", "--out", "l.safetensors"], in: directory)
        #expect(header.status == 1 && header.stderr.contains("the name of column 2") && header.stderr.contains("at most 1024"), "\(header)")
    }

    @Test("wide headers are read whole; outputs never replace the file behind standard input or the MNIST data")
    func headersAndInputs() throws {
        let directory = try temporaryDirectory("hostile-stdin")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A header of 12 000 columns (~100 KB, past any fixed-size peek): the target is still the last column.
        let columns = 12_000
        var text = (1..<columns).map { "feature\($0)" }.joined(separator: ",") + ",target\n"
        for row in 0..<12 { text += (1..<columns).map { String(($0 + row) % 3) }.joined(separator: ",") + ",\(row % 2 == 0 ? "a" : "b")\n" }
        try text.write(toFile: "\(directory)/wide.csv", atomically: true, encoding: .utf8)
        let wide = try runSynapse(["train", "--data", "wide.csv", "--layers", "2", "--epochs", "1", "--quiet", "--validation-split", "0",
                                   "--out", "w.safetensors"], in: directory)
        #expect(wide.status == 0, "\(wide)")
        if wide.status == 0 {
            let model = try Model<Float>.load(from: "\(directory)/w.safetensors")
            #expect(model.targetName == "target" && model.featureNames?.count == columns - 1)
        }

        try HostileInputTests.writeData("\(directory)/in.csv")
        #expect(try runSynapse(["train", "--data", "in.csv", "--epochs", "1", "--quiet", "--layers", "4", "--out", "m.safetensors"], in: directory).status == 0)
        let before = FileManager.default.contents(atPath: "\(directory)/in.csv")
        let redirected = try runSynapse(["predict", "--model", "m.safetensors", "--data", "-", "--output", "in.csv"], in: directory,
                                        launcher: ["/bin/sh", "-c", "exec \"$0\" \"$@\" < in.csv"])
        #expect(redirected.status == 2 && redirected.stderr.contains("would replace the input '--data -'"), "\(redirected)")
        #expect(FileManager.default.contents(atPath: "\(directory)/in.csv") == before)

        // demo mnist --cnn --out checks its output before loading anything.
        try FileManager.default.createDirectory(atPath: "\(directory)/mnist", withIntermediateDirectories: true)
        try Data("images".utf8).write(to: URL(fileURLWithPath: "\(directory)/mnist/train-images-idx3-ubyte.gz"))
        let demo = try runSynapse(["demo", "mnist", "--cnn", "--data", "mnist", "--out", "mnist/train-images-idx3-ubyte.gz"], in: directory)
        #expect(demo.status == 2 && demo.stderr.contains("would replace the input '--data mnist'"), "\(demo)")
        #expect(FileManager.default.contents(atPath: "\(directory)/mnist/train-images-idx3-ubyte.gz") == Data("images".utf8))
    }
}
