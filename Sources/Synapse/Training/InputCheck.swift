/// Data that does not fit a model: a different number of features, a shape a layer cannot take,
/// or activations too large to compute.
public struct InputMismatch: Error, Equatable, CustomStringConvertible {
    /// What does not fit, in words.
    public let description: String
}

extension Model {
    /// Checks, before predicting or evaluating, that examples of `exampleShape` (the batch axis left
    /// out) fit the model: as many features as its first dense layer, its scaling and its feature
    /// names expect, a shape every layer accepts (a CNN's reshape, say), and no example whose largest
    /// activation passes ``ResourceLimits/parameters`` values.
    /// - Throws: ``InputMismatch`` naming the counts, the layer and the shapes.
    public func checkInput(exampleShape: [Int]) throws(InputMismatch) {
        let (given, overflow) = LayerSpec.product(exampleShape)
        let spec = try? LayerSpec(describing: network)
        let names = featureNames.map { " (\($0.prefix(20).map { ResourceLimits.excerpt($0) }.joined(separator: ", "))\($0.count > 20 ? ", …" : ""))" } ?? ""
        if let expected = spec?.inputSize ?? scaling?.shift.count ?? featureNames?.count, overflow || given != expected {
            throw InputMismatch(description: "the data has \(overflow ? "too many" : String(given)) feature columns but the model expects \(expected)\(names)")
        }
        guard let spec else { return }
        do { _ = try spec.outputShape(for: exampleShape) } catch {
            throw InputMismatch(description: "the data's \(given) feature columns do not fit the model\(names): \(error.description)")
        }
        let limit = ResourceLimits.current.parameters
        guard spec.largestActivation(for: exampleShape) <= limit else {
            throw InputMismatch(description: "one example's activations in this network would exceed \(limit) values (SYNAPSE_MAX_PARAMETERS raises it)")
        }
    }
}
