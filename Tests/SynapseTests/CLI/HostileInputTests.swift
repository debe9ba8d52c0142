import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Regression cases for the attacks of the "hostile files and paths" issue: each ran against the
/// tool before the fix and crashed it, destroyed a file or answered wrongly with exit status 0.
@Suite("Hostile files and paths")
struct HostileInputTests {
    /// A 3-feature, 2-class CSV with a header.
    static func writeData(_ path: String, rows: Int = 80) throws {
        var text = "a,b,c,label\n"
        for i in 0..<rows {
            let (a, b, c) = (Double(i % 7) / 7, Double(i % 5) / 5, Double(i % 3) / 3)
            text += "\(a),\(b),\(c),\(a + b > 0.8 ? "yes" : "no")\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A copy of a safetensors file with its metadata edited (nil removes a key) and, unless
    /// `keepChecksums`, both checksums removed — as an attacker who knows the format would.
    static func craft(_ source: String, to destination: String, keepChecksums: Bool = false,
                      data editData: (inout [UInt8]) -> Void = { _ in }, _ edit: (inout [String: Any]) -> Void) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        var length = 0
        for i in 0..<8 { length |= Int(bytes[i]) << (8 * i) }
        var header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as? [String: Any])
        var metadata = try #require(header["__metadata__"] as? [String: Any])
        if !keepChecksums {
            metadata.removeValue(forKey: SafeTensors.checksumKey)
            metadata.removeValue(forKey: SafeTensors.headerChecksumKey)
        }
        edit(&metadata)
        header["__metadata__"] = metadata
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        var out = (0..<8).map { UInt8((json.count >> (8 * $0)) & 0xff) }
        out += json
        var data = Array(bytes[(8 + length)...])
        editData(&data)
        out += data
        try Data(out).write(to: URL(fileURLWithPath: destination))
    }

    /// The training state JSON of a checkpoint's metadata, edited.
    static func editState(_ metadata: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        guard let text = metadata["training_state"] as? String,
              var state = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
        edit(&state)
        metadata["training_state"] = String(decoding: (try? JSONSerialization.data(withJSONObject: state)) ?? Data(), as: UTF8.self)
    }

    /// The early-stopping callback's JSON state (the first callback) of a training state, edited.
    static func editEarlyStopping(_ state: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        guard var callbacks = state["callbacks"] as? [[String: Any]], let text = callbacks.first?["json"] as? String,
              var values = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
        edit(&values)
        callbacks[0]["json"] = String(decoding: (try? JSONSerialization.data(withJSONObject: values)) ?? Data(), as: UTF8.self)
        state["callbacks"] = callbacks
    }

    @Test("output paths: devices stream, links and permissions are kept, inputs and other outputs are never replaced")
    func outputPaths() throws {
        let directory = try temporaryDirectory("hostile-out")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData("\(directory)/in.csv")
        let dataBefore = FileManager.default.contents(atPath: "\(directory)/in.csv")
        let quick = ["train", "--data", "in.csv", "--epochs", "1", "--quiet", "--layers", "4"]
        #expect(try runSynapse(quick + ["--out", "m.safetensors"], in: directory).status == 0)
        let model = FileManager.default.contents(atPath: "\(directory)/m.safetensors")

        // A character device is written to, never replaced (as root, renaming over /dev/null would succeed).
        let null = try runSynapse(quick + ["--out", "/dev/null"], in: directory)
        #expect(null.status == 0, "\(null)")
        var status = stat()
        #expect(stat("/dev/null", &status) == 0 && status.st_mode & S_IFMT == S_IFCHR, "/dev/null is still a character device")

        // predict --output /dev/stdout and --output - print the predictions. /dev/stdout is the
        // process's file descriptor 1: only a child process has its own.
        for output in ["/dev/stdout", "-"] {
            let arguments = ["predict", "--model", "m.safetensors", "--data", "in.csv", "--output", output]
            let printed = try output == "-" ? runSynapse(arguments, in: directory) : runSynapseProcess(arguments, in: directory)
            #expect(printed.status == 0 && printed.stdout.hasPrefix("label\n") && printed.stdout.split(separator: "\n").count == 81, "\(printed)")
        }
        var linkStatus = stat()
        #expect(lstat("/dev/stdout", &linkStatus) != 0 || linkStatus.st_mode & S_IFMT == S_IFLNK, "/dev/stdout is still a link")

        // An output equal to an input or to another output: exit 2 before any work, nothing touched.
        try FileManager.default.createSymbolicLink(atPath: "\(directory)/alias.csv", withDestinationPath: "in.csv")
        #expect(link(("\(directory)/in.csv" as NSString).fileSystemRepresentation, ("\(directory)/hard.csv" as NSString).fileSystemRepresentation) == 0)
        let conflicts: [([String], String)] = [
            (quick + ["--out", "in.csv"], "'--out in.csv' would replace the input '--data in.csv'"),
            (quick + ["--out", "./in.csv"], "would replace the input '--data in.csv'"),
            (quick + ["--out", "hard.csv"], "would replace the input '--data in.csv'"),
            (["train", "--data", "alias.csv", "--epochs", "1", "--out", "in.csv"], "would replace the input '--data alias.csv'"),
            (quick + ["--out", "n.safetensors", "--plot", "n.safetensors"], "'--out' and '--plot' both name n.safetensors"),
            (quick + ["--out", "n.safetensors", "--checkpoint", "./n.safetensors"], "'--out' and '--checkpoint' both name"),
            (["predict", "--model", "m.safetensors", "--data", "in.csv", "--output", "m.safetensors"], "would replace the input '--model m.safetensors'"),
            (["predict", "--model", "m.safetensors", "--data", "in.csv", "--output", "in.csv"], "would replace the input '--data in.csv'"),
            (["plot", "m.safetensors", "--kind", "network", "--out", "m.safetensors"], "would replace the input 'MODEL m.safetensors'"),
        ]
        for (arguments, message) in conflicts {
            let result = try runSynapse(arguments, in: directory)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result)")
        }
        #expect(FileManager.default.contents(atPath: "\(directory)/in.csv") == dataBefore)
        #expect(FileManager.default.contents(atPath: "\(directory)/m.safetensors") == model)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/n.safetensors"))

