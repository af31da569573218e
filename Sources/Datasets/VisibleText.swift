import Tokenizer

/// Text made safe and readable on a terminal: whitespace shown as marks, control characters and bytes that are not
/// UTF-8 shown as `<0xNN>` (so a dataset cannot move the cursor or change colours).
enum VisibleText {
    /// One token's text: space `·`, line feed `↵`, tab `→`, carriage return `␍`.
    static func token(_ id: Int, in tokenizer: Tokenizer) -> String {
        guard let name = tokenizer.token(forID: id) else { return "<unknown id \(id)>" }
        return render(tokenBytes(name), marks: true)
    }

    /// Rendered template text: line breaks and tabs kept, other control characters escaped.
    static func text(_ s: String) -> String { render(Array(s.utf8), marks: false) }

    /// The bytes a vocabulary string stands for, as HF's ByteLevel decoder (and `Tokenizer.decode`) computes them:
    /// GPT-2's byte-to-character table inverted, or the string's own UTF-8 if a character is outside the table.
    static func tokenBytes(_ name: String) -> [UInt8] {
        var out: [UInt8] = []
        for u in name.unicodeScalars {
            guard let b = byteOfCharacter[u.value] else { return Array(name.utf8) }
            out.append(b)
        }
        return out
    }

    /// GPT-2's `bytes_to_unicode`, inverted: printable Latin-1 bytes stand for themselves, the other 68 bytes for
    /// U+0100, U+0101, … in byte order.
    private static let byteOfCharacter: [UInt32: UInt8] = {
        var table: [UInt32: UInt8] = [:]
        var n: UInt32 = 0
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[UInt32(b)] = UInt8(b)
            } else {
                table[256 + n] = UInt8(b)
                n += 1
            }
        }
        return table
    }()

    private static func render(_ bytes: [UInt8], marks: Bool) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length = b < 0x80 ? 1 : b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0
            guard length > 0, i + length <= bytes.count,
                let u = String(validating: bytes[i..<i + length], as: UTF8.self)?.unicodeScalars.first
            else {
                out += hex([b])
                i += 1
                continue
            }
            i += length
            switch u {
            case " " where marks: out += "·"
            case "\n": out += marks ? "↵" : "\n"
            case "\t": out += marks ? "→" : "\t"
            case "\r" where marks: out += "␍"
            default:
                if u.value < 0x20 || u.value == 0x7F || (0x80..<0xA0).contains(u.value) {
                    out += hex(Array(String(u).utf8))
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { b in
            let s = String(b, radix: 16, uppercase: true)
            return "<0x" + (s.count == 1 ? "0" + s : s) + ">"
        }.joined()
    }
}
