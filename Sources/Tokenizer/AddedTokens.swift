/// An entry of `added_tokens`.
struct AddedToken {
    var id: Int
    var content: String
    var special: Bool
    var singleWord: Bool
    var lstrip: Bool
    var rstrip: Bool
    var normalized: Bool
}

/// Finds added tokens in text, as HF's `AddedVocabulary::find_matches`: leftmost-longest, non-overlapping, then
/// single_word / lstrip / rstrip adjustments. Works on UTF-8 bytes (contents are valid UTF-8, so a match can only
/// start on a character boundary).
struct AddedTokenMatcher {
    struct Pattern {
        let bytes: [UInt8]
        let id: Int
        let singleWord: Bool
        let lstrip: Bool
        let rstrip: Bool
    }

    /// Patterns by first byte, longest first.
    private var byFirstByte: [[Pattern]] = Array(repeating: [], count: 256)
    private(set) var isEmpty = true

    init(_ patterns: [Pattern]) {
        for p in patterns where !p.bytes.isEmpty {
            byFirstByte[Int(p.bytes[0])].append(p)
            isEmpty = false
        }
        for i in 0..<256 where byFirstByte[i].count > 1 {
            byFirstByte[i].sort { $0.bytes.count > $1.bytes.count }
        }
    }

    /// A piece of the text: either plain text (`id == nil`) or an added token.
    struct Piece {
        let range: Range<Int>
        let id: Int?
    }

    func split(_ text: UnsafeBufferPointer<UInt8>) -> [Piece] {
        let n = text.count
        if isEmpty || n == 0 { return n == 0 ? [] : [Piece(range: 0..<n, id: nil)] }
        var pieces: [Piece] = []
        var startOffset = 0
        var p = 0
        while p < n {
            let candidates = byFirstByte[Int(text[p])]
            guard !candidates.isEmpty, let pat = longestMatch(candidates, text, p) else {
                p += 1
                continue
            }
            var start = p
            var stop = p + pat.bytes.count
            p = stop
            if pat.singleWord {
                let startOK = start == 0 || !endsWithWordChar(text, start)
                let stopOK = stop == n || !startsWithWordChar(text, stop)
                if !startOK || !stopOK { continue }
            }
            if pat.lstrip {
                start = max(leadingSpaceStart(text, before: start), startOffset)
            }
            if pat.rstrip {
                stop = trailingSpaceEnd(text, from: stop)
                p = max(p, stop)
            }
            if startOffset < start { pieces.append(Piece(range: startOffset..<start, id: nil)) }
            pieces.append(Piece(range: start..<stop, id: pat.id))
            startOffset = stop
        }
        if startOffset < n { pieces.append(Piece(range: startOffset..<n, id: nil)) }
        return pieces
    }

    @inline(__always)
    private func longestMatch(_ candidates: [Pattern], _ text: UnsafeBufferPointer<UInt8>, _ p: Int) -> Pattern? {
        let n = text.count
        outer: for c in candidates {
            let len = c.bytes.count
            if p + len > n { continue }
            for k in 1..<max(len, 1) where text[p + k] != c.bytes[k] { continue outer }
            return c
        }
        return nil
    }

    // MARK: Unicode helpers over UTF-8 (Rust regex `\w` and `\s` semantics)

    /// The scalar that ends just before byte offset `end`.
    private func scalarBefore(_ text: UnsafeBufferPointer<UInt8>, _ end: Int) -> (UInt32, Int) {
        var s = end - 1
        while s > 0 && text[s] & 0xC0 == 0x80 { s -= 1 }
        return (decodeScalar(text, s).0, s)
    }

    private func decodeScalar(_ text: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(text[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | (UInt32(text[i + 1]) & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | (UInt32(text[i + 1]) & 0x3F) << 6 | (UInt32(text[i + 2]) & 0x3F), 3)
        }
        return ((b0 & 0x07) << 18 | (UInt32(text[i + 1]) & 0x3F) << 12 | (UInt32(text[i + 2]) & 0x3F) << 6
            | (UInt32(text[i + 3]) & 0x3F), 4)
    }

    /// Rust regex `\w`: Alphabetic, M, Nd, Pc, Join_Control.
    private func isWordChar(_ v: UInt32) -> Bool {
        guard let u = Unicode.Scalar(v) else { return false }
        let p = u.properties
        if p.isAlphabetic || p.isJoinControl { return true }
        switch p.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    private func endsWithWordChar(_ text: UnsafeBufferPointer<UInt8>, _ end: Int) -> Bool {
        isWordChar(scalarBefore(text, end).0)
    }

    private func startsWithWordChar(_ text: UnsafeBufferPointer<UInt8>, _ start: Int) -> Bool {
        isWordChar(decodeScalar(text, start).0)
    }

    /// Start of the whitespace run that ends at `before` (HF: `\s*$` on the text before the match).
    private func leadingSpaceStart(_ text: UnsafeBufferPointer<UInt8>, before: Int) -> Int {
        var s = before
        while s > 0 {
            let (v, at) = scalarBefore(text, s)
            if !CharClass.isUnicodeSpace(v) { break }
            s = at
        }
        return s
    }

    /// End of the whitespace run that starts at `from` (HF: `^\s*` on the text after the match).
    private func trailingSpaceEnd(_ text: UnsafeBufferPointer<UInt8>, from: Int) -> Int {
        var e = from
        while e < text.count {
            let (v, len) = decodeScalar(text, e)
            if !CharClass.isUnicodeSpace(v) { break }
            e += len
        }
        return e
    }
}
