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
}
