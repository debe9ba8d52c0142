import Foundation
import Testing
import Synapse
@testable import SynapseCore
@testable import SynapseNN
@testable import SynapseTraining

/// Where the shared data and reference outputs live: `$SYNAPSE_SHARED`, or `../shared` beside the
/// repository (as in CI). Tests that need it fail — never pass silently — when it is missing.
enum Shared {
    static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["SYNAPSE_SHARED"] { return URL(fileURLWithPath: path) }
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repository.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// The text of a file under the shared directory; records a failure naming the path when absent.
    static func text(_ relativePath: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let url = directory.appendingPathComponent(relativePath)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing shared file \(url.path) (set SYNAPSE_SHARED or place ../shared beside the repository)",
                         sourceLocation: sourceLocation)
            throw CocoaError(.fileNoSuchFile)
        }
        return text
    }
}

/// |a − b| / max(|a|, |b|), 0 when both are 0.
func relativeError(_ a: Double, _ b: Double) -> Double {
    let scale = max(abs(a), abs(b))
    return scale == 0 ? 0 : abs(a - b) / scale
}
