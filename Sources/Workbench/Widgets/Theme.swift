import Foundation
import Terminal

/// The colours a theme names; the raw values are the keys written in theme files.
public enum ThemeKey: String, CaseIterable, Sendable {
    case main_bg, main_fg, title, hi_fg, selected_bg, selected_fg, inactive_fg, div_line
    case status_bg, status_fg, error_fg, warn_fg, ok_fg
    case series_1, series_2, series_3, series_4, series_5, series_6, series_7, series_8
    case logprob_low, logprob_high, thumbs_up, thumbs_down
    case heat_low, heat_mid, heat_high
}

/// A theme file could not be read (parse problems are warnings, not errors).
public struct ThemeError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ message: String) { description = message }
}

/// Colours for the workbench, read from btop-style `theme[key]="value"` files.
public struct Theme: Sendable, Equatable {
    public var name: String
    public var colors: [ThemeKey: Color]

    public init(name: String, colors: [ThemeKey: Color]) { self.name = name; self.colors = colors }

    /// A key the theme does not set takes the built-in dark value, so a partial theme still draws everything.
    public subscript(_ key: ThemeKey) -> Color {
        colors[key] ?? Theme.builtinDarkColors[key] ?? .default
    }

    /// Foreground `fg` on `bg`; no `bg` means the theme's `main_bg`, so text matches the pane it is drawn on.
    public func style(_ fg: ThemeKey, bg: ThemeKey? = nil, bold: Bool = false) -> Style {
        Style(fg: self[fg], bg: self[bg ?? .main_bg], bold: bold)
    }

    /// A colour on the low → mid → high heat scale for t in [0, 1] (blended in RGB; stepped for palette colours).
    public func heat(_ t: Double) -> Color {
        let t = min(1, max(0, t.isFinite ? t : 0))
        let (a, b, u) = t < 0.5 ? (self[.heat_low], self[.heat_mid], t * 2) : (self[.heat_mid], self[.heat_high], t * 2 - 1)
        if case .rgb(let x) = a, case .rgb(let y) = b { return .rgb(x.mixed(with: y, u)) }
        return u < 0.5 ? a : b
    }

    /// Used when no theme file is found; `themes/default.theme` holds the same values.
    public static let builtinDark = Theme(name: "builtin-dark", colors: builtinDarkColors)

    private static let builtinDarkColors: [ThemeKey: Color] = {
        let hex: [ThemeKey: String] = [
            .main_bg: "#14161b", .main_fg: "#cccccc", .title: "#eeeeee", .hi_fg: "#d75f5f",
            .selected_bg: "#2f3b54", .selected_fg: "#eeeeee", .inactive_fg: "#5c6370", .div_line: "#30343c",
            .status_bg: "#1f2229", .status_fg: "#aab2bf", .error_fg: "#e05555", .warn_fg: "#e5c07b",
            .ok_fg: "#7ec699",
            .series_1: "#5fafff", .series_2: "#ff9f43", .series_3: "#7ec699", .series_4: "#ff6b8b",
            .series_5: "#c792ea", .series_6: "#56d4dd", .series_7: "#e5c07b", .series_8: "#abb2bf",
            .logprob_low: "#d75f5f", .logprob_high: "#5fd787", .thumbs_up: "#7ec699", .thumbs_down: "#e05555",
            .heat_low: "#1d2b4a", .heat_mid: "#2e7d6b", .heat_high: "#e5a33b",
        ]
        return hex.mapValues { .rgb(RGB(hex: $0)!) }
    }()

    /// Parses a theme file. Bad lines are reported (one line each: "FILE:LINE: what is wrong (skipped)") and
    /// skipped; keys not given keep the builtinDark value.
    public static func parse(_ text: String, name: String, source: String) -> (theme: Theme, warnings: [String]) {
        var colors = builtinDarkColors
        var warnings: [String] = []
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let place = "\(source):\(index + 1)"
            guard let (keyName, value) = splitAssignment(line) else {
                warnings.append("\(place): not of the form theme[key]=\"value\" (skipped)")
                continue
            }
            guard let key = ThemeKey(rawValue: keyName) else {
                warnings.append("\(place): unknown key '\(keyName)' (skipped)")
                continue
            }
            guard let color = parseColor(value) else {
                warnings.append("\(place): bad colour \"\(value)\" for \(keyName); expected \"#RRGGBB\", \"#GG\" "
                                + "(grey), \"R G B\" (0-255 each), \"ansi:N\" (0-15) or \"\" (terminal default) (skipped)")
                continue
            }
            colors[key] = color
        }
        return (Theme(name: name, colors: colors), warnings)
    }

    /// Reads and parses a theme file; the theme is named after the file, without its extension.
    public static func load(_ url: URL) throws -> (theme: Theme, warnings: [String]) {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: url.path) ? "not readable as UTF-8 text" : "no such file"
            throw ThemeError("cannot read theme file \(url.path): \(reason)")
        }
        return parse(text, name: url.deletingPathExtension().lastPathComponent, source: url.path)
    }

    /// `theme[key]="value"` with optional blanks around `=`; nil for anything else.
    private static func splitAssignment(_ line: String) -> (key: String, value: String)? {
        guard line.hasPrefix("theme["), let close = line.firstIndex(of: "]") else { return nil }
        let key = String(line[line.index(line.startIndex, offsetBy: 6)..<close])
        var rest = line[line.index(after: close)...].drop { $0 == " " || $0 == "\t" }
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
        guard rest.count >= 2, rest.first == "\"", rest.last == "\"" else { return nil }
        let value = rest.dropFirst().dropLast()
        guard !key.isEmpty, !value.contains("\"") else { return nil }
        return (key, String(value))
    }

    /// btop's forms (`#RRGGBB`, `#GG` grey, `R G B` decimal, empty for the terminal default) plus `ansi:N`.
    static func parseColor(_ value: String) -> Color? {
        let v = value.trimmingCharacters(in: .whitespaces)
        if v.isEmpty { return .default }
        let isHex = { (s: Substring) in !s.isEmpty && s.allSatisfy(\.isHexDigit) }
        if v.hasPrefix("#") {
            let digits = v.dropFirst()
            guard isHex(digits) else { return nil }
            if digits.count == 6 { return RGB(hex: v).map(Color.rgb) }
            if digits.count == 2, let grey = UInt8(digits, radix: 16) { return .rgb(RGB(grey, grey, grey)) }
            return nil
        }
        if v.hasPrefix("ansi:") {
            let digits = v.dropFirst(5)
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                  let n = UInt8(digits), n <= 15 else { return nil }
            return .ansi(n)
        }
        let parts = v.split(separator: " ")
        guard parts.count == 3 else { return nil }
        let channels = parts.compactMap { p in p.allSatisfy { $0.isASCII && $0.isNumber } ? UInt8(p) : nil }
        guard channels.count == 3 else { return nil }
        return .rgb(RGB(channels[0], channels[1], channels[2]))
    }
}
