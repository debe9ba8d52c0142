import Foundation
import Testing
import Synapse
@testable import SynapseTraining

/// `synapse train`'s defaults (issue 19, "Defaults that train well"): `--epochs auto` until
/// convergence with a warning at the cap, the monitored value, global scaling for images, and the
/// flags for what the library has (each accepted, validated, visible in the model or checkpoint).
@Suite("train defaults and training flags")
struct TrainingDefaultsTests {
    /// A noisy regression `y = 2a − b + noise` of `rows` rows (the noise is fixed by the row).
    static func writeRegression(_ path: String, rows: Int = 200) throws {
        var text = "a,b,y\n"
        for i in 0..<rows {
            let a = Double(i % 17) / 17, b = Double((i * 7) % 13) / 13, noise = Double((i * 31) % 11) / 11 - 0.5
            text += "\(a),\(b),\(2 * a - b + 0.3 * noise)\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// An MNIST-layout directory of `count` 28×28 images (uncompressed IDX files): class 0 dark, class 1 bright.
    static func writeImages(_ directory: String, count: Int = 40) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func header(_ dims: [Int]) -> [UInt8] {
            [0, 0, 8, UInt8(dims.count)] + dims.flatMap { d in [UInt8(d >> 24 & 255), UInt8(d >> 16 & 255), UInt8(d >> 8 & 255), UInt8(d & 255)] }
        }
        var images = header([count, 28, 28]), labels = header([count])
        for i in 0..<count {
            let label = i % 2
            labels.append(UInt8(label))
            for p in 0..<784 { images.append(UInt8((label == 1 ? 128 : 0) + (p * 7 + i * 13) % 100)) }
        }
        try Data(images).write(to: URL(fileURLWithPath: "\(directory)/train-images-idx3-ubyte"))
        try Data(labels).write(to: URL(fileURLWithPath: "\(directory)/train-labels-idx1-ubyte"))
    }

    /// The weights of the model file at `path`, flattened.
    static func weights(_ path: String) throws -> [Float] {
        try Model<Float>.load(from: path).network.namedState.flatMap { $0.tensor.scalars }
    }

    @Test("--epochs auto stops when the loss converges, before the cap; a tiny cap warns; bad values are exit 2")
    func autoEpochs() throws {
        let directory = try temporaryDirectory("defaults-auto")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeRegression("\(directory)/r.csv")
        let converged = try runSynapse(["train", "--data", "r.csv", "--out", "m.safetensors", "--quiet"], in: directory)
        #expect(converged.status == 0 && converged.stderr.isEmpty, "\(converged)")
        // Under 1 000 rows nothing is held out, and stopping watches the training loss with the tolerance.
        #expect(converged.stdout.contains("epochs auto (at most 1000)") && converged.stdout.contains("no validation (under 1000 rows every row trains)")
                && converged.stdout.contains("stopping when loss has not improved by 0.0001 for 10 epochs"), "\(converged.stdout)")
        #expect(converged.stdout.contains("early stopping: loss did not improve by more than 0.0001 for 10 epochs"), "\(converged.stdout)")
        let epochs = converged.stdout.split(separator: "\n").first { $0.hasPrefix("result (epoch ") }.flatMap { line in
            line.split(separator: " ").dropFirst(4).first.flatMap { Int($0.filter(\.isNumber)) } }
        #expect(epochs.map { $0 > 10 && $0 < 1000 } ?? false, "\(converged.stdout)")

        let capped = try runSynapse(["train", "--data", "r.csv", "--out", "c.safetensors", "--quiet", "--epochs", "auto:3"], in: directory)
        #expect(capped.status == 0 && capped.stdout.contains("epochs auto (at most 3)"), "\(capped)")
        #expect(capped.stderr.contains("warning: --epochs auto: loss was still improving by more than 0.0001 when the cap of 3 epochs was reached"), "\(capped)")
        // A fixed number of epochs is what was asked for: no warning.
        let fixed = try runSynapse(["train", "--data", "r.csv", "--out", "f.safetensors", "--quiet", "--epochs", "3"], in: directory)
        #expect(fixed.status == 0 && fixed.stderr.isEmpty && fixed.stdout.contains("3 epochs"), "\(fixed)")
        for bad in ["auto:0", "autox", "0", "auto:", "-1"] {
            let refused = try runSynapse(["train", "--data", "r.csv", "--out", "x.safetensors", "--epochs", bad], in: directory)
            #expect(refused.status == 2 && refused.stderr.contains("'--epochs'"), "\(bad): \(refused)")
        }
    }

