import Foundation
import Synapse

/// The demonstrations that train on real data with the library's `fit`.
enum TrainingDemos {
    /// Prints one line per epoch (demos print results on stdout).
    static func printEpoch(_ log: EpochLog, in invocation: Invocation) {
        // Metrics are measured on the validation data when there is some (Keras's `val_` names), else on the training batches.
        let prefix = log.validationLoss == nil ? "" : "val_"
        let metrics = log.metrics.sorted { $0.key < $1.key }.map { String(format: "%@%@ %.4f", prefix, $0.key, $0.value) }.joined(separator: "  ")
        let validation = log.validationLoss.map { String(format: "  val_loss %.4f", $0) } ?? ""
        invocation.print(String(format: "epoch %2d  loss %.4f", log.epoch + 1, log.loss) + validation + "  " + metrics + String(format: "  (%.2f s)", log.seconds))
    }

    /// A 64-64-10 MLP on the digits CSV.
    static func digits(path: CommandPath, in invocation: Invocation) throws {
        let table = try CSVTable.read(path.location)
        guard table.columnCount == 65 else { throw CommandLineError.failure("\(path): expected 65 columns (64 pixels and a label), found \(table.columnCount)") }
        let data: Dataset<Float> = try table.numericDataset(targetColumn: 64)
        let (train, test) = data.split(heldOutFraction: 0.2, seed: 42)
        var generator = RandomGenerator(seed: 42)
        let network = Sequential<Float>([Dense(inputSize: 64, outputSize: 64, generator: &generator), Activation(.relu),
                                         Dense(inputSize: 64, outputSize: 10, generator: &generator)])
        let model = Model(network, task: .classification(classes: 10), scaling: .standard)
        invocation.print("digits: \(train.count) training and \(test.count) test images, 8×8; \(network.summary)")
        try model.fit(train, optimizer: Adam(parameters: model.parameters, learningRate: 1e-3), epochs: 40, batchSize: 32,
                      validation: .split(0.1), seed: 42) { progress in
            if let log = progress.epochLog, (log.epoch + 1) % 5 == 0 { printEpoch(log, in: invocation) }
        }
        let evaluation = model.evaluate(test)
        invocation.print(String(format: "test accuracy %.2f %%, macro F1 %.4f", 100 * evaluation.accuracy!, evaluation.report!.macroF1))
    }

