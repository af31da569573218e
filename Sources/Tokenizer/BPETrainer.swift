import Foundation

/// Trains a byte-level BPE vocabulary on text and writes it as a Qwen2/Qwen3-style Hugging Face `tokenizer.json`
/// (NFC; Split(Qwen regex, Isolated) + ByteLevel; ByteLevel decoder; BPE with `["a","b"]` merges), which `Tokenizer`
/// and HF `tokenizers` read.
///
/// Algorithm, as HF `BpeTrainer`: special tokens are cut out of each text (they are never merged into), every piece is
/// NFC-normalised and split by the Qwen regex, identical pre-tokens are counted, and then the most frequent adjacent
/// pair of symbols is merged, over and over, with pair counts updated only where a merge changed a word.
///
/// Ties: the pair with the highest count wins; among equal counts, the pair whose (left id, right id) is smallest —
/// HF's rule. Ids are as HF's trainer numbers them (the 256 byte symbols by code point of their byte-level character,
/// then merged tokens in the order they were made; HF puts special tokens first, which shifts every id alike), so on
/// the same pre-tokens the merge list is HF's (checked merge for merge against `tokenizers` 0.23.3: the fixture
/// corpus, 20 MB of English docs and code to 4096 and 32768 tokens, 20 MB of CJK to 32768). Nothing depends on
/// hashing, thread timing or a seed: the same texts always give the same bytes out.
///
/// Differences from HF's trainer, both deliberate: HF pre-tokenizes special tokens written in the training text like
/// any other text (so "<|" gets merged); here they are cut out first, as `Tokenizer.encode` does. And HF leaves the
/// count of a pair it has merged at its old value (harmless unless a later merge spells an existing token again);
/// here it drops to zero.
public struct BPETrainer: Sendable {
    /// Qwen2/Qwen3's special tokens, placed at the end of the vocabulary.
    public static let qwenSpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

    /// The vocabulary size asked for, special tokens included (HF `vocab_size`).
    public var vocabSize: Int
    /// A pair is merged only if it occurs at least this many times in the corpus (HF `min_frequency`; 0 acts as 1).
    public var minFrequency: Int
    /// Added as special tokens after the model vocabulary, in this order; cut out of the training text.
    public var specialTokens: [String]

    /// `minFrequency` 2: a pair seen once is memorisation, not a pattern.
    public init(vocabSize: Int, minFrequency: Int = 2, specialTokens: [String] = BPETrainer.qwenSpecialTokens) {
        self.vocabSize = vocabSize
        self.minFrequency = minFrequency
        self.specialTokens = specialTokens
    }

    /// Where training is; handed to the progress callback.
    public struct Progress: Sendable {
        public enum Phase: Sendable { case countingWords, merging }
        public let phase: Phase
        /// UTF-8 bytes of text read so far.
        public let bytesRead: Int
        /// Distinct pre-tokens counted so far.
        public let distinctWords: Int
        /// Merges made so far, and how many the vocabulary size asks for.
        public let merges: Int
        public let mergesWanted: Int
    }

    /// The progress callback's answer.
    public enum Decision: Sendable { case proceed, stop }

    /// Trains on `texts`. Each element is an independent text: no pre-token spans two elements (HF feeds its
    /// iterator the same way), so split a large corpus at document or line boundaries, or pass it whole.
    /// `progress` is called after each text and every 64 merges; answering `.stop` ends training with
    /// `BPETrainerError.stopped`.
    public func train<S: Sequence>(
        _ texts: S, progress: ((Progress) -> Decision)? = nil
    ) throws -> TrainedBPE where S.Element: StringProtocol {
        try validate()
        var counter = PreTokenCounter(specialTokens: specialTokens)
        let mergesWanted = vocabSize - specialTokens.count - 256
        for text in texts {
            counter.add(String(text))
            if let progress, progress(counter.progress(mergesWanted: mergesWanted)) == .stop {
                throw BPETrainerError.stopped(merges: 0)
            }
        }
        return try merge(counter, progress: progress)
    }

