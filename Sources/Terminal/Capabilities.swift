/// What the terminal can show, decided once at start-up from the environment and terminfo.
public struct Capabilities: Hashable, Sendable {
    public var colors: ColorDepth
    /// UTF-8 output: braille curves, block bars and rounded borders; otherwise ASCII stand-ins.
    public var unicode: Bool

    public init(colors: ColorDepth, unicode: Bool) { self.colors = colors; self.unicode = unicode }

    /// From terminfo's colour count (`terminalColors`: 24-bit only for direct-colour entries such as xterm-direct),
    /// `NO_COLOR` (any non-empty value turns colours off) and the locale's codeset (UTF-8 or ASCII stand-ins).
    public static func detect(environment: [String: String], terminalColors: Int, codeset: String) -> Capabilities {
        var depth: ColorDepth
        switch terminalColors {
        case ..<8: depth = .monochrome
        case ..<256: depth = .ansi16
        case ..<16_777_216: depth = .indexed256
        default: depth = .truecolor
        }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { depth = .monochrome }
        let utf8 = codeset.uppercased().replacingOccurrences(of: "-", with: "") == "UTF8"
        return Capabilities(colors: depth, unicode: utf8)
    }
}
