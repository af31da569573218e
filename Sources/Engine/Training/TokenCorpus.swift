import Foundation
import Tensor
import Tokenizer

/// A pretraining corpus as one token stream: JSONL documents (`{"text": …}` per line) tokenized and joined with an
/// end-of-text token. Batches are windows at offsets drawn from (seed, step), so a resumed run sees the same data.
public final class TokenCorpus: @unchecked Sendable {
    public let tokens: [Int32]
    public let documents: Int

    public init(tokens: [Int32], documents: Int) { self.tokens = tokens; self.documents = documents }

    /// Reads and tokenizes `file`; each line must be a JSON object with a string "text".
    public static func load(jsonl file: URL, tokenizer: Tokenizer, separator: Int,
                            progress: (Int) -> Void = { _ in }) throws -> TokenCorpus {
        guard let data = FileManager.default.contents(atPath: file.path) else { throw LatheError("\(file.path): cannot read") }
        var texts: [String] = []
        var lineNo = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNo += 1
            if line.isEmpty { continue }
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw LatheError("\(file.lastPathComponent):\(lineNo): not a JSON object")
            }
            guard let text = obj["text"] as? String else {
                throw LatheError("\(file.lastPathComponent):\(lineNo): expected a string field \"text\"")
            }
            texts.append(text)
        }
        guard !texts.isEmpty else { throw LatheError("\(file.lastPathComponent): no documents") }
        // Tokenize in parallel chunks (the tokenizer is thread-safe), then join in order.
        let chunks = 64
        var parts = [[Int32]](repeating: [], count: chunks)
        let lock = NSLock()
        var done = 0
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            var out: [Int32] = []
            var i = c
            while i < texts.count {
                out += tokenizer.encode(texts[i]).map(Int32.init)
                out.append(Int32(separator))
                i += chunks
            }
            lock.lock(); parts[c] = out; done += 1; let d = done; lock.unlock()
            progress(d * 100 / chunks)
        }
        // Interleaved assignment keeps documents whole; restore document order.
        var joined: [Int32] = []
        joined.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var cursors = [Int](repeating: 0, count: chunks)
        for d in 0..<texts.count {
            let c = d % chunks
            var j = cursors[c]
            while parts[c][j] != Int32(separator) { joined.append(parts[c][j]); j += 1 }
            joined.append(parts[c][j])
            cursors[c] = j + 1
        }
        return TokenCorpus(tokens: joined, documents: texts.count)
    }

    /// `count` windows of `length` tokens at offsets drawn from (seed, step).
    public func batch(count: Int, length: Int, seed: UInt64, step: Int) -> [[Int]] {
        var rng = PhiloxRNG(seed: seed, stream: UInt64(step))
        let limit = tokens.count - length
        precondition(limit > 0, "corpus shorter than one window")
        return (0..<count).map { _ in
            let start = Int(rng.next() % UInt64(limit))
            return tokens[start..<(start + length)].map(Int.init)
        }
    }

    /// Consecutive non-overlapping windows (evaluation), at most `limit` of them.
    public func windows(length: Int, limit: Int) -> [[Int]] {
        var out: [[Int]] = []
        var start = 0
        while start + length <= tokens.count && out.count < limit {
            out.append(tokens[start..<(start + length)].map(Int.init))
            start += length
        }
        return out
    }
}