    private func validate() throws {
        let minimum = 256 + specialTokens.count
        if vocabSize < minimum { throw BPETrainerError.vocabularyTooSmall(requested: vocabSize, minimum: minimum) }
        if minFrequency < 0 { throw BPETrainerError.invalidMinFrequency(minFrequency) }
        var seen = Set<String>()
        for t in specialTokens {
            if t.isEmpty { throw BPETrainerError.invalidSpecialToken(t, reason: "it is empty") }
            if !seen.insert(t).inserted { throw BPETrainerError.invalidSpecialToken(t, reason: "it is listed twice") }
        }
    }

    // MARK: - Merge loop

    private func merge(_ counter: PreTokenCounter, progress: ((Progress) -> Decision)?) throws -> TrainedBPE {
        let modelSize = vocabSize - specialTokens.count
        let mergesWanted = modelSize - 256
        var state = MergeState(counter)
        let threshold = Int64(max(minFrequency, 1))

        // Model tokens: 0…255 the single bytes in code-point order of their byte-level character (HF's alphabet
        // order), then one per merge.
        var tokens: [[UInt8]] = BPETrainer.byteOrder.map { [$0] }
        var tokenIDs: [[UInt8]: Int32] = [:]
        for (id, t) in tokens.enumerated() { tokenIDs[t] = Int32(id) }
        var merges: [TrainedBPE.Merge] = []

        while tokens.count < modelSize {
            guard let (pair, count) = state.best() else {
                throw BPETrainerError.corpusTooSmall(
                    requested: vocabSize, reached: tokens.count + specialTokens.count, minFrequency: minFrequency,
                    reason: "no adjacent pair of tokens is left to merge")
            }
            if count < threshold {
                throw BPETrainerError.corpusTooSmall(
                    requested: vocabSize, reached: tokens.count + specialTokens.count, minFrequency: minFrequency,
                    reason: "the most frequent remaining pair occurs \(count) time\(count == 1 ? "" : "s")")
            }
            let (a, b) = MergeState.split(pair)
            let bytes = tokens[Int(a)] + tokens[Int(b)]
            let newID: Int32
            if let existing = tokenIDs[bytes] {
                newID = existing  // another pair spelled this token already (HF reuses the id too)
            } else {
                newID = Int32(tokens.count)
                tokens.append(bytes)
                tokenIDs[bytes] = newID
            }
            merges.append(TrainedBPE.Merge(left: Int(a), right: Int(b)))
            state.apply(pair, as: newID)

            if let progress, merges.count % 64 == 0 {
                let p = Progress(phase: .merging, bytesRead: counter.bytesRead, distinctWords: counter.distinctWords,
                                 merges: merges.count, mergesWanted: mergesWanted)
                if progress(p) == .stop { throw BPETrainerError.stopped(merges: merges.count) }
            }
        }

        let spellings = Set(tokens.map { ByteLevel.encode($0) })
        for s in specialTokens where spellings.contains(s) {
            throw BPETrainerError.invalidSpecialToken(s, reason: "a model token is spelled the same")
        }
        return TrainedBPE(tokenBytes: tokens, merges: merges, specialTokens: specialTokens,
                          preTokens: counter.totalWords, distinctPreTokens: counter.distinctWords)
    }

    /// Bytes ordered by the code point of their byte-level character: HF's trainer sorts its alphabet that way, and
    /// Qwen2's vocabulary starts in this order ("!" = 0 … "~" = 93, "¡" = 94 …).
    static let byteOrder: [UInt8] = (0..<256).map { UInt8($0) }.sorted {
        ByteLevel.byteToScalar[Int($0)] < ByteLevel.byteToScalar[Int($1)]
    }
}

/// Why training stopped without a vocabulary.
public enum BPETrainerError: Error, CustomStringConvertible, Equatable {
    /// `vocabSize` cannot hold the 256 byte tokens and the special tokens.
    case vocabularyTooSmall(requested: Int, minimum: Int)
    case invalidMinFrequency(Int)
    case invalidSpecialToken(String, reason: String)
    /// The corpus ran out of pairs occurring at least `minFrequency` times before the vocabulary was full.
    case corpusTooSmall(requested: Int, reached: Int, minFrequency: Int, reason: String)
    /// The progress callback answered `.stop`.
    case stopped(merges: Int)

