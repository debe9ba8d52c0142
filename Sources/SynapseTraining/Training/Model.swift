import SynapseCore
import SynapseNN
import Foundation
/// A network together with what it needs to be used on raw data: the task, the feature scaling
/// fitted on its training data, and class names. `fit`, `evaluate` and `predict` live here
/// (Keras's `Model`); a later issue saves and loads it.
///
/// ```swift
/// var rng = RandomGenerator(seed: 42)
/// let network = Sequential<Float>([Dense(inputSize: 64, outputSize: 32, generator: &rng), Activation(.relu),
///                                  Dense(inputSize: 32, outputSize: 10, generator: &rng)])
/// let model = Model(network, task: .classification(classes: 10), scaling: .standard)
/// let history = try model.fit(train, loss: .softmaxCrossEntropy, optimizer: Adam(parameters: network.parameters),
///                             epochs: 20, batchSize: 32, validation: .split(0.1))
/// print(model.evaluate(test).accuracy!)
/// ```
public final class Model<Scalar: TensorScalar> {
    /// What the model predicts.
    public enum Task: Sendable, Equatable, Codable {
        /// One of `classes` classes (outputs are logits, or probabilities/log-probabilities).
        case classification(classes: Int)
        /// `outputs` real values per example.
        case regression(outputs: Int)
        /// The next token at every position of a sequence of token ids, from a vocabulary of
        /// `vocabulary` tokens (inputs `[N, T]`, outputs `[N, T, vocabulary]` logits, targets `[N, T]`).
        case languageModel(vocabulary: Int)
    }

    /// The network.
    public let network: any Layer<Scalar>
    /// Classification or regression.
    public let task: Task
    /// The names of the classes, index by index (e.g. from a CSV's string labels).
    public var classNames: [String]?
    /// The names of the input features, in order (e.g. a CSV's header), so new data can be matched by name.
    public var featureNames: [String]?
    /// The name of the target column the model was trained on.
    public var targetName: String?
    /// The loss the model is trained and evaluated with; nil for the task's default (``defaultLoss``).
    public var loss: Loss?
    /// How features are rescaled before the network sees them; `nil` for no scaling.
    public var scalingMethod: FeatureScaling.Method?
    /// The scaling statistics, fitted on the training data by the first `fit` (or loaded).
    public var scaling: FeatureScaling?
    /// How raw table columns became the features (text columns one-hot encoded, missing values
    /// imputed), fitted on the training data and saved in the model file; nil when the features
    /// were numbers taken as they are. ``featureNames`` are then the encoded features' names.
    public var featureEncoding: FeatureEncoding?
    /// A language model's tokenizer (its vocabulary), saved in the model file.
    public var tokenizer: ByteTokenizer?
    /// A language model's context length: the longest sequence it was trained on and can attend
    /// over (generation keeps the last `blockSize` tokens). Saved in the model file.
    public var blockSize: Int?
    /// The per-epoch record of the last `fit` (or of the run it resumed), saved in the model file
    /// so its training curves can be drawn later (`synapse plot --kind history`); nil before any `fit`.
    /// The file keeps everything but the epochs' wall-clock `seconds` (loaded as 0).
    public var history: History?
    /// What a program should tell its user about the file this model was loaded from (a file
    /// without a checksum, say); empty for a model built in memory or loaded from a verified file.
    public internal(set) var warnings: [String] = []

    /// A model around `network`.
    public init(_ network: any Layer<Scalar>, task: Task, scaling: FeatureScaling.Method? = nil, classNames: [String]? = nil) {
        self.network = network
        self.task = task
        self.scalingMethod = scaling
        self.classNames = classNames
    }

    /// The network's trainable parameters.
    public var parameters: [Tensor<Scalar>] { network.parameters }

    /// Features as the network sees them: scaled with the fitted statistics (if any).
    public func prepare(_ features: Tensor<Scalar>) -> Tensor<Scalar> {
        scaling.map { $0.apply(features) } ?? features
    }

