/// A path from a flag or an argument: as the user gave it, for messages (it is the description, so
/// `"\(path): no such file"` shows it so), and where it is, for the file system and the library.
/// The two differ only for a relative path in a context with its own working directory
/// (see ``Invocation/resolve(_:)``, the one place where paths are resolved).
struct CommandPath: CustomStringConvertible {
    /// The path as given on the command line (or in a `--config` file, or a command's default).
    let given: String
    /// The path to open: `given`, resolved against the context's working directory when relative.
    let location: String

    /// The path as given.
    var description: String { given }

    /// Whether the path is `-`: standard input for data, standard output for an output.
    var isStandardStream: Bool { given == "-" }
}
