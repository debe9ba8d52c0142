import SynapseCore
import SynapseNN
import Foundation

/// Data that does not fit a model: a different number of features, a shape a layer cannot take,
/// or activations too large to compute.
public struct InputMismatch: Error, Equatable, CustomStringConvertible {
    /// What does not fit, in words.
    public let description: String
}

extension Model {
    /// The number of features one example has, as far as the model tells: its first dense layer's
    /// input size, else the number of features its scaling was fitted on, else the number of its
    /// feature names (nil when none of them tells — a CNN trained on unscaled .npy data).
    /// `synapse inspect` shows the architecture's shapes for an example of this many features.
    public var featureCount: Int? {
        Self.featureCount(spec: try? LayerSpec(describing: network), scaling: scaling, featureNames: featureNames)
    }

    /// The shape of one example when known: a language model's window of ``blockSize`` token ids
    /// `[T]`, else `[featureCount]`.
    public var exampleShape: [Int]? {
        if case .languageModel = task { return blockSize.map { [$0] } }
        return featureCount.map { [$0] }
    }

    /// The one rule behind ``featureCount`` and ``checkInput(exampleShape:)``.
    private static func featureCount(spec: LayerSpec?, scaling: FeatureScaling?, featureNames: [String]?) -> Int? {
        spec?.inputSize ?? scaling?.shift.count ?? featureNames?.count
    }

    /// Checks, before predicting or evaluating, that examples of `exampleShape` (the batch axis left
    /// out) fit the model: as many features as its first dense layer, its scaling and its feature
    /// names expect, a shape every layer accepts (a CNN's reshape, say), and no example whose largest
    /// activation passes ``ResourceLimits/parameters`` values.
    /// - Throws: ``InputMismatch`` naming the counts, the layer and the shapes.
    public func checkInput(exampleShape: [Int]) throws(InputMismatch) {
        let given = exampleShape.checkedProduct()
        let spec = try? LayerSpec(describing: network)
        let names = featureNames.map { " (\($0.prefix(20).map { Excerpt.of($0) }.joined(separator: ", "))\($0.count > 20 ? ", …" : ""))" } ?? ""
        if let expected = Self.featureCount(spec: spec, scaling: scaling, featureNames: featureNames), given != expected {
            throw InputMismatch(description: "the data has \(given.map(String.init) ?? "too many") feature columns but the model expects \(expected)\(names)")
        }
        guard let spec else { return }
        let output: [Int]
        do { output = try spec.outputShape(for: exampleShape) } catch {
            throw InputMismatch(description: "the data's \(given.map(String.init) ?? "too many") feature columns do not fit the model\(names): \(error.description)")
        }
        let expectedOutputs = Result { () throws(TaskMismatch) in try Model.outputSize(for: task, loss: loss ?? defaultLoss) }
        switch expectedOutputs {
        case .success(let width) where output != [width]:
            throw InputMismatch(description: "the network gives \(LayerSpec.format(output)) per batch but the model's task needs [N, \(width)]")
        case .failure(let mismatch): throw InputMismatch(description: "the model's task does not fit its loss: \(mismatch.description)")
        default: break
        }
        let limit = ResourceLimits.current.parameters
        guard spec.largestActivation(for: exampleShape) <= limit else {
            throw InputMismatch(description: "one example's activations in this network would exceed \(limit) values (SYNAPSE_MAX_PARAMETERS raises it)")
        }
    }

    /// The largest batch of examples of `exampleShape` whose activations stay within
    /// ``ResourceLimits/parameters`` values in every layer (at least 1): what training, predicting
    /// and evaluating may hold at once.
    public func largestBatch(exampleShape: [Int]) -> Int {
        guard let spec = try? LayerSpec(describing: network) else { return Int.max }
        return Swift.max(1, ResourceLimits.current.parameters / Swift.max(1, spec.largestActivation(for: exampleShape)))
    }
}

extension Model {
    /// Checks, before evaluating or plotting, that `targets` for `rows` examples suit the model's task:
    /// for a classifier, one whole number in `0..<classes` per row (0 or 1 for a single sigmoid
    /// output); for a regression of `k` outputs, `k` finite values per row.
    /// - Throws: ``InputMismatch`` naming the first row (1-based) that does not fit, and the value.
    public func checkTargets(_ targets: Tensor<Scalar>, rows: Int) throws(InputMismatch) {
        let perRow: Int
        switch task {
        case .classification: perRow = 1
        case .regression(let outputs): perRow = outputs
        case .languageModel(let vocabulary):
            // One next token per position: [rows, T] ids in 0..<vocabulary.
            guard targets.rank == 2, targets.shape[0] == rows else {
                throw InputMismatch(description: "a language model's targets are [\(rows), T] token ids, got \(targets.shape)")
            }
            if let bad = targets.doubleScalars.firstIndex(where: { !($0.rounded() == $0 && $0 >= 0 && $0 < Double(vocabulary)) }) {
                throw InputMismatch(description: "target token \(bad % Swift.max(targets.shape[1], 1) + 1) of row \(bad / Swift.max(targets.shape[1], 1) + 1) is not one of the model's \(vocabulary) token ids")
            }
            return
        }
        guard targets.rank <= 2, targets.count == [rows, perRow].checkedProduct(),
              targets.rank < 2 || targets.shape[1] == perRow else {
            throw InputMismatch(description: "the targets have shape \(targets.shape) but \(rows) rows of this model need \(perRow) target value\(perRow == 1 ? "" : "s") each")
        }
        let values = targets.doubleScalars
        if let row = values.firstIndex(where: { !$0.isFinite }) {
            throw InputMismatch(description: "target row \(row / perRow + 1) is \(values[row]), not a finite number")
        }
        guard case .classification(let classes) = task else { return }
        for (row, value) in values.enumerated() where value.rounded() != value || value < 0 || value >= Double(classes) {
            let names = classNames.map { " (" + $0.prefix(5).map { Excerpt.of($0) }.joined(separator: ", ") + ($0.count > 5 ? ", …" : "") + ")" } ?? ""
            throw InputMismatch(description: "target row \(row + 1) is \(String(format: "%g", value)), not one of the model's \(classes) class indices 0 to \(classes - 1)\(names)")
        }
    }
}
