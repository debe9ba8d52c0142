import SynapseCore
import SynapseNN
import Foundation

/// The limits that bound what an input — a data, model, checkpoint or architecture file, or a flag —
/// can make Synapse allocate. Past a limit a reader throws an error naming the limit and how to
/// raise it; nothing is allocated first. Each limit can be raised (or lowered) with an environment
/// variable, for the real user who needs more:
///
/// | limit | default | environment variable |
/// |---|---|---|
/// | bytes inflated from one gzip file (beyond what an IDX header declares) | 1 GiB | `SYNAPSE_MAX_DECOMPRESSED_BYTES` |
/// | parameters of a network | 2²⁸ (268 M, 1 GiB of float32) | `SYNAPSE_MAX_PARAMETERS` |
/// | classes of a classifier | 1 000 | `SYNAPSE_MAX_CLASSES` |
/// | tensors in a safetensors header | 100 000 | `SYNAPSE_MAX_TENSORS` |
/// | a safetensors header | 100 MB (the reference implementation's) | — |
/// | a class or feature name | 1 024 bytes of UTF-8 (``nameLength``) | — |
///
/// Messages quote at most ``Excerpt/length`` characters of an input's field (``Excerpt/of(_:)``).
public struct ResourceLimits: Sendable, Equatable {
    /// Bytes one gzip file may inflate to.
    public var decompressedBytes: Int
    /// Parameters (weights and biases, all layers) a network may have.
    public var parameters: Int
    /// Classes a classifier may have.
    public var classes: Int
    /// Tensors a safetensors header may list.
    public var tensors: Int

    /// The built-in defaults (see the table above).
    public static let defaults = ResourceLimits(decompressedBytes: 1 << 30, parameters: 1 << 28, classes: 1000, tensors: 100_000)

    /// The defaults, each replaced by its environment variable when that holds a positive integer.
    public static var current: ResourceLimits {
        func value(_ name: String, _ fallback: Int) -> Int {
            guard let text = ProcessInfo.processInfo.environment[name], let number = Int(text), number > 0 else { return fallback }
            return number
        }
        let d = defaults
        return ResourceLimits(decompressedBytes: value("SYNAPSE_MAX_DECOMPRESSED_BYTES", d.decompressedBytes),
                              parameters: value("SYNAPSE_MAX_PARAMETERS", d.parameters),
                              classes: value("SYNAPSE_MAX_CLASSES", d.classes),
                              tensors: value("SYNAPSE_MAX_TENSORS", d.tensors))
    }

    /// Bytes (UTF-8) of one class or feature name, in data and model files: longer names are refused,
    /// so that a table of names stays the size of its data.
    public static let nameLength = 1024
}
