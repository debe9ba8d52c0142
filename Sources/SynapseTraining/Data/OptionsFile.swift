import SynapseCore
import SynapseNN
import Foundation

/// Command-line options from a JSON object (`synapse train --config FILE.json`): keys are long option
/// names, spelt with `-` or `_` (`batch-size` or `batch_size`), values strings, numbers, lists
/// (joined with commas) or booleans (true sets a flag).
public enum OptionsFile {
    /// Why an options file was refused.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The file is not a JSON object.
        case notAnObject(path: String)
        /// A key is not one of the command's options; `suggestion` is the closest option name, if one is close.
        case unknownOption(path: String, key: String, suggestion: String?)
        /// Two keys name the same option (`batch-size` and `batch_size`).
        case duplicateOption(path: String, key: String, other: String)
        /// A value has the wrong type for its option.
        case badValue(path: String, key: String, expected: String)

        /// The message, naming the file and the key.
        public var description: String {
            switch self {
            case .notAnObject(let path): return "\(path): the configuration must be a JSON object of option names and values"
            case .unknownOption(let path, let key, let suggestion):
                return "\(path): unknown option '\(key)' in the configuration file" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
            case .duplicateOption(let path, let key, let other): return "\(path): '\(key)' and '\(other)' name the same option; give it once"
            case .badValue(let path, let key, let expected): return "\(path): option '\(key)' must be \(expected)"
            }
        }
    }

    /// A JSON value as the options file allows it. Decoded with `JSONDecoder`, which keeps `true`
    /// and `1` apart (`JSONSerialization` on Linux gives both as an `NSNumber` that passes `is Bool`).
    private enum Value: Decodable {
        case bool(Bool), integer(Int), number(Double), text(String), list([Value]), other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Bool.self) { self = .bool(value) }
            else if let value = try? container.decode(Int.self) { self = .integer(value) }
            else if let value = try? container.decode(Double.self) { self = .number(value) }
            else if let value = try? container.decode(String.self) { self = .text(value) }
            else if let value = try? container.decode([Value].self) { self = .list(value) }
            else { self = .other }
        }

        /// The option text of a string or number; nil for anything else.
        var scalarText: String? {
            switch self {
            case .integer(let value): return String(value)
            case .number(let value): return value.isFinite ? String(value) : nil
            case .text(let value): return value
            default: return nil
            }
        }
    }

    /// The options in `data` as strings by name (flags set to "true"; false flags left out). A key
    /// spelt with `_` gives the option spelt with `-` (`batch_size` is `batch-size`).
    /// - Parameters:
    ///   - valued: the names of options that take a value.
    ///   - flags: the names of options that are on or off.
    public static func parse(_ data: Data, path: String, valued: Set<String>, flags: Set<String>) throws(Failure) -> [String: String] {
        guard data.count <= 1 << 20, let entries = try? JSONDecoder().decode([String: Value].self, from: data) else {
            throw .notAnObject(path: path)
        }
        var options: [String: String] = [:]
        var spelt: [String: String] = [:]   // the key that gave each option, for a duplicate
        for (given, value) in entries.sorted(by: { $0.key < $1.key }) {
            let key = given.replacingOccurrences(of: "_", with: "-")
            guard valued.contains(key) || flags.contains(key) else {
                throw .unknownOption(path: path, key: Excerpt.of(given), suggestion: Suggestion.closest(to: key, among: valued.union(flags)))
            }
            if let other = spelt[key] { throw .duplicateOption(path: path, key: Excerpt.of(other), other: Excerpt.of(given)) }
            spelt[key] = given
            if flags.contains(key) {
                guard case .bool(let on) = value else { throw .badValue(path: path, key: Excerpt.of(given), expected: "true or false") }
                if on { options[key] = "true" }
            } else if let text = value.scalarText {
                options[key] = text
            } else if case .list(let items) = value, case let texts = items.compactMap(\.scalarText), texts.count == items.count {
                options[key] = texts.joined(separator: ",")
            } else {
                throw .badValue(path: path, key: Excerpt.of(given), expected: "a string, a number or a list of them")
            }
        }
        return options
    }
}
