import SynapseCore
import SynapseNN
import Foundation

/// File-system queries the readers need (kept in one place so the readers read as format logic).
enum FileManagerShim {
    /// Whether a regular file exists at `path`.
    static func exists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
