/// A user-facing error: one line that names the file and the field, line or tensor at fault.
public struct LatheError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
