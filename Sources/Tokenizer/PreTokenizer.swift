/// Hand-written scanners for the two pre-tokenizer regexes that byte-level BPE tokenizers use. HF runs them with
/// Oniguruma; these reproduce its leftmost-first, backtracking semantics for exactly these patterns.
///
/// Character classes are those of Oniguruma with UTF-8:
/// - `\p{L}`: general category Lu, Ll, Lt, Lm, Lo;
/// - `\p{N}`: Nd, Nl, No;
/// - `\s`: U+0009…U+000D, U+0085 and the Zs/Zl/Zp categories — the same set as Unicode White_Space, so U+00A0,
///   U+3000, U+0085, U+2028 are spaces but U+200B, U+FEFF, U+180E and U+001C…U+001F are not.
enum SplitRegex: Equatable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (ByteLevel use_regex true).
    case gpt2
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// (Qwen2 / Qwen3; cl100k without the digit grouping).
    case qwen

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let qwenPattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    init?(pattern: String) {
        switch pattern {
        case SplitRegex.gpt2Pattern: self = .gpt2
        case SplitRegex.qwenPattern: self = .qwen
        default: return nil
        }
    }
}

/// Character class bits.
enum CharClass {
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let space: UInt8 = 4  // \s
    static let newline: UInt8 = 8  // \r or \n (also `space`)
    // 0: anything else ("other": [^\s\p{L}\p{N}])

    static let ascii: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 128)
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(c)] = letter }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(c)] = letter }
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(c)] = number }
        for c in 0x09...0x0D { t[c] = space }
        t[0x0A] = space | newline
        t[0x0D] = space | newline
        t[0x20] = space
        return t
    }()

    @inline(__always)
    static func of(_ v: UInt32) -> UInt8 {
        if v < 0x80 { return ascii[Int(v)] }
        return nonASCII(v)
    }

    static func nonASCII(_ v: UInt32) -> UInt8 {
        if isUnicodeSpace(v) { return space }
        guard let u = Unicode.Scalar(v) else { return 0 }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return 0
        }
    }

    /// Unicode White_Space (= Oniguruma's and Rust regex's `\s`).
    @inline(__always)
    static func isUnicodeSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}

/// A piece of text decoded into scalars, their classes and byte offsets, for the scanners.
struct ScalarBuffer {
    var scalars: [UInt32] = []
    var classes: [UInt8] = []
    /// Byte offset of each scalar within the decoded bytes, plus one final entry for the end.
    var offsets: [Int] = []

    /// Decodes valid UTF-8.
    mutating func load(_ bytes: UnsafeBufferPointer<UInt8>) {
        scalars.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        let n = bytes.count
        var i = 0
        while i < n {
            let b0 = UInt32(bytes[i])
            var v: UInt32
            var len: Int
            if b0 < 0x80 {
                v = b0; len = 1
            } else if b0 < 0xE0 {
                v = (b0 & 0x1F) << 6 | (UInt32(bytes[i + 1]) & 0x3F); len = 2
            } else if b0 < 0xF0 {
                v = (b0 & 0x0F) << 12 | (UInt32(bytes[i + 1]) & 0x3F) << 6 | (UInt32(bytes[i + 2]) & 0x3F); len = 3
            } else {
                v = (b0 & 0x07) << 18 | (UInt32(bytes[i + 1]) & 0x3F) << 12 | (UInt32(bytes[i + 2]) & 0x3F) << 6
                    | (UInt32(bytes[i + 3]) & 0x3F)
                len = 4
            }
            scalars.append(v)
            classes.append(CharClass.of(v))
            offsets.append(i)
            i += len
        }
        offsets.append(n)
    }
}

enum Scanner {
    /// Calls `emit(start, end)` (scalar indices) for each match of `regex` in `buf`, in order. Both patterns match
    /// every character, so the pieces tile the input (Isolated behaviour).
    @inline(__always)
    static func split(_ regex: SplitRegex, _ buf: ScalarBuffer, _ emit: (Int, Int) -> Void) {
        buf.scalars.withUnsafeBufferPointer { s in
            buf.classes.withUnsafeBufferPointer { c in
                let n = s.count
                var i = 0
                while i < n {
                    let e: Int
                    switch regex {
                    case .gpt2: e = gpt2Match(s, c, i)
                    case .qwen: e = qwenMatch(s, c, i)
                    }
                    emit(i, e)
                    i = e
                }
            }
        }
    }

