import Terminal

/// A one-line text editor: cursor, insert, delete, Home/End, Ctrl-U/Ctrl-K/Ctrl-W; drawn scrolled to keep the cursor
/// visible.
public struct TextField: Equatable, Sendable {
    public var text: String
    /// Cursor position in characters.
    public var cursor: Int

    public init(_ text: String = "") { self.text = text; cursor = text.count }

    public enum Outcome: Equatable { case editing, committed, cancelled, ignored }

    /// Applies one key. Enter commits, Esc cancels; keys a text field has no use for are `ignored`.
    public mutating func handle(_ key: Key) -> Outcome {
        var chars = Array(text)
        switch key {
        case .enter: return .committed
        case .escape: return .cancelled
        case .char(let c):
            chars.insert(c, at: cursor); cursor += 1
        case .backspace:
            guard cursor > 0 else { return .editing }
            chars.remove(at: cursor - 1); cursor -= 1
        case .delete:
            guard cursor < chars.count else { return .editing }
            chars.remove(at: cursor)
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(chars.count, cursor + 1)
        case .home, .ctrl("a"): cursor = 0
        case .end, .ctrl("e"): cursor = chars.count
        case .ctrl("u"): chars.removeFirst(cursor); cursor = 0
        case .ctrl("k"): chars.removeLast(chars.count - cursor)
        case .ctrl("w"):
            var i = cursor
            while i > 0 && chars[i - 1] == " " { i -= 1 }
            while i > 0 && chars[i - 1] != " " { i -= 1 }
            chars.removeSubrange(i..<cursor); cursor = i
        default: return .ignored
        }
        text = String(chars)
        return .editing
    }

    /// Draws the field on row `y` of `p` within `width` columns; the cursor cell is shown reversed when `focused`.
    public func draw(_ p: Painter, x: Int, y: Int, width: Int, style: Style, focused: Bool) {
        guard width > 0 else { return }
        let chars = Array(text)
        let start = max(0, cursor - width + 1)
        let visible = String(chars[min(start, chars.count)..<min(chars.count, start + width)])
        p.text(x, y, String(repeating: " ", count: width), style)
        p.text(x, y, visible, style, maxWidth: width)
        if focused {
            let cx = x + displayWidth(String(chars[min(start, chars.count)..<min(cursor, chars.count)]))
            let under: Unicode.Scalar = cursor < chars.count ? chars[cursor].unicodeScalars.first! : " "
            if cx < x + width { p.set(cx, y, Cell(under, style: style.with(reverse: true))) }
        }
    }
}
