import Foundation
import Testing
import Synapse

/// `synapse train --task language-model`, `generate`, and `evaluate`/`inspect`/`predict` of a language model.
@Suite("Language models on the command line")
struct LanguageModelCommandTests {
    @Test("train a small LSTM on a text file, generate reproducibly, evaluate the text, inspect; predict refuses")
    func endToEnd() throws {
        let directory = try temporaryDirectory("lm-cli")
        let text = String(repeating: "to be or not to be, that is the question. ", count: 60)
        try text.write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)
        let arch = #"{"type": "sequential", "layers": [{"type": "embedding", "width": 12}, {"type": "lstm", "hidden": 24, "num_layers": 1}, {"type": "dense", "out": "vocabulary"}]}"#
        try arch.write(toFile: directory + "/lstm.json", atomically: true, encoding: .utf8)
        let train = try runSynapse(["train", "--task", "language-model", "--data", "corpus.txt", "--arch", "lstm.json", "--block-size", "32",
                                    "--epochs", "60", "--lr", "0.01", "--out", "lm.safetensors", "--quiet"], in: directory)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("language model") && train.stdout.contains("bits per character"), "\(train.stdout)")
        let args = ["generate", "--model", "lm.safetensors", "--prompt", "to be ", "--length", "60", "--seed", "7"]
        let first = try runSynapse(args, in: directory), second = try runSynapse(args, in: directory)
        #expect(first.status == 0 && first.stdout == second.stdout, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("to be ") && first.stdout.utf8.count == 67)
        let greedy = try runSynapse(["generate", "--model", "lm.safetensors", "--prompt", "that is the ", "--length", "8", "--temperature", "0"], in: directory)
        #expect(greedy.stdout == "that is the question\n", "\(greedy.stdout)")
        let evaluation = try runSynapse(["evaluate", "--model", "lm.safetensors", "--data", "corpus.txt", "--json"], in: directory)
        #expect(evaluation.status == 0, "\(evaluation.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any])
        let loss = try #require(object["loss"] as? Double), bpc = try #require(object["bpc"] as? Double)
        #expect(loss < 0.5 && abs(bpc - loss / log(2)) < 1e-9)
        let inspect = try runSynapse(["inspect", "lm.safetensors"], in: directory)
        #expect(inspect.stdout.contains("task: language model") && inspect.stdout.contains("LSTM"), "\(inspect.stdout)")
        let predict = try runSynapse(["predict", "--model", "lm.safetensors", "--data", "corpus.txt"], in: directory)
        #expect(predict.status == 1 && predict.stderr.contains("synapse generate"))
    }

    @Test("bad language-model flags and inputs get exit 2 or 1 with the problem named")
    func refusals() throws {
        let directory = try temporaryDirectory("lm-cli-bad")
        try "abcabcabcabc".write(toFile: directory + "/short.txt", atomically: true, encoding: .utf8)
        try "".write(toFile: directory + "/empty.txt", atomically: true, encoding: .utf8)
        func run(_ arguments: [String]) throws -> (Int32, String) {
            let result = try runSynapse(arguments, in: directory)
            return (result.status, result.stderr)
        }
        var (status, message) = try run(["train", "--task", "language-model", "--data", "short.txt", "--out", "m.safetensors", "--target", "x"])
        #expect(status == 2 && message.contains("'--target' does not apply"))
        (status, message) = try run(["train", "--task", "language-model", "--data", "short.txt", "--out", "m.safetensors"])
        #expect(status == 1 && message.contains("fewer than one window"), "\(message)")
        (status, message) = try run(["train", "--task", "language-model", "--data", "empty.txt", "--out", "m.safetensors"])
        #expect(status == 1 && message.contains("empty"), "\(message)")
        (status, message) = try run(["train", "--task", "language-model", "--data", "short.txt", "--out", "m.safetensors", "--block-size", "0"])
        #expect(status == 2, "\(message)")
        (status, message) = try run(["train", "--task", "language-model", "--data", "short.txt", "--out", "short.txt", "--block-size", "4"])
        #expect(status == 2, "\(message)")
        try #"{"type": "sequential", "layers": [{"type": "embedding", "width": 8}, {"type": "dense", "out": 5}]}"#.write(toFile: directory + "/wrong.json", atomically: true, encoding: .utf8)
        (status, message) = try run(["train", "--task", "language-model", "--data", "short.txt", "--arch", "wrong.json", "--block-size", "4", "--out", "m.safetensors"])
        #expect(status == 1 && message.contains("needs [N, 4, 3]"), "\(message)")
        (status, message) = try run(["generate", "--model", "missing.safetensors"])
        #expect(status == 1, "\(message)")
        (status, message) = try run(["generate", "--length", "-1", "--model", "m.safetensors"])
        #expect(status == 2, "\(message)")
        (status, message) = try run(["train", "--data", "short.txt", "--arch", "wrong.json", "--out", "m.safetensors"])
        #expect(status != 0)
    }

    @Test("train --checkpoint for 2 epochs, --resume for a 3rd: epoch 3 follows, and the model file is byte for byte the 3-epoch run's")
    func resume() throws {
        let directory = try temporaryDirectory("lm-cli-resume")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try String(repeating: "to be or not to be, that is the question. ", count: 30).write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)
        let arch = #"{"type": "sequential", "layers": [{"type": "embedding", "width": 8}, {"type": "lstm", "hidden": 16, "num_layers": 1}, {"type": "dense", "out": "vocabulary"}]}"#
        try arch.write(toFile: directory + "/lstm.json", atomically: true, encoding: .utf8)
        let common = ["train", "--task", "language-model", "--data", "corpus.txt", "--arch", "lstm.json", "--block-size", "16", "--batch-size", "8",
                      "--lr", "0.01", "--quiet"]
        let whole = try runSynapse(common + ["--epochs", "3", "--out", "whole.safetensors", "--checkpoint", "whole-ck.safetensors"], in: directory)
        let first = try runSynapse(common + ["--epochs", "2", "--out", "part.safetensors", "--checkpoint", "ck.safetensors"], in: directory)
        #expect(whole.status == 0 && first.status == 0, "\(whole.stderr) \(first.stderr)")
        // The settings come from the checkpoint; those given must agree (0.010 is the stored 0.01).
        let resumed = try runSynapse(["train", "--task", "language-model", "--data", "corpus.txt", "--resume", "ck.safetensors", "--epochs", "3",
                                      "--lr", "0.010", "--out", "resumed.safetensors"], in: directory)
        #expect(resumed.status == 0 && resumed.stdout.contains("resuming after epoch 2") && resumed.stdout.contains("block 16"), "\(resumed)")
        #expect(resumed.stderr.contains("epoch 3/3") && !resumed.stderr.contains("epoch 1/3") && !resumed.stderr.contains("epoch 2/3"), "\(resumed.stderr)")
        let a = FileManager.default.contents(atPath: directory + "/whole.safetensors"), b = FileManager.default.contents(atPath: directory + "/resumed.safetensors")
        #expect(a != nil && a == b, "the resumed run's model file differs from the uninterrupted run's")
        // The resumed run went on checkpointing to ck.safetensors: its history is the uninterrupted run's, loss for loss.
        let (_, state) = try Model<Float>.loadCheckpoint(from: directory + "/ck.safetensors")
        let (_, wholeState) = try Model<Float>.loadCheckpoint(from: directory + "/whole-ck.safetensors")
        #expect(state.epochsCompleted == 3 && state.history.epochs.map(\.epoch) == [0, 1, 2])
        #expect(state.history.epochs.map(\.loss) == wholeState.history.epochs.map(\.loss))
        #expect(state.history.epochs.map(\.validationLoss) == wholeState.history.epochs.map(\.validationLoss))
        #expect(state.optimizer == wholeState.optimizer, "the AdamW moments and step counts differ")
        #expect(state.configuration["planned-epochs"] == "3" && state.configuration["clip-norm"] == "1.0", "\(state.configuration)")
    }

    @Test("a resumed language model refuses changed settings (exit 2), --arch, other text and the other kind's checkpoint (exit 1)")
    func resumeRefusals() throws {
        let directory = try temporaryDirectory("lm-cli-resume-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let text = String(repeating: "to be or not to be. ", count: 20)
        try text.write(toFile: directory + "/corpus.txt", atomically: true, encoding: .utf8)
        try (text + "Zebra").write(toFile: directory + "/other.txt", atomically: true, encoding: .utf8)
        try #"{"type": "sequential", "layers": [{"type": "embedding", "width": 4}, {"type": "gru", "hidden": 8}, {"type": "dense", "out": "vocabulary"}]}"#
            .write(toFile: directory + "/gru.json", atomically: true, encoding: .utf8)
        let train = try runSynapse(["train", "--task", "language-model", "--data", "corpus.txt", "--arch", "gru.json", "--block-size", "8", "--epochs", "1",
                                    "--out", "lm.safetensors", "--checkpoint", "lm-ck.safetensors", "--quiet"], in: directory)
        try CrashSafetyTests.writeData(directory + "/table.csv", rows: 40)
        let table = try runSynapse(["train", "--data", "table.csv", "--layers", "4", "--epochs", "1", "--out", "t.safetensors",
                                    "--checkpoint", "t-ck.safetensors", "--quiet"], in: directory)
        try #require(train.status == 0 && table.status == 0, "\(train.stderr) \(table.stderr)")
        let resume = ["train", "--task", "language-model", "--data", "corpus.txt", "--resume", "lm-ck.safetensors", "--epochs", "2", "--out", "x.safetensors"]
        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (resume + ["--block-size", "16"], 2, "'--block-size 16' differs from the run in lm-ck.safetensors ('8')"),
            (resume + ["--lr", "0.01"], 2, "'--lr 0.01' differs from the run in lm-ck.safetensors ('0.001')"),
            (resume + ["--clip-norm", "0.5"], 2, "'--clip-norm 0.5' differs"),       // left at its default by the first run: stored all the same
            (resume + ["--weight-decay", "0"], 2, "'--weight-decay 0' differs"),
            (resume + ["--batch-size", "4"], 2, "'--batch-size 4' differs"),
            (resume + ["--seed", "1"], 2, "'--seed 1' differs"),
            (resume + ["--optimizer", "adam"], 2, "'--optimizer adam' differs"),
            (resume + ["--arch", "gru.json"], 2, "'--arch' cannot be combined with '--resume'"),
            (["train", "--task", "language-model", "--data", "other.txt", "--resume", "lm-ck.safetensors", "--out", "x.safetensors"], 1,
             "other.txt: byte 'Z' at offset 400 is not in the model's vocabulary"),
            (["train", "--task", "language-model", "--data", "corpus.txt", "--resume", "t-ck.safetensors", "--out", "x.safetensors"], 1,
             "t-ck.safetensors: not the checkpoint of a language model"),
            (["train", "--data", "table.csv", "--resume", "lm-ck.safetensors", "--out", "x.safetensors"], 1,
             "lm-ck.safetensors: the checkpoint of a language model; resume it with '--task language-model'"),
            (["train", "--task", "language-model", "--data", "corpus.txt", "--resume", "lm.safetensors", "--out", "x.safetensors"], 1, "not a checkpoint"),
        ]
        for (arguments, status, message) in cases {
            let result = try runSynapse(arguments, in: directory)
            #expect(result.status == status && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/x.safetensors"))
        let (_, state) = try Model<Float>.loadCheckpoint(from: directory + "/lm-ck.safetensors")
        #expect(state.epochsCompleted == 1, "a refused run wrote the checkpoint")
    }
}
