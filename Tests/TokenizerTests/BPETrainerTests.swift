import Foundation
import Testing
import Tokenizer

/// The BPE trainer against its fixture (Tests/Fixtures/bpe-trainer): the committed tokenizer.json was written by this
/// trainer from corpus.txt, and check_with_hf.py recorded HF `tokenizers`' ids for it (expected.json) and the merges
/// HF's own trainer learns from the same corpus (hf_merges.json).
///
/// To regenerate after a deliberate change to the trainer:
///   LATHE_WRITE_BPE_FIXTURE=1 swift test --filter BPETrainerTests.retrainingReproducesTheFixture
///   /tmp/tokvenv/bin/python Tests/Fixtures/bpe-trainer/check_with_hf.py
@Suite struct BPETrainerTests {
    static let directory = Fixtures.tokenizersDirectory.deletingLastPathComponent().appendingPathComponent("bpe-trainer")
    /// The fixture's training settings (check_with_hf.py trains HF with the same).
    static let fixtureVocabSize = 1024
    static let fixtureMinFrequency = 2

    static func corpus() throws -> String {
        try String(contentsOf: directory.appendingPathComponent("corpus.txt"), encoding: .utf8)
    }

    static func trainFixture() throws -> TrainedBPE {
        try BPETrainer(vocabSize: fixtureVocabSize, minFrequency: fixtureMinFrequency).train([corpus()])
    }

    struct Case: Decodable {
        let text: String
        let ids: [Int]
    }

