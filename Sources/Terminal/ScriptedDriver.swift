import Foundation

/// A terminal fed by another thread, for the latency benchmark: `readKey` blocks like a real terminal's poll,
/// `present` encodes the changed cells as ANSI output (as a terminal would receive them) and records, for every key
/// read since the last frame, the time from the key's arrival to the end of that frame.
public final class ScriptedDriver: TerminalDriver, @unchecked Sendable {
    public let width: Int
    public let height: Int
    public let capabilities: Capabilities
    private let condition = NSCondition()
    private var queue: [(Key, Date)] = []
    private var awaitingFrame: [Date] = []
    private var previous: [Cell] = []
    private let sink = FileHandle(forWritingAtPath: "/dev/null")
    public private(set) var latencies: [Double] = []
    public private(set) var bytesWritten = 0
    public private(set) var frames = 0

    public init(width: Int, height: Int, capabilities: Capabilities = Capabilities(colors: .truecolor, unicode: true)) {
        self.width = width; self.height = height; self.capabilities = capabilities
    }

    /// Called from any thread: the key "arrives" now.
    public func inject(_ key: Key) {
        condition.lock()
        queue.append((key, Date()))
        condition.signal()
        condition.unlock()
    }

    public func readKey(timeoutMs: Int) -> Key? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while queue.isEmpty { if !condition.wait(until: deadline) { break } }
        guard !queue.isEmpty else { return nil }
        let (key, arrived) = queue.removeFirst()
        awaitingFrame.append(arrived)
        return key
    }

    public func present(_ screen: Screen) {
        var out = ""
        let full = previous.count != screen.cells.count
        var lastStyle: Style?
        for y in 0..<screen.height {
            var cursorAt = -1
            for x in 0..<screen.width {
                let cell = screen.cells[y * screen.width + x]
                if (!full && previous[y * screen.width + x] == cell) || cell.continuation { continue }
                if cursorAt != x { out += "\u{1B}[\(y + 1);\(x + 1)H" }
                if cell.style != lastStyle { out += Self.sgr(cell.style); lastStyle = cell.style }
                out.unicodeScalars.append(cell.scalar)
                cursorAt = x + 1
            }
        }
        let data = Data(out.utf8)
        sink?.write(data)
        bytesWritten += data.count
        previous = screen.cells
        frames += 1
        condition.lock()
        let now = Date()
        latencies.append(contentsOf: awaitingFrame.map { now.timeIntervalSince($0) })
        awaitingFrame.removeAll()
        condition.unlock()
    }

    static func sgr(_ s: Style) -> String {
        func color(_ c: Color, _ base: Int) -> String {
            switch c {
            case .default: return "\(base + 9)"
            case .ansi(let n): return n < 8 ? "\(base + Int(n))" : "\(base + 60 + Int(n) - 8)"
            case .rgb(let v): return "\(base + 8);2;\(v.r);\(v.g);\(v.b)"
            }
        }
        var parts = ["0", color(s.fg, 30), color(s.bg, 40)]
        if s.bold { parts.append("1") }
        if s.dim { parts.append("2") }
        if s.underline { parts.append("4") }
        if s.reverse { parts.append("7") }
        return "\u{1B}[" + parts.joined(separator: ";") + "m"
    }

    public func shutdown() {}
}
