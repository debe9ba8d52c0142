import Foundation
import Testing
import Synapse
@testable import SynapseTraining
@testable import SynapseCommandLine

/// Issue 19, "One way to say each thing" and the progress bar: one spelling per concept across the
/// commands, suggestions for misspelt flags and configuration keys, resumed runs that refuse every
/// changed setting, messages that name the flag and count in words, and a bar that fits the terminal.
@Suite("One way to say each thing: flags, suggestions, resume, messages, progress")
struct InterfaceConsistencyTests {
    /// Three blobs in 3-D with text labels, 90 rows; and a smooth regression target.
    static func writeData(_ directory: String) throws {
        var g = RandomGenerator(seed: 19)
        var blobs = "a,b,c,label\n"
        for row in 0..<90 {
            let label = row % 3
            blobs += (0..<3).map { String(format: "%.4f", g.nextGaussian() + ($0 == label ? 3 : 0)) }.joined(separator: ",") + ",k\(label)\n"
        }
        try blobs.write(toFile: "\(directory)/d.csv", atomically: true, encoding: .utf8)
        var regression = "x,z,y\n"
        for _ in 0..<120 {
            let x = g.nextDouble() * 2 - 1, z = g.nextDouble() * 2 - 1
            regression += String(format: "%.4f,%.4f,%.4f\n", x, z, x + 0.5 * z)
        }
        try regression.write(toFile: "\(directory)/r.csv", atomically: true, encoding: .utf8)
    }

    /// A directory with the data and a small trained classifier `m.safetensors`.
    static func prepared(_ name: String) throws -> String {
        let directory = try temporaryDirectory(name)
        try writeData(directory)
        let trained = try runSynapse(["train", "--data", "d.csv", "--out", "m.safetensors", "--epochs", "2", "--layers", "8", "--quiet"], in: directory)
        #expect(trained.status == 0, "\(trained)")
        return directory
    }

    // MARK: One spelling

    @Test("every command that reads a model takes --model MODEL (inspect and plot also a lone MODEL), and writes with --out")
    func modelAndOut() throws {
        let directory = try Self.prepared("i19-model")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Each command's help documents --model MODEL, and none documents --output.
        for command in ["evaluate", "predict", "inspect", "plot", "generate"] {
            let help = try runSynapse([command, "--help"])
            #expect(help.status == 0 && help.stdout.contains("--model MODEL"), "\(command) --help: \(help.stdout)")
            #expect(!help.stdout.contains("--output"), "\(command) --help still documents --output")
        }
        for command in ["train", "predict", "plot"] {
            #expect(try runSynapse([command, "--help"]).stdout.contains("--out "), "\(command) --help lacks --out")
        }
        let inspected = try runSynapse(["inspect", "--model", "m.safetensors"], in: directory)
        let positional = try runSynapse(["inspect", "m.safetensors"], in: directory)
        #expect(inspected.status == 0 && inspected.stdout.contains("task: classification, 3 classes"), "\(inspected)")
        #expect(positional.status == 0 && positional.stdout == inspected.stdout, "\(positional)")
        let plotted = try runSynapse(["plot", "--model", "m.safetensors", "--kind", "network", "--out", "n.svg"], in: directory)
        #expect(plotted.status == 0 && FileManager.default.fileExists(atPath: "\(directory)/n.svg"), "\(plotted)")
        for bad in [(["inspect"], "missing required option '--model'"),
                    (["inspect", "--model", "m.safetensors", "m.safetensors"], "unexpected argument 'm.safetensors'"),
                    (["plot", "a.safetensors", "b.safetensors", "--kind", "network", "--out", "p.svg"], "expected one model file, got 2"),
                    (["generate", "--model", "m.safetensors", "extra"], "unexpected argument 'extra'"),
                    (["predict", "--model", "m.safetensors", "--data", "d.csv", "--out", "a.csv", "--output", "b.csv"], "'--output' is another spelling of '--out'")] {
            let result = try runSynapse(bad.0, in: directory)
            #expect(result.status == 2 && result.stderr.contains(bad.1), "\(bad.0): \(result)")
        }
        // predict writes with --out; --output, the older spelling, still works and gives the same file.
        let out = try runSynapse(["predict", "--model", "m.safetensors", "--data", "d.csv", "--out", "p1.csv"], in: directory)
        let output = try runSynapse(["predict", "--model", "m.safetensors", "--data", "d.csv", "--output", "p2.csv"], in: directory)
        #expect(out.status == 0 && output.status == 0 && out.stdout.isEmpty, "\(out) \(output)")
        let first = FileManager.default.contents(atPath: "\(directory)/p1.csv"), second = FileManager.default.contents(atPath: "\(directory)/p2.csv")
        #expect(first != nil && first == second && String(decoding: first ?? Data(), as: UTF8.self).hasPrefix("label\n"))
        let replacing = try runSynapse(["predict", "--model", "m.safetensors", "--data", "d.csv", "--out", "d.csv"], in: directory)
        #expect(replacing.status == 2 && replacing.stderr.contains("--out") && replacing.stderr.contains("would replace the input '--data d.csv'"), "\(replacing)")
    }