    public var description: String {
        switch self {
        case .vocabularyTooSmall(let requested, let minimum):
            return "vocabulary size \(requested) is too small: the 256 byte tokens and the special tokens need "
                + "at least \(minimum)"
        case .invalidMinFrequency(let f):
            return "minimum frequency \(f) is negative"
        case .invalidSpecialToken(let t, let reason):
            return "special token \(quoted(t)) cannot be used: \(reason)"
        case .corpusTooSmall(let requested, let reached, let minFrequency, let reason):
            return "corpus too small for a vocabulary of \(requested): training stopped at \(reached) tokens because "
                + "\(reason) (minimum frequency \(max(minFrequency, 1))); use more text, a smaller vocabulary size "
                + "or a lower minimum frequency"
        case .stopped(let merges):
            return "training stopped by the caller after \(merges) merges"
        }
    }
}

/// A trained byte-level BPE: model tokens (ids 0…), merges in rank order, and special tokens after the model tokens.
public struct TrainedBPE: Sendable, Equatable {
    /// A merge of two model tokens, by id.
    public struct Merge: Sendable, Equatable {
        public let left: Int
        public let right: Int
    }

    /// id → the bytes the model token stands for. Ids 0…255 are the single bytes.
    public let tokenBytes: [[UInt8]]
    public let merges: [Merge]
    /// Special token `i` has id `tokenBytes.count + i`.
    public let specialTokens: [String]
    /// Pre-tokens in the corpus, and distinct ones.
    public let preTokens: Int
    public let distinctPreTokens: Int

    /// Model tokens plus special tokens.
    public var vocabSize: Int { tokenBytes.count + specialTokens.count }

    /// The vocabulary spelling of a model token (byte-level characters, "Ġthe").
    public func spelling(_ id: Int) -> String { ByteLevel.encode(tokenBytes[id]) }

    /// The `tokenizer.json`, formatted exactly as HF `tokenizers` 0.23 saves it (serde_json pretty printing), so that
    /// loading and saving it with HF gives the same bytes.
    public func tokenizerJSON() -> String {
        var w = PrettyJSON()
        w.open("{")
        w.key("version"); w.string("1.0")
        w.key("truncation"); w.raw("null")
        w.key("padding"); w.raw("null")
        w.key("added_tokens")
        w.open("[")
        for (i, content) in specialTokens.enumerated() {
            w.item()
            w.open("{")
            w.key("id"); w.raw(String(tokenBytes.count + i))
            w.key("content"); w.string(content)
            w.key("single_word"); w.raw("false")
            w.key("lstrip"); w.raw("false")
            w.key("rstrip"); w.raw("false")
            w.key("normalized"); w.raw("false")
            w.key("special"); w.raw("true")
            w.close("}")
        }
        w.close("]")
        w.key("normalizer")
        w.open("{")
        w.key("type"); w.string("NFC")
        w.close("}")
        w.key("pre_tokenizer")
        w.open("{")
        w.key("type"); w.string("Sequence")
        w.key("pretokenizers")
        w.open("[")
        w.item()
        w.open("{")
        w.key("type"); w.string("Split")
        w.key("pattern")
        w.open("{")
        w.key("Regex"); w.string(SplitRegex.qwenPattern)
        w.close("}")
        w.key("behavior"); w.string("Isolated")
        w.key("invert"); w.raw("false")
        w.close("}")
        w.item()
        w.byteLevel()
        w.close("]")
        w.close("}")
        w.key("post_processor"); w.byteLevel()
        w.key("decoder"); w.byteLevel()
        w.key("model")
        w.open("{")
        w.key("type"); w.string("BPE")
        w.key("dropout"); w.raw("null")
        w.key("unk_token"); w.raw("null")
        w.key("continuing_subword_prefix"); w.string("")
        w.key("end_of_word_suffix"); w.string("")
        w.key("fuse_unk"); w.raw("false")
        w.key("byte_fallback"); w.raw("false")
        w.key("ignore_merges"); w.raw("false")
        w.key("vocab")
        w.open("{")
        for id in tokenBytes.indices {
            w.key(spelling(id)); w.raw(String(id))
        }
        w.close("}")
        w.key("merges")
        w.open("[")
        for m in merges {
            w.item()
            w.open("[")
            w.item(); w.string(spelling(m.left))
            w.item(); w.string(spelling(m.right))
            w.close("]")
        }
        w.close("]")
        w.close("}")
        w.close("}")
        return w.text
    }

