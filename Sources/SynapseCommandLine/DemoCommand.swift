import Foundation
import Synapse

/// `synapse demo [seed|xor|digits|mnist]`: the built-in demonstrations.
enum DemoCommand {
    static let help = """
    Usage: synapse demo [NAME] [--data PATH] [--seed N] [--cnn] [--epochs N] [--out MODEL.safetensors]

    Runs a built-in demonstration.

      (none)  the tutorial's XOR network, why it stalls, and a configuration that solves it
      seed    the tutorial's program, printing exactly what the Python original prints
      xor     XOR solved by a 2-4-1 network trained with automatic differentiation
      digits  a 64-64-10 MLP on scikit-learn's 8×8 digits (seeded 80/20 split)
      text    a character-level GPT (4 layers, 4 heads, width 128, block 128) trained with AdamW on
              an English news corpus, with samples before and after training and the validation loss
      mnist   the MNIST recipe: MLP 784-128-10, ReLU, softmax cross-entropy, Adam 1e-3,
              batch 128, 5 epochs, seed 42
              with --cnn: LeNet-5 (conv 5×5 ×6, max-pool 2, conv 5×5 ×16, max-pool 2, dense 120, 84, 10,
              ReLU), SGD momentum 0.9, lr 0.01, batch 64, 3 epochs

    Options:
          --data PATH  the digits CSV, the MNIST directory or the text (default: ../shared/data/...)
          --seed N     the seed of the mnist and text demos (default: 42)
          --cnn        mnist: train LeNet-5 instead of the MLP
          --epochs N   mnist --cnn: epochs (default: 3); text: epochs (default: 4)
          --out FILE   mnist --cnn, text: also save the trained model
      -h, --help       show this help
    """

    static func run(_ arguments: [String], in invocation: Invocation) throws {
        let parsed = try Arguments(arguments, command: "demo", valued: ["data", "seed", "epochs", "out"], flags: ["cnn"], in: invocation)
        let seed = UInt32(try parsed.integer("seed", default: 42, in: 0...Int(UInt32.max), command: "demo"))
        let epochs = try parsed.integer("epochs", default: 3, in: 1...1000, command: "demo")
        if parsed.positional.first != "mnist" && parsed.flag("cnn") {
            throw CommandLineError.usage("'--cnn' goes with the mnist demo", command: "demo")
        }
        if !["mnist", "text"].contains(parsed.positional.first) && (parsed.options["epochs"] != nil || parsed.options["out"] != nil) {
            throw CommandLineError.usage("'--epochs' and '--out' go with the 'mnist --cnn' and 'text' demos", command: "demo")
        }
        if parsed.flag("help") { invocation.print(help); return }
        guard parsed.positional.count <= 1 else {
            throw CommandLineError.usage("demo takes at most one name, got \(parsed.positional.joined(separator: " "))", command: "demo")
        }
        switch parsed.positional.first {
        case nil: mainJob(in: invocation)
        case "seed": Tutorial.runExample(print: invocation.print)
        case "xor": solveXOR(logEvery: 500, in: invocation)
        case "digits": try TrainingDemos.digits(path: parsed.path("data") ?? parsed.resolve("../shared/data/digits/digits.csv.gz"), in: invocation)
        case "mnist" where parsed.flag("cnn"):
            let directory = parsed.path("data") ?? parsed.resolve("../shared/data/mnist")
            if let out = parsed.path("out") {
                // Checked before training: the model file must not replace a device, a link's meaning or the data.
                try invocation.checkOutputs([("--out", out)], inputs: [("--data", directory)], command: "demo")
            }
            try TrainingDemos.mnistCNN(directory: directory, seed: seed, epochs: epochs, save: parsed.path("out"), in: invocation)
        case "mnist":
            if parsed.options["epochs"] != nil || parsed.options["out"] != nil {
                throw CommandLineError.usage("'--epochs' and '--out' go with 'mnist --cnn'", command: "demo")
            }
            try TrainingDemos.mnist(directory: parsed.path("data") ?? parsed.resolve("../shared/data/mnist"), seed: seed, in: invocation)
        case "text":
            let path = parsed.path("data") ?? parsed.resolve("../shared/data/text/lee_background.txt")
            if let out = parsed.path("out") { try invocation.checkOutputs([("--out", out)], inputs: [("--data", path)], command: "demo") }
            try TrainingDemos.text(path: path, seed: seed, epochs: parsed.options["epochs"] == nil ? textEpochs : epochs, save: parsed.path("out"), in: invocation)
        case let name?:
            throw CommandLineError.usage("unknown demo '\(name)' (available: seed, xor, digits, mnist, text)", command: "demo")
        }
    }

