import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// The rules `synapse train`, `predict` and `evaluate` apply, now library API: task inference, the
/// optimizer by name, the MLP, the "auto" epochs and the outputs → classes rule.
@Suite("The command line's rules, as library API")
struct CommandRulesTests {
    @Test("task inference: text labels, small integers renumbered and named, real values, choices and limits")
    func taskInference() throws {
        let text = try TaskInference(targets: Tensor<Float>([0, 1, 2, 1]), classNames: ["a", "b", "c"], targetName: "y")
        #expect(text.task == .classification(classes: 3) && text.classNames == ["a", "b", "c"])
        #expect(text.reason == "classification (3 classes from the text labels in 'y')")

        let small = try TaskInference(targets: Tensor<Float>([3, 7, 3, 5]), classNames: nil, targetName: nil)
        #expect(small.task == .classification(classes: 3) && small.classNames == ["3", "5", "7"])
        #expect(small.targets.scalars == [0, 2, 0, 1], "renumbered in numeric order")

        let real = try TaskInference(targets: Tensor<Float>([0.5, 1.25, 3]), classNames: nil, targetName: "price")
        #expect(real.task == .regression(outputs: 1) && real.classNames == nil && real.targets.scalars == [0.5, 1.25, 3])

        let chosen = try TaskInference(targets: Tensor<Float>([0.5, 1.5, 0.5]), classNames: nil, targetName: nil, choice: .classify)
        #expect(chosen.classNames == ["0.5", "1.5"] && chosen.reason.contains("classes from the values"))

        #expect(throws: TaskMismatch.self) { try TaskInference(targets: Tensor<Float>([0, 1]), classNames: ["a", "b"], targetName: nil, choice: .regress) }
        #expect(throws: TaskMismatch.self) { try TaskInference(targets: Tensor<Float>([4, 4]), classNames: nil, targetName: nil, choice: .classify) }
        // One distinct number read as a number is a regression; as a class index, a single class is an error.
        #expect(try TaskInference(targets: Tensor<Float>([4, 4]), classNames: nil, targetName: nil).task == .regression(outputs: 1))
        #expect(throws: TaskMismatch.self) { try TaskInference(targets: Tensor<Float>([4, 4]), classNames: nil, targetName: nil, targetsAreNumeric: false) }
    }

    @Test("optimizers by name: the command line's defaults, and the kind a saved state names")
    func optimizerChoice() throws {
        var g = RandomGenerator(seed: 1)
        let parameters = Dense<Float>(inputSize: 2, outputSize: 2, generator: &g).parameters
        let sgd = try #require(OptimizerChoice.sgd.make(parameters: parameters) as? SGD<Float>)
        #expect(sgd.learningRate == 0.01 && sgd.momentum == 0.9)
        #expect(OptimizerChoice.adam.defaultLearningRate == 0.001 && OptimizerChoice.adagrad.defaultLearningRate == 0.01)
        for choice in OptimizerChoice.allCases {
            let optimizer = choice.make(parameters: parameters, learningRate: 0.5)
            #expect(optimizer.learningRate == 0.5)
            #expect(OptimizerChoice(stateKind: optimizer.state.kind) == choice, "\(choice) saves a state of kind \(optimizer.state.kind)")
        }
        #expect(OptimizerChoice(stateKind: "Lamb") == nil)
    }

    @Test("Sequential.mlp: dense layers between the sizes, the activation between them, weights drawn in order")
    func mlp() {
        var g1 = RandomGenerator(seed: 5), g2 = RandomGenerator(seed: 5)
        let network = Sequential<Float>.mlp(sizes: [4, 16, 8, 3], activation: .tanh, generator: &g1)
        #expect(network.layers.count == 5 && network.parameterCount == 4 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3)
        #expect((network.layers[1] as? Activation<Float>)?.function == .tanh && network.layers[4] is Dense<Float>)
        let first = Dense<Float>(inputSize: 4, outputSize: 16, generator: &g2)
        #expect((network.layers[0] as? Dense<Float>)?.weight.scalars == first.weight.scalars)
    }

    @Test("auto epochs: until converged (tolerance 1e-4, patience 10), at most 1 000; small data holds nothing out")
    func epochs() {
        #expect(TrainingDefaults.maximumAutoEpochs == 1000 && TrainingDefaults.tolerance == 1e-4 && TrainingDefaults.patience == 10)
        #expect(TrainingDefaults.validationSplit(rows: 150) == 0 && TrainingDefaults.validationSplit(rows: 60_000) == 0.1)
        #expect(TrainingDefaults.maximizes("val_accuracy") && TrainingDefaults.maximizes("r2") && !TrainingDefaults.maximizes("val_loss"))
        #expect(TrainingDefaults.scaling(images: true) == .global && TrainingDefaults.scaling(images: false) == .standard)
    }

    @Test("outputs → probabilities and classes under each loss: the class is the arg-max of the probabilities")
    func readout() {
        let logits = Tensor<Float>(shape: [2, 3], scalars: [1, 3, 2, 0, 0, -1])
        let p = Loss.softmaxCrossEntropy.probabilities(fromOutputs: logits)
        #expect(abs(p[0].reduce(0, +) - 1) < 1e-12 && Loss.softmaxCrossEntropy.classes(fromOutputs: logits) == [1, 0])
        let logProbabilities = Tensor<Float>(shape: [1, 2], scalars: [log(0.25), log(0.75)])
        #expect(abs(Loss.negativeLogLikelihood.probabilities(fromOutputs: logProbabilities)[0][1] - 0.75) < 1e-6)
        let single = Tensor<Float>(shape: [3, 1], scalars: [-0.5, 0, 0.7])
        #expect(Loss.binaryCrossEntropyWithLogits.classes(fromOutputs: single) == [0, 0, 1])
        #expect(Loss.binaryCrossEntropy.classes(fromOutputs: single) == [0, 0, 1])
        #expect(Loss.binaryCrossEntropy.probabilities(fromOutputs: single)[2] == [1 - Double(Float(0.7)), Double(Float(0.7))])
        for loss in [Loss.softmaxCrossEntropy, .negativeLogLikelihood, .binaryCrossEntropy, .binaryCrossEntropyWithLogits] {
            let outputs = loss == .binaryCrossEntropy || loss == .binaryCrossEntropyWithLogits ? single : logits
            let argmax = loss.probabilities(fromOutputs: outputs).map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
            #expect(loss.classes(fromOutputs: outputs) == argmax, "\(loss)")
        }
    }
}
