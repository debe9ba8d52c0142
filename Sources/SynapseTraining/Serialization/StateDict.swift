import SynapseCore
import SynapseNN
/// Why a set of named tensors does not fit a network: names it lacks, names it does not know,
/// and shapes that differ (PyTorch's `load_state_dict(strict=True)` errors).
public struct StateDictError: Error, Equatable, CustomStringConvertible {
    /// Names the network expects that are absent.
    public var missing: [String]
    /// Names present that the network does not have.
    public var unexpected: [String]
    /// Names whose shape differs: (name, the network's shape, the given shape).
    public var mismatched: [String]

    /// All problems in one sentence.
    public var description: String {
        var parts: [String] = []
        if !missing.isEmpty { parts.append("missing tensors \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { parts.append("unexpected tensors \(unexpected.joined(separator: ", "))") }
        if !mismatched.isEmpty { parts.append("shape mismatches: \(mismatched.joined(separator: "; "))") }
        return "the tensors do not fit the architecture: " + parts.joined(separator: "; ")
    }
}

extension Layer {
    /// Parameters and buffers by their PyTorch `state_dict` names (`0.weight`, `0.bias`, …).
    public func stateDict() -> [String: Tensor<Scalar>] {
        Dictionary(namedState.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
    }

    /// Copies `tensors` into this layer's parameters and buffers by name, strictly: every name
    /// must be present with the same shape, and no other names may appear. Nothing is changed
    /// unless everything fits.
    public func loadStateDict(_ tensors: [String: Tensor<Scalar>]) throws(StateDictError) {
        let state = namedState
        var error = StateDictError(missing: [], unexpected: [], mismatched: [])
        let known = Set(state.map(\.name))
        error.unexpected = tensors.keys.filter { !known.contains($0) }.sorted()
        for (name, tensor) in state {
            guard let given = tensors[name] else { error.missing.append(name); continue }
            if given.shape != tensor.shape { error.mismatched.append("\(name) is \(tensor.shape), given \(given.shape)") }
        }
        guard error.missing.isEmpty && error.unexpected.isEmpty && error.mismatched.isEmpty else { throw error }
        for (name, tensor) in state {
            tensor.data.update(from: tensors[name]!.data, count: tensor.count)
        }
    }
}
