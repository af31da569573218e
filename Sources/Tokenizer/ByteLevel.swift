/// GPT-2's `bytes_to_unicode` table: every byte gets a printable character, so that a byte string can be stored as a
/// vocabulary string. Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) map to themselves; the other 68 bytes map,
/// in byte order, to U+0100, U+0101, … (space 0x20 → `Ġ` U+0120, newline 0x0A → `Ċ` U+010A).
enum ByteLevel {
    /// byte → scalar value of its character.
    static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = 256 + n
                n += 1
            }
        }
        return table
    }()

    /// scalar value → byte, for scalars below `scalarLimit`; -1 where the scalar is not in the table.
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: Int(scalarLimit))
        for b in 0..<256 { table[Int(byteToScalar[b])] = Int16(b) }
        return table
    }()

    /// Every table character is below U+0144.
    static let scalarLimit: UInt32 = 0x144

    /// The vocabulary spelling of a byte string.
    static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(byteToScalar[Int(b)])!) }
        return String(s)
    }

    /// The bytes a token stands for, as HF's ByteLevel decoder computes them: each character through the inverse
    /// table, or, if any character of the token is not in the table, the token's own UTF-8 (added tokens such as
    /// `<|im_end|>` are all table characters and so come out as themselves).
    static func decode(_ token: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for u in token.unicodeScalars {
            guard u.value < scalarLimit, scalarToByte[Int(u.value)] >= 0 else { return Array(token.utf8) }
            out.append(UInt8(scalarToByte[Int(u.value)]))
        }
        return out
    }

    /// The bytes of a token made only of table characters; nil if any character is outside the table.
    static func strictDecode(_ token: String) -> [UInt8]? {
        var out: [UInt8] = []
        for u in token.unicodeScalars {
            guard u.value < scalarLimit, scalarToByte[Int(u.value)] >= 0 else { return nil }
            out.append(UInt8(scalarToByte[Int(u.value)]))
        }
        return out
    }
}
