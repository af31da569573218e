import Foundation

/// A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json` (Qwen2/Qwen3, GPT-2 and the like) that
/// produces the ids HF `tokenizers` produces for `encode(text, add_special_tokens=False)`.
///
/// Pipeline, as in HF: added tokens with `normalized: false` are cut out of the raw text; each remaining piece is
/// normalised (NFC) and added tokens with `normalized: true` are cut out of it; what is left is pre-tokenized (the
/// Split regex, then ByteLevel), and every pre-token's bytes go through BPE.
///
/// Immutable after `init` apart from an internal, locked BPE cache, so one instance can be shared by many threads.
public final class Tokenizer: @unchecked Sendable {
    /// Max id + 1, counting added tokens.
    public let vocabSize: Int
    /// Added tokens with `special: true`, by content.
    public let specialTokens: [String: Int]

    private let normalizer: TokenizerConfig.Normalizer
    private let steps: [TokenizerConfig.PreTokenizerStep]
    private let model: BPEModel
    private let rawMatcher: AddedTokenMatcher
    private let normalizedMatcher: AddedTokenMatcher
    private let tokenToID: [String: Int]
    private let addedTokenToID: [String: Int]
    /// id → token string (added tokens: their content, NFC'd when `normalized`, as HF's `id_to_token`).
    private let idToToken: [String?]
    /// id → bytes, flattened: `decodeBytes[decodeStart[id]..<decodeStart[id + 1]]`.
    private let decodeBytes: [UInt8]
    private let decodeStart: [Int32]
    private let hasToken: [Bool]
    /// Ids that `decode(skipSpecialTokens: true)` drops: those whose token string is a special token's content.
    private let skippedIDs: [Bool]

    /// Loads `url`, a `tokenizer.json` file or a directory that contains one.
    public convenience init(contentsOf url: URL) throws {
        var file = url
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue {
            file = url.appendingPathComponent("tokenizer.json")
        }
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw TokenizerError.fileNotFound(path: file.path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw TokenizerError.unreadable(path: file.path, reason: error.localizedDescription)
        }
        try self.init(json: data, source: file.path)
    }

    /// Parses the contents of a `tokenizer.json`; `source` names it in error messages.
    public init(json: Data, source: String) throws {
        let config = try TokenizerConfig(json: json, source: source)
        normalizer = config.normalizer
        steps = config.preTokenizer

        // Model.
        let vocab = config.vocab
        var merges: [UInt64: UInt64] = [:]
        merges.reserveCapacity(config.merges.count)
        for (rank, (a, b)) in config.merges.enumerated() {
            var field: String { "model.merges[\(config.mergeIndices[rank])]" }
            guard let aID = vocab[a] else {
                throw TokenizerError.invalidField(
                    source: source, field: field, problem: "token \(quoted(a)) is not in model.vocab")
            }
            guard let bID = vocab[b] else {
                throw TokenizerError.invalidField(
                    source: source, field: field, problem: "token \(quoted(b)) is not in model.vocab")
            }
            guard let merged = vocab[a + b] else {
                throw TokenizerError.invalidField(
                    source: source, field: field, problem: "merged token \(quoted(a + b)) is not in model.vocab")
            }
            merges[UInt64(aID) << 32 | UInt64(bID)] = UInt64(rank) << 32 | UInt64(merged)
        }
        var byteIDs = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            if let id = vocab[ByteLevel.encode([UInt8(b)])] { byteIDs[b] = Int32(id) }
        }
        var fallback: [[Int32]?]?
        if config.byteFallback {
            fallback = (0..<256).map { b -> [Int32]? in
                var ids: [Int32] = []
                for x in ByteLevel.encode([UInt8(b)]).utf8 {
                    guard let id = vocab[String(format: "<0x%02X>", x)] else { return nil }
                    ids.append(Int32(id))
                }
                return ids
            }
        }
        var wholeWords: [ByteKey: Int32]?
        if config.ignoreMerges {
            var table: [ByteKey: Int32] = [:]
            table.reserveCapacity(vocab.count)
            for (token, id) in vocab {
                if let bytes = ByteLevel.strictDecode(token) { table[ByteKey(bytes)] = Int32(id) }
            }
            wholeWords = table
        }
        model = BPEModel(
            byteIDs: byteIDs, merges: merges, wholeWords: wholeWords,
            unkID: config.unkToken.flatMap { vocab[$0] }.map(Int32.init), fuseUnk: config.fuseUnk,
            fallbackIDs: fallback)

        // Added tokens. As in HF, a token already in the model vocabulary keeps its vocabulary id (HF ignores the
        // file's id then). Of several entries with the same content, the first is kept.
        var added: [AddedToken] = []
        var addedByContent: [String: Int] = [:]
        var seenContent = Set<[UInt8]>()
        for var t in config.addedTokens where !t.content.isEmpty {
            guard seenContent.insert(Array(t.content.utf8)).inserted else { continue }
            if let id = vocab[t.content] { t.id = id }
            added.append(t)
            addedByContent[t.content] = t.id
        }
        addedTokenToID = addedByContent
        tokenToID = vocab