    static func cases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: directory.appendingPathComponent("expected.json")))
    }

    // MARK: - Against the fixture and HF

    @Test func retrainingReproducesTheFixture() throws {
        let json = try Self.trainFixture().tokenizerJSON()
        let url = Self.directory.appendingPathComponent("tokenizer.json")
        if ProcessInfo.processInfo.environment["LATHE_WRITE_BPE_FIXTURE"] == "1" {
            try Data(json.utf8).write(to: url)
        }
        let committed = try Data(contentsOf: url)
        #expect(Data(json.utf8) == committed, "retrained tokenizer.json differs from the committed fixture")
    }

    @Test func trainingIsDeterministic() throws {
        let corpus = try Self.corpus()
        let trainer = BPETrainer(vocabSize: 700)
        let a = try trainer.train([corpus])
        let b = try trainer.train([corpus])
        #expect(a == b)
        // Cutting the corpus at special tokens changes nothing: they are cut out anyway.
        let documents = corpus.components(separatedBy: "<|endoftext|>")
        #expect(try trainer.train(documents) == a)
    }

    @Test func idsMatchHFOnTheTrainedTokenizer() throws {
        let tok = try Tokenizer(contentsOf: Self.directory.appendingPathComponent("tokenizer.json"))
        let cases = try Self.cases()
        #expect(cases.count >= 40)
        for c in cases {
            let got = tok.encode(c.text)
            #expect(got == c.ids, """
                encode(\(show(c.text)))
                  expected \(c.ids.map { tok.token(forID: $0) ?? "?" })
                  got      \(got.map { tok.token(forID: $0) ?? "?" })
                """)
        }
    }

    /// On pre-tokens cut at special tokens, HF's own trainer learns the same merges in the same order: the tie-break
    /// rule and the id order are HF's.
    @Test func mergesMatchHFTrainer() throws {
        let hf = try JSONDecoder().decode(
            [[String]].self, from: Data(contentsOf: Self.directory.appendingPathComponent("hf_merges.json")))
        let trained = try Self.trainFixture()
        let ours = trained.merges.map { [trained.spelling($0.left), trained.spelling($0.right)] }
        #expect(ours.count == hf.count)
        if let k = ours.indices.first(where: { $0 < hf.count && ours[$0] != hf[$0] }) {
            Issue.record("merge \(k) differs: ours \(ours[k]), HF \(hf[k])")
        }
    }

    // MARK: - Properties of any trained vocabulary

    @Test(arguments: [256 + 3, 300, 777, 1024])
    func vocabularyHasExactlyTheAskedSize(size: Int) throws {
        let trained = try BPETrainer(vocabSize: size).train([Self.corpus()])
        #expect(trained.vocabSize == size)
        #expect(trained.merges.count == size - 256 - 3)
        let tok = try trained.makeTokenizer()
        #expect(tok.vocabSize == size)
        // Specials come last, in order, as Qwen2 lays them out.
        for (i, s) in BPETrainer.qwenSpecialTokens.enumerated() {
            #expect(tok.specialTokens[s] == size - 3 + i)
            #expect(tok.encode("x" + s + "y").contains(size - 3 + i))
        }
    }

    @Test func everyByteHasAToken() throws {
        let trained = try BPETrainer(vocabSize: 300).train([Self.corpus()])
        let tok = try trained.makeTokenizer()
        #expect(Set(trained.tokenBytes.prefix(256)) == Set((0...255).map { [UInt8($0)] }))
        for id in 0..<256 { #expect(tok.id(forToken: trained.spelling(id)) == id) }
        // Characters never seen in training still encode, byte by byte, and come back.
        let unseen = "\u{0}\u{1}\u{7F}ÿ\u{80}\u{10FFFF}\u{FFFD}𝔘"
        #expect(tok.decode(tok.encode(unseen)) == unseen)
    }

    /// decode(encode(s)) == NFC(s) for the fixture strings and for random text over many scripts, controls and
    /// astral characters. (The code points Foundation's NFC gets wrong, listed in `Tokenizer.nfc`, are left out of
    /// the reference; encode repairs them, `precomposedStringWithCanonicalMapping` does not.)
    @Test func decodeOfEncodeIsNFC() throws {
        let tok = try Tokenizer(contentsOf: Self.directory.appendingPathComponent("tokenizer.json"))
        var texts = try Self.cases().map(\.text)
        var rng = TextRNG(seed: 7)
        let pools: [ClosedRange<UInt32>] = [
            0x0...0x7F, 0x80...0x24F, 0x300...0x36F, 0x370...0x3FF, 0x400...0x4FF, 0x600...0x6FF, 0x900...0x97F,
            0x1100...0x1112, 0x1161...0x1175, 0x2000...0x206F, 0x3040...0x30FF, 0x4E00...0x4FFF, 0xAC00...0xAD00,
            0xFE00...0xFE0F, 0x1F300...0x1F6FF, 0x1D400...0x1D4FF, 0x10000...0x10FFFF,
        ]
        for _ in 0..<300 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int(rng.next() % 40) {
                let pool = pools[Int(rng.next() % UInt64(pools.count))]
                let v = pool.lowerBound + UInt32(rng.next() % UInt64(pool.count))
                if let u = Unicode.Scalar(v), !(0x11A8...0x11C2).contains(v), ![0x344, 0xF73, 0xF75, 0xF81].contains(v) {
                    s.append(u)
                }
            }
            texts.append(String(s))
        }
        for text in texts where !text.unicodeScalars.contains(where: { (0x11A8...0x11C2).contains($0.value) }) {
            let want = text.precomposedStringWithCanonicalMapping
            let got = tok.decode(tok.encode(text))
            #expect(Array(got.unicodeScalars) == Array(want.unicodeScalars), "decode(encode(\(show(text))))")
        }
    }

    @Test func specialTokensInTheCorpusAreNotMergedInto() throws {
        let text = String(repeating: "<|im_start|>user\nhi<|im_end|><|endoftext|>", count: 200) + "hi there, hi"
        let trained = try BPETrainer(vocabSize: 264, minFrequency: 1).train([text])
        for id in trained.tokenBytes.indices {
            let s = trained.spelling(id)
            #expect(!s.contains("<|") && !s.contains("|>") && !s.contains("im_"), "model token \(show(s))")
        }
        // "user" and "hi" were learned from what remains around the specials.
        let tok = try trained.makeTokenizer()
        #expect(tok.encode("user").count == 1)
        #expect(tok.encode("<|im_start|>user") == [tok.specialTokens["<|im_start|>"]!, tok.id(forToken: "user")!])
    }

    /// Text longer than the pre-tokenizer's 1 MB window, with runs that a window boundary could cut (newline runs,
    /// punctuation followed by newlines, spaces before newlines), trains exactly as the same text handed over in
    /// pieces cut right after a digit — always a pre-token boundary under the Qwen regex, as `\p{N}` matches alone.
    @Test func windowedPreTokenizationMatchesWholeText() throws {
        var rng = TextRNG(seed: 11)
        let fragments = ["word", "Wörter ", "\n", "\n\n\n", "  \n", "!!\n\n", " ?\r\n", "\t\n ", "   ", "éé\n", "x",
                         "中文\n\n", " 'll", "...\n"]
        var pieces: [String] = []
        var whole = ""
        var piece = ""
        while whole.utf8.count < 2_600_000 {
            let f = fragments[Int(rng.next() % UInt64(fragments.count))]
            piece += f
            whole += f
            if rng.next() % 50 == 0 {
                let d = String(rng.next() % 10)
                piece += d
                whole += d
                pieces.append(piece)
                piece = ""
            }
        }
        pieces.append(piece)
        let trainer = BPETrainer(vocabSize: 330)
        let a = try trainer.train([whole])
        let b = try trainer.train(pieces)
        #expect(a == b)
        #expect(a.preTokens == b.preTokens)
    }

    // MARK: - Errors and control

    @Test func tooSmallAVocabularyIsRefused() {
        #expect(throws: BPETrainerError.vocabularyTooSmall(requested: 200, minimum: 259)) {
            try BPETrainer(vocabSize: 200).train(["some text"])
        }
        #expect(throws: BPETrainerError.invalidSpecialToken("", reason: "it is empty")) {
            try BPETrainer(vocabSize: 300, specialTokens: [""]).train(["some text"])
        }
    }

    @Test func aCorpusTooSmallForTheVocabularyNamesWhy() throws {
        do {
            _ = try BPETrainer(vocabSize: 4096).train(["the cat sat on the mat with the hat"])
            Issue.record("expected corpusTooSmall")
        } catch let error as BPETrainerError {
            guard case .corpusTooSmall(let requested, let reached, let minFrequency, _) = error else {
                Issue.record("expected corpusTooSmall, got \(error)")
                return
            }
            #expect(requested == 4096 && minFrequency == 2)
            #expect(reached > 259 && reached < 4096)
            let text = error.description
            #expect(text.contains("corpus too small") && text.contains("4096") && text.contains("minimum frequency 2"),
                    "\(text)")
            print("[BPETrainer] \(text)")
        }
        #expect(throws: BPETrainerError.self) { try BPETrainer(vocabSize: 300).train([String]()) }
    }

    @Test func progressCanStopTraining() throws {
        var calls = 0
        #expect(throws: BPETrainerError.stopped(merges: 128)) {
            try BPETrainer(vocabSize: 1024).train([Self.corpus()]) { p in
                calls += 1
                return p.phase == .merging && p.merges >= 128 ? .stop : .proceed
            }
        }
        #expect(calls == 3)  // one text counted, then merges 64 and 128
    }

    @Test func writtenFileLoads() throws {
        let trained = try BPETrainer(vocabSize: 400).train([Self.corpus()])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-bpe-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try trained.write(to: url)
        let tok = try Tokenizer(contentsOf: url)
        #expect(tok.vocabSize == 400)
        #expect(tok.encode("The lathe reads every token.") == (try trained.makeTokenizer()).encode("The lathe reads every token."))
    }

    // MARK: - Speed

    /// ~2 MB of synthetic text to a 4096-token vocabulary; prints the time, asserts nothing about it. To time a real
    /// corpus: LATHE_BPE_BENCH_CORPUS=file (trained as one text), LATHE_BPE_BENCH_VOCAB=n, and
    /// LATHE_BPE_BENCH_OUT=path to keep the tokenizer.json.
    @Test func trainingSpeed() throws {
        let env = ProcessInfo.processInfo.environment
        let text: String
        if let path = env["LATHE_BPE_BENCH_CORPUS"] {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } else {
            text = Self.syntheticText(bytes: 2_000_000)
        }
        let vocab = Int(env["LATHE_BPE_BENCH_VOCAB"] ?? "") ?? 4096
        let t0 = Date()
        let trained = try BPETrainer(vocabSize: vocab).train([text])
        let dt = Date().timeIntervalSince(t0)
        print(String(format: "[BPETrainer] %.1f MB → vocab %d (%d merges; %d pre-tokens, %d distinct) in %.2f s",
                     Double(text.utf8.count) / 1_048_576, trained.vocabSize, trained.merges.count, trained.preTokens,
                     trained.distinctPreTokens, dt))
        #expect(trained.vocabSize == vocab)
        if let out = env["LATHE_BPE_BENCH_OUT"] { try trained.write(to: URL(fileURLWithPath: out)) }
    }
}

extension BPETrainerTests {
    /// Pseudo-words from syllables drawn with Zipf frequencies (word of rank r ∝ 1/r), capitals, punctuation,
    /// numbers and line breaks: enough distinct words and pairs for a 4096-token vocabulary from 2 MB.
    static func syntheticText(bytes: Int) -> String {
        var rng = TextRNG(seed: 3)
        let syllables = ["ka", "to", "re", "mi", "su", "an", "el", "or", "thi", "ng", "pra", "ve", "lo", "qu", "is",
                         "str", "on", "ed", "ly", "ment", "ba", "di", "fu", "ge", "ho", "ja", "ne", "pe", "ri", "sa",
                         "te", "wo", "zy", "ch", "sh", "ion", "ous", "ex", "un", "de"]
        let words: [String] = (0..<30_000).map { _ in
            (0..<(2 + Int(rng.next() % 3))).map { _ in syllables[Int(rng.next() % UInt64(syllables.count))] }.joined()
        }
        var cumulative: [Double] = []
        var total = 0.0
        for r in 1...words.count { total += 1 / Double(r); cumulative.append(total) }
        var out = ""
        out.reserveCapacity(bytes + 64)
        var sentenceStart = true
        while out.utf8.count < bytes {
            let u = Double(rng.next() >> 11) / Double(1 << 53) * total
            var lo = 0, hi = cumulative.count - 1
            while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
            var w = words[lo]
            if sentenceStart { w = w.prefix(1).uppercased() + w.dropFirst() }
            out += w
            sentenceStart = false
            switch rng.next() % 40 {
            case 0, 1: out += ". "; sentenceStart = true
            case 2: out += ", "
            case 3: out += " \(rng.next() % 10_000) "
            case 4: out += ".\n"; sentenceStart = true
            default: out += " "
            }
        }
        return out
    }
}

/// Knuth's MMIX linear congruential generator with MurmurHash3's finalizer on the output (the raw low bits of an LCG
/// are poor): a fixed 64-bit stream for generated test text.
struct TextRNG {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let z = (state ^ (state >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        return z ^ (z >> 33)
    }
}
