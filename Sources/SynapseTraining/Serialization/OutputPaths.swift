import SynapseCore
import SynapseNN
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The checks a program makes on its output paths before doing any work: no output may replace one
/// of its inputs (the same file, however it is spelled: a link, `./x`, a hard link) or another output,
/// and every output must be writable where it is (see ``AtomicFile/destination(of:probing:)``).
/// Streams (`-`, `/dev/null`, a pipe) may be named more than once.
public enum OutputPaths {
    /// A named path: what the option that gave it is called (`--out`) and the path.
    public typealias Named = (option: String, path: String)

    /// Why a set of outputs was refused.
    public enum Conflict: Error, Equatable, CustomStringConvertible {
        /// An output would replace an input.
        case replacesInput(output: String, outputPath: String, input: String, inputPath: String)
        /// Two outputs name the same file.
        case sameOutput(first: String, second: String, path: String)
        /// An output cannot be written (the error names the path and the reason).
        case unwritable(DataError)

        /// The message.
        public var description: String {
            switch self {
            case .replacesInput(let output, let outputPath, let input, let inputPath):
                return "'\(output) \(outputPath)' would replace the input '\(input) \(inputPath)' (the same file); choose another output path"
            case .sameOutput(let first, let second, let path):
                return "'\(first)' and '\(second)' both name \(path); give each output its own path"
            case .unwritable(let error): return error.description
            }
        }
    }

    /// Checks `outputs` against `inputs` and each other, and that each can be written.
    /// An input that is a directory (an MNIST directory) stands for the files in it.
    public static func check(outputs: [Named], inputs: [Named]) throws(Conflict) {
        var seen: [(option: String, identity: FileIdentity)] = []
        for output in outputs {
            let destination: AtomicFile.Destination
            do { destination = try AtomicFile.destination(of: output.path, probing: true) } catch let error as DataError {
                throw .unwritable(error)
            } catch { throw .unwritable(DataError(path: output.path, "\(error)")) }
            guard case .file(let target) = destination else { continue }   // streams may be shared
            let identity = FileIdentity(target)
            for input in inputs {
                // `-` reads standard input, which may be a file redirected in (`< data.csv`).
                let source = input.path == "-" ? FileIdentity(descriptor: STDIN_FILENO) : FileIdentity(input.path)
                if identity.isSame(as: source) || (input.path != "-" && identity.isInside(directory: input.path)) {
                    throw .replacesInput(output: output.option, outputPath: output.path, input: input.option, inputPath: input.path)
                }
            }
            if let earlier = seen.first(where: { $0.identity.isSame(as: identity) }) {
                throw .sameOutput(first: earlier.option, second: output.option, path: output.path)
            }
            seen.append((output.option, identity))
        }
    }

    /// What makes two paths the same file: the device and inode when the file exists, else the
    /// absolute path with its directory resolved.
    struct FileIdentity {
        var device: UInt64?, inode: UInt64?
        var resolvedPath: String

        init(_ path: String) {
            var status = stat()
            if stat(path, &status) == 0 {
                device = UInt64(status.st_dev)
                inode = UInt64(status.st_ino)
            }
            let directory = (path as NSString).deletingLastPathComponent
            let name = (path as NSString).lastPathComponent
            if let resolved = realpath(directory.isEmpty ? "." : directory, nil) {
                resolvedPath = String(cString: resolved) + "/" + name
                free(resolved)
            } else {
                resolvedPath = path
            }
        }

        /// The file open as `descriptor` when it is a regular file (else an identity that matches nothing).
        init(descriptor: Int32) {
            var status = stat()
            resolvedPath = "\u{0}descriptor \(descriptor)"   // no path can equal it
            if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG {
                device = UInt64(status.st_dev)
                inode = UInt64(status.st_ino)
            }
        }

        func isSame(as other: FileIdentity) -> Bool {
            if let device, let inode, let otherDevice = other.device, let otherInode = other.inode {
                return device == otherDevice && inode == otherInode
            }
            return resolvedPath == other.resolvedPath
        }

        /// Whether this file is one of the regular files directly inside `directory` (when it is one).
        func isInside(directory: String) -> Bool {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue,
                  let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return false }
            return entries.contains { isSame(as: FileIdentity("\(directory)/\($0)")) }
        }
    }
}