    @inline(__always)
    private static func isOther(_ c: UInt8) -> Bool { c == 0 }

    /// The end of the whitespace-handling alternatives `\s+(?!\S)|\s+` starting at whitespace `i`.
    @inline(__always)
    private static func spaceRun(_ c: UnsafeBufferPointer<UInt8>, _ i: Int, _ runEnd: Int) -> Int {
        // \s+(?!\S): greedy, then give back one character if a non-space follows. A single space before a
        // non-space falls through to \s+ and is matched alone.
        if runEnd == c.count { return runEnd }
        return runEnd - i >= 2 ? runEnd - 1 : runEnd
    }

    @inline(__always)
    private static func lower(_ v: UInt32) -> UInt32 {
        // ASCII case folding, plus U+017F LATIN SMALL LETTER LONG S, which Oniguruma folds to "s".
        if v >= 0x41 && v <= 0x5A { return v + 0x20 }
        if v == 0x17F { return 0x73 }
        return v
    }

    /// Length (2 or 3) of a contraction `'s|'t|'re|'ve|'m|'ll|'d` at `i`, or 0.
    @inline(__always)
    private static func contraction(
        _ s: UnsafeBufferPointer<UInt32>, _ i: Int, caseInsensitive: Bool
    ) -> Int {
        let n = s.count
        guard s[i] == 0x27, i + 1 < n else { return 0 }
        let a = caseInsensitive ? lower(s[i + 1]) : s[i + 1]
        switch a {
        case 0x73, 0x74, 0x6D, 0x64: return 2  // s t m d
        case 0x72, 0x76:  // r v  → 're 've
            if i + 2 < n, (caseInsensitive ? lower(s[i + 2]) : s[i + 2]) == 0x65 { return 3 }
        case 0x6C:  // l → 'll
            if i + 2 < n, (caseInsensitive ? lower(s[i + 2]) : s[i + 2]) == 0x6C { return 3 }
        default: break
        }
        return 0
    }

    @inline(__always)
    private static func gpt2Match(_ s: UnsafeBufferPointer<UInt32>, _ c: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let n = s.count
        let k = contraction(s, i, caseInsensitive: false)
        if k > 0 { return i + k }
        // ` ?X+` for X in \p{L}, \p{N}, [^\s\p{L}\p{N}]: an optional leading U+0020 then a run of one class.
        var start = i
        if s[i] == 0x20, i + 1 < n, c[i + 1] & CharClass.space == 0 { start = i + 1 }
        let cls = c[start]
        if cls & CharClass.space == 0 {
            var j = start + 1
            if cls == 0 {
                while j < n && c[j] == 0 { j += 1 }
            } else {
                while j < n && c[j] & cls != 0 { j += 1 }
            }
            return j
        }
        var e = i + 1
        while e < n && c[e] & CharClass.space != 0 { e += 1 }
        return spaceRun(c, i, e)
    }

    @inline(__always)
    private static func qwenMatch(_ s: UnsafeBufferPointer<UInt32>, _ c: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let n = s.count
        let k = contraction(s, i, caseInsensitive: true)
        if k > 0 { return i + k }
        let ci = c[i]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if ci & CharClass.letter != 0 {
            var j = i + 1
            while j < n && c[j] & CharClass.letter != 0 { j += 1 }
            return j
        }
        if ci & (CharClass.newline | CharClass.number) == 0, i + 1 < n, c[i + 1] & CharClass.letter != 0 {
            var j = i + 2
            while j < n && c[j] & CharClass.letter != 0 { j += 1 }
            return j
        }
        // \p{N}
        if ci & CharClass.number != 0 { return i + 1 }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var start = i
        if s[i] == 0x20, i + 1 < n, c[i + 1] == 0 { start = i + 1 }
        if c[start] == 0 {
            var j = start + 1
            while j < n && c[j] == 0 { j += 1 }
            while j < n && c[j] & CharClass.newline != 0 { j += 1 }
            return j
        }
        // Whitespace at i.
        var e = i + 1
        var lastNewline = ci & CharClass.newline != 0 ? i : -1
        while e < n && c[e] & CharClass.space != 0 {
            if c[e] & CharClass.newline != 0 { lastNewline = e }
            e += 1
        }
        // \s*[\r\n]+ : the run up to and including its last \r or \n.
        if lastNewline >= 0 { return lastNewline + 1 }
        return spaceRun(c, i, e)
    }
}