    /// The network's raw outputs for `features` (scaled first), in evaluation mode, without
    /// recording gradients, computed `batchSize` rows at a time — fewer when one example's largest
    /// activation is so large that a batch of them would pass 2²⁶ values (256 MB of float32).
    public func predict(_ features: Tensor<Scalar>, batchSize: Int = 1024) -> Tensor<Scalar> {
        let wasTraining = network.isTraining
        network.eval()
        defer { network.train(wasTraining) }
        var batchSize = batchSize
        if let spec = try? LayerSpec(describing: network) {
            let largest = spec.largestActivation(for: Array(features.shape.dropFirst()))
            batchSize = Swift.max(1, Swift.min(batchSize, (1 << 26) / Swift.max(largest, 1)))
        }
        return withoutGradients {
            let x = prepare(features)
            if x.shape[0] <= batchSize { return network(x) }
            let parts = stride(from: 0, to: x.shape[0], by: batchSize).map { network(x.rows($0..<Swift.min($0 + batchSize, x.shape[0]))) }
            return Tensor.concatenatingRows(parts)
        }
    }

    /// The predicted class of each row, read from the outputs under the model's loss
    /// (``Loss/classes(fromOutputs:)``: the arg-max of the outputs; for one output, class 1 when
    /// its logit exceeds 0 — or its probability 0.5 under `bce`).
    public func predictClasses(_ features: Tensor<Scalar>) -> [Int] {
        (loss ?? defaultLoss).classes(fromOutputs: predict(features))
    }

    /// Per-row class probabilities for `features`, read from the outputs under the model's loss
    /// (``Loss/probabilities(fromOutputs:)``).
    public func predictProbabilities(_ features: Tensor<Scalar>) -> [[Double]] {
        (loss ?? defaultLoss).probabilities(fromOutputs: predict(features))
    }

    /// Loss and metrics of the model on `data` (evaluation mode, no gradients).
    public func evaluate(_ data: Dataset<Scalar>, loss: Loss? = nil) -> Evaluation {
        if case .languageModel = task { return evaluateSequences(data, loss: loss ?? self.loss ?? defaultLoss) }
        let outputs = predict(data.features)
        let lossFunction = loss ?? self.loss ?? defaultLoss
        let lossValue = Double(withoutGradients { lossFunction(outputs, data.targets) }.scalar)
        return evaluation(outputs: outputs, targets: data.targets, loss: lossValue, lossFunction: lossFunction)
    }

    /// A language model's loss and next-token accuracy over windows `[N, T]`, a few windows at a
    /// time: the logits of a long text (`[N, T, vocabulary]`) would be hundreds of times its size,
    /// so they are never held all at once. Every position counts once; the loss is their mean.
    private func evaluateSequences(_ data: Dataset<Scalar>, loss lossFunction: Loss) -> Evaluation {
        let rows = data.features.shape[0], positions = data.features.count
        // Windows per pass: about 2²² logits (16 MB of float32), at least one window.
        let perRow = Swift.max(1, data.targets.count / Swift.max(rows, 1)) * Swift.max(1, outputSize)
        let step = Swift.max(1, (1 << 22) / perRow)
        var lossSum = 0.0, correct = 0
        for start in stride(from: 0, to: rows, by: step) {
            let range = start..<Swift.min(start + step, rows)
            let outputs = predict(data.features.rows(range))
            let targets = data.targets.rows(range)
            lossSum += Double(withoutGradients { lossFunction(outputs, targets) }.scalar) * Double(targets.count)
            let predicted = lossFunction.classes(fromOutputs: outputs.reshaped([-1, outputs.shape[outputs.rank - 1]]))
            correct += zip(predicted, targets.integerScalars).filter { $0 == $1 }.count
        }
        let mean = positions > 0 ? lossSum / Double(positions) : 0
        var evaluation = Evaluation(loss: mean)
        evaluation.bitsPerCharacter = mean / log(2.0)
        evaluation.accuracy = positions > 0 ? Double(correct) / Double(positions) : 0
        return evaluation
    }

