import Foundation
import Synapse

/// GNU-style argument parsing: `--name value`, `--name=value`, boolean `--flag`, `-h`, and `--`
/// to end options. Each command declares the options it accepts; anything else is a usage error.
/// Paths are read with ``path(_:)`` and ``resolve(_:)``: resolved in the invocation's context.
struct Arguments {
    /// Option values by name (without dashes); boolean flags map to "true".
    private(set) var options: [String: String] = [:]
    /// Arguments that are not options, in order.
    private(set) var positional: [String] = []
    /// Resolves a path as given (``Invocation/resolve(_:)``).
    private let resolver: (String) -> CommandPath

    /// Parses `arguments` for `command` (used in error messages), accepting the options in
    /// `valued` (which take a value) and `flags` (which don't). `--help`/`-h` is always accepted.
    /// Paths resolve in `invocation`'s context.
    init(_ arguments: [String], command: String, valued: Set<String> = [], flags: Set<String> = [], in invocation: Invocation) throws {
        resolver = invocation.resolve
        var index = 0
        var onlyPositional = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if onlyPositional || !argument.hasPrefix("-") || argument == "-" {
                positional.append(argument)
                continue
            }
            if argument == "--" { onlyPositional = true; continue }
            if argument == "-h" || argument == "--help" { options["help"] = "true"; continue }
            guard argument.hasPrefix("--") else {
                let known = valued.union(flags).union(["help"])
                throw CommandLineError.usage("unknown option '\(Excerpt.of(argument))'" + Self.didYouMean(String(argument.drop { $0 == "-" }), among: known), command: command)
            }
            var name = String(argument.dropFirst(2))
            var value: String? = nil
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if flags.contains(name) {
                if value != nil { throw CommandLineError.usage("option '--\(name)' takes no value", command: command) }
                options[name] = "true"
            } else if valued.contains(name) {
                if value == nil {
                    guard index < arguments.count else {
                        throw CommandLineError.usage("option '--\(name)' needs a value", command: command)
                    }
                    value = arguments[index]
                    index += 1
                }
                options[name] = value
            } else {
                throw CommandLineError.usage("unknown option '--\(Excerpt.of(name))'" + Self.didYouMean(name, among: valued.union(flags).union(["help"])), command: command)
            }
        }
    }

    /// `; did you mean '--epochs'?` for the option among `names` (the command's own) closest to
    /// `name` (``Suggestion/closest(to:among:)``), or nothing when none is close.
    static func didYouMean(_ name: String, among names: Set<String>) -> String {
        Suggestion.closest(to: name, among: names).map { "; did you mean '--\($0)'?" } ?? ""
    }

    /// Options given as a map (a checkpoint's stored settings, which hold no paths), to be checked like flags.
    init(options: [String: String]) {
        self.options = options
        resolver = { CommandPath(given: $0, location: $0) }
    }

    /// Fills options not given on the command line from a JSON object file (`--config`): keys are
    /// long option names, values strings, numbers or booleans (true sets a flag). Unknown keys and
    /// malformed files are errors; the command line wins over the file.
    mutating func merge(configFile path: CommandPath, command: String, valued: Set<String>, flags: Set<String>) throws {
        guard let data = FileManager.default.contents(atPath: path.location) else {
            throw CommandLineError.failure("\(path): cannot read the configuration file")
        }
        let entries: [String: String]
        do { entries = try OptionsFile.parse(data, path: path.given, valued: valued.subtracting(["config"]), flags: flags) } catch {
            if case .notAnObject = error { throw CommandLineError.failure(error.description) }
            throw CommandLineError.usage(error.description, command: command)
        }
        for (key, value) in entries where options[key] == nil { options[key] = value }
    }

    /// Takes a resumed run's stored options: each must agree with the command line where both give
    /// it, except those in `changeable` (the command line wins for them). Numbers agree when their
    /// values do (`0.010` and `0.01`), names when they differ only in case or spaces; the stored
    /// spelling is then kept. A setting the run did not store is checked against `compared` (what
    /// the run is known to have used: its model's task, an older checkpoint's defaults), with the
    /// note that says where that value comes from; one of the `flags` that the run did not store
    /// was off. Every difference is a usage error naming the flag and both values.
    mutating func adopt(stored: [String: String], compared: [String: (value: String, note: String)] = [:], flags: Set<String> = [],
                        changeable: Set<String>, source: String, command: String) throws {
        for (key, value) in stored.sorted(by: { $0.key < $1.key }) {
            if let given = options[key], !changeable.contains(key) {
                guard Self.same(given, value) else {
                    throw CommandLineError.usage("'--\(key) \(Excerpt.of(given))' differs from the run in \(source) ('\(Excerpt.of(value))'); a resumed run keeps its settings", command: command)
                }
                options[key] = value
            }
            if options[key] == nil { options[key] = value }
        }
        for (key, given) in options.sorted(by: { $0.key < $1.key }) where stored[key] == nil && !changeable.contains(key) {
            if flags.contains(key) {
                throw CommandLineError.usage("'--\(key)' was not given to the run in \(source); a resumed run keeps its settings", command: command)
            }
            if let (value, note) = compared[key], !Self.same(given, value) {
                throw CommandLineError.usage("'--\(key) \(Excerpt.of(given))' differs from the run in \(source) ('\(Excerpt.of(value))', \(note)); a resumed run keeps its settings", command: command)
            }
        }
    }

    /// Whether two spellings of an option's value give the same setting: equal text, equal numbers,
    /// or equal but for case and spaces (`ReLU`, `16, 8`).
    static func same(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        if let x = Double(a), let y = Double(b), x.isFinite, x == y { return true }
        func plain(_ text: String) -> String { text.lowercased().filter { !$0.isWhitespace } }
        return plain(a) == plain(b)
    }

    /// Sets an option as if it had been given.
    mutating func set(_ name: String, _ value: String) { options[name] = value }

    /// A string option, or nil.
    func string(_ name: String) -> String? { options[name] }

    /// A path option, resolved (see ``CommandPath``), or nil.
    func path(_ name: String) -> CommandPath? { options[name].map(resolver) }

    /// A required path option, resolved; a usage error naming it when absent.
    func requiredPath(_ name: String, command: String) throws -> CommandPath {
        resolver(try required(name, command: command))
    }

    /// A path as given (a positional argument, a command's default), resolved like a path option.
    func resolve(_ given: String) -> CommandPath { resolver(given) }

    /// A floating-point option in `range`, `defaultValue` when absent; a usage error otherwise.
    func double(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>, command: String) throws -> Double {
        guard let text = options[name] else { return defaultValue }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw CommandLineError.usage("option '--\(name)' expects a number in \(range.lowerBound)...\(range.upperBound), got '\(Excerpt.of(text))'", command: command)
        }
        return value
    }

    /// One of `choices`, `defaultValue` when absent; a usage error listing the choices otherwise.
    func choice(_ name: String, _ choices: [String], default defaultValue: String?, command: String) throws -> String? {
        guard let text = options[name] else { return defaultValue }
        guard choices.contains(text.lowercased()) else {
            throw CommandLineError.usage("option '--\(name)' must be one of \(choices.joined(separator: ", ")), got '\(Excerpt.of(text))'", command: command)
        }
        return text.lowercased()
    }

    /// A required option; a usage error naming it when absent.
    func required(_ name: String, command: String) throws -> String {
        guard let value = options[name], !value.isEmpty else {
            throw CommandLineError.usage("missing required option '--\(name)'", command: command)
        }
        return value
    }

    /// Whether a boolean flag (or `--help`) was given.
    func flag(_ name: String) -> Bool { options[name] != nil }

    /// An integer option, `defaultValue` when absent; a usage error when not an integer in `range`.
    func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>, command: String) throws -> Int {
        guard let text = options[name] else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw CommandLineError.usage("option '--\(name)' expects an integer in \(range.lowerBound)...\(range.upperBound), got '\(Excerpt.of(text))'", command: command)
        }
        return value
    }
}