    /// Writes `tokenizerJSON()` to `url` (a file path).
    public func write(to url: URL) throws {
        try Data(tokenizerJSON().utf8).write(to: url, options: .atomic)
    }

    /// A `Tokenizer` reading this vocabulary.
    public func makeTokenizer() throws -> Tokenizer {
        try Tokenizer(json: Data(tokenizerJSON().utf8), source: "trained tokenizer")
    }
}

// MARK: - Counting pre-tokens

/// Pre-token → count, over every text given to `add`. Keys live in one byte arena; the hash table uses a fixed hash
/// (no per-process seed), so entries come out in first-seen order on every run.
struct PreTokenCounter {
    private let specials: AddedTokenMatcher
    private(set) var bytesRead = 0
    private(set) var totalWords = 0

    /// Entry i: `arena[starts[i]..<starts[i + 1]]`, seen `counts[i]` times.
    private(set) var arena: [UInt8] = []
    private(set) var starts: [Int] = [0]
    private(set) var counts: [Int64] = []
    private var hashes: [UInt64] = []
    private var slots: [Int32] = Array(repeating: -1, count: 1 << 16)

    private var scalars = ScalarBuffer()
    private var pieceEnds: [Int] = []

    /// Texts are pre-tokenized in windows of about this many bytes, cut after a newline, to bound memory.
    static let windowBytes = 1 << 20

    init(specialTokens: [String]) {
        specials = AddedTokenMatcher(specialTokens.enumerated().map {
            .init(bytes: Array($0.element.utf8), id: $0.offset, singleWord: false, lstrip: false, rstrip: false)
        })
    }

    var distinctWords: Int { counts.count }

    func progress(mergesWanted: Int) -> BPETrainer.Progress {
        .init(phase: .countingWords, bytesRead: bytesRead, distinctWords: distinctWords, merges: 0,
              mergesWanted: mergesWanted)
    }

    mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { buf in
            bytesRead += buf.count
            for piece in specials.split(buf) where piece.id == nil {
                addSegment(UnsafeBufferPointer(rebasing: buf[piece.range]))
            }
        }
    }

    /// Normalises and pre-tokenizes text without special tokens, one window at a time. A window ends just after a
    /// "\n", where NFC cannot compose across; its last pre-token may continue into the next window (a run of
    /// newlines, punctuation followed by newlines), so it is carried over and scanned again with what follows. The
    /// regex scanner never looks behind, so every other pre-token is the one a scan of the whole text would give.
    private mutating func addSegment(_ text: UnsafeBufferPointer<UInt8>) {
        let n = text.count
        var carry: [UInt8] = []
        var pos = 0
        while pos < n {
            var end = min(n, pos + PreTokenCounter.windowBytes)
            while end < n && text[end - 1] != 0x0A { end += 1 }
            let raw = UnsafeBufferPointer(rebasing: text[pos..<end])
            let isLast = end == n
            if carry.isEmpty && !Tokenizer.mayNeedNFC(raw) {
                carry = scanWindow(raw, keepLast: !isLast)
            } else {
                var window = carry
                if Tokenizer.mayNeedNFC(raw) {
                    window.append(contentsOf: Tokenizer.nfc(raw))
                } else {
                    window.append(contentsOf: raw)
                }
                carry = window.withUnsafeBufferPointer { scanWindow($0, keepLast: !isLast) }
            }
            pos = end
        }
    }

    /// Counts the pre-tokens of `window`; with `keepLast`, returns the last one uncounted.
    private mutating func scanWindow(_ window: UnsafeBufferPointer<UInt8>, keepLast: Bool) -> [UInt8] {
        if window.isEmpty { return [] }
        scalars.load(window)
        var ends: [Int] = []
        swap(&ends, &pieceEnds)  // reuse the buffer without a copy-on-write inside the closure
        ends.removeAll(keepingCapacity: true)
        let offsets = scalars.offsets
        Scanner.split(.qwen, scalars) { _, end in ends.append(offsets[end]) }
        swap(&ends, &pieceEnds)
        let counted = keepLast ? pieceEnds.count - 1 : pieceEnds.count
        var start = 0
        for k in 0..<counted {
            count(UnsafeBufferPointer(rebasing: window[start..<pieceEnds[k]]))
            start = pieceEnds[k]
        }
        return keepLast ? Array(window[start...]) : []
    }

    private mutating func count(_ word: UnsafeBufferPointer<UInt8>) {
        totalWords += 1
        let h = PreTokenCounter.hash(word)
        var mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let e = Int(slots[i])
            if e < 0 { break }
            if hashes[e] == h && equals(e, word) {
                counts[e] += 1
                return
            }
            i = (i + 1) & mask
        }
        let e = counts.count
        arena.append(contentsOf: word)
        starts.append(arena.count)
        counts.append(1)
        hashes.append(h)
        slots[i] = Int32(e)
        if counts.count * 2 > slots.count {
            slots = Array(repeating: -1, count: slots.count * 2)
            mask = slots.count - 1
            for (k, hk) in hashes.enumerated() {
                var j = Int(truncatingIfNeeded: hk) & mask
                while slots[j] >= 0 { j = (j + 1) & mask }
                slots[j] = Int32(k)
            }
        }
    }

    private func equals(_ e: Int, _ word: UnsafeBufferPointer<UInt8>) -> Bool {
        let s = starts[e]
        guard starts[e + 1] - s == word.count else { return false }
        return arena.withUnsafeBufferPointer { a in memcmp(a.baseAddress! + s, word.baseAddress!, word.count) == 0 }
    }

    /// 8 bytes at a time, multiply-xorshift mixing; fixed constants so runs agree.
    static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(word.count)
        let raw = UnsafeRawBufferPointer(word)
        var i = 0
        while i + 8 <= word.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        if i < word.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < word.count { tail |= UInt64(word[i]) << shift; shift += 8; i += 1 }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        h ^= h >> 32
        h = h &* 0xD6E8_FEB8_6659_FD93
        return h ^ (h >> 32)
    }
}

// MARK: - Pair counts

/// The words being merged and the count of every adjacent pair of symbols in them, with a max-heap over the counts
/// that is corrected lazily: a pair's entry is pushed when it gains occurrences and re-pushed with its current count
/// when it surfaces stale (counts of existing pairs only fall, so the first fresh entry on top is the true maximum).
struct MergeState {
    /// Words: symbols `sym[wordStart[w] ..< wordStart[w] + wordLength[w]]`, each occurring `wordCount[w]` times.
    private var sym: [Int32] = []
    private var wordStart: [Int] = []
    private var wordLength: [Int32] = []
    private var wordCount: [Int64] = []
    /// Merge step that last touched each word (a pair's word list may hold a word twice).
    private var wordStamp: [Int32] = []

    /// Pair index → (left << 32 | right), current count, words it was ever formed in.
    private var pairKey: [UInt64] = []
    private var pairCount: [Int64] = []
    private var pairWords: [[Int32]] = []
    private var pairStamp: [Int32] = []
    private var table = PairTable()

    private var heap = PairHeap()
    private var step: Int32 = 0
    private var grown: [Int32] = []