    /// The text demo's epochs (each about one pass over the text in random windows).
    static let textEpochs = 4

    static var inputs: Tensor<Double> { Tensor(Tutorial.xorInputs) }
    static var targets: Tensor<Double> { Tensor(Tutorial.xorTargets) }

    /// The README's main job: the tutorial as written, the reason it stalls, and a fix.
    static func mainJob(in invocation: Invocation) {
        let start = Date()
        invocation.print("Synapse: the tutorial's XOR network, then one that solves it.\n")
        invocation.print("1. The tutorial as written: 2-2-1 sigmoid network, seed 42, learning rate 0.1, 10 000 epochs")
        var losses: [Int: Double] = [:]
        let trained = Tutorial.trainNetwork(inputs, targets, inputSize: 2, hiddenSize: 2, outputSize: 1,
                                            epochs: 10_000, learningRate: 0.1) { line in
            // "Epoch N, Loss: L" — keep every 2 000th for a short summary.
            let parts = line.split(separator: " ")
            if let epoch = Int(parts[1].dropLast()), epoch % 2000 == 0, let loss = Double(parts[3]) { losses[epoch] = loss }
        }
        for epoch in losses.keys.sorted() { invocation.print(String(format: "   epoch %5d   loss (MSE) %.6f", epoch, losses[epoch]!)) }
        report(Tutorial.predict(trained, inputs), in: invocation)
        invocation.print("""
           Why it stalls: from seed 42 the two hidden units fall into a local minimum that fits (0,0) and (1,0)
           but leaves (0,1) and (1,1) at 0.5, so the MSE flattens toward 0.125; more epochs or a larger step do not leave it.

        """)
        invocation.print("2. The same network with 4 hidden units and learning rate 1.0, gradients by automatic differentiation")
        solveXOR(logEvery: 1000, in: invocation)
        invocation.print(String(format: "\nDone in %.2f s. Try 'synapse demo seed' for the tutorial's exact printout.", Date().timeIntervalSince(start)))
    }

    /// Trains the 2-4-1 sigmoid network with autodiff and prints its progress and predictions.
    static func solveXOR(logEvery: Int, in invocation: Invocation) {
        let network = AutodiffNetwork(inputSize: 2, hiddenSize: 4, outputSize: 1, activation: .sigmoid, seed: 42)
        network.train(inputs, targets, epochs: 5000, learningRate: 1.0, logEvery: logEvery) { epoch, loss in
            invocation.print(String(format: "   epoch %5d   loss (MSE) %.6f", epoch, loss))
        }
        report(withoutGradients { network(inputs) }, in: invocation)
    }

    /// Prints the four predictions and whether each lies on the right side of 0.5 by at least 0.4.
    static func report(_ predictions: Tensor<Double>, in invocation: Invocation) {
        let cells = zip(Tutorial.xorInputs, predictions.scalars).map { input, p in
            "[\(Int(input[0])), \(Int(input[1]))] → \(String(format: "%.3f", p))"
        }
        let solved = zip(Tutorial.xorTargets, predictions.scalars).allSatisfy { target, p in
            target[0] == 1 ? p >= 0.9 : p <= 0.1
        }
        invocation.print("   predictions  " + cells.joined(separator: "   ") + (solved ? "   ✓ solved" : "   ✗ not solved"))
    }
}