        // An unwritable --plot is found before training: no model is written.
        let plot = try runSynapse(quick + ["--out", "p.safetensors", "--plot", "nowhere/p.svg"], in: directory)
        #expect(plot.status == 1 && plot.stderr.contains("nowhere/p.svg: cannot create a temporary file beside it") && !plot.stdout.contains("data:"), "\(plot)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/p.safetensors"))

        // A replaced file keeps its permissions; a symbolic link keeps pointing at its (replaced) target.
        chmod("\(directory)/m.safetensors", 0o600)
        #expect(try runSynapse(quick + ["--out", "m.safetensors", "--seed", "3"], in: directory).status == 0)
        #expect(stat("\(directory)/m.safetensors", &status) == 0 && status.st_mode & 0o777 == 0o600)
        try FileManager.default.createSymbolicLink(atPath: "\(directory)/latest.safetensors", withDestinationPath: "m.safetensors")
        #expect(try runSynapse(quick + ["--out", "latest.safetensors", "--seed", "4"], in: directory).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/latest.safetensors") == "m.safetensors")
        #expect(FileManager.default.contents(atPath: "\(directory)/m.safetensors") != model)
    }

    @Test("crafted model metadata: exit 1 naming the field from predict, evaluate, inspect and plot — never a signal")
    func craftedModels() throws {
        let directory = try temporaryDirectory("hostile-model")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData("\(directory)/in.csv")
        #expect(try runSynapse(["train", "--data", "in.csv", "--epochs", "1", "--quiet", "--layers", "4", "--out", "m.safetensors"], in: directory).status == 0)
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("classes -1", { $0["task"] = #"{"classification":{"classes":-1}}"# }, "metadata 'task' or 'loss' is not valid: a classifier needs at least 2 classes, got -1"),
            ("classes 0", { $0["task"] = #"{"classification":{"classes":0}}"# }, "needs at least 2 classes, got 0"),
            ("classes 2^62", { $0["task"] = #"{"classification":{"classes":4611686018427387904}}"# }, "more than the limit of 1000"),
            ("regression task", { $0["task"] = #"{"regression":{"outputs":1}}"#; $0["loss"] = nil }, "metadata 'task' is not valid: the network ends with 2 outputs but the task needs 1"),
            ("mse on a classifier", { $0["loss"] = "mse" }, "loss 'mse' is for regression"),
            ("class names ≠ classes", { $0["class_names"] = #"["a","b","c"]"# }, "metadata 'class_names' is not valid: 3 class names for 2 classes"),
            ("subnormal scale", { $0["scaling"] = #"{"method":"standard","shift":[0,0,0],"scale":[1e-320,1,1]}"# }, "feature 1 has shift 0.0 and scale 1e-320"),
            ("same padding, dilation 2^62", { $0["architecture"] = #"{"type":"sequential","layers":[{"type":"reshape","shape":[1,1,3]},{"type":"conv2d","in":1,"out":2,"kernel":3,"padding":"same","dilation":4611686018427387904},{"type":"flatten"},{"type":"dense","in":6,"out":2}]}"# }, "'same' padding needs a kernel and dilation in 1...1048576"),
            ("kernel -2^63", { $0["architecture"] = #"{"type":"sequential","layers":[{"type":"reshape","shape":[1,1,3]},{"type":"conv2d","in":1,"out":2,"kernel":-9223372036854775808,"padding":"same"}]}"# }, "'same' padding needs a kernel and dilation"),
            ("kernel 2^63-1", { $0["architecture"] = #"{"type":"sequential","layers":[{"type":"reshape","shape":[1,1,3]},{"type":"conv2d","in":1,"out":2,"kernel":9223372036854775807}]}"# }, "architecture in the metadata is invalid"),
            ("pool padding 2^62", { $0["architecture"] = #"{"type":"sequential","layers":[{"type":"reshape","shape":[1,1,3]},{"type":"maxpool2d","kernel":2,"padding":4611686018427387904}]}"# }, "pooling layer needs a positive window"),
            ("huge activations", { $0["architecture"] = #"{"type":"sequential","layers":[{"type":"reshape","shape":[1,1,3]},{"type":"conv2d","in":1,"out":1,"kernel":1,"padding":1048576,"bias":false},{"type":"global_avg_pool"},{"type":"dense","in":1,"out":2}]}"# }, "is not valid"),
        ]
        for (name, edit, message) in cases {
            try Self.craft("\(directory)/m.safetensors", to: "\(directory)/c.safetensors", edit)
            for command in [["predict", "--model", "c.safetensors", "--data", "in.csv"], ["evaluate", "--model", "c.safetensors", "--data", "in.csv"],
                            ["inspect", "c.safetensors"], ["plot", "c.safetensors", "--kind", "network", "--out", "p.svg"]] {
                let result = try runSynapse(command, in: directory)
                #expect(result.status == 1 && result.stderr.contains(message), "\(name), \(command[0]): \(result)")
            }
        }
    }

    @Test("checksums cover the metadata: an altered header is refused; a file without checksum loads with a warning")
    func headerChecksum() throws {
        let directory = try temporaryDirectory("hostile-crc")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData("\(directory)/in.csv")
        #expect(try runSynapse(["train", "--data", "in.csv", "--epochs", "1", "--quiet", "--layers", "4", "--out", "m.safetensors"], in: directory).status == 0)
        let predict = ["predict", "--model", "c.safetensors", "--data", "in.csv"]
        // Class names swapped, a shifted mean, the data checksum deleted: the header checksum refuses them.
        let edits: [(inout [String: Any]) -> Void] = [
            { $0["class_names"] = #"["yes","no"]"# },
            { $0["scaling"] = ($0["scaling"] as? String)?.replacingOccurrences(of: "\"shift\":[", with: "\"shift\":[1") },
            { $0[SafeTensors.checksumKey] = nil },
        ]
        for edit in edits {
            try Self.craft("\(directory)/m.safetensors", to: "\(directory)/c.safetensors", keepChecksums: true, edit)
            let result = try runSynapse(predict, in: directory)
            #expect(result.status == 1 && result.stderr.contains("does not match the file's checksum"), "\(result)")
        }
        // Both checksums removed: it loads, with a warning on stderr.
        try Self.craft("\(directory)/m.safetensors", to: "\(directory)/c.safetensors") { _ in }
        let unverified = try runSynapse(predict, in: directory)
        #expect(unverified.status == 0 && unverified.stderr.contains("warning: c.safetensors: it has no checksum"), "\(unverified)")
        // An older Synapse file (data checksum only) loads with a note.
        try Self.craft("\(directory)/m.safetensors", to: "\(directory)/c.safetensors", keepChecksums: true) { $0[SafeTensors.headerChecksumKey] = nil }
        let older = try runSynapse(predict, in: directory)
        #expect(older.status == 0 && older.stderr.contains("covers the tensor data only"), "\(older)")
        // A verified file loads silently.
        let clean = try runSynapse(["predict", "--model", "m.safetensors", "--data", "in.csv"], in: directory)
        #expect(clean.status == 0 && clean.stderr.isEmpty, "\(clean)")
    }

    @Test("checkpoint settings: never a path, every value checked like its flag, state counts in range")
    func checkpointSettings() throws {
        let directory = try temporaryDirectory("hostile-ck")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData("\(directory)/in.csv")
        let train = ["train", "--data", "in.csv", "--quiet", "--layers", "4"]
        #expect(try runSynapse(train + ["--epochs", "2", "--out", "m.safetensors", "--checkpoint", "ck.safetensors", "--early-stopping", "2"], in: directory).status == 0)
        try "secret".write(toFile: "\(directory)/secret.txt", atomically: true, encoding: .utf8)
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("stored plot path", { Self.editState(&$0) { s in var c = s["configuration"] as! [String: Any]; c["plot"] = "evil.svg"; s["configuration"] = c } }, "hold 'plot', which is not a setting"),
            ("stored out path", { Self.editState(&$0) { s in var c = s["configuration"] as! [String: Any]; c["out"] = "evil.safetensors"; s["configuration"] = c } }, "hold 'out'"),
            ("stored data path", { Self.editState(&$0) { s in var c = s["configuration"] as! [String: Any]; c["data"] = "secret.txt"; s["configuration"] = c } }, "hold 'data'"),
            ("stored checkpoint path", { Self.editState(&$0) { s in var c = s["configuration"] as! [String: Any]; c["checkpoint"] = "evil2.safetensors"; s["configuration"] = c } }, "hold 'checkpoint'"),
            ("learning rate out of range", { Self.editState(&$0) { s in var c = s["configuration"] as! [String: Any]; c["lr"] = "1e300"; s["configuration"] = c } }, "a stored setting is not valid: option '--lr'"),
            ("planned epochs 2^63-1", { Self.editState(&$0) { s in var c = s["configuration"] as! [String: Any]; c["planned-epochs"] = "9223372036854775807"; s["configuration"] = c } }, "a stored setting is not valid: option 'planned-epochs' expects a number of epochs"),
            ("steps 2^63-1", { Self.editState(&$0) { s in var o = s["optimizer"] as! [String: Any]; o["steps"] = [Int.max, 1, 1, 1]; s["optimizer"] = o } }, "'optimizer.steps[0]' is 9223372036854775807"),
            ("best epoch out of range", { Self.editState(&$0) { Self.editEarlyStopping(&$0) { $0["bestEpoch"] = 50 } } }, "names epoch 51 as best, but only 2 epochs are logged"),
            ("wait 2^63-1", { Self.editState(&$0) { Self.editEarlyStopping(&$0) { $0["wait"] = Int.max } } }, "early stopping state is out of range"),
            ("epoch numbers", { Self.editState(&$0) { s in
                var history = s["history"] as! [String: Any]; var epochs = history["epochs"] as! [[String: Any]]
                epochs[0]["epoch"] = Int.max; history["epochs"] = epochs; s["history"] = history } }, "'history.epochs[0].epoch' is 9223372036854775807"),
        ]
        for (name, edit, message) in cases {
            try Self.craft("\(directory)/ck.safetensors", to: "\(directory)/c.safetensors", edit)
            let result = try runSynapse(train + ["--out", "r.safetensors", "--resume", "c.safetensors", "--epochs", "4"], in: directory)
            #expect(result.status == 1 && result.stderr.contains(message), "\(name): \(result)")
            #expect(!result.stderr.contains("secret"), "the stored data path is never read")
            for leaked in ["evil.svg", "evil.safetensors", "evil2.safetensors", "r.safetensors"] {
                #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(leaked)"), "\(name) wrote \(leaked)")
            }
        }
        // Stored layers of 100000,100000 are a setting, not a network to build: the checkpoint's network is resumed.
        try Self.craft("\(directory)/ck.safetensors", to: "\(directory)/c.safetensors") { m in
            Self.editState(&m) { s in var c = s["configuration"] as! [String: Any]; c["layers"] = "100000,100000"; s["configuration"] = c }
        }
        let big = try runSynapse(["train", "--data", "in.csv", "--quiet", "--out", "r.safetensors", "--resume", "c.safetensors", "--epochs", "3"], in: directory)
        #expect(big.status == 0 && big.stdout.contains("resuming after epoch 2"), "\(big)")
        // inspect and predict open checkpoints.
        let inspected = try runSynapse(["inspect", "ck.safetensors"], in: directory)
        #expect(inspected.status == 0 && inspected.stdout.contains("classification, 2 classes"), "\(inspected)")
        let predicted = try runSynapse(["predict", "--model", "ck.safetensors", "--data", "in.csv"], in: directory)
        #expect(predicted.status == 0 && predicted.stdout.hasPrefix("label\n"), "\(predicted)")
    }

    @Test("flags and options files: --config integers 0 and 1, the parameter limit, long values cut in messages")
    func flags() throws {
        let directory = try temporaryDirectory("hostile-flags")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData("\(directory)/in.csv")
        try #"{"epochs": 1, "validation-split": 0, "seed": 1, "layers": [1, 2], "quiet": true}"#.write(toFile: "\(directory)/c.json", atomically: true, encoding: .utf8)
        let config = try runSynapse(["train", "--data", "in.csv", "--out", "m.safetensors", "--config", "c.json"], in: directory)
        #expect(config.status == 0 && config.stdout.contains("3 → 1 → 2 → 2") && config.stdout.contains("1 epoch,"), "\(config)")
        try #"{"quiet": 1}"#.write(toFile: "\(directory)/flag.json", atomically: true, encoding: .utf8)
        let flag = try runSynapse(["train", "--data", "in.csv", "--out", "m.safetensors", "--config", "flag.json"], in: directory)
        #expect(flag.status == 2 && flag.stderr.contains("option 'quiet' must be true or false"), "\(flag)")

        let huge = try runSynapse(["train", "--data", "in.csv", "--out", "h.safetensors", "--layers", "100000,100000"], in: directory)
        #expect(huge.status == 2 && huge.stderr.contains("over the limit of 268435456 (SYNAPSE_MAX_PARAMETERS raises it)"), "\(huge)")
        let raised = try runSynapse(["train", "--data", "in.csv", "--out", "h.safetensors", "--layers", "300", "--epochs", "1", "--quiet"], in: directory,
                                    environment: ["SYNAPSE_MAX_PARAMETERS": "1000"])
        #expect(raised.status == 2 && raised.stderr.contains("over the limit of 1000"), "\(raised)")

        let long = String(repeating: "x", count: 100_000)
        let echoed = try runSynapse(["train", "--data", "in.csv", "--out", "m.safetensors", "--optimizer", long], in: directory)
        #expect(echoed.status == 2 && echoed.stderr.count < 500 && echoed.stderr.contains("xxx…"), "\(echoed.stderr.prefix(300))")
    }

    @Test("silent wrong answers: a missing feature column, non-finite results, NaN in --json")
    func silentAnswers() throws {
        let directory = try temporaryDirectory("hostile-silent")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData("\(directory)/in.csv")
        #expect(try runSynapse(["train", "--data", "in.csv", "--epochs", "1", "--quiet", "--layers", "4", "--out", "m.safetensors"], in: directory).status == 0)
        // A header without one of the model's features: named, not matched by position.
        try "b,c,x,label\n0.1,0.2,0.3,yes\n".write(toFile: "\(directory)/renamed.csv", atomically: true, encoding: .utf8)
        let renamed = try runSynapse(["predict", "--model", "m.safetensors", "--data", "renamed.csv"], in: directory)
        #expect(renamed.status == 1 && renamed.stderr.contains("the header lacks the model's feature column 'a'"), "\(renamed)")
        // Header-less data is matched by position.
        try "0.1,0.2,0.3\n".write(toFile: "\(directory)/plain.csv", atomically: true, encoding: .utf8)
        #expect(try runSynapse(["predict", "--model", "m.safetensors", "--data", "plain.csv"], in: directory).status == 0)

        // A model with a NaN weight (metadata intact, checksums removed) is refused by predict and never saved again.
        let model = try Model<Float>.load(from: "\(directory)/m.safetensors")
        model.network.namedParameters[0].tensor.withUnsafeMutableBufferPointer { $0[0] = .nan }
        #expect { try model.save(to: "\(directory)/nan.safetensors") } throws: { error in
            (error as? DataError)?.description.contains("the weights are not finite") == true
        }
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/nan.safetensors"))

        // A NaN weight (the checksums removed): predict and evaluate (also with --json, once a Foundation
        // error) refuse the non-finite outputs.
        try Self.craft("\(directory)/m.safetensors", to: "\(directory)/nan.safetensors", data: { data in
            for i in stride(from: 0, to: data.count - 3, by: 4) { data.replaceSubrange(i..<(i + 4), with: [0, 0, 0xc0, 0x7f]) }
        }) { _ in }
        let refused = try runSynapse(["predict", "--model", "nan.safetensors", "--data", "in.csv"], in: directory)
        #expect(refused.status == 1 && refused.stderr.contains("is not finite (NaN or ∞); no predictions were written"), "\(refused)")
        let json = try runSynapse(["evaluate", "--model", "nan.safetensors", "--data", "in.csv", "--json"], in: directory)
        #expect(json.status == 1 && json.stderr.contains("are not finite numbers"), "\(json)")
    }
}