        func nfc(_ s: String) -> String { Tokenizer.nfc(s) }
        let normalizesAdded = config.normalizer == .nfc
        var raw: [AddedTokenMatcher.Pattern] = []
        var normalized: [AddedTokenMatcher.Pattern] = []
        var specials: [String: Int] = [:]
        for t in added {
            if t.normalized {
                let content = normalizesAdded ? nfc(t.content) : t.content
                normalized.append(.init(bytes: Array(content.utf8), id: t.id, singleWord: t.singleWord,
                                        lstrip: t.lstrip, rstrip: t.rstrip))
            } else {
                raw.append(.init(bytes: Array(t.content.utf8), id: t.id, singleWord: t.singleWord,
                                 lstrip: t.lstrip, rstrip: t.rstrip))
            }
            if t.special { specials[t.content] = t.id }
        }
        rawMatcher = AddedTokenMatcher(raw)
        normalizedMatcher = AddedTokenMatcher(normalized)
        specialTokens = specials

        // id → token, id → bytes.
        var maxID = -1
        for id in vocab.values { maxID = max(maxID, id) }
        for t in added { maxID = max(maxID, t.id) }
        vocabSize = maxID + 1
        var names = [String?](repeating: nil, count: vocabSize)
        for (token, id) in vocab { names[id] = token }
        for t in added { names[t.id] = t.normalized && normalizesAdded ? nfc(t.content) : t.content }
        idToToken = names