    @Test("--monitor: val_loss by default with validation data, in the summary; val_accuracy when asked; checked against the task and the data")
    func monitor() throws {
        let directory = try temporaryDirectory("defaults-monitor")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/c.csv", rows: 100)
        try Self.writeRegression("\(directory)/r.csv")
        let classifier = try runSynapse(["train", "--data", "c.csv", "--out", "c.safetensors", "--quiet", "--epochs", "2", "--validation-split", "0.2"], in: directory)
        #expect(classifier.status == 0 && classifier.stdout.contains("validation 20 %, stopping when val_loss has not improved"), "\(classifier)")
        let regression = try runSynapse(["train", "--data", "r.csv", "--out", "r.safetensors", "--quiet", "--epochs", "2", "--validation-split", "0.2"], in: directory)
        #expect(regression.status == 0 && regression.stdout.contains("stopping when val_loss has not improved"), "\(regression)")
        let chosen = try runSynapse(["train", "--data", "c.csv", "--out", "v.safetensors", "--quiet", "--epochs", "2", "--validation-split", "0.2",
                                     "--monitor", "val_accuracy"], in: directory)
        #expect(chosen.status == 0 && chosen.stdout.contains("stopping when val_accuracy has not improved"), "\(chosen)")
        for (arguments, message) in [(["--data", "r.csv", "--validation-split", "0.2", "--monitor", "val_accuracy"], "'--monitor val_accuracy' is for classifiers"),
                                     (["--data", "c.csv", "--monitor", "val_loss"], "'--monitor val_loss' needs validation data"),
                                     (["--data", "c.csv", "--monitor", "accuracy"], "option '--monitor' must be one of val_loss, val_accuracy, loss")] {
            let refused = try runSynapse(["train", "--out", "x.safetensors"] + arguments, in: directory)
            #expect(refused.status == 2 && refused.stderr.contains(message), "\(arguments): \(refused)")
        }
    }

