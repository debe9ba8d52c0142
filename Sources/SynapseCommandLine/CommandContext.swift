import Foundation

/// What a command runs against: the directory its relative paths resolve against, its standard
/// input, where its standard output and standard error go, and whether standard error is a
/// terminal. ``process`` is the process's own (what the `synapse` binary uses); a program or a test
/// gives its own to run commands in-process, several at once if it likes, without changing the
/// process's working directory or streams.
///
/// What a context does not cover: the library reads its limits, thread count and GEMM backend from
/// the process's environment (`SYNAPSE_MAX_*`, `SYNAPSE_NUM_THREADS`, `SYNAPSE_GEMM`); a path that
/// names a file descriptor (`/dev/stdout`, `/dev/stdin`) is the process's; and `train --out -`
/// (the model file on standard output) writes to the process's standard output.
public struct CommandContext: Sendable {
    /// Where a command's output goes.
    public enum Output: Sendable {
        /// The process's own stream (file descriptor 1 or 2), written exactly as the binary writes it.
        case process
        /// Every piece of output, in order, as bytes (UTF-8 text, or a file's bytes for `-`).
        case handler(@Sendable (Data) -> Void)
    }

    /// Where `--data -` reads from.
    public enum Input: Sendable {
        /// The process's standard input (file descriptor 0).
        case process
        /// These bytes.
        case data(Data)
    }

    /// The directory that relative paths in flags and arguments resolve against; nil for the
    /// process's working directory. Messages show each path as it was given.
    public var workingDirectory: String?
    /// What `--data -` reads.
    public var standardInput: Input
    /// Where results go (CSV, reports, `saved …` lines).
    public var standardOutput: Output
    /// Where errors, warnings and progress go.
    public var standardError: Output
    /// Whether standard error is an interactive terminal, which gets a progress bar redrawn in
    /// place; nil decides as the binary does (a terminal, and `TERM` is not `dumb`) when standard
    /// error is the process's, and means no terminal otherwise.
    public var isInteractive: Bool?

    /// A context; each part left out is the process's own (for `isInteractive`, see its description).
    public init(workingDirectory: String? = nil, standardInput: Input = .process, standardOutput: Output = .process,
                standardError: Output = .process, isInteractive: Bool? = nil) {
        self.workingDirectory = workingDirectory
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.isInteractive = isInteractive
    }

    /// The process's working directory, standard streams and terminal: what the `synapse` binary runs with.
    public static var process: CommandContext { CommandContext() }
}
