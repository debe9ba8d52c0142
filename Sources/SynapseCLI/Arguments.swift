/// GNU-style argument parsing: `--name value`, `--name=value`, boolean `--flag`, `-h`, and `--`
/// to end options. Each command declares the options it accepts; anything else is a usage error.
struct Arguments {
    /// Option values by name (without dashes); boolean flags map to "true".
    private(set) var options: [String: String] = [:]
    /// Arguments that are not options, in order.
    private(set) var positional: [String] = []

    /// Parses `arguments` for `command` (used in error messages), accepting the options in
    /// `valued` (which take a value) and `flags` (which don't). `--help`/`-h` is always accepted.
    init(_ arguments: [String], command: String, valued: Set<String> = [], flags: Set<String> = []) throws {
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
                throw CommandLineError.usage("unknown option '\(argument)'", command: command)
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
                throw CommandLineError.usage("unknown option '--\(name)'", command: command)
            }
        }
    }

    /// Whether a boolean flag (or `--help`) was given.
    func flag(_ name: String) -> Bool { options[name] != nil }

    /// An integer option, `defaultValue` when absent; a usage error when not an integer in `range`.
    func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>, command: String) throws -> Int {
        guard let text = options[name] else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw CommandLineError.usage("option '--\(name)' expects an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'", command: command)
        }
        return value
    }
}
