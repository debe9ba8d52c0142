import Foundation
import Synapse

/// One run of a command in a ``CommandContext``: every path the command takes from a flag or an
/// argument is resolved here, every byte it prints goes through here, and standard input is read
/// here. With ``CommandContext/process`` it writes exactly as the binary always has (`print` for
/// results, unbuffered writes for errors and progress); with the context's own streams it hands
/// the same bytes to them.
final class Invocation {
    /// The context the command runs in.
    let context: CommandContext
    /// The paths as given, by the resolved location they stand for (only those that differ).
    private var givenPaths: [String: String] = [:]

    init(context: CommandContext) { self.context = context }

    // MARK: Paths

    /// The one place where a path from the command line is resolved: a relative path against the
    /// context's working directory; an absolute path, `-`, and every path in a context without a
    /// working directory (the process's) as it is.
    func resolve(_ given: String) -> CommandPath {
        guard let directory = context.workingDirectory, !directory.isEmpty, !given.isEmpty, given != "-", !given.hasPrefix("/") else {
            return CommandPath(given: given, location: given)
        }
        let location = (directory.hasSuffix("/") ? directory : directory + "/") + given
        givenPaths[location] = given
        return CommandPath(given: given, location: location)
    }

    /// `message` with each resolved location shown as it was given: the library's messages quote
    /// the path they were handed, which is the resolved one.
    func showingPathsAsGiven(_ message: String) -> String {
        var shown = message
        // Longest first, so that a location is never replaced inside a longer one.
        for (location, given) in givenPaths.sorted(by: { $0.key.count > $1.key.count }) {
            shown = shown.replacingOccurrences(of: location, with: given)
        }
        return shown
    }

    // MARK: Output

    /// Prints `line` and a newline on standard output (buffered, as Swift's `print`, for the process's).
    func print(_ line: String) {
        switch context.standardOutput {
        case .process: Swift.print(line)
        case .handler(let handle): handle(Data((line + "\n").utf8))
        }
    }

    /// Writes `text` to standard output at once (unbuffered, for the process's).
    func write(_ text: String) {
        switch context.standardOutput {
        case .process: FileHandle.standardOutput.write(Data(text.utf8))
        case .handler(let handle): handle(Data(text.utf8))
        }
    }

    /// Writes raw bytes to standard output at once (generated text, streamed token by token),
    /// after anything `print` buffered.
    func write(bytes: [UInt8]) {
        switch context.standardOutput {
        case .process:
            fflush(nil)   // what `print` buffered goes first
            FileHandle.standardOutput.write(Data(bytes))
        case .handler(let handle): handle(Data(bytes))
        }
    }

    /// Writes `text` to standard error at once.
    func writeError(_ text: String) {
        switch context.standardError {
        case .process: FileHandle.standardError.write(Data(text.utf8))
        case .handler(let handle): handle(Data(text.utf8))
        }
    }

    /// Prints a warning on standard error (`synapse: warning: …`), paths shown as given.
    func warn(_ message: String) {
        writeError("synapse: warning: \(showingPathsAsGiven(message))\n")
    }

    /// Writes `bytes` to the file at `path` atomically (see `AtomicFile`), or to standard output for `-`.
    func writeFile(_ bytes: [UInt8], to path: CommandPath) throws {
        if path.isStandardStream, case .handler(let handle) = context.standardOutput {
            handle(Data(bytes))
            return
        }
        try AtomicFile.write(bytes, to: path.location)
    }

    /// Whether standard error gets a progress bar redrawn in place (see ``CommandContext/isInteractive``).
    var isInteractive: Bool {
        if let interactive = context.isInteractive { return interactive }
        guard case .process = context.standardError else { return false }
        return isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    // MARK: Input

    /// Everything on standard input, for `--data -`.
    func readStandardInput() -> Data {
        switch context.standardInput {
        case .process: return FileHandle.standardInput.readDataToEndOfFile()
        case .data(let data): return data
        }
    }

    /// Checks output paths before any work (see `OutputPaths`): an output that would replace an
    /// input or another output is a usage error (exit 2); one that cannot be written is a failure
    /// (exit 1). Standard input given as bytes is no file that an output could replace.
    func checkOutputs(_ outputs: [(option: String, path: CommandPath)], inputs: [(option: String, path: CommandPath)], command: String) throws {
        let files = inputs.filter { input in
            if input.path.isStandardStream, case .data = context.standardInput { return false }
            return true
        }
        do {
            try OutputPaths.check(outputs: outputs.map { ($0.option, $0.path.location) }, inputs: files.map { ($0.option, $0.path.location) })
        } catch {
            if case .unwritable(let reason) = error { throw CommandLineError.failure(reason.description) }
            throw CommandLineError.usage(error.description, command: command)
        }
    }
}
