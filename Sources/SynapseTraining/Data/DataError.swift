import SynapseCore
import SynapseNN
/// What went wrong reading a data file, with where: every reader throws these instead of crashing.
public struct DataError: Error, Equatable, CustomStringConvertible {
    /// The file (or `-` for standard input).
    public var path: String
    /// What is wrong, in words a user can act on.
    public var message: String
    /// The 1-based line and column, for text formats.
    public var line: Int?, column: Int?

    /// An error about `path`, optionally at a line and column.
    public init(path: String, _ message: String, line: Int? = nil, column: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
        self.column = column
    }

    /// `file:line:column: message`, as compilers print it.
    public var description: String {
        var location = path
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return "\(location): \(message)"
    }
}
