import SynapseCore
import SynapseNN
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
///
/// What a path names is respected: `-` is standard output; a character device or a FIFO
/// (`/dev/null`, `/dev/stdout`, a pipe) is written to as a stream, never replaced; a symbolic link
/// keeps pointing where it did (its target is replaced); a replaced file keeps its permissions
/// (and, as root, its owner); a directory, a block device or a socket is refused.
public enum AtomicFile {
    /// How a path will be written.
    public enum Destination: Equatable, Sendable {
        /// Standard output (`-`).
        case standardOutput
        /// A character device or FIFO, opened and written in place.
        case stream(path: String)
        /// A regular file (existing or new), replaced atomically; `path` is the file itself (a
        /// symbolic link resolved to its target).
        case file(path: String)
    }

    /// Where writing `path` would go, checking that it can be written there at all: for a file,
    /// a temporary file can be created beside it (and is removed again).
    /// - Throws: ``DataError`` naming the path: a directory, a block device or socket, a dangling
    ///   link, or a directory that is missing or not writable.
    public static func destination(of path: String, probing: Bool = false) throws -> Destination {
        if path == "-" { return .standardOutput }
        var status = stat()
        if stat(path, &status) == 0 {
            switch status.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFDIR: throw DataError(path: path, "is a directory")
            case S_IFCHR, S_IFIFO: return .stream(path: path)
            default: throw DataError(path: path, "is neither a regular file nor a character device or pipe; refusing to write to it")
            }
        }
        var target = path
        var linkStatus = stat()
        if lstat(path, &linkStatus) == 0, linkStatus.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                throw DataError(path: path, "is a symbolic link whose target cannot be resolved (\(reason())); refusing to replace the link")
            }
            target = String(cString: resolved)
            free(resolved)
            // A link into /dev or /proc (/dev/stdout → /proc/self/fd/1 → a file the shell opened) is a stream.
            if path.hasPrefix("/dev/") || path.hasPrefix("/proc/") { return .stream(path: path) }
        }
        if probing {
            let (directory, name) = split(target)
            // Named apart from a save's temporary file (`.probe`, not `.tmp`): checking is not writing.
            let probe = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).probe"
            let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0o600)
            guard descriptor >= 0 else { throw DataError(path: path, "cannot create a temporary file beside it: \(reason())") }
            close(descriptor)
            unlink(probe)
        }
        return .file(path: target)
    }

    /// Writes `bytes` to `path`: atomically for a file (see the type's description), as a stream
    /// for standard output (`-`), a character device or a FIFO.
    /// - Throws: ``DataError`` naming the path and the system's reason; a file is untouched then.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        switch try destination(of: path) {
        case .standardOutput:
            try writeAll(bytes, to: STDOUT_FILENO, path: path)
        case .stream(let device):
            let descriptor = open(device, O_WRONLY | O_APPEND)
            guard descriptor >= 0 else { throw DataError(path: path, "cannot open for writing: \(reason())") }
            defer { close(descriptor) }
            try writeAll(bytes, to: descriptor, path: path)
        case .file(let target):
            try replace(target, with: bytes, reportedAs: path)
        }
    }

    /// The atomic replacement of the regular file (or new file) `target`.
    private static func replace(_ target: String, with bytes: [UInt8], reportedAs path: String) throws {
        let (directory, name) = split(target)
        let temporary = "\(directory)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        var existing = stat()
        let replacing = stat(target, &existing) == 0
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, replacing ? 0o600 : 0o666)
        guard descriptor >= 0 else { throw DataError(path: path, "cannot create a temporary file beside it: \(reason())") }
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            if replacing {
                // The replacement keeps the file's permissions and, where allowed (as root), its owner.
                if existing.st_uid != geteuid() || existing.st_gid != getegid() { _ = fchown(descriptor, existing.st_uid, existing.st_gid) }
                guard fchmod(descriptor, existing.st_mode & 0o7777) == 0 else {
                    throw DataError(path: path, "cannot give the new file the old one's permissions: \(reason())")
                }
            }
            try writeAll(bytes, to: descriptor, path: path)
            guard fsync(descriptor) == 0 else { throw DataError(path: path, "flushing to disk failed: \(reason())") }
        }
        guard rename(temporary, target) == 0 else { throw DataError(path: path, "cannot replace the file: \(reason())") }
        succeeded = true
        // Make the rename itself durable (best effort: some file systems refuse fsync on directories).
        let directoryDescriptor = open(directory, O_RDONLY)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        removeStaleTemporaryFiles(of: name, in: directory)
    }

    /// The directory (`.` when none) and the last component of `path`.
    private static func split(_ path: String) -> (directory: String, name: String) {
        let url = URL(fileURLWithPath: path)
        let directory = (path as NSString).deletingLastPathComponent
        return (directory.isEmpty ? "." : directory, url.lastPathComponent)
    }

    /// Writes every byte, retrying on `EINTR`.
    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var written = 0
            while written < raw.count {
                let n = systemWrite(descriptor, base + written, raw.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw DataError(path: path, "writing failed: \(reason())")
                }
                written += n
            }
        }
    }

    /// Removes the temporary files that writers of `name` killed mid-write left in `directory`:
    /// `.NAME.PID.RANDOM.tmp` (and `.probe`, from ``destination(of:probing:)``) whose process is
    /// gone (`kill(PID, 0)` fails with `ESRCH`). Files of live processes — this one included — are
    /// another write in progress and stay. Best effort.
    static func removeStaleTemporaryFiles(of name: String, in directory: String) {
        let prefix = ".\(name)."
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            guard let suffix = [".tmp", ".probe"].first(where: { entry.hasSuffix($0) }), entry.count > prefix.count + suffix.count else { continue }
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