    @Test("early stopping on val_accuracy keeps the most accurate epoch even when val_loss rose after an earlier one")
    func accuracyMonitor() {
        var g = RandomGenerator(seed: 1)
        let model = Model<Float>(Sequential<Float>.mlp(sizes: [2, 2], generator: &g), task: .classification(classes: 2))
        let context = TrainingContext(model: model, getLearningRate: { 0.001 }, setLearningRate: { _ in }, history: History())
        let (losses, accuracies) = ([0.5, 0.3, 0.35, 0.4, 0.45, 0.5], [0.90, 0.95, 0.96, 0.97, 0.975, 0.975])
        let byAccuracy = EarlyStopping<Float>(monitor: "val_accuracy", patience: 10, minimumDelta: 1e-4, restoresBestWeights: false)
        let byLoss = EarlyStopping<Float>(monitor: "val_loss", patience: 10, minimumDelta: 1e-4, restoresBestWeights: false)
        for epoch in losses.indices {
            let log = EpochLog(epoch: epoch, loss: 0.1, validationLoss: losses[epoch], metrics: ["accuracy": accuracies[epoch]], learningRate: 0.001, seconds: 0)
            #expect(log.value(of: "val_accuracy") == accuracies[epoch])
            _ = byAccuracy.epochEnded(log, context: context)
            _ = byLoss.epochEnded(log, context: context)
        }
        #expect(byAccuracy.maximize && byAccuracy.bestEpoch == 4 && byAccuracy.best == 0.975)
        #expect(!byLoss.maximize && byLoss.bestEpoch == 1)
        // Without validation data there is no val_accuracy (the metrics are the training batches').
        #expect(EpochLog(epoch: 0, loss: 1, validationLoss: nil, metrics: ["accuracy": 0.5], learningRate: 0, seconds: 0).value(of: "val_accuracy") == nil)
        #expect(TrainingDefaults.monitor(classification: true, validates: true) == "val_loss"
                && TrainingDefaults.monitor(classification: false, validates: true) == "val_loss"
                && TrainingDefaults.monitor(classification: true, validates: false) == "loss")
        #expect(TrainingDefaults.validationSplit(rows: 999) == 0 && TrainingDefaults.validationSplit(rows: 1000) == 0.1)
    }

    @Test("an MNIST-layout directory is scaled globally by default; --scale still chooses")
    func imageScaling() throws {
        let directory = try temporaryDirectory("defaults-images")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.writeImages("\(directory)/digits")
        let trained = try runSynapse(["train", "--data", "digits", "--out", "g.safetensors", "--quiet", "--epochs", "1", "--layers", "4"], in: directory)
        #expect(trained.status == 0 && trained.stdout.contains("scaling global"), "\(trained)")
        #expect(try Model<Float>.load(from: "\(directory)/g.safetensors").scaling?.method == .global)
        let standard = try runSynapse(["train", "--data", "digits", "--out", "s.safetensors", "--quiet", "--epochs", "1", "--layers", "4",
                                       "--scale", "standard"], in: directory)
        #expect(standard.status == 0 && standard.stdout.contains("scaling standard"), "\(standard)")
        #expect(try Model<Float>.load(from: "\(directory)/s.safetensors").scaling?.method == .standard)
        // A CSV keeps standard scaling.
        try HostileInputTests.writeData("\(directory)/c.csv")
        let table = try runSynapse(["train", "--data", "c.csv", "--out", "c.safetensors", "--quiet", "--epochs", "1"], in: directory)
        #expect(table.status == 0 && table.stdout.contains("scaling standard"), "\(table)")
    }

    @Test("each training flag is validated: exit 2 naming the flag")
    func validation() throws {
        let directory = try temporaryDirectory("defaults-validation")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/c.csv")
        try Self.writeRegression("\(directory)/r.csv")
        let cases: [([String], String)] = [
            (["--weight-decay", "-1"], "'--weight-decay'"), (["--weight-decay", "x"], "'--weight-decay'"),
            (["--momentum", "0.5"], "option '--momentum' applies to sgd and rmsprop, not adam"), (["--optimizer", "sgd", "--momentum", "1"], "'--momentum'"),
            (["--nesterov"], "option '--nesterov' applies to sgd only"), (["--optimizer", "sgd", "--momentum", "0", "--nesterov"], "option '--nesterov' needs a momentum above 0"),
            (["--dropout", "1"], "'--dropout'"), (["--dropout", "-0.1"], "'--dropout'"),
            (["--clip-norm", "-1"], "'--clip-norm'"), (["--class-weight", "inverse"], "option '--class-weight' must be one of none, balanced"),
            (["--threads", "0"], "'--threads'"), (["--threads", "many"], "'--threads'"),
            (["--schedule", "linear"], "option '--schedule' must be one of constant, cosine, step, plateau"),
            (["--schedule", "cosine"], "'--schedule cosine' needs a number of epochs ('--epochs N')"),
            (["--schedule", "step"], "'--schedule step' needs a number of epochs"),
            (["--schedule", "cosine", "--lr-schedule", "constant", "--epochs", "2"], "'--lr-schedule' is the old spelling of '--schedule'"),
            (["--lr-schedule", "linear"], "option '--lr-schedule' must be one of"),
            (["--arch", "a.json", "--dropout", "0.2"], "cannot be combined with '--layers', '--activation' or '--dropout'"),
        ]
        try #"{"type": "sequential", "layers": [{"type": "dense", "out": 2}]}"#.write(toFile: "\(directory)/a.json", atomically: true, encoding: .utf8)
        for (arguments, message) in cases {
            let refused = try runSynapse(["train", "--data", "c.csv", "--out", "x.safetensors", "--quiet"] + arguments, in: directory)
            #expect(refused.status == 2 && refused.stderr.contains(message), "\(arguments): \(refused)")
        }
        let regression = try runSynapse(["train", "--data", "r.csv", "--out", "x.safetensors", "--class-weight", "balanced"], in: directory)
        #expect(regression.status == 2 && regression.stderr.contains("'--class-weight balanced' is for classifiers"), "\(regression)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/x.safetensors"))
        // The help names every flag and the thread variable.
        let help = try runSynapse(["train", "--help"]).stdout
        for flag in ["--weight-decay", "--momentum", "--nesterov", "--dropout", "--schedule", "--clip-norm", "--class-weight", "--threads",
                     "--monitor", "SYNAPSE_NUM_THREADS", "auto[:CAP]"] {
            #expect(help.contains(flag), "\(flag)")
        }
    }

    @Test("the flags take effect: optimizer settings in the checkpoint, dropout layers, step schedule, clipping and class weights change the weights, threads do not")
    func effects() throws {
        let directory = try temporaryDirectory("defaults-effects")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/c.csv")
        let base = ["train", "--data", "c.csv", "--quiet", "--layers", "8", "--epochs", "6", "--seed", "3"]
        let sgd = try runSynapse(base + ["--out", "s.safetensors", "--checkpoint", "s.ck", "--optimizer", "sgd", "--weight-decay", "0.01",
                                         "--momentum", "0.8", "--nesterov", "--schedule", "step"], in: directory)
        #expect(sgd.status == 0 && sgd.stdout.contains("(×0.1 every 2 epochs)"), "\(sgd)")
        let (_, state) = try Model<Float>.loadCheckpoint(from: "\(directory)/s.ck")
        #expect(state.optimizer.kind == "SGD" && state.optimizer.hyperparameters["weightDecay"] == 0.01
                && state.optimizer.hyperparameters["momentum"] == 0.8 && state.optimizer.hyperparameters["nesterov"] == 1, "\(state.optimizer.hyperparameters)")
        let rates = state.history.epochs.map(\.learningRate)
        #expect(rates.count == 6 && abs(rates[0] - 0.01) < 1e-12 && abs(rates[2] - 0.001) < 1e-12 && abs(rates[5] - 0.0001) < 1e-12, "\(rates)")
        // A resumed run refuses a changed optimizer setting.
        let changed = try runSynapse(["train", "--data", "c.csv", "--out", "s2.safetensors", "--resume", "s.ck", "--epochs", "7", "--quiet",
                                      "--weight-decay", "0.02"], in: directory)
        #expect(changed.status == 2 && changed.stderr.contains("'--weight-decay 0.02' differs from the run in s.ck"), "\(changed)")

        let dropout = try runSynapse(base + ["--out", "d.safetensors", "--dropout", "0.3"], in: directory)
        #expect(dropout.status == 0 && dropout.stdout.contains("dropout 0.3"), "\(dropout)")
        let layers = (try Model<Float>.load(from: "\(directory)/d.safetensors").network as? Sequential<Float>)?.layers ?? []
        #expect(layers.contains { ($0 as? Dropout<Float>)?.rate == 0.3 }, "\(layers)")

        let plain = try runSynapse(base + ["--out", "p.safetensors"], in: directory)
        let clipped = try runSynapse(base + ["--out", "k.safetensors", "--clip-norm", "0.001"], in: directory)
        // Imbalanced classes (a quarter of the rows are 'yes'): balanced weights change the training.
        var imbalanced = "a,b,label\n"
        for i in 0..<80 { imbalanced += "\(Double(i % 7) / 7),\(Double(i % 5) / 5),\(i % 4 == 0 ? "yes" : "no")\n" }
        try imbalanced.write(toFile: "\(directory)/i.csv", atomically: true, encoding: .utf8)
        let imbalancedBase = ["train", "--data", "i.csv", "--quiet", "--layers", "8", "--epochs", "6", "--seed", "3"]
        let unweighted = try runSynapse(imbalancedBase + ["--out", "u.safetensors"], in: directory)
        let weighted = try runSynapse(imbalancedBase + ["--out", "w.safetensors", "--class-weight", "balanced"], in: directory)
        #expect(unweighted.status == 0, "\(unweighted)")
        let oneThread = try runSynapse(base + ["--out", "t.safetensors", "--threads", "1"], in: directory)
        let plateau = try runSynapse(base + ["--out", "q.safetensors", "--schedule", "plateau"], in: directory)
        #expect([plain, clipped, weighted, oneThread, plateau].allSatisfy { $0.status == 0 }, "\([plain, clipped, weighted, oneThread, plateau])")
        let reference = try Self.weights("\(directory)/p.safetensors")
        #expect(try Self.weights("\(directory)/k.safetensors") != reference)
        #expect(try Self.weights("\(directory)/w.safetensors") != Self.weights("\(directory)/u.safetensors"))
        #expect(try Self.weights("\(directory)/t.safetensors") == reference)
    }

    @Test("class weights: balanced is n / (classes · n_c); the weighted cross-entropy is the weighted mean")
    func classWeights() {
        let quarter: [Double] = [4.0 / 6, 2]
        #expect(ClassWeights.balanced(labels: [0, 0, 0, 1], classes: 2) == quarter)
        let third: [Double] = [2.0 / 3, 2.0 / 3, 0]
        #expect(ClassWeights.balanced(labels: [0, 1], classes: 3) == third)
        let logits = Tensor<Float>(shape: [3, 2], scalars: [1, 0, 0, 2, 0.5, 0.5])
        let labels = [0, 1, 1], weights = [2.0, 0.5]
        let logProbabilities = logSoftmax(logits).scalars
        let expected = -(2 * Double(logProbabilities[0]) + 0.5 * Double(logProbabilities[3]) + 0.5 * Double(logProbabilities[5])) / 3.0
        let value = Double(ClassWeights.crossEntropy(logits: logits, labels: labels, weights: weights).scalar)
        #expect(abs(value - expected) < 1e-5, "\(value) vs \(expected)")
        let unweighted = Double(softmaxCrossEntropy(logits: logits, labels: labels).scalar)
        #expect(abs(Double(ClassWeights.crossEntropy(logits: logits, labels: labels, weights: [1, 1]).scalar) - unweighted) < 1e-6)
    }
}
