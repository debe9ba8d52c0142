import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

@Suite("Atomic file writes")
struct AtomicFileTests {
    @Test("a write replaces the file whole and leaves no temporary file")
    func replaces() throws {
        let directory = try temporaryDirectory("atomic")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/m.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)
        #expect(FileManager.default.contents(atPath: path) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["m.bin"])
    }

    @Test("the temporary files of killed writers are removed; those of live processes and other names stay")
    func removesStaleTemporaryFiles() throws {
        let directory = try temporaryDirectory("atomic-stale")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // No process has a PID above Linux's 2^22 limit (nor macOS's 99999): these writers are gone.
        let dead = [".m.bin.99999999.12345.tmp", ".m.bin.99999998.7.tmp"]
        let kept = [".m.bin.1.55.tmp",                        // PID 1 is alive (another write in progress)
                    ".m.bin.\(getpid()).9.tmp",              // this process's own
                    ".other.bin.99999999.1.tmp",             // another file's
                    ".m.bin.99999999.tmp", "m.bin.99999999.1.tmp", ".m.bin.x.1.tmp"]  // not the pattern
        for name in dead + kept { #expect(FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data([0]))) }
        try AtomicFile.write([7], to: "\(directory)/m.bin")
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: directory))
        #expect(left == Set(kept + ["m.bin"]))
    }
}
