/// The cell grid panes paint into; a driver shows it, sending only the cells that changed since the last frame.
public final class Screen {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public func resize(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public func clear(_ style: Style = .plain) {
        for i in cells.indices { cells[i] = Cell(" ", style: style) }
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            cells[y * width + x] = newValue
        }
    }

    /// Plain text of the grid, one line per row with trailing blanks trimmed (what goldens compare).
    public func text() -> String {
        var lines: [String] = []
        for y in 0..<height {
            var line = String.UnicodeScalarView()
            for x in 0..<width where !cells[y * width + x].continuation { line.append(cells[y * width + x].scalar) }
            var s = String(line)
            while s.last == " " { s.removeLast() }
            lines.append(s)
        }
        return lines.joined(separator: "\n")
    }
}

/// Display width of a scalar: 2 for East Asian wide and emoji, 0 for combining marks and joiners, 1 otherwise.
/// A fixed table rather than wcwidth(3), so the layout does not depend on the locale (goldens stay stable).
public func displayWidth(_ s: Unicode.Scalar) -> Int {
    let v = s.value
    if v < 0x7F { return v >= 0x20 ? 1 : 0 }
    if v < 0xA0 { return 0 }
    if (0x300...0x36F).contains(v) || (0x200B...0x200F).contains(v) || (0xFE00...0xFE0F).contains(v)
        || (0x1AB0...0x1AFF).contains(v) || (0x20D0...0x20FF).contains(v) { return 0 }
    let wide: [ClosedRange<UInt32>] = [0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF,
                                      0x4E00...0x9FFF, 0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF,
                                      0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
                                      0x1F900...0x1F9FF, 0x20000...0x3FFFD]
    return wide.contains { $0.contains(v) } ? 2 : 1
}

public func displayWidth(_ text: String) -> Int { text.unicodeScalars.reduce(0) { $0 + displayWidth($1) } }

/// `text` cut to at most `width` columns, with `…` when it was cut.
public func truncated(_ text: String, to width: Int, ellipsis: String = "…") -> String {
    guard width > 0 else { return "" }
    if displayWidth(text) <= width { return text }
    var out = String.UnicodeScalarView(), used = 0
    let room = width - displayWidth(ellipsis)
    for s in text.unicodeScalars {
        let w = displayWidth(s)
        if used + w > room { break }
        out.append(s); used += w
    }
    return String(out) + ellipsis
}

/// Draws into a rectangle of a screen in local coordinates, clipped to it.
public struct Painter {
    public let screen: Screen
    public let rect: Rect

    public init(_ screen: Screen, _ rect: Rect? = nil) {
        self.screen = screen
        self.rect = (rect ?? screen.bounds).intersection(screen.bounds)
    }

    public var width: Int { rect.width }
    public var height: Int { rect.height }

    /// A painter for a sub-rectangle given in this painter's coordinates.
    public func sub(_ r: Rect) -> Painter {
        Painter(screen, Rect(x: rect.x + r.x, y: rect.y + r.y, width: r.width, height: r.height).intersection(rect))
    }

    public func fill(_ style: Style, _ scalar: Unicode.Scalar = " ") {
        for y in 0..<height { for x in 0..<width { set(x, y, Cell(scalar, style: style)) } }
    }

    public func set(_ x: Int, _ y: Int, _ cell: Cell) {
        guard x >= 0, y >= 0, x < rect.width, y < rect.height else { return }
        screen[rect.x + x, rect.y + y] = cell
    }

    public func cell(_ x: Int, _ y: Int) -> Cell? {
        guard x >= 0, y >= 0, x < rect.width, y < rect.height else { return nil }
        return screen[rect.x + x, rect.y + y]
    }

    /// Writes `text` on row `y` from column `x`, clipped at the right edge; control characters show as `·`.
    /// Returns the column after the last one written.
    @discardableResult
    public func text(_ x: Int, _ y: Int, _ text: String, _ style: Style = .plain, maxWidth: Int? = nil) -> Int {
        var col = x
        let limit = min(rect.width, x + (maxWidth ?? rect.width))
        for var s in text.unicodeScalars {
            if s.value < 0x20 || s.value == 0x7F { s = "·" }
            let w = displayWidth(s)
            if w == 0 { continue }
            if col + w > limit { break }
            set(col, y, Cell(s, style: style))
            if w == 2 { set(col + 1, y, Cell(" ", style: style, continuation: true)) }
            col += w
        }
        return col
    }

    /// A box border (rounded when `unicode`), with an optional title in the top edge.
    public func box(_ style: Style, title: String? = nil, titleStyle: Style? = nil, unicode: Bool) {
        guard width >= 2, height >= 2 else { return }
        let g: [Unicode.Scalar] = unicode ? ["╭", "╮", "╰", "╯", "─", "│"] : ["+", "+", "+", "+", "-", "|"]
        for x in 1..<(width - 1) { set(x, 0, Cell(g[4], style: style)); set(x, height - 1, Cell(g[4], style: style)) }
        for y in 1..<(height - 1) { set(0, y, Cell(g[5], style: style)); set(width - 1, y, Cell(g[5], style: style)) }
        set(0, 0, Cell(g[0], style: style)); set(width - 1, 0, Cell(g[1], style: style))
        set(0, height - 1, Cell(g[2], style: style)); set(width - 1, height - 1, Cell(g[3], style: style))
        if let title, width > 6 {
            text(2, 0, " " + truncated(title, to: width - 6) + " ", titleStyle ?? style)
        }
    }
}

extension Screen {
    /// ASCII stand-ins for the glyphs the workbench draws, for terminals without UTF-8.
    static let asciiFold: [Unicode.Scalar: Unicode.Scalar] = [
        "…": ".", "·": "|", "—": "-", "–": "-", "◂": "<", "▸": ">", "▲": "+", "▼": "-", "✗": "x", "✓": "+", "●": "*",
        "‖": "=", "■": "#", "□": ".", "×": "x", "←": "<", "→": ">", "↑": "^", "↓": "v", "─": "-", "│": "|", "╭": "+",
        "╮": "+", "╰": "+", "╯": "+", "┤": "+", "┬": "+", "└": "+", "−": "-", "█": "#", "░": ".", "▒": ":", "▓": "#",
    ]

    /// Replaces every non-ASCII cell by its stand-in (`?` when it has none); wide characters become two `?`.
    public func foldToASCII() {
        for i in cells.indices where cells[i].scalar.value > 0x7E || cells[i].continuation {
            if cells[i].continuation { cells[i].scalar = "?"; cells[i].continuation = false; continue }
            let s = cells[i].scalar
            if s.value >= 0x2800 && s.value <= 0x28FF { cells[i].scalar = s.value == 0x2800 ? " " : "*"; continue }
            cells[i].scalar = Self.asciiFold[s] ?? "?"
        }
    }
}
