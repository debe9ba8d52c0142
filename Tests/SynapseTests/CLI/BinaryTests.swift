import Foundation
import Testing

/// The built `synapse` binary as a child process, for what only a process shows. The other CLI
/// tests run commands in-process (`runSynapse`), except these, which run the binary too:
/// - an environment of their own: `CrashSafetyTests.determinism` (`SYNAPSE_NUM_THREADS`),
///   `HostileEvaluationTests.activations` and `HostileInputTests.flags` (`SYNAPSE_MAX_PARAMETERS`);
/// - a launcher: `CrashSafetyTests.diskAndDataErrors` (`setpriv` to another user, `ulimit -f`),
///   `HostileEvaluationTests.headersAndInputs` (a file redirected to standard input);
/// - the process's file descriptors: `HostileInputTests.outputPaths` (`--output /dev/stdout`);
/// - signals and a run stopped from outside: `CrashSafetyTests.killDuringSave` (SIGKILL) and
///   `CrashSafetyTests.vanishedFiles`.
@Suite("The synapse binary")
struct BinaryTests {
    @Test("exit statuses 0, 1 and 2 of the binary, and CSV on standard input from a pipe")
    func exitStatusesAndPipe() throws {
        let directory = try temporaryDirectory("binary")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/in.csv")
        let version = try runSynapseProcess(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("synapse ") && version.stderr.isEmpty, "\(version)")
        let usage = try runSynapseProcess(["train", "--data", "in.csv"], in: directory)
        #expect(usage.status == 2 && usage.stderr.contains("missing required option '--out'"), "\(usage)")
        let failure = try runSynapseProcess(["inspect", "missing.safetensors"], in: directory)
        #expect(failure.status == 1 && failure.stderr == "synapse: missing.safetensors: no such model file\n", "\(failure)")
        let trained = try runSynapseProcess(["train", "--data", "in.csv", "--epochs", "1", "--quiet", "--layers", "4", "--out", "m.safetensors"],
                                            in: directory)
        #expect(trained.status == 0 && trained.stdout.hasSuffix("saved m.safetensors\n"), "\(trained)")
        let piped = try runSynapseProcess(["predict", "--model", "m.safetensors", "--data", "-"], input: "a,b,c\n0.1,0.2,0.3\n0.9,0.8,0.7\n",
                                          in: directory)
        #expect(piped.status == 0 && piped.stdout.split(separator: "\n").count == 3 && piped.stdout.hasPrefix("label\n"), "\(piped)")
    }

    /// Invocations whose output is the same on every run (no timings): help, the tutorial, errors
    /// that quote relative paths (the library's messages among them), a quiet training run, results.
    static let invocations: [(arguments: [String], input: String?)] = [
        ([], nil),
        (["--help"], nil),
        (["train", "--help"], nil),
        (["demo", "seed"], nil),
        (["demo", "bogus"], nil),
        (["train", "--data", "bad.csv", "--out", "m.safetensors"], nil),
        (["train", "--data", "in.csv", "--out", "./in.csv"], nil),
        (["evaluate", "--model", "garbage.safetensors", "--data", "in.csv"], nil),
        (["train", "--data", "in.csv", "--epochs", "2", "--quiet", "--layers", "4", "--out", "m.safetensors", "--plot", "h.svg"], nil),
        (["evaluate", "--model", "m.safetensors", "--data", "in.csv"], nil),
        (["predict", "--model", "m.safetensors", "--data", "-", "--probabilities"], "a,b,c\n0.1,0.2,0.3\n0.9,0.8,0.7\n"),
        (["predict", "--model", "m.safetensors", "--data", "in.csv", "--output", "-"], nil),
        (["inspect", "m.safetensors"], nil),
    ]

    @Test("the binary and an in-process run print the same bytes and exit with the same status")
    func sameBytes() throws {
        let directory = try temporaryDirectory("binary-bytes")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/in.csv")
        try "a,b,c,label\n1,2,3,yes\nthree,4,5,no\n".write(toFile: "\(directory)/bad.csv", atomically: true, encoding: .utf8)
        try "garbage, not a model".write(toFile: "\(directory)/garbage.safetensors", atomically: true, encoding: .utf8)
        for (arguments, input) in Self.invocations {
            let binary = try runSynapseProcess(arguments, input: input, in: directory)
            let inProcess = try runSynapse(arguments, input: input, in: directory)
            #expect(binary.status == inProcess.status, "\(arguments): \(binary.status) from the binary, \(inProcess.status) in-process")
            #expect(binary.stdout == inProcess.stdout, "\(arguments): standard output differs:\n\(binary.stdout)\n---\n\(inProcess.stdout)")
            #expect(binary.stderr == inProcess.stderr, "\(arguments): standard error differs:\n\(binary.stderr)\n---\n\(inProcess.stderr)")
            #expect(!inProcess.stderr.contains(directory), "\(arguments): a path shown resolved, not as given: \(inProcess.stderr)")
        }
    }
}
