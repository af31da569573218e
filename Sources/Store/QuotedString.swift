/// A double-quoted string literal valid both as JSON (RFC 8259) and as a TOML basic string: the escapes the two
/// share, and `\uHHHH` for the other control characters (TOML also forbids a raw DEL).
func quotedString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case _ where scalar.value < 0x20 || scalar.value == 0x7f:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// A user's value as a message shows it: quoted, control characters escaped, cut at 40 characters (a hostile file
/// cannot turn one error line into many, or into megabytes).
func shown(_ text: String) -> String {
    var out = ""
    for (n, c) in text.unicodeScalars.enumerated() {
        if n == 40 { out += "…"; break }
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if c.value < 0x20 || c.value == 0x7F { out += "\\u{\(String(c.value, radix: 16))}" } else { out.unicodeScalars.append(c) }
        }
    }
    return "\"\(out)\""
}