    /// The MNIST MLP recipe of the training issue.
    static func mnist(directory: CommandPath, seed: UInt32 = 42, in invocation: Invocation) throws {
        let start = Date()
        let train: Dataset<Float> = try MNIST.load(.train, from: directory.location)
        let test: Dataset<Float> = try MNIST.load(.test, from: directory.location)
        var generator = RandomGenerator(seed: seed)
        let network = Sequential<Float>([Dense(inputSize: 784, outputSize: 128, generator: &generator), Activation(.relu),
                                         Dense(inputSize: 128, outputSize: 10, generator: &generator)])
        // One mean and standard deviation over all pixels, fitted on the training images (torchvision's
        // Normalize(0.1307, 0.3081) for MNIST): +0.4 points over raw [0, 1] pixels in this recipe.
        let model = Model(network, task: .classification(classes: 10), scaling: .global)
        invocation.print("MNIST: \(train.count) training, \(test.count) test images (loaded in \(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
        invocation.print(network.summary)
        try model.fit(train, optimizer: Adam(parameters: model.parameters, learningRate: 1e-3), epochs: 5, batchSize: 128,
                      seed: seed) { progress in
            if let log = progress.epochLog { printEpoch(log, in: invocation) }
        }
        let evaluation = model.evaluate(test)
        invocation.print(String(format: "test accuracy %.2f %% (recipe target ≥ 97.5 %%), macro F1 %.4f; total %.1f s",
                     100 * evaluation.accuracy!, evaluation.report!.macroF1, Date().timeIntervalSince(start)))
    }

    /// LeNet-5 as the CNN issue specifies it, on flat MNIST rows reshaped to 1×28×28 images.
    static func lenet(generator: inout RandomGenerator) -> Sequential<Float> {
        Sequential<Float>([
            Reshape([1, 28, 28]),
            Conv2D(inputChannels: 1, outputChannels: 6, kernelSize: 5, padding: nil, generator: &generator), Activation(.relu),
            MaxPool2D(kernelSize: 2),
            Conv2D(inputChannels: 6, outputChannels: 16, kernelSize: 5, generator: &generator), Activation(.relu),
            MaxPool2D(kernelSize: 2),
            Flatten(),
            Dense(inputSize: 400, outputSize: 120, activation: .relu, generator: &generator),
            Dense(inputSize: 120, outputSize: 84, activation: .relu, generator: &generator),
            Dense(inputSize: 84, outputSize: 10, generator: &generator),
        ])
    }

    /// LeNet-5's training FLOP per sample: forward and weight gradients of every conv and dense layer,
    /// input gradients of all but the first (whose input is the data).
    static let lenetTrainingFLOPPerSample: Double = {
        let conv1 = 28 * 28 * 6 * 25, conv2 = 10 * 10 * 16 * 150, dense = 400 * 120 + 120 * 84 + 84 * 10
        return 2 * Double(2 * conv1 + 3 * conv2 + 3 * dense)
    }()

    /// The CNN recipe: LeNet-5, SGD with momentum 0.9, learning rate 0.01, batch 64, 3 epochs.
    static func mnistCNN(directory: CommandPath, seed: UInt32 = 42, epochs: Int = 3, save: CommandPath? = nil, in invocation: Invocation) throws {
        let start = Date()
        let train: Dataset<Float> = try MNIST.load(.train, from: directory.location)
        let test: Dataset<Float> = try MNIST.load(.test, from: directory.location)
        var generator = RandomGenerator(seed: seed)
        let network = lenet(generator: &generator)
        let model = Model(network, task: .classification(classes: 10), scaling: .global)
        invocation.print("MNIST: \(train.count) training, \(test.count) test images (loaded in \(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
        invocation.print(network.summary)
        try model.fit(train, optimizer: SGD(parameters: model.parameters, learningRate: 0.01, momentum: 0.9), epochs: epochs, batchSize: 64,
                      seed: seed) { progress in
            if let log = progress.epochLog { printEpoch(log, in: invocation) }
        }
        let evaluation = model.evaluate(test)
        invocation.print(String(format: "test accuracy %.2f %% (recipe target ≥ 98.8 %%), macro F1 %.4f; total %.1f s",
                     100 * evaluation.accuracy!, evaluation.report!.macroF1, Date().timeIntervalSince(start)))
        if let save {
            try model.save(to: save.location)
            invocation.print("saved \(save)")
        }
    }
}

extension TrainingDemos {
    /// The sequence-model issue's recipe: a character-level GPT (4 layers, 4 heads, width 128,
    /// block 128) trained with AdamW (lr 1e-3, betas 0.9/0.99, weight decay 0.1 on matrices, clip
    /// 1.0, batch 32) on a text, with a sample before and after training.
    static func text(path: CommandPath, seed: UInt32, epochs: Int, save: CommandPath?, in invocation: Invocation) throws {
        let start = Date()
        let corpus: TextCorpus
        do { corpus = try TextCorpus(text: try TextCorpus.read(path.location)) } catch let error as DataError {
            throw CommandLineError.failure(error.description)
        }
        let blockSize = 128, batchSize = 32
        var generator = RandomGenerator(seed: seed)
        let spec = LayerSpec.gpt(blockSize: blockSize).fillingVocabulary(corpus.tokenizer.vocabularySize)
        let model = Model<Float>.languageModel(try spec.makeLayer(generator: &generator), tokenizer: corpus.tokenizer, blockSize: blockSize)
        let windows = corpus.training.count / blockSize
        invocation.print("text: \(corpus.training.count + corpus.validation.count) bytes of \(path), \(corpus.tokenizer.vocabularySize) distinct; the last \(corpus.validation.count) held out")
        invocation.print("GPT: 4 layers, 4 heads, width 128, block \(blockSize), \(model.network.parameterCount) parameters; AdamW lr 1e-3, batch \(batchSize), \(epochs) epochs of \(windows) random windows")
        // The prompt: "The ", or the text's first bytes when it has no such letters.
        let prompt = (try? corpus.tokenizer.encode(Array("The ".utf8))) != nil ? Array("The ".utf8) : Array(corpus.tokenizer.decode(Array(corpus.training.prefix(4))))
        func sample(_ heading: String) throws {
            var sampler = RandomGenerator(seed: seed)
            let text = try model.generate(prompt: prompt, length: 300, temperature: 0.8, topK: 40, generator: &sampler)
            invocation.print("\n\(heading)\n  " + String(decoding: prompt + text, as: UTF8.self).replacingOccurrences(of: "\n", with: "\n  ") + "\n")
        }
        try sample("Sample before training (prompt \"\(String(decoding: prompt, as: UTF8.self))\", temperature 0.8, top-k 40):")
        var options = FitOptions<Float>(batchSize: batchSize, seed: seed) { progress in
            if let epoch = progress.epochLog {
                let validation = epoch.validationLoss.map { String(format: "  val_loss %.4f (%.3f bits/char)", $0, $0 / log(2.0)) } ?? ""
                invocation.print(String(format: "epoch %2d  loss %.4f", epoch.epoch + 1, epoch.loss) + validation + String(format: "  (%.1f s)", epoch.seconds))
            }
        }
        options.gradientClipNorm = 1
        let optimizer = AdamW.decayingMatrices(parameters: model.parameters, learningRate: 1e-3)
        let history = try model.fitLanguageModel(corpus, optimizer: optimizer, epochs: epochs, options: options)
        try sample("Sample after training:")
        if let loss = history.epochs.last?.validationLoss {
            invocation.print(String(format: "validation loss %.4f nats per character (%.3f bits per character)", loss, loss / log(2.0)))
        }
        if let save {
            do { try model.save(to: save.location) } catch let error as DataError { throw CommandLineError.failure(error.description) }
            invocation.print("saved \(save)")
        }
        invocation.print(String(format: "done in %.1f s", Date().timeIntervalSince(start)))
    }
}