    init(_ counter: PreTokenCounter) {
        var rank = [Int32](repeating: 0, count: 256)
        for (r, b) in BPETrainer.byteOrder.enumerated() { rank[Int(b)] = Int32(r) }
        let starts = counter.starts
        counter.arena.withUnsafeBufferPointer { arena in
            for e in 0..<counter.counts.count {
                let s = starts[e], n = starts[e + 1] - s
                if n < 2 { continue }  // no pair to merge
                wordStart.append(sym.count)
                wordLength.append(Int32(n))
                wordCount.append(counter.counts[e])
                for k in s..<(s + n) { sym.append(rank[Int(arena[k])]) }
            }
        }
        wordStamp = Array(repeating: -1, count: wordCount.count)
        for w in 0..<wordCount.count {
            let s = wordStart[w], c = wordCount[w]
            for k in s..<(s + Int(wordLength[w]) - 1) {
                let p = index(MergeState.key(sym[k], sym[k + 1]))
                pairCount[p] += c
                if pairWords[p].last != Int32(w) { pairWords[p].append(Int32(w)) }
            }
        }
        for p in 0..<pairKey.count where pairCount[p] > 0 {
            heap.push(.init(count: pairCount[p], key: pairKey[p], pair: Int32(p)))
        }
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(a)) << 32 | UInt64(UInt32(b)) }

    @inline(__always)
    static func split(_ key: UInt64) -> (Int32, Int32) {
        (Int32(truncatingIfNeeded: key >> 32), Int32(truncatingIfNeeded: key & 0xFFFF_FFFF))
    }

    /// The pair's index, created with count 0 if new.
    private mutating func index(_ key: UInt64) -> Int {
        let (found, p) = table.findOrInsert(key, next: Int32(pairKey.count))
        if !found {
            pairKey.append(key)
            pairCount.append(0)
            pairWords.append([])
            pairStamp.append(-1)
        }
        return Int(p)
    }

    /// The pair to merge next and its count: highest count, then smallest (left, right). Nil when no pair is left.
    mutating func best() -> (UInt64, Int64)? {
        while let top = heap.pop() {
            let current = pairCount[Int(top.pair)]
            if current == top.count { return (top.key, current) }
            if current > 0 { heap.push(.init(count: current, key: top.key, pair: top.pair)) }
        }
        return nil
    }

    /// Replaces every occurrence of `key`'s pair, left to right within each word, by `newID`.
    mutating func apply(_ key: UInt64, as newID: Int32) {
        step += 1
        grown.removeAll(keepingCapacity: true)
        let p = index(key)
        let (a, b) = MergeState.split(key)
        let words = pairWords[p]
        pairWords[p] = []
        for w in words where wordStamp[Int(w)] != step {
            wordStamp[Int(w)] = step
            mergeWord(Int(w), a, b, newID)
        }
        for q in grown where pairCount[Int(q)] > 0 {
            heap.push(.init(count: pairCount[Int(q)], key: pairKey[Int(q)], pair: q))
        }
    }

    /// One word, in place. Each occurrence removes (a, b) and its neighbour pairs (prev, a), (b, next) and adds
    /// (prev, new), (new, next); a neighbour that was itself just merged is already `new`, so "a b a b" ends with one
    /// (new, new) and no (new, a).
    private mutating func mergeWord(_ w: Int, _ a: Int32, _ b: Int32, _ newID: Int32) {
        let s = wordStart[w]
        let end = s + Int(wordLength[w])
        let c = wordCount[w]
        var r = s
        var out = s
        while r < end {
            if r + 1 < end && sym[r] == a && sym[r + 1] == b {
                change(MergeState.key(a, b), by: -c)
                if out > s {
                    let prev = sym[out - 1]
                    change(MergeState.key(prev, a), by: -c)
                    gain(MergeState.key(prev, newID), by: c, in: w)
                }
                if r + 2 < end {
                    let next = sym[r + 2]
                    change(MergeState.key(b, next), by: -c)
                    gain(MergeState.key(newID, next), by: c, in: w)
                }
                sym[out] = newID
                out += 1
                r += 2
            } else {
                sym[out] = sym[r]
                out += 1
                r += 1
            }
        }
        wordLength[w] = Int32(out - s)
    }

    @inline(__always)
    private mutating func change(_ key: UInt64, by delta: Int64) {
        pairCount[index(key)] += delta
    }

    @inline(__always)
    private mutating func gain(_ key: UInt64, by delta: Int64, in w: Int) {
        let p = index(key)
        pairCount[p] += delta
        if pairWords[p].last != Int32(w) { pairWords[p].append(Int32(w)) }
        if pairStamp[p] != step {
            pairStamp[p] = step
            grown.append(Int32(p))
        }
    }
}

