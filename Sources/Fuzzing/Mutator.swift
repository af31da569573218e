/// Seeded, deterministic mutations of a valid input, of the kinds that break parsers: truncation, bit flips,
/// interesting numbers (huge, negative, overflowing), huge length prefixes, duplicated and deleted chunks (duplicate
/// keys), deep nesting, invalid UTF-8 and NUL bytes.
public struct Mutator {
    public enum Kind: String, CaseIterable, Sendable {
        case truncate, bitFlip, randomByte, interestingNumber, lengthPrefix, duplicateChunk, deleteChunk, deepNesting
        case invalidUTF8, nulByte, replaceToken
    }

    var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }

    static let numbers = ["0", "-1", "-0", "1", "255", "256", "65536", "4294967295", "4294967296", "2147483648",
                          "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551616",
                          "99999999999999999999999999", "1e308", "-1e308", "1e-320", "NaN", "Infinity", "1.5", "0x10"]
    static let tokens = ["null", "true", "false", "\"\"", "[]", "{}", "\"\\u0000\"", "\"\\ud800\"", "\"F64\"", "\"BF16\"",
                         "\"I8\"", "[1,2,3]", "[-1]", "{\"a\":1}", "= ", "[[", "]]", "\"\"\"", "'", "#", "\\", "\n"]

    /// One to three mutations of `input`.
    public mutating func mutate(_ input: [UInt8]) -> (bytes: [UInt8], kinds: [Kind]) {
        var out = input
        var kinds: [Kind] = []
        for _ in 0..<(1 + below(3)) {
            let kind = Kind.allCases[below(Kind.allCases.count)]
            kinds.append(kind)
            apply(kind, &out)
        }
        return (out, kinds)
    }

    mutating func apply(_ kind: Kind, _ b: inout [UInt8]) {
        switch kind {
        case .truncate:
            guard !b.isEmpty else { return }
            // Offset classes: the very start, near the start (headers), the middle, the last bytes.
            let cut: Int
            switch below(4) {
            case 0: cut = below(min(b.count, 2))
            case 1: cut = below(min(b.count, 64))
            case 2: cut = below(b.count)
            default: cut = max(0, b.count - 1 - below(min(b.count, 8)))
            }
            b.removeSubrange(cut...)
        case .bitFlip:
            guard !b.isEmpty else { return }
            for _ in 0..<(1 + below(8)) { b[below(b.count)] ^= UInt8(1 << below(8)) }
        case .randomByte:
            guard !b.isEmpty else { return }
            b[below(b.count)] = UInt8(truncatingIfNeeded: next())
        case .interestingNumber:
            // Replace a run of digits (a length, an offset, a count, a shape) with an interesting number.
            let runs = digitRuns(b)
            guard !runs.isEmpty else { b.insert(contentsOf: Array(Self.numbers[below(Self.numbers.count)].utf8), at: below(b.count + 1)); return }
            let r = runs[below(runs.count)]
            b.replaceSubrange(r, with: Array(Self.numbers[below(Self.numbers.count)].utf8))
        case .lengthPrefix:
            // A little-endian length prefix (safetensors' header size) set to something hostile.
            guard b.count >= 8 else { return }
            let values: [UInt64] = [0, 1, 7, UInt64(b.count), UInt64(b.count - 8), UInt64(b.count + 1), 1 << 32, 1 << 40,
                                    UInt64.max, UInt64(Int64.max), 100_000_000]
            var v = values[below(values.count)]
            for i in 0..<8 { b[i] = UInt8(v & 0xFF); v >>= 8 }
        case .duplicateChunk:
            guard b.count > 1 else { return }
            let start = below(b.count), len = 1 + below(min(64, b.count - start))
            let chunk = Array(b[start..<(start + len)])
            b.insert(contentsOf: chunk, at: start + len)
        case .deleteChunk:
            guard b.count > 1 else { return }
            let start = below(b.count), len = 1 + below(min(64, b.count - start))
            b.removeSubrange(start..<(start + len))
        case .deepNesting:
            let depth = [64, 600, 5_000, 100_000][below(4)]
            let open = below(2) == 0 ? UInt8(ascii: "[") : UInt8(ascii: "{")
            b.insert(contentsOf: [UInt8](repeating: open, count: depth), at: below(b.count + 1))
        case .invalidUTF8:
            let bad: [[UInt8]] = [[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC0, 0xAF], [0xE2, 0x82]]
            b.insert(contentsOf: bad[below(bad.count)], at: below(b.count + 1))
        case .nulByte:
            b.insert(0, at: below(b.count + 1))
        case .replaceToken:
            let t = Array(Self.tokens[below(Self.tokens.count)].utf8)
            guard !b.isEmpty else { b = t; return }
            let start = below(b.count), len = below(min(16, b.count - start) + 1)
            b.replaceSubrange(start..<(start + len), with: t)
        }
    }

    func digitRuns(_ b: [UInt8]) -> [Range<Int>] {
        var runs: [Range<Int>] = []
        var i = 0
        while i < b.count {
            if (48...57).contains(b[i]) {
                let s = i
                while i < b.count && (48...57).contains(b[i]) { i += 1 }
                runs.append(s..<i)
            } else { i += 1 }
        }
        return runs
    }
}
