import Foundation
import Synapse

/// Errors the command line reports on stderr, with the exit code they map to.
enum CommandLineError: Error, CustomStringConvertible {
    /// The user's flags or arguments are wrong (exit code 2, with a pointer to `--help`).
    case usage(String, command: String)
    /// The command could not do its work (exit code 1).
    case failure(String)

    var description: String {
        switch self {
        case .usage(let message, let command):
            return "\(message)\nTry 'synapse \(command.isEmpty ? "" : command + " ")--help' for more information."
        case .failure(let message): return message
        }
    }

    var exitCode: Int32 {
        switch self {
        case .usage: return 2
        case .failure: return 1
        }
    }
}
