import Foundation

/// Byte-level BPE: a pre-token's bytes start as one symbol per byte and are merged by rank, lowest rank first and
/// leftmost among equals, exactly as HF `tokenizers` `Word::merge_all` does.
final class BPEModel: @unchecked Sendable {
    /// Id of the vocabulary token spelling each single byte; -1 if the vocabulary lacks it.
    let byteIDs: [Int32]
    /// (left id << 32 | right id) → (rank << 32 | merged id).
    let merges: [UInt64: UInt64]
    /// With `ignore_merges`, a pre-token that is itself in the vocabulary is one token.
    let wholeWords: [ByteKey: Int32]?
    /// For bytes whose single-byte token is missing: `unk_token` id (HF: unk, fused if `fuse_unk`).
    let unkID: Int32?
    let fuseUnk: Bool
    /// With `byte_fallback`, for each byte whose token is missing: the `<0xXX>` ids that HF uses instead — those of
    /// the UTF-8 bytes of the byte's table character (so byte 0xA9, character "©", falls back to <0xC2><0xA9>);
    /// nil where one of them is missing too.
    let fallbackIDs: [[Int32]?]?

    private let cache = WordCache(capacity: 100_000)
    /// Pre-tokens at least this long are not cached (HF: MAX_LENGTH 256).
    private static let maxCachedLength = 256

    init(byteIDs: [Int32], merges: [UInt64: UInt64], wholeWords: [ByteKey: Int32]?, unkID: Int32?, fuseUnk: Bool,
         fallbackIDs: [[Int32]?]?) {
        self.byteIDs = byteIDs
        self.merges = merges
        self.wholeWords = wholeWords
        self.unkID = unkID
        self.fuseUnk = fuseUnk
        self.fallbackIDs = fallbackIDs
    }

    /// Appends the ids of one pre-token.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into out: inout [Int]) {
        if word.isEmpty { return }
        if word.count == 1 {
            let id = byteIDs[Int(word[0])]
            if id >= 0 { out.append(Int(id)); return }
        }
        let cacheable = word.count < BPEModel.maxCachedLength
        if cacheable, let hit = cache.get(word) {
            for id in hit { out.append(Int(id)) }
            return
        }
        if let whole = wholeWords, let id = whole[ByteKey(word)] {
            out.append(Int(id))
            return
        }
        let ids = merge(word)
        if cacheable { cache.put(word, ids) }
        for id in ids { out.append(Int(id)) }
    }

    /// Initial symbols: one per byte, through unk / byte-fallback when a byte has no token.
    private func initialSymbols(_ word: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var pendingUnk = false
        for b in word {
            let id = byteIDs[Int(b)]
            if id >= 0 {
                if pendingUnk, let unk = unkID { symbols.append(unk); pendingUnk = false }
                symbols.append(id)
                continue
            }
            if let fb = fallbackIDs, let ids = fb[Int(b)] {
                // HF adds these without first flushing a pending unk (which therefore comes after them).
                symbols.append(contentsOf: ids)
                continue
            }
            guard let unk = unkID else { continue }  // HF drops characters it cannot represent
            if pendingUnk && !fuseUnk { symbols.append(unk) }
            pendingUnk = true
        }
        if pendingUnk, let unk = unkID { symbols.append(unk) }
        return symbols
    }

    func merge(_ word: UnsafeBufferPointer<UInt8>) -> [Int32] {
        var symbols = initialSymbols(word)
        if symbols.count < 2 { return symbols }
        if symbols.count <= 48 {
            mergeSmall(&symbols)
            return symbols
        }
        return mergeHeap(symbols)
    }

    @inline(__always)
    private func lookup(_ a: Int32, _ b: Int32) -> UInt64? {
        merges[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))]
    }

    /// Quadratic but allocation-free for short words: find the lowest-ranked pair, merge it, repeat.
    func mergeSmall(_ symbols: inout [Int32]) {
        // ranks[i] = merge of (symbols[i], symbols[i+1]), UInt64.max if none.
        var ranks = [UInt64](repeating: UInt64.max, count: symbols.count)
        for i in 0..<(symbols.count - 1) { ranks[i] = lookup(symbols[i], symbols[i + 1]) ?? UInt64.max }
        ranks[symbols.count - 1] = UInt64.max
        while symbols.count > 1 {
            var best = UInt64.max
            var at = -1
            for i in 0..<(symbols.count - 1) where ranks[i] < best {
                best = ranks[i]
                at = i
            }
            if at < 0 { break }
            symbols[at] = Int32(truncatingIfNeeded: best & 0xFFFF_FFFF)
            symbols.remove(at: at + 1)
            ranks.remove(at: at + 1)
            ranks[at] = at + 1 < symbols.count ? (lookup(symbols[at], symbols[at + 1]) ?? UInt64.max) : UInt64.max
            if at > 0 { ranks[at - 1] = lookup(symbols[at - 1], symbols[at]) ?? UInt64.max }
        }
    }

    /// HF's linked-list + priority-queue merge, for long words (e.g. long runs of spaces).
    func mergeHeap(_ initial: [Int32]) -> [Int32] {
        let n = initial.count
        var c = initial
        var prev = [Int](repeating: -1, count: n)
        var next = [Int](repeating: -1, count: n)
        var alive = [Bool](repeating: true, count: n)
        for i in 0..<n {
            prev[i] = i - 1
            next[i] = i + 1 < n ? i + 1 : -1
        }
        // Heap of (rank << 32 | pos) keys with the merged id alongside; min-heap on key.
        var heap = MinHeap()
        for i in 0..<(n - 1) {
            if let m = lookup(c[i], c[i + 1]) { heap.push(key: (m >> 32) << 32 | UInt64(i), value: UInt32(m & 0xFFFF_FFFF)) }
        }
        while let (key, newID) = heap.pop() {
            let pos = Int(key & 0xFFFF_FFFF)
            guard alive[pos], next[pos] >= 0 else { continue }
            let right = next[pos]
            guard let m = lookup(c[pos], c[right]), UInt32(m & 0xFFFF_FFFF) == newID else { continue }
            c[pos] = Int32(bitPattern: newID)
            alive[right] = false
            next[pos] = next[right]
            if next[right] >= 0 { prev[next[right]] = pos }
            if prev[pos] >= 0, let m2 = lookup(c[prev[pos]], c[pos]) {
                heap.push(key: (m2 >> 32) << 32 | UInt64(prev[pos]), value: UInt32(m2 & 0xFFFF_FFFF))
            }
            if next[pos] >= 0, let m2 = lookup(c[pos], c[next[pos]]) {
                heap.push(key: (m2 >> 32) << 32 | UInt64(pos), value: UInt32(m2 & 0xFFFF_FFFF))
            }
        }
        var out: [Int32] = []
        var i = 0
        while i >= 0 {
            out.append(c[i])
            i = next[i]
        }
        return out
    }
}

