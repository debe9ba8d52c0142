import Foundation
import Testing

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
}
