/// Why a dataset could not be used. `description` is one line: `FILE:LINE: what was expected`, or `FILE: …` when the
/// problem is not on one line (an empty file, a missing file).
public struct DatasetError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file as the user named it.
    public let source: String
    /// 1-based line number, if the problem is on one line.
    public let line: Int?
    public let message: String

    public init(source: String, line: Int? = nil, _ message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(source):\(line): \(message)" }
        return "\(source): \(message)"
    }
}
