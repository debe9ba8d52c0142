import Foundation
import Testing
import SynapseCommandLine

/// The command line as a library: commands run in-process and return their exit status.
@Suite("SynapseCommandLine in-process")
struct InProcessCommandTests {
    @Test("exit statuses: 0 for a command that works, 2 for bad flags, 1 for a missing file")
    func exitStatuses() throws {
        let directory = try temporaryDirectory("in-process")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(SynapseCommandLine.run(["nonsense"]) == 2)
        #expect(SynapseCommandLine.run(["train", "--epochs", "0"]) == 2)
        #expect(SynapseCommandLine.run(["inspect", "\(directory)/missing.safetensors"]) == 1)
        #expect(SynapseCommandLine.help.hasPrefix("Usage: synapse COMMAND"))
        // A whole training run in-process — except under AddressSanitizer, whose leak report would
        // count Foundation's own leaks (FileManager, JSONSerialization) below a frame of ours.
        guard ProcessInfo.processInfo.environment["SYNAPSE_SANITIZER"] != "address" else { return }
        try HostileInputTests.writeData("\(directory)/in.csv")
        #expect(SynapseCommandLine.run(["train", "--data", "\(directory)/in.csv", "--epochs", "1", "--quiet", "--layers", "4",
                                        "--out", "\(directory)/m.safetensors"]) == 0)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/m.safetensors"))
    }

    @Test("a context of its own: paths resolve in its directory and show as given; its input and outputs; several at once")
    func context() async throws {
        let directory = try temporaryDirectory("in-process-context")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try HostileInputTests.writeData("\(directory)/in.csv")
        try "a,b,c,label\n1,2,3,yes\nthree,4,5,no\n".write(toFile: "\(directory)/bad.csv", atomically: true, encoding: .utf8)
        // Our message and the library's (which quotes the path it was handed), both with the path as given.
        let missing = try runSynapse(["train", "--data", "nothing.csv", "--out", "m.safetensors"], in: directory)
        #expect(missing.status == 1 && missing.stdout.isEmpty && missing.stderr == "synapse: nothing.csv: no such file\n", "\(missing)")
        let bad = try runSynapse(["train", "--data", "bad.csv", "--out", "m.safetensors"], in: directory)
        #expect(bad.status == 1 && bad.stderr.hasPrefix("synapse: bad.csv:3:1: 'three' in column 'a' is not a number"), "\(bad)")
        // Outputs land in the context's directory, not the process's.
        let train = ["train", "--data", "in.csv", "--epochs", "1", "--quiet", "--layers", "4", "--out", "m.safetensors"]
        let trained = try runSynapse(train, in: directory)
        #expect(trained.status == 0 && trained.stderr.isEmpty && trained.stdout.hasSuffix("saved m.safetensors\n"), "\(trained)")
        #expect(FileManager.default.fileExists(atPath: "\(directory)/m.safetensors"))
        #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/m.safetensors"))
        // Standard input, and `--output -` to the context's standard output.
        let rows = "a,b,c\n0.1,0.2,0.3\n0.9,0.8,0.7\n"
        let piped = try runSynapse(["predict", "--model", "m.safetensors", "--data", "-"], input: rows, in: directory)
        #expect(piped.status == 0 && piped.stdout.hasPrefix("label\n") && piped.stdout.split(separator: "\n").count == 3, "\(piped)")
        try rows.write(toFile: "\(directory)/rows.csv", atomically: true, encoding: .utf8)
        let written = try runSynapse(["predict", "--model", "m.safetensors", "--data", "rows.csv", "--output", "-"], in: directory)
        #expect(written.status == 0 && written.stdout == piped.stdout, "\(written)")
        // Commands in contexts of their own at the same time, each in its own directory.
        let directories = try (0..<4).map { index in
            let path = "\(directory)/run\(index)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try HostileInputTests.writeData("\(path)/in.csv", rows: 40 + 10 * index)
            return path
        }
        let results = try await withThrowingTaskGroup(of: (Int, Int32, String).self) { group in
            for (index, path) in directories.enumerated() {
                group.addTask {
                    let result = try runSynapse(train, in: path)
                    return (index, result.status, result.stdout)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2) }
        }
        for index in 0..<4 {
            #expect(results[index]?.0 == 0 && results[index]?.1.hasPrefix("data: \(40 + 10 * index) rows") == true, "run \(index): \(String(describing: results[index]))")
            #expect(FileManager.default.fileExists(atPath: "\(directories[index])/m.safetensors"))
        }
    }
}