        let specialContents = Set(specials.keys.map { Array($0.utf8) })
        var bytes: [UInt8] = []
        var starts = [Int32](repeating: 0, count: vocabSize + 1)
        var present = [Bool](repeating: false, count: vocabSize)
        var skipped = [Bool](repeating: false, count: vocabSize)
        for id in 0..<vocabSize {
            starts[id] = Int32(bytes.count)
            guard let name = names[id] else { continue }
            present[id] = true
            bytes.append(contentsOf: ByteLevel.decode(name))
            if !specialContents.isEmpty && specialContents.contains(Array(name.utf8)) { skipped[id] = true }
        }
        starts[vocabSize] = Int32(bytes.count)
        decodeBytes = bytes
        decodeStart = starts
        hasToken = present
        skippedIDs = skipped
    }

    // MARK: - Vocabulary

    /// The vocabulary string of `id` (byte-level characters; added tokens as their content), like HF `id_to_token`.
    public func token(forID id: Int) -> String? {
        guard id >= 0, id < idToToken.count else { return nil }
        return idToToken[id]
    }

    /// Like HF `token_to_id`: added tokens first, then the model vocabulary.
    public func id(forToken token: String) -> Int? {
        addedTokenToID[token] ?? tokenToID[token]
    }

    /// Whether `decode(skipSpecialTokens: true)` drops `id`: a special added token (or a vocabulary token spelled
    /// the same).
    public func isSpecial(_ id: Int) -> Bool {
        id >= 0 && id < skippedIDs.count && skippedIDs[id]
    }

    // MARK: - Encode

    /// Token ids of `text`, like HF `encode(text, add_special_tokens=False).ids`: special and other added tokens
    /// written in the text are recognised as such.
    public func encode(_ text: String) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        var scratch = ScalarBuffer()
        var utf8 = text
        utf8.withUTF8 { buf in
            for piece in rawMatcher.split(buf) {
                if let id = piece.id {
                    out.append(id)
                    continue
                }
                let segment = UnsafeBufferPointer(rebasing: buf[piece.range])
                if normalizer == .nfc, Tokenizer.mayNeedNFC(segment) {
                    let normalized = Tokenizer.nfc(segment)
                    normalized.withUnsafeBufferPointer { encodeNormalized($0, &out, &scratch) }
                } else {
                    encodeNormalized(segment, &out, &scratch)
                }
            }
        }
        return out
    }

    /// Text whose scalars are all below U+0300 (no byte ≥ 0xCC) is already NFC: no character there decomposes or
    /// composes with a neighbour.
    static func mayNeedNFC(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in bytes where b >= 0xCC { return true }
        return false
    }

    static func nfc(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        Array(nfc(String(decoding: bytes, as: UTF8.self)).utf8)
    }

    /// Foundation's NFC with two repairs for swift-corelibs-foundation (Swift 6.3) bugs found against HF's NFC:
    /// - the four non-starters that decompose into two combining marks (U+0344, U+0F73, U+0F75, U+0F81) are not
    ///   reordered after a preceding mark of higher class, so they are decomposed beforehand;
    /// - a precomposed Hangul LV syllable followed by a trailing consonant jamo is left as two characters
    ///   ("\u{C5B4}\u{11A8}" must become "\u{C5B5}"); the jamo has combining class 0, so only an adjacent pair
    ///   composes, which is done afterwards.
    /// One difference remains, by design: HF's normalization tables (unicode-normalization-alignments) are older than
    /// Swift's, so combining marks and compositions added in recent Unicode versions (rare-script marks such as
    /// U+0898…U+089F) are reordered or composed here but not by HF.
    static func nfc(_ s: String) -> String {
        var input = s
        if s.unicodeScalars.contains(where: { [0x344, 0xF73, 0xF75, 0xF81].contains($0.value) }) {
            var expanded = String.UnicodeScalarView()
            for u in s.unicodeScalars {
                switch u.value {
                case 0x344: expanded.append(contentsOf: ["\u{308}", "\u{301}"])
                case 0xF73: expanded.append(contentsOf: ["\u{F71}", "\u{F72}"])
                case 0xF75: expanded.append(contentsOf: ["\u{F71}", "\u{F74}"])
                case 0xF81: expanded.append(contentsOf: ["\u{F71}", "\u{F80}"])
                default: expanded.append(u)
                }
            }
            input = String(expanded)
        }
        let composed = input.precomposedStringWithCanonicalMapping
        let tBase: UInt32 = 0x11A7, sBase: UInt32 = 0xAC00
        guard composed.unicodeScalars.contains(where: { $0.value > tBase && $0.value < tBase + 28 }) else {
            return composed
        }
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for u in composed.unicodeScalars {
            if let p = previous, u.value > tBase, u.value < tBase + 28, p.value >= sBase, p.value < sBase + 11172,
                (p.value - sBase) % 28 == 0
            {
                previous = Unicode.Scalar(p.value + (u.value - tBase))
                continue
            }
            if let p = previous { out.append(p) }
            previous = u
        }
        if let p = previous { out.append(p) }
        return String(out)
    }

    private func encodeNormalized(
        _ text: UnsafeBufferPointer<UInt8>, _ out: inout [Int], _ scratch: inout ScalarBuffer
    ) {
        if normalizedMatcher.isEmpty {
            preTokenize(text, step: 0, &out, &scratch)
            return
        }
        for piece in normalizedMatcher.split(text) {
            if let id = piece.id {
                out.append(id)
            } else {
                preTokenize(UnsafeBufferPointer(rebasing: text[piece.range]), step: 0, &out, &scratch)
            }
        }
    }

    private func preTokenize(
        _ text: UnsafeBufferPointer<UInt8>, step: Int, _ out: inout [Int], _ scratch: inout ScalarBuffer
    ) {
        if text.isEmpty { return }
        switch steps[step] {
        case .split(let regex):
            scratch.load(text)
            // The pieces are collected before recursing because the next steps reuse `scratch`.
            var pieces: [Range<Int>] = []
            let offsets = scratch.offsets
            Scanner.split(regex, scratch) { start, end in pieces.append(offsets[start]..<offsets[end]) }
            if step + 1 == steps.count - 1, case .byteLevel(false, false) = steps[step + 1] {
                for r in pieces { model.tokenize(UnsafeBufferPointer(rebasing: text[r]), into: &out) }
            } else {
                for r in pieces { preTokenize(UnsafeBufferPointer(rebasing: text[r]), step: step + 1, &out, &scratch) }
            }
        case .byteLevel(let addPrefixSpace, let useRegex):
            // HF prepends the space to every piece that reaches ByteLevel and does not start with U+0020.
            if addPrefixSpace && text[0] != 0x20 {
                var prefixed: [UInt8] = [0x20]
                prefixed.append(contentsOf: text)
                prefixed.withUnsafeBufferPointer { byteLevel($0, useRegex: useRegex, &out, &scratch) }
            } else {
                byteLevel(text, useRegex: useRegex, &out, &scratch)
            }
        }
    }

    private func byteLevel(
        _ text: UnsafeBufferPointer<UInt8>, useRegex: Bool, _ out: inout [Int], _ scratch: inout ScalarBuffer
    ) {
        guard useRegex else {
            model.tokenize(text, into: &out)
            return
        }
        scratch.load(text)
        let offsets = scratch.offsets
        let model = self.model
        Scanner.split(.gpt2, scratch) { start, end in
            model.tokenize(UnsafeBufferPointer(rebasing: text[offsets[start]..<offsets[end]]), into: &out)
        }
    }

    // MARK: - Decode

    /// The text of `ids`, like HF `decode(ids, skip_special_tokens:)` with the ByteLevel decoder: the bytes of all
    /// tokens are joined and then read as UTF-8, each invalid sequence becoming U+FFFD. Unknown ids are skipped.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        decodeBytes.withUnsafeBufferPointer { all in
            for id in ids {
                guard id >= 0, id < hasToken.count, hasToken[id] else { continue }
                if skipSpecialTokens && skippedIDs[id] { continue }
                let s = Int(decodeStart[id])
                let e = Int(decodeStart[id + 1])
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: all[s..<e]))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
