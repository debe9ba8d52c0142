import Foundation

/// Command-line options from a JSON object (`synapse train --config FILE.json`): keys are long option
/// names, values strings, numbers, lists (joined with commas) or booleans (true sets a flag).
public enum OptionsFile {
    /// Why an options file was refused.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The file is not a JSON object.
        case notAnObject(path: String)
        /// A key is not one of the command's options.
        case unknownOption(path: String, key: String)
        /// A value has the wrong type for its option.
        case badValue(path: String, key: String, expected: String)

        /// The message, naming the file and the key.
        public var description: String {
            switch self {
            case .notAnObject(let path): return "\(path): the configuration must be a JSON object of option names and values"
            case .unknownOption(let path, let key): return "\(path): unknown option '\(key)' in the configuration file"
            case .badValue(let path, let key, let expected): return "\(path): option '\(key)' must be \(expected)"
            }
        }
    }

    /// The options in `data` as strings by name (flags set to "true"; false flags left out).
    /// - Parameters:
    ///   - valued: the names of options that take a value.
    ///   - flags: the names of options that are on or off.
    public static func parse(_ data: Data, path: String, valued: Set<String>, flags: Set<String>) throws(Failure) -> [String: String] {
        guard data.count <= 1 << 20, let object = try? JSONSerialization.jsonObject(with: data), let entries = object as? [String: Any] else {
            throw .notAnObject(path: path)
        }
        var options: [String: String] = [:]
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            guard valued.contains(key) || flags.contains(key) else { throw .unknownOption(path: path, key: key) }
            if flags.contains(key) {
                guard let on = value as? Bool else { throw .badValue(path: path, key: key, expected: "true or false") }
                if on { options[key] = "true" }
            } else if let text = value as? String {
                options[key] = text
            } else if let number = value as? NSNumber, !(value is Bool) {
                options[key] = number.stringValue
            } else if let list = value as? [Any], list.allSatisfy({ $0 is String || ($0 is NSNumber && !($0 is Bool)) }) {
                options[key] = list.map { "\($0)" }.joined(separator: ",")
            } else {
                throw .badValue(path: path, key: key, expected: "a string, a number or a list of them")
            }
        }
        return options
    }
}
