import Foundation
import Testing
import SynapseCommandLine

/// Runs `synapse arguments…` and returns its exit status, standard output and standard error.
///
/// In-process (``SynapseCommandLine/run(_:context:)``) with a context of its own: `directory` as
/// the working directory, `input` as standard input, captured output, no terminal. Tests run in
/// parallel in one process, which has one working directory and one environment, so a run that
/// needs either to be its own goes to the built binary instead (``runSynapseProcess``): when
/// `environment` sets variables (the library reads `SYNAPSE_MAX_*`, `SYNAPSE_NUM_THREADS`,
/// `SYNAPSE_GEMM` from the process's environment) or a `launcher` wraps the binary (`setpriv`,
/// `ulimit`, a shell redirection).
func runSynapse(_ arguments: [String], input: String? = nil, in directory: String? = nil,
                environment: [String: String] = [:], launcher: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
    guard environment.isEmpty, launcher.isEmpty else {
        return try runSynapseProcess(arguments, input: input, in: directory, environment: environment, launcher: launcher)
    }
    let output = CapturedOutput(), errors = CapturedOutput()
    let context = CommandContext(workingDirectory: directory, standardInput: .data(Data((input ?? "").utf8)),
                                 standardOutput: .handler { output.append($0) }, standardError: .handler { errors.append($0) }, isInteractive: false)
    let status = SynapseCommandLine.run(arguments, context: context)
    return (status, output.text, errors.text)
}

/// Runs the built `synapse` binary as a child process (next to the test bundle: `swift test` builds
/// every product), for what only a process has: its exit status, its own environment and working
/// directory, standard input from a pipe, real file descriptors (`/dev/stdout`), signals.
/// `launcher` is a command that runs the binary given after it (`setpriv …`, `sh -c 'ulimit …; exec "$0" "$@"'`).
func runSynapseProcess(_ arguments: [String], input: String? = nil, in directory: String? = nil,
                       environment: [String: String] = [:], launcher: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    let binary = try synapseBinary()
    process.executableURL = URL(fileURLWithPath: launcher.first ?? binary)
    process.arguments = launcher.isEmpty ? arguments : Array(launcher.dropFirst()) + [binary] + arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    // Output to files, so that neither stream can fill a pipe and block the child.
    let capture = FileManager.default.temporaryDirectory.appendingPathComponent("synapse-run-\(UUID().uuidString)").path
    _ = FileManager.default.createFile(atPath: capture + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: capture + ".err", contents: nil)
    defer { try? FileManager.default.removeItem(atPath: capture + ".out"); try? FileManager.default.removeItem(atPath: capture + ".err") }
    let stdin = Pipe()
    process.standardOutput = FileHandle(forWritingAtPath: capture + ".out")
    process.standardError = FileHandle(forWritingAtPath: capture + ".err")
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try stdin.fileHandleForWriting.close()
    process.waitUntilExit()
    let outputData = FileManager.default.contents(atPath: capture + ".out") ?? Data()
    let errorData = FileManager.default.contents(atPath: capture + ".err") ?? Data()
    return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
}

/// The built `synapse` binary: next to the test bundle (`swift test` builds every product), else in `.build`.
func synapseBinary() throws -> String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("synapse").path
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [beside, repository.appendingPathComponent(".build/release/synapse").path, repository.appendingPathComponent(".build/debug/synapse").path]
    guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        Issue.record("the synapse binary was not built (looked in \(candidates))")
        throw CocoaError(.fileNoSuchFile)
    }
    return binary
}

/// The bytes an in-process command writes to one stream, collected in order. A command writes from
/// the thread that runs it, but a handler must be `Sendable`: hence the lock.
final class CapturedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()

    /// Appends `data`.
    func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        bytes.append(data)
    }

    /// Everything written so far, as UTF-8 text.
    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
