import Foundation
import Testing
import Tokenizer

@Suite struct PerformanceTests {
    /// About 1 MB of varied English built from the fixture strings; prints the time, asserts nothing about it.
    static func englishMegabyte() throws -> String {
        let cases = try Fixtures.encodeCases("gpt2")
        let paragraph = cases.map(\.text).filter { $0.unicodeScalars.allSatisfy { $0.isASCII } }.joined(separator: " ")
        var words = paragraph.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        // Vary the words so the run is not a handful of cache hits: numbered variants, as real text has.
        var text = ""
        text.reserveCapacity(1 << 20 + 1024)
        var i = 0
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        while text.utf8.count < 1 << 20 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let w = words[Int(rng >> 33) % words.count]
            text += w
            if rng & 0xF0 == 0 { text += "\(i % 997)" }
            text += rng & 0x3F00 == 0 ? ".\n" : " "
            i += 1
        }
        words.removeAll()
        return text
    }

    @Test(arguments: ["qwen", "gpt2"])
    func encodeOneMegabyte(name: String) throws {
        let tok = try Fixtures.tokenizer(name)
        let text = try Self.englishMegabyte()
        let mb = Double(text.utf8.count) / 1_048_576
        let t0 = Date()
        let ids = tok.encode(text)
        let first = Date().timeIntervalSince(t0)
        let t1 = Date()
        let again = tok.encode(text)
        let second = Date().timeIntervalSince(t1)
        #expect(ids == again)
        #expect(tok.decode(ids) == text)
        print(String(format: "[Tokenizer] %@: encoded %.2f MB of English into %d tokens in %.3f s (cold cache), %.3f s (warm) = %.1f MB/s warm",
                     name, mb, ids.count, first, second, mb / second))
    }

    @Test func encodeNonLatinText() throws {
        let tok = try Fixtures.tokenizer("qwen")
        let cases = try Fixtures.encodeCases("qwen")
        let sample = cases.map(\.text).filter { !$0.unicodeScalars.allSatisfy { $0.isASCII } }.joined(separator: "\n")
        var text = ""
        while text.utf8.count < 1 << 19 { text += sample + "\n" }
        let t0 = Date()
        let ids = tok.encode(text)
        let dt = Date().timeIntervalSince(t0)
        print(String(format: "[Tokenizer] qwen: encoded %.2f MB of non-Latin / NFD text into %d tokens in %.3f s",
                     Double(text.utf8.count) / 1_048_576, ids.count, dt))
        #expect(!ids.isEmpty)
    }
}
