/// A user-facing error: one line that names the file and the field, line or tensor at fault.
public struct LatheError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A value as an error message shows it: in double quotes, control characters escaped, cut at 40 characters, so a
/// hostile file cannot turn one line into many or into megabytes.
public func quotedValue(_ s: String) -> String {
    var out = ""
    for (n, c) in s.unicodeScalars.enumerated() {
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
