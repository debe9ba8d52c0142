import SynapseCore
import SynapseNN
import Foundation

// Architecture JSON from files and bytes (hand-written for `synapse train --arch`, or a model
// file's metadata): size-bounded, layer-counted before decoding, validated after.

extension LayerSpec {
    /// Reads an architecture (hand-written, sizes possibly left out, or as a model file stores it) from JSON.
    /// - Throws: ``DataError`` naming the file and what is wrong with it.
    public static func read(from path: String) throws -> LayerSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(path: path, "cannot read the architecture file (no such file, or not readable)")
        }
        return try decode(data, path: path)
    }

    /// Decodes an architecture from JSON bytes; `path` names the source in errors.
    /// - Throws: ``DataError`` for text that is not an architecture or holds impossible sizes.
    public static func decode(_ data: Data, path: String) throws -> LayerSpec {
        guard data.count <= 16 << 20 else { throw DataError(path: path, "an architecture over 16 MB is not plausible") }
        try checkLayerCount(data, path: path)
        do {
            let spec = try JSONDecoder().decode(LayerSpec.self, from: data)
            try spec.validate(maximumParameters: 1 << 31, allowingInferredSizes: true)
            return spec
        } catch {
            throw DataError(path: path, "not a valid architecture: \(describeDecodingError(error))")
        }
    }
}

extension LayerSpec {
    /// The most layers (JSON objects) an architecture may describe: far beyond real networks (a
    /// ResNet-152 has ~500), far below what would make decoding take minutes and gigabytes.
    public static let maximumLayers = 100_000

    /// The deepest nesting of JSON arrays and objects an architecture may have: Foundation's parser
    /// refuses more than 512 levels with only "not valid JSON", so deeper text is refused here, by name.
    public static let maximumNesting = 512

    /// Refuses, before decoding, architecture JSON with more than ``maximumLayers`` objects
    /// (a 100 MB header of `{"type":"flatten"}` would be 5 million layers) or nested more than
    /// ``maximumNesting`` levels deep.
    /// - Throws: ``DataError`` naming `path`.
    public static func checkLayerCount(_ json: some Sequence<UInt8>, path: String) throws {
        var objects = 0, depth = 0, inString = false, escaped = false
        for byte in json {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if byte == UInt8(ascii: "{") {
                    objects += 1
                    if objects > maximumLayers {
                        throw DataError(path: path, "the architecture describes more than \(maximumLayers) layers, more than any real network")
                    }
                }
                depth += 1
                if depth > maximumNesting {
                    throw DataError(path: path, "the architecture nests more than \(maximumNesting) levels deep (layers within layers), more than any real network")
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
    }
}

/// A one-line reading of a JSON decoding error.
func describeDecodingError(_ error: any Error) -> String {
    func at(_ context: DecodingError.Context) -> String {
        guard !context.codingPath.isEmpty else { return "" }
        let path = context.codingPath.reduce("") { text, key in key.intValue.map { text + "[\($0)]" } ?? (text.isEmpty ? key.stringValue : text + "." + key.stringValue) }
        return " at \(path)"
    }
    switch error {
    case DecodingError.dataCorrupted(let context): return context.debugDescription + at(context)
    case DecodingError.keyNotFound(let key, let context): return "missing '\(key.stringValue)'" + at(context)
    case DecodingError.typeMismatch(_, let context): return "wrong type" + at(context)
    case DecodingError.valueNotFound(_, let context): return "missing value" + at(context)
    default: return "\(error)"
    }
}