/// Open-addressing map from a pair key to its index, with a fixed multiplicative hash.
struct PairTable {
    private var keys: [UInt64] = Array(repeating: 0, count: 1 << 16)
    private var values: [Int32] = Array(repeating: -1, count: 1 << 16)
    private var count = 0
    private var shift: UInt64 = 48  // 64 − log2(capacity)

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int((key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    /// (true, index) if `key` is present; otherwise inserts it with index `next` and returns (false, next).
    @inline(__always)
    mutating func findOrInsert(_ key: UInt64, next: Int32) -> (Bool, Int32) {
        let mask = keys.count - 1
        var i = slot(key)
        while true {
            let v = values[i]
            if v < 0 { break }
            if keys[i] == key { return (true, v) }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = next
        count += 1
        if count * 2 > keys.count { grow() }
        return (false, next)
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        values = Array(repeating: -1, count: oldKeys.count * 2)
        shift -= 1
        let mask = keys.count - 1
        for j in 0..<oldKeys.count where oldValues[j] >= 0 {
            var i = slot(oldKeys[j])
            while values[i] >= 0 { i = (i + 1) & mask }
            keys[i] = oldKeys[j]
            values[i] = oldValues[j]
        }
    }
}

/// Binary max-heap of pair entries: higher count first, then smaller key (HF: ascending pair on equal counts).
struct PairHeap {
    struct Entry {
        let count: Int64
        let key: UInt64
        let pair: Int32
    }

    private var entries: [Entry] = []

    @inline(__always)
    private static func before(_ x: Entry, _ y: Entry) -> Bool {
        x.count > y.count || (x.count == y.count && x.key < y.key)
    }

    mutating func push(_ e: Entry) {
        entries.append(e)
        var i = entries.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !PairHeap.before(entries[i], entries[p]) { break }
            entries.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> Entry? {
        guard let top = entries.first else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var i = 0
            let n = entries.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var m = l
                if l + 1 < n && PairHeap.before(entries[l + 1], entries[l]) { m = l + 1 }
                if !PairHeap.before(entries[m], entries[i]) { break }
                entries.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

// MARK: - JSON

/// serde_json's pretty printer: two-space indent, `"key": value`, one element per line, `[]` / `{}` when empty.
private struct PrettyJSON {
    private(set) var text = ""
    /// Per open container: whether it has an element yet.
    private var hasElement: [Bool] = []

    private mutating func newline() {
        text += "\n"
        text += String(repeating: "  ", count: hasElement.count)
    }

    /// Starts an element of the innermost container (an array item; `key` calls it for object members).
    mutating func item() {
        if hasElement.last == true { text += "," }
        if !hasElement.isEmpty { hasElement[hasElement.count - 1] = true }
        newline()
    }

    mutating func key(_ k: String) {
        item()
        string(k)
        text += ": "
    }

    mutating func open(_ bracket: String) {
        text += bracket
        hasElement.append(false)
    }

    mutating func close(_ bracket: String) {
        let had = hasElement.removeLast()
        if had { newline() }
        text += bracket
    }

    mutating func raw(_ s: String) { text += s }

    mutating func string(_ s: String) {
        text += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            default:
                if u.value < 0x20 {
                    text += "\\u00" + (u.value < 0x10 ? "0" : "") + String(u.value, radix: 16)
                } else {
                    text.unicodeScalars.append(u)
                }
            }
        }
        text += "\""
    }

    /// The ByteLevel block Qwen2 uses for its pre-tokenizer step, post-processor and decoder.
    mutating func byteLevel() {
        open("{")
        key("type"); string("ByteLevel")
        key("add_prefix_space"); raw("false")
        key("trim_offsets"); raw("false")
        key("use_regex"); raw("false")
        close("}")
    }
}
