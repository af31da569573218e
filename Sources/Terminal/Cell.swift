/// How a cell is drawn: colours and attributes.
public struct Style: Hashable, Sendable {
    public var fg: Color
    public var bg: Color
    public var bold: Bool
    public var dim: Bool
    public var underline: Bool
    public var reverse: Bool

    public init(fg: Color = .default, bg: Color = .default, bold: Bool = false, dim: Bool = false,
                underline: Bool = false, reverse: Bool = false) {
        self.fg = fg; self.bg = bg; self.bold = bold; self.dim = dim; self.underline = underline; self.reverse = reverse
    }

    public static let plain = Style()

    public func with(fg: Color? = nil, bg: Color? = nil, bold: Bool? = nil, dim: Bool? = nil, underline: Bool? = nil,
                     reverse: Bool? = nil) -> Style {
        Style(fg: fg ?? self.fg, bg: bg ?? self.bg, bold: bold ?? self.bold, dim: dim ?? self.dim,
              underline: underline ?? self.underline, reverse: reverse ?? self.reverse)
    }
}

/// One terminal cell. A wide character occupies its cell and the next, which holds a `continuation`.
public struct Cell: Hashable, Sendable {
    public var scalar: Unicode.Scalar
    public var style: Style
    public var continuation: Bool

    public init(_ scalar: Unicode.Scalar = " ", style: Style = .plain, continuation: Bool = false) {
        self.scalar = scalar; self.style = style; self.continuation = continuation
    }

    public static let blank = Cell()
}

public struct Rect: Hashable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x; self.y = y; self.width = max(0, width); self.height = max(0, height)
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public func inset(_ d: Int) -> Rect { Rect(x: x + d, y: y + d, width: width - 2 * d, height: height - 2 * d) }
    public func intersection(_ o: Rect) -> Rect {
        let nx = max(x, o.x), ny = max(y, o.y)
        return Rect(x: nx, y: ny, width: min(maxX, o.maxX) - nx, height: min(maxY, o.maxY) - ny)
    }
    /// Splits off the top `rows` rows: (top, rest).
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let r = min(max(rows, 0), height)
        return (Rect(x: x, y: y, width: width, height: r), Rect(x: x, y: y + r, width: width, height: height - r))
    }
    /// Splits off the left `cols` columns: (left, rest).
    public func splitLeft(_ cols: Int) -> (Rect, Rect) {
        let c = min(max(cols, 0), width)
        return (Rect(x: x, y: y, width: c, height: height), Rect(x: x + c, y: y, width: width - c, height: height))
    }
}
