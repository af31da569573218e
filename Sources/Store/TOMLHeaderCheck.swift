/// toml++ (inside TOMLKit) asserts — and aborts the process in debug builds — on a table header opening with three
/// or more brackets (`[[[a]]]`) or whose name starts with a character a key cannot start with (`[+a]`). Such lines
/// are never valid TOML, so they are rejected here first, with the line (both found by `lathe fuzz`).
/// The scan follows just enough of TOML to know where headers can stand: outside strings (basic, literal and
/// multi-line), outside arrays and inline tables, at the start of a line.
enum TOMLHeaderCheck {
    /// The 1-based line of the first such header, if any.
    static func firstBadHeader(_ text: String) -> Int? {
        var depth = 0                        // open [ and { of values
        var multiline: [UInt8]? = nil        // the closing delimiter of an open """ or ''' string
        var line = 1
        var atLineStart = true
        var assigned = false                 // an '=' seen on this line (brackets after it are values)
        let b = Array(text.utf8)
        var i = 0
        func starts(_ s: [UInt8], at k: Int) -> Bool { k + s.count <= b.count && Array(b[k..<(k + s.count)]) == s }
        while i < b.count {
            let c = b[i]
            if c == 0x0A { line += 1; atLineStart = true; assigned = false; i += 1; continue }
            if let close = multiline {
                if starts(close, at: i) { multiline = nil; i += 3 } else { i += 1 }
                continue
            }
            if atLineStart && (c == 0x20 || c == 0x09) { i += 1; continue }
            if atLineStart && depth == 0 && c == UInt8(ascii: "[") {
                var k = i
                while k < b.count && b[k] == UInt8(ascii: "[") { k += 1 }
                if k - i >= 3 { return line }
                while k < b.count && (b[k] == 0x20 || b[k] == 0x09) { k += 1 }
                if k < b.count && !canStartKey(b[k]) { return line }
            }
            atLineStart = false
            switch c {
            case UInt8(ascii: "#"):
                while i < b.count && b[i] != 0x0A { i += 1 }
                continue
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                let triple = [c, c, c]
                if starts(triple, at: i) { multiline = triple; i += 3; continue }
                i += 1
                while i < b.count && b[i] != c && b[i] != 0x0A {
                    if c == UInt8(ascii: "\"") && b[i] == UInt8(ascii: "\\") { i += 1 }
                    i += 1
                }
                i += 1
                continue
            case UInt8(ascii: "="): assigned = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                // A header's own brackets are not values: only count after an '=' on this line or inside a value.
                if depth > 0 || assigned { depth += 1 }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth > 0 { depth -= 1 }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// A bare key's characters (A-Z a-z 0-9 _ -), a quote, or the `]` of an (otherwise rejected) empty name.
    private static func canStartKey(_ c: UInt8) -> Bool {
        (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c)
            || [UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "]")].contains(c)
    }
}
