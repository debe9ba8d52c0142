import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing a file so that a crash at any moment leaves either the old file or the new one, never
/// a mixture: the bytes go to a temporary file in the same directory, which is flushed to disk
/// (`fsync`) and then renamed over the target (atomic on POSIX file systems); finally the
/// directory itself is synced so the rename is durable. A process killed mid-write leaves its
/// temporary file (`.NAME.PID.RANDOM.tmp`) behind; the next successful write of the same name
/// removes those whose process no longer exists.
public enum AtomicFile {
    /// Replaces `path` with `bytes` atomically.
    /// - Throws: ``DataError`` naming the path and the system's reason; the target is untouched then.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = "\(directory)/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw DataError(path: path, "cannot create a temporary file beside it: \(reason())") }
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            try bytes.withUnsafeBytes { raw in
                var written = 0
                while written < raw.count {
                    let n = systemWrite(descriptor, raw.baseAddress! + written, raw.count - written)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw DataError(path: path, "writing failed: \(reason())")
                    }
                    written += n
                }
            }
            guard fsync(descriptor) == 0 else { throw DataError(path: path, "flushing to disk failed: \(reason())") }
        }
        guard rename(temporary, path) == 0 else { throw DataError(path: path, "cannot replace the file: \(reason())") }
        succeeded = true
        // Make the rename itself durable (best effort: some file systems refuse fsync on directories).
        let directoryDescriptor = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        removeStaleTemporaryFiles(of: url.lastPathComponent, in: directory.isEmpty ? "." : directory)
    }

    /// Removes the temporary files that writers of `name` killed mid-write left in `directory`:
    /// `.NAME.PID.RANDOM.tmp` whose process is gone (`kill(PID, 0)` fails with `ESRCH`). Files of
    /// live processes — this one included — are another write in progress and stay. Best effort.
    static func removeStaleTemporaryFiles(of name: String, in directory: String) {
        let prefix = ".\(name).", suffix = ".tmp"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries where entry.hasPrefix(prefix) && entry.hasSuffix(suffix) && entry.count > prefix.count + suffix.count {
            let fields = entry.dropFirst(prefix.count).dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false)
            guard fields.count == 2, let pid = Int32(fields[0]), pid > 0, UInt32(fields[1]) != nil,
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink("\(directory)/\(entry)")
        }
    }

    /// POSIX `write(2)` (the name `write` is taken by this type's method).
    private static func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(descriptor, bytes, count)
        #else
        return Darwin.write(descriptor, bytes, count)
        #endif
    }

    /// The current `errno` in words.
    private static func reason() -> String { String(cString: strerror(errno)) }
}
