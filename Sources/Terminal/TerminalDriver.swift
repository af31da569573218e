/// What the workbench needs from a terminal: its size and capabilities, keys, and a way to show a frame.
public protocol TerminalDriver: AnyObject {
    var width: Int { get }
    var height: Int { get }
    var capabilities: Capabilities { get }
    /// The next key, waiting at most `timeoutMs` (nil when none came).
    func readKey(timeoutMs: Int) -> Key?
    /// Shows `screen`, sending only the cells that differ from the previous frame.
    func present(_ screen: Screen)
    /// Restores the terminal (idempotent).
    func shutdown()
}

public struct TerminalError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