struct MinHeap {
    private var keys: [UInt64] = []
    private var values: [UInt32] = []

    mutating func push(key: UInt64, value: UInt32) {
        keys.append(key)
        values.append(value)
        var i = keys.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if keys[p] <= keys[i] { break }
            keys.swapAt(p, i)
            values.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> (UInt64, UInt32)? {
        guard let top = keys.first else { return nil }
        let topValue = values[0]
        let lastKey = keys.removeLast()
        let lastValue = values.removeLast()
        if !keys.isEmpty {
            keys[0] = lastKey
            values[0] = lastValue
            var i = 0
            let n = keys.count
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var m = l
                if l + 1 < n && keys[l + 1] < keys[l] { m = l + 1 }
                if keys[i] <= keys[m] { break }
                keys.swapAt(i, m)
                values.swapAt(i, m)
                i = m
            }
        }
        return (top, topValue)
    }
}

/// Bytes as a dictionary key, hashed in one call.
struct ByteKey: Hashable {
    let bytes: [UInt8]

    init(_ buffer: UnsafeBufferPointer<UInt8>) { bytes = Array(buffer) }
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: ByteKey, b: ByteKey) -> Bool {
        a.bytes.count == b.bytes.count && a.bytes.withUnsafeBytes { pa in
            b.bytes.withUnsafeBytes { pb in memcmp(pa.baseAddress!, pb.baseAddress!, pa.count) == 0 }
        }
    }
}

/// Pre-token → ids, shared by all threads behind a lock. Stops growing at `capacity` entries (as HF's cache does).
final class WordCache: @unchecked Sendable {
    private var table: [ByteKey: [Int32]] = [:]
    private let lock = NSLock()
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func get(_ word: UnsafeBufferPointer<UInt8>) -> [Int32]? {
        let key = ByteKey(word)
        lock.lock()
        defer { lock.unlock() }
        return table[key]
    }

    func put(_ word: UnsafeBufferPointer<UInt8>, _ ids: [Int32]) {
        let key = ByteKey(word)
        lock.lock()
        defer { lock.unlock() }
        if table.count < capacity { table[key] = ids }
    }
}
