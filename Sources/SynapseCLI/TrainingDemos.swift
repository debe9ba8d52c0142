import Foundation
import Synapse

/// The demonstrations that train on real data with the library's `fit`.
enum TrainingDemos {
    /// Prints one line per epoch (demos print results on stdout).
    static func printEpoch(_ log: EpochLog) {
        // Metrics are measured on the validation data when there is some (Keras's `val_` names), else on the training batches.
        let prefix = log.validationLoss == nil ? "" : "val_"
        let metrics = log.metrics.sorted { $0.key < $1.key }.map { String(format: "%@%@ %.4f", prefix, $0.key, $0.value) }.joined(separator: "  ")
        let validation = log.validationLoss.map { String(format: "  val_loss %.4f", $0) } ?? ""
        print(String(format: "epoch %2d  loss %.4f", log.epoch + 1, log.loss) + validation + "  " + metrics + String(format: "  (%.2f s)", log.seconds))
    }

    /// A 64-64-10 MLP on the digits CSV.
    static func digits(path: String) throws {
        let table = try CSVTable.read(path)
        guard table.columnCount == 65 else { throw CommandLineError.failure("\(path): expected 65 columns (64 pixels and a label), found \(table.columnCount)") }
        let data: Dataset<Float> = try table.numericDataset(targetColumn: 64)
        let (train, test) = data.split(heldOutFraction: 0.2, seed: 42)
        var generator = RandomGenerator(seed: 42)
        let network = Sequential<Float>([Dense(inputSize: 64, outputSize: 64, generator: &generator), Activation(.relu),
                                         Dense(inputSize: 64, outputSize: 10, generator: &generator)])
        let model = Model(network, task: .classification(classes: 10), scaling: .standard)
        print("digits: \(train.count) training and \(test.count) test images, 8×8; \(network.summary)")
        try model.fit(train, optimizer: Adam(parameters: model.parameters, learningRate: 1e-3), epochs: 40, batchSize: 32,
                      validation: .split(0.1), seed: 42) { progress in
            if let log = progress.epochLog, (log.epoch + 1) % 5 == 0 { printEpoch(log) }
        }
        let evaluation = model.evaluate(test)
        print(String(format: "test accuracy %.2f %%, macro F1 %.4f", 100 * evaluation.accuracy!, evaluation.report!.macroF1))
    }

    /// The MNIST MLP recipe of the training issue.
    static func mnist(directory: String, seed: UInt32 = 42) throws {
        let start = Date()
        let train: Dataset<Float> = try MNIST.load(.train, from: directory)
        let test: Dataset<Float> = try MNIST.load(.test, from: directory)
        var generator = RandomGenerator(seed: seed)
        let network = Sequential<Float>([Dense(inputSize: 784, outputSize: 128, generator: &generator), Activation(.relu),
                                         Dense(inputSize: 128, outputSize: 10, generator: &generator)])
        // One mean and standard deviation over all pixels, fitted on the training images (torchvision's
        // Normalize(0.1307, 0.3081) for MNIST): +0.4 points over raw [0, 1] pixels in this recipe.
        let model = Model(network, task: .classification(classes: 10), scaling: .global)
        print("MNIST: \(train.count) training, \(test.count) test images (loaded in \(String(format: "%.1f", Date().timeIntervalSince(start))) s)")
        print(network.summary)
        try model.fit(train, optimizer: Adam(parameters: model.parameters, learningRate: 1e-3), epochs: 5, batchSize: 128,
                      seed: seed) { progress in
            if let log = progress.epochLog { printEpoch(log) }
        }
        let evaluation = model.evaluate(test)
        print(String(format: "test accuracy %.2f %% (recipe target ≥ 97.5 %%), macro F1 %.4f; total %.1f s",
                     100 * evaluation.accuracy!, evaluation.report!.macroF1, Date().timeIntervalSince(start)))
    }
}