    // MARK: Suggestions

    @Test("an unknown flag or configuration key gets the closest of the command's own names")
    func didYouMean() throws {
        let directory = try temporaryDirectory("i19-suggest")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData(directory)
        let train = ["train", "--data", "d.csv", "--out", "m.safetensors"]
        let cases: [([String], String)] = [
            (train + ["--epoch", "3"], "unknown option '--epoch'; did you mean '--epochs'?"),
            (train + ["--batch_size", "8"], "unknown option '--batch_size'; did you mean '--batch-size'?"),
            (train + ["--lerning-rate", "0.1"], "unknown option '--lerning-rate'"),
            (train + ["-epochs", "3"], "unknown option '-epochs'; did you mean '--epochs'?"),
            (["evaluate", "--modle", "m.safetensors", "--data", "d.csv"], "unknown option '--modle'; did you mean '--model'?"),
            (["predict", "--model", "m.safetensors", "--data", "d.csv", "--probabilites"], "did you mean '--probabilities'?"),
            (["generate", "--model", "m.safetensors", "--temprature", "1"], "did you mean '--temperature'?"),
        ]
        for (arguments, message) in cases {
            let result = try runSynapse(arguments, in: directory)
            #expect(result.status == 2 && result.stderr.contains(message), "\(arguments): \(result)")
        }
        // Nothing close: no suggestion.
        let far = try runSynapse(train + ["--xyzzy", "1"], in: directory)
        #expect(far.status == 2 && far.stderr.contains("unknown option '--xyzzy'") && !far.stderr.contains("did you mean"), "\(far)")
        // A flag of one command suggested by another's list only if it is its own: evaluate has no --epochs.
        let foreign = try runSynapse(["evaluate", "--model", "m.safetensors", "--data", "d.csv", "--epochs", "3"], in: directory)
        #expect(foreign.status == 2 && !foreign.stderr.contains("'--epochs'?"), "\(foreign)")

        // Configuration keys: `_` or `-`, suggestions, one spelling per option.
        try #"{"epoch": 3}"#.write(toFile: "\(directory)/typo.json", atomically: true, encoding: .utf8)
        try #"{"batch_size": 16, "validation_split": 0, "epochs": 1, "drop_missing": true, "layers": [4]}"#.write(toFile: "\(directory)/snake.json", atomically: true, encoding: .utf8)
        try #"{"batch_size": 16, "batch-size": 8}"#.write(toFile: "\(directory)/twice.json", atomically: true, encoding: .utf8)
        let typo = try runSynapse(train + ["--config", "typo.json"], in: directory)
        #expect(typo.status == 2 && typo.stderr.contains("unknown option 'epoch' in the configuration file; did you mean 'epochs'?"), "\(typo)")
        let snake = try runSynapse(train + ["--config", "snake.json", "--quiet"], in: directory)
        #expect(snake.status == 0 && snake.stdout.contains("batch 16") && snake.stdout.contains("no validation") && snake.stdout.contains("1 epoch,"), "\(snake)")
        let twice = try runSynapse(train + ["--config", "twice.json"], in: directory)
        #expect(twice.status == 2 && twice.stderr.contains("'batch-size' and 'batch_size' name the same option"), "\(twice)")
        #expect(throws: OptionsFile.Failure.unknownOption(path: "c.json", key: "lr_rate", suggestion: nil)) {
            try OptionsFile.parse(Data(#"{"lr_rate": 1}"#.utf8), path: "c.json", valued: ["lr", "epochs"], flags: [])
        }
        #expect(Suggestion.closest(to: "epoch", among: ["epochs", "seed", "lr"]) == "epochs")
        #expect(Suggestion.closest(to: "optimiser", among: ["optimizer", "seed"]) == "optimizer")
        #expect(Suggestion.closest(to: "q", among: ["epochs", "lr"]) == nil)
        #expect(Suggestion.distance("ab", "ba") == 1 && Suggestion.distance("", "abc") == 3 && Suggestion.distance("kitten", "sitting") == 3)
    }

    // MARK: Layers and activations

    @Test("--layers with an empty size is exit 2; --activation lists each hidden-layer name once")
    func layersAndActivations() throws {
        let directory = try temporaryDirectory("i19-layers")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData(directory)
        let train = ["train", "--data", "d.csv", "--out", "m.safetensors", "--quiet", "--epochs", "1"]
        for layers in ["64,,32", "64,", ",64", "", "8;4"] {
            let result = try runSynapse(train + ["--layers", layers], in: directory)
            #expect(result.status == 2 && result.stderr.contains("option '--layers' expects sizes like 128,64"), "--layers '\(layers)': \(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/m.safetensors"))
        // A language model's option on a table's run is refused, not ignored; and the other way round.
        let blockSize = try runSynapse(train + ["--block-size", "64"], in: directory)
        #expect(blockSize.status == 2 && blockSize.stderr.contains("'--block-size' applies only to '--task language-model'"), "\(blockSize)")
        try "hello world, hello text\n".write(toFile: "\(directory)/t.txt", atomically: true, encoding: .utf8)
        let tableOption = try runSynapse(["train", "--task", "language-model", "--data", "t.txt", "--out", "lm.safetensors", "--target", "2"], in: directory)
        #expect(tableOption.status == 2 && tableOption.stderr.contains("'--target' does not apply to '--task language-model'"), "\(tableOption)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/m.safetensors"))
        let none = try runSynapse(train + ["--layers", "none"], in: directory)
        #expect(none.status == 0 && none.stdout.contains("3 → 3,"), "\(none)")
        for activation in ["softmax", "log_softmax"] {
            let result = try runSynapse(train + ["--activation", activation], in: directory)
            #expect(result.status == 2 && result.stderr.contains("option '--activation' must be one of"), "\(result)")
            #expect(!result.stderr.contains("softmax,") && !result.stderr.hasSuffix("log_softmax, got"), "\(result)")
        }
        let help = try runSynapse(["train", "--help"]).stdout
        let line = try #require(help.split(separator: "\n").first { $0.contains("--activation NAME") })
        let names = line.split(whereSeparator: { " ,;()".contains($0) }).map(String.init)
        for name in ActivationFunction.hiddenLayerNames {
            #expect(names.filter { $0 == name }.count == 1, "'\(name)' is listed \(names.filter { $0 == name }.count) times in \(line)")
        }
        #expect(!names.contains("softmax") && !names.contains("log_softmax"), "\(line)")
    }

    // MARK: Resume

    @Test("resume refuses every setting that differs, defaults included, naming the flag and both values")
    func resumeRefusesDefaults() throws {
        let directory = try temporaryDirectory("i19-resume")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData(directory)
        let first = try runSynapse(["train", "--data", "d.csv", "--out", "m.safetensors", "--epochs", "2", "--layers", "8", "--quiet",
                                    "--checkpoint", "ck.safetensors"], in: directory)
        #expect(first.status == 0, "\(first)")
        // The checkpoint stores every setting of the run, defaults included.
        let (_, state) = try Model<Float>.loadCheckpoint(from: "\(directory)/ck.safetensors")
        let exceptions: Set<String> = ["target", "features",   // the model's feature and class names are checked instead
                                       "task",                 // checked against the model's task
                                       "drop-missing",         // a flag: stored when given, else it was off
                                       "nesterov",             // a flag, as drop-missing
                                       "weight-decay", "momentum",   // stored when given (absent: the optimizer's own)
                                       "block-size"]           // a language model's
        for key in TrainCommand.storedSettings.subtracting(exceptions) {
            #expect(state.configuration[key] != nil, "a table checkpoint does not store '\(key)'")
        }
        #expect(state.configuration["lr"] == "0.001" && state.configuration["layers"] == "8" && state.configuration["activation"] == "relu")

        let resume = ["train", "--data", "d.csv", "--out", "r.safetensors", "--resume", "ck.safetensors", "--epochs", "3", "--quiet"]
        let refused: [([String], String)] = [
            (["--lr", "0.01"], "'--lr 0.01' differs from the run in ck.safetensors ('0.001')"),
            (["--batch-size", "16"], "'--batch-size 16' differs from the run in ck.safetensors ('32')"),
            (["--seed", "7"], "'--seed 7' differs from the run in ck.safetensors ('42')"),
            (["--scale", "minmax"], "'--scale minmax' differs from the run in ck.safetensors ('standard')"),
            (["--validation-split", "0.2"], "'--validation-split 0.2' differs"),
            (["--early-stopping", "3"], "'--early-stopping 3' differs from the run in ck.safetensors ('0')"),   // (under 1 000 rows, no validation: no early stopping by default)
            (["--activation", "tanh"], "'--activation tanh' differs from the run in ck.safetensors ('relu')"),
            (["--loss", "nll"], "'--loss nll' differs from the run in ck.safetensors ('cross_entropy')"),
            (["--task", "regress"], "'--task regress' differs from the run in ck.safetensors ('classify', its model's task)"),
            (["--drop-missing"], "'--drop-missing' was not given to the run in ck.safetensors"),
        ]
        for (flags, message) in refused {
            let result = try runSynapse(resume + flags, in: directory)
            #expect(result.status == 2 && result.stderr.contains(message), "\(flags): \(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/r.safetensors"))
        // The same values, spelt otherwise, are accepted.
        let same = try runSynapse(resume + ["--lr", "0.0010", "--activation", "ReLU", "--task", "classify", "--checkpoint", "ck2.safetensors"], in: directory)
        #expect(same.status == 0 && same.stdout.contains("resuming after epoch 2"), "\(same)")

        // A checkpoint from before defaults were stored (its configuration lacks 'lr', 'seed' and
        // the network): compared with the defaults and the model, and the message says so.
        try HostileInputTests.craft("\(directory)/ck.safetensors", to: "\(directory)/old.safetensors") { metadata in
            HostileInputTests.editState(&metadata) { state in
                var configuration = state["configuration"] as? [String: Any] ?? [:]
                for key in ["lr", "seed", "layers", "activation", "optimizer", "scale", "loss"] { configuration.removeValue(forKey: key) }
                state["configuration"] = configuration
            }
        }
        let (_, old) = try Model<Float>.loadCheckpoint(from: "\(directory)/old.safetensors")
        #expect(old.configuration["lr"] == nil && old.configuration["layers"] == nil && old.configuration["batch-size"] != nil, "the crafted checkpoint: \(old.configuration)")
        let oldResume = ["train", "--data", "d.csv", "--out", "r.safetensors", "--resume", "old.safetensors", "--epochs", "3", "--quiet"]
        for (flags, message) in [(["--lr", "0.01"], "'--lr 0.01' differs from the run in old.safetensors ('0.001', its default)"),
                                 (["--optimizer", "sgd"], "'--optimizer sgd' differs from the run in old.safetensors ('adam', its default)"),
                                 (["--layers", "16"], "'--layers 16' differs from the run in old.safetensors ('8', its network's hidden layers)"),
                                 (["--scale", "none"], "'--scale none' differs from the run in old.safetensors ('standard', its model's feature scaling)")] {
            let result = try runSynapse(oldResume + flags, in: directory)
            #expect(result.status == 2 && result.stderr.contains(message), "\(flags): \(result)")
        }
        let oldSame = try runSynapse(oldResume + ["--lr", "0.001", "--layers", "8"], in: directory)
        #expect(oldSame.status == 0 && oldSame.stdout.contains("resuming after epoch 2"), "\(oldSame)")
    }

    @Test("a resumed run from --arch refuses --layers and --activation: the checkpoint holds the network")
    func resumeArchitecture() throws {
        let directory = try temporaryDirectory("i19-resume-arch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData(directory)
        try #"{"type": "sequential", "layers": [{"type": "dense", "out": 6}, {"type": "activation", "function": "tanh"}, {"type": "dropout", "rate": 0.1}, {"type": "dense", "out": 3}]}"#
            .write(toFile: "\(directory)/a.json", atomically: true, encoding: .utf8)
        let first = try runSynapse(["train", "--data", "d.csv", "--out", "m.safetensors", "--epochs", "1", "--arch", "a.json", "--quiet",
                                    "--checkpoint", "ck.safetensors"], in: directory)
        #expect(first.status == 0, "\(first)")
        let layers = try runSynapse(["train", "--data", "d.csv", "--out", "r.safetensors", "--resume", "ck.safetensors", "--layers", "6"], in: directory)
        #expect(layers.status == 2 && layers.stderr.contains("'--layers' does not apply to the run in ck.safetensors"), "\(layers)")
        let resumed = try runSynapse(["train", "--data", "d.csv", "--out", "r.safetensors", "--resume", "ck.safetensors", "--epochs", "2", "--quiet"], in: directory)
        #expect(resumed.status == 0, "\(resumed)")
    }

    // MARK: Messages

    @Test("messages name the flag, count in words, print floats at float32 precision; evaluate labels its losses")
    func messages() throws {
        let directory = try temporaryDirectory("i19-messages")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeData(directory)
        try "a,b,y\n1,2,3\n4,,6\n7,8,9\n".write(toFile: "\(directory)/missing.csv", atomically: true, encoding: .utf8)
        let missing = try runSynapse(["train", "--data", "missing.csv", "--out", "m.safetensors"], in: directory)
        #expect(missing.status == 1 && missing.stderr.contains("'--drop-missing'") && !missing.stderr.contains("missing-values option"), "\(missing)")
        let dropped = try runSynapse(["train", "--data", "missing.csv", "--out", "m.safetensors", "--drop-missing", "--epochs", "1", "--quiet"], in: directory)
        #expect(dropped.status == 0 && dropped.stdout.contains("data: 2 rows, 2 features (1 row with missing values dropped by '--drop-missing')")
                && dropped.stdout.contains("1 epoch,"), "\(dropped)")
        #expect(Wording.count(1, "row") == "1 row" && Wording.count(0, "row") == "0 rows" && Wording.count(2, "class", plural: "classes") == "2 classes")
        #expect(Wording.number(Double(Float(0.3))) == "0.3" && Wording.number(0.001) == "0.001" && Wording.number(1e-5) == "1e-05")
        #expect(Wording.rounded(Double(Float(0.3))) == 0.3 && Wording.rounded(.nan) == nil)

        // Early stopping's best value: no float32-widening noise (6 significant digits at most).
        let stopped = try runSynapse(["train", "--data", "r.csv", "--out", "s.safetensors", "--epochs", "300", "--early-stopping", "2",
                                      "--lr", "0.05", "--quiet"], in: directory)
        #expect(stopped.status == 0, "\(stopped)")
        if let line = stopped.stdout.split(separator: "\n").first(where: { $0.hasPrefix("early stopping:") }) {
            let best = try #require(line.firstMatch(of: /best ([-0-9.e+]+) at epoch/)?.1)
            #expect(Self.significantDigits(best) <= 6, "\(line)")
            #expect(line.contains("for 2 epochs"), "\(line)")
        } else {
            Issue.record("300 epochs at lr 0.05 with patience 2 did not stop early: \(stopped.stdout)")
        }
        #expect(stopped.stdout.contains("has not improved by 0.0001 for 2 epochs"), "\(stopped)")

        // evaluate on a regression: the MSE loss is printed once, saying it is also the loss.
        let regression = try runSynapse(["evaluate", "--model", "s.safetensors", "--data", "r.csv"], in: directory)
        #expect(regression.status == 0, "\(regression)")
        let lines = regression.stdout.split(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("loss ") }, "\(regression.stdout)")
        #expect(lines.contains { $0.hasPrefix("mse ") && $0.contains("also the loss the model was trained with") }, "\(regression.stdout)")
        let huber = try runSynapse(["train", "--data", "r.csv", "--out", "h.safetensors", "--epochs", "2", "--loss", "huber", "--quiet"], in: directory)
        #expect(huber.status == 0, "\(huber)")
        let huberLines = try runSynapse(["evaluate", "--model", "h.safetensors", "--data", "r.csv"], in: directory).stdout.split(separator: "\n")
        #expect(huberLines.contains { $0.hasPrefix("loss ") && $0.contains("(huber, the loss the model was trained with)") }, "\(huberLines)")
        #expect(huberLines.contains { $0.hasPrefix("mse ") && !$0.contains("also the loss") }, "\(huberLines)")
        // --json: float32 results without the noise of their widening.
        let json = try runSynapse(["evaluate", "--model", "s.safetensors", "--data", "r.csv", "--json"], in: directory)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["loss"] is Double && object["r2"] is Double, "\(json.stdout)")
        for match in json.stdout.matches(of: /-?[0-9]+\.[0-9]+(e-?[0-9]+)?/) {
            #expect(Self.significantDigits(match.0) <= 9, "\(match.0) in \(json.stdout)")
        }
    }

    /// The significant digits of a number as printed (`0.000123` has 3, `1.5e-07` 2).
    static func significantDigits(_ text: Substring) -> Int {
        String(text.split(separator: "e")[0].filter(\.isNumber).drop { $0 == "0" }).count
    }

    // MARK: Progress

    /// A progress report in the middle of an epoch.
    static func progress(epoch: Int = 2, epochs: Int = 20, batch: Int = 120, batches: Int = 469, accuracy: Double? = 0.9123) -> TrainingProgress {
        TrainingProgress(epoch: epoch, epochs: epochs, batch: batch, batches: batches, samples: batch * 128, loss: 0.234567,
                         elapsed: 3.2, epochLog: nil, accuracy: accuracy)
    }

    @Test("the progress bar never exceeds the terminal's width, and shows both ETAs and the running accuracy when there is room")
    func progressLine() throws {
        for width in 1...200 {
            for accuracy in [0.5, nil] as [Double?] {
                let line = ProgressReporter.barLine(Self.progress(accuracy: accuracy), runSecondsRemaining: 4321, width: width)
                #expect(line.count <= max(0, width - 1), "width \(width): \(line.count) characters: \(line)")
                #expect(line.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 }, "\(line)")
            }
        }
        let wide = ProgressReporter.barLine(Self.progress(), runSecondsRemaining: 4321, width: 120)
        for part in ["epoch 3/20", "[", "120/469", "loss 0.2346", "acc 0.9123", "/s", "ETA ", "run 1h12m"] {
            #expect(wide.contains(part), "missing '\(part)' at 120 columns: \(wide)")
        }
        let narrow = ProgressReporter.barLine(Self.progress(), runSecondsRemaining: 4321, width: 60)
        for part in ["epoch 3/20", "loss 0.2346", "run 1h12m"] { #expect(narrow.contains(part), "missing '\(part)' at 60 columns: \(narrow)") }
        #expect(ProgressReporter.duration(42) == "42s" && ProgressReporter.duration(185) == "3m05s" && ProgressReporter.duration(7620) == "2h07m")
        let log = EpochLog(epoch: 2, loss: 0.1234, validationLoss: 0.2345, metrics: ["accuracy": 0.95, "f1": 0.94], learningRate: 0.001, seconds: 0.12)
        let epochLine = ProgressReporter.epochLine(log, epochs: 20)
        for width in [20, 40, 60, 120] {
            let lines = ProgressReporter.wrapped(epochLine, width: width)
            #expect(lines.allSatisfy { $0.count <= width - 1 }, "width \(width): \(lines)")
            #expect(lines.joined(separator: " ").replacingOccurrences(of: "   ", with: "  ").contains("val_accuracy 0.9500"), "\(lines)")
        }
    }

    /// Every event of a 2-epoch run of 50 batches, through a reporter on a terminal of `width`
    /// columns (or not a terminal): what it writes to standard error.
    static func reported(width: Int, interactive: Bool) -> String {
        let errors = CapturedOutput()
        let context = CommandContext(standardOutput: .handler { _ in }, standardError: .handler { errors.append($0) }, isInteractive: interactive)
        let reporter = ProgressReporter(quiet: false, in: Invocation(context: context), columns: { width })
        for epoch in 0..<2 {
            for batch in 1...50 {
                reporter.report(progress(epoch: epoch, epochs: 2, batch: batch, batches: 50))
                if batch % 10 == 0 { usleep(60_000) }   // past the 20-redraws-a-second limit
            }
            var last = progress(epoch: epoch, epochs: 2, batch: 50, batches: 50)
            last.epochLog = EpochLog(epoch: epoch, loss: 0.5, validationLoss: 0.6, metrics: ["accuracy": 0.9], learningRate: 0.001, seconds: 0.3)
            reporter.report(last)
        }
        return errors.text
    }

    @Test("on a terminal, redraws in place within the width; otherwise one line per epoch, no redraws")
    func progressStream() throws {
        for width in [60, 120] {
            let text = Self.reported(width: width, interactive: true)
            #expect(text.contains("\r"), "no redraw at \(width) columns")
            // What stays on the screen between carriage returns and newlines, escape sequences removed.
            let pieces = text.replacingOccurrences(of: "\u{1B}[K", with: "").split(whereSeparator: { $0 == "\r" || $0 == "\n" })
            #expect(pieces.allSatisfy { $0.count <= width - 1 }, "a line wider than \(width - 1): \(pieces.filter { $0.count >= width })")
            for epoch in ["epoch 1/2  loss", "epoch 2/2  loss"] {
                #expect(text.components(separatedBy: epoch).count == 2, "'\(epoch)' once at \(width) columns: \(text.debugDescription)")
            }
            #expect(text.hasSuffix("(0.30 s)\n"), "\(text.debugDescription)")
        }
        let plain = Self.reported(width: 60, interactive: false)
        #expect(!plain.contains("\r") && !plain.contains("\u{1B}"), "\(plain.debugDescription)")
        #expect(plain.split(separator: "\n").count == 2 && plain.hasPrefix("epoch 1/2  loss 0.5000  val_loss 0.6000"), "\(plain)")
    }
}
