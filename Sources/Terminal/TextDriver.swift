/// A terminal in memory for tests: keys come from a queue, frames are kept as text.
public final class TextDriver: TerminalDriver {
    public private(set) var width: Int
    public private(set) var height: Int
    public let capabilities: Capabilities
    public private(set) var lastFrame: Screen?
    /// Cells changed by the last `present` (the diff a real terminal would receive).
    public private(set) var lastChangedCells = 0
    public private(set) var frames = 0
    private var keys: [Key] = []
    private var previous: [Cell] = []

    public init(width: Int, height: Int, capabilities: Capabilities = Capabilities(colors: .truecolor, unicode: true)) {
        self.width = width; self.height = height; self.capabilities = capabilities
    }

    public func send(_ keys: Key...) { self.keys.append(contentsOf: keys) }
    public func send(text: String) { keys.append(contentsOf: text.map { Key.char($0) }) }

    public func resize(width: Int, height: Int) {
        self.width = width; self.height = height
        keys.append(.resize)
    }

    public var pendingKeys: Int { keys.count }

    public func readKey(timeoutMs: Int) -> Key? { keys.isEmpty ? nil : keys.removeFirst() }

    public func present(_ screen: Screen) {
        if previous.count != screen.cells.count {
            lastChangedCells = screen.cells.count
        } else {
            lastChangedCells = zip(previous, screen.cells).reduce(0) { $0 + ($1.0 == $1.1 ? 0 : 1) }
        }
        previous = screen.cells
        let copy = Screen(width: screen.width, height: screen.height)
        for y in 0..<screen.height { for x in 0..<screen.width { copy[x, y] = screen[x, y] } }
        lastFrame = copy
        frames += 1
    }

    /// The last frame as text (trailing blanks trimmed per row).
    public var text: String { lastFrame?.text() ?? "" }

    public func shutdown() {}
}