    /// The outputs per position: the vocabulary of a language model, else 1 (used for batching).
    private var outputSize: Int {
        if case .languageModel(let vocabulary) = task { return vocabulary }
        return 1
    }

    /// The metrics of the task for network `outputs` against `targets`, with an already computed loss.
    func evaluation(outputs: Tensor<Scalar>, targets: Tensor<Scalar>, loss lossValue: Double, lossFunction: Loss) -> Evaluation {
        var evaluation = Evaluation(loss: lossValue)
        switch task {
        case .classification(let classes):
            let predicted = lossFunction.classes(fromOutputs: outputs)
            let labels = targets.integerScalars
            evaluation.accuracy = Metrics.accuracy(predicted: predicted, labels: labels)
            let classCount = Swift.max(classes, 2)
            evaluation.confusionMatrix = Metrics.confusionMatrix(predicted: predicted, labels: labels, classes: classCount)
            evaluation.report = Metrics.classificationReport(predicted: predicted, labels: labels, classes: classCount)
        case .languageModel:
            // Loss in nats per token; with byte tokens, bits per character is the same in base 2.
            evaluation.bitsPerCharacter = lossValue / log(2.0)
            let predicted = lossFunction.classes(fromOutputs: outputs.reshaped([-1, outputs.shape[outputs.rank - 1]]))
            evaluation.accuracy = Metrics.accuracy(predicted: predicted, labels: targets.integerScalars)
        case .regression:
            let p = outputs.doubleScalars, y = targets.doubleScalars
            evaluation.meanSquaredError = Metrics.meanSquaredError(predicted: p, targets: y)
            evaluation.meanAbsoluteError = Metrics.meanAbsoluteError(predicted: p, targets: y)
            evaluation.r2 = Metrics.r2Score(predicted: p, targets: y)
        }
        return evaluation
    }

    /// The names that label the classes: ``classNames``, or the class indices as text (`"0"`, `"1"`, …);
    /// empty for a regression.
    public var classLabels: [String] {
        if let classNames { return classNames }
        if case .classification(let classes) = task { return (0..<classes).map(String.init) }
        return []
    }

    /// Softmax cross-entropy for classification and language models, MSE for regression (used when ``loss`` is nil).
    public var defaultLoss: Loss {
        if case .regression = task { return .meanSquaredError }
        return .softmaxCrossEntropy
    }
}

/// The result of ``Model/evaluate(_:loss:)``.
public struct Evaluation: Sendable, Equatable, Codable {
    /// The mean loss.
    public var loss: Double
    /// Classification: the fraction classified correctly.
    public var accuracy: Double?
    /// Classification: `matrix[true][predicted]`.
    public var confusionMatrix: [[Int]]?
    /// Classification: precision, recall and F1 per class and macro-averaged.
    public var report: Metrics.ClassificationReport?
    /// Regression: mean squared error.
    public var meanSquaredError: Double?
    /// Regression: mean absolute error.
    public var meanAbsoluteError: Double?
    /// Regression: the coefficient of determination.
    public var r2: Double?
    /// Language model: the loss in bits (base 2) per token — per character for byte tokens of ASCII text.
    public var bitsPerCharacter: Double?

    /// An evaluation with only the loss filled in.
    public init(loss: Double) { self.loss = loss }

    /// The metrics by their short names (`accuracy`, `f1`, `precision`, `recall`, `mse`, `mae`, `r2`, `bpc`).
    public var metrics: [String: Double] {
        var m: [String: Double] = [:]
        if let accuracy { m["accuracy"] = accuracy }
        if let report { m["f1"] = report.macroF1; m["precision"] = report.macroPrecision; m["recall"] = report.macroRecall }
        if let meanSquaredError { m["mse"] = meanSquaredError }
        if let meanAbsoluteError { m["mae"] = meanAbsoluteError }
        if let r2 { m["r2"] = r2 }
        if let bitsPerCharacter { m["bpc"] = bitsPerCharacter }
        return m
    }
}
