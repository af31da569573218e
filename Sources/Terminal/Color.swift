/// A colour as themes write it (`#RRGGBB`); drivers reduce it to what the terminal can show.
public struct RGB: Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    /// Parses `#RRGGBB` (or `RRGGBB`); nil otherwise.
    public init?(hex: String) {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, digits.allSatisfy(\.isHexDigit), let v = UInt32(digits, radix: 16) else { return nil }
        self.init(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
    }

    public var description: String {
        "#" + [r, g, b].map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// Linear blend toward `other` (t = 0 → self, 1 → other).
    public func mixed(with other: RGB, _ t: Double) -> RGB {
        func m(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) * (1 - t) + Double(b) * t).rounded()) }
        return RGB(m(r, other.r), m(g, other.g), m(b, other.b))
    }
}

public enum Color: Hashable, Sendable {
    /// The terminal's own foreground/background.
    case `default`
    /// One of the 16 ANSI colours (0–7 normal, 8–15 bright).
    case ansi(UInt8)
    case rgb(RGB)
}

/// How many colours the terminal shows.
public enum ColorDepth: Int, Comparable, Sendable {
    case monochrome = 0, ansi16 = 16, indexed256 = 256, truecolor = 16_777_216
    public static func < (a: ColorDepth, b: ColorDepth) -> Bool { a.rawValue < b.rawValue }
}

public enum ColorReduction {
    /// xterm's 16 standard colours, used to find the nearest ANSI colour of an RGB value.
    static let ansiPalette: [RGB] = [
        RGB(0, 0, 0), RGB(205, 0, 0), RGB(0, 205, 0), RGB(205, 205, 0), RGB(0, 0, 238), RGB(205, 0, 205),
        RGB(0, 205, 205), RGB(229, 229, 229), RGB(127, 127, 127), RGB(255, 0, 0), RGB(0, 255, 0), RGB(255, 255, 0),
        RGB(92, 92, 255), RGB(255, 0, 255), RGB(0, 255, 255), RGB(255, 255, 255),
    ]
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The colour number a terminal of `depth` should use for `color` (nil: the terminal default).
    public static func index(_ color: Color, depth: ColorDepth) -> Int? {
        switch (color, depth) {
        case (.default, _), (_, .monochrome): return nil
        case (.ansi(let n), _): return Int(n)
        case (.rgb(let c), .truecolor): return Int(c.r) << 16 | Int(c.g) << 8 | Int(c.b)
        case (.rgb(let c), .indexed256): return nearest256(c)
        case (.rgb(let c), .ansi16): return nearestANSI(c)
        }
    }

    static func distance(_ a: RGB, _ b: RGB) -> Int {
        let dr = Int(a.r) - Int(b.r), dg = Int(a.g) - Int(b.g), db = Int(a.b) - Int(b.b)
        return 2 * dr * dr + 4 * dg * dg + 3 * db * db
    }

    public static func nearestANSI(_ c: RGB) -> Int {
        ansiPalette.indices.min { distance(ansiPalette[$0], c) < distance(ansiPalette[$1], c) }!
    }

    /// The nearest of the 6×6×6 cube (16–231) and the grey ramp (232–255).
    public static func nearest256(_ c: RGB) -> Int {
        func level(_ v: UInt8) -> Int { cubeLevels.indices.min { abs(cubeLevels[$0] - Int(v)) < abs(cubeLevels[$1] - Int(v)) }! }
        let (ri, gi, bi) = (level(c.r), level(c.g), level(c.b))
        let cube = RGB(UInt8(cubeLevels[ri]), UInt8(cubeLevels[gi]), UInt8(cubeLevels[bi]))
        let grey = (Int(c.r) + Int(c.g) + Int(c.b)) / 3
        let gi2 = max(0, min(23, (grey - 8 + 5) / 10))
        let greyValue = UInt8(8 + 10 * gi2)
        let greyRGB = RGB(greyValue, greyValue, greyValue)
        return distance(greyRGB, c) < distance(cube, c) ? 232 + gi2 : 16 + 36 * ri + 6 * gi + bi
    }
}
