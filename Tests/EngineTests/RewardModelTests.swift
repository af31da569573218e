import Foundation
import Testing
import Tensor
import Tokenizer
@testable import Engine

/// Bradley–Terry reward model on the shipped base model, trained on synthetic preferences with a known rule (a kind
/// reply beats a rude one). Held-out pairs use other prompts and other sentence endings (≥ 90 % required); a second
/// held-out set also uses kind and rude phrases never seen in training (the tiny base model's word knowledge must
/// carry the rule: required only to beat chance clearly).
struct RewardModelTests {
    static let baseDirectory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("workspaces/default/models/lathe-base")
    }()

    static let kind = ["That is a wonderful question, thank you.", "I am happy to help you with that.", "What a lovely idea!",
                       "Thank you for asking, my friend.", "Good question, I am glad you asked.", "I would love to help."]
    static let rude = ["That is a stupid question.", "I do not care about that.", "What a dumb idea!",
                       "Stop asking me things.", "Bad question, go away.", "I will not help you."]
    static let prompts = ["What is the capital of France?", "How many legs does a dog have?", "What colour is the sky?",
                          "Can you name a fruit?", "What is two plus two?", "Where do fish live?", "What is ice?",
                          "Name a day of the week.", "What do cows eat?", "Tell me about the moon.",
                          "What is a coat?", "How old is the sun?", "Which animal barks?", "What is rain?"]
    static let endings = ["The answer is simple.", "Here it is.", "Let me explain.", "It is easy.", "Listen.", "Here goes."]

    /// Every (prompt, ending, kind phrase) of the given slices, against a random rude phrase: the kind reply is chosen.
    static func pairs(_ tok: Tokenizer, prompts ps: ArraySlice<String>, endings es: ArraySlice<String>,
                      kind ks: ArraySlice<String>, rude rs: ArraySlice<String>, seed: UInt64) -> [RewardModel.Pair] {
        var rng = PhiloxRNG(seed: seed)
        func pick(_ a: [String]) -> String { a[Int(rng.nextUInt32() % UInt32(a.count))] }
        func seq(_ p: String, _ reply: String) -> [Int] {
            tok.encode("<|im_start|>user\n\(p)<|im_end|>\n<|im_start|>assistant\n\(reply)<|im_end|>")
        }
        var out: [RewardModel.Pair] = []
        for p in ps {
            for e in es {
                for k in ks { out.append(.init(chosen: seq(p, k + " " + e), rejected: seq(p, pick(Array(rs)) + " " + e))) }
            }
        }
        return out
    }

    @Test func learnsAKnownRuleAndGeneralisesToHeldOutPairs() throws {
        let pool = ThreadPool(threads: 2)
        defer { pool.shutdown() }
        let session = try Session(baseDirectory: Self.baseDirectory, pool: pool)
        let tok = try #require(session.tokenizer)
        let train = Self.pairs(tok, prompts: Self.prompts.prefix(10), endings: Self.endings.prefix(4),
                               kind: Self.kind.prefix(4), rude: Self.rude.prefix(4), seed: 1)
        let heldOut = Self.pairs(tok, prompts: Self.prompts.suffix(4), endings: Self.endings.suffix(2),
                                 kind: Self.kind.prefix(4), rude: Self.rude.prefix(4), seed: 2)
        let unseenPhrases = Self.pairs(tok, prompts: Self.prompts.suffix(4), endings: Self.endings.suffix(2),
                                       kind: Self.kind.suffix(2), rude: Self.rude.suffix(2), seed: 3)
        let rm = try RewardModel(base: session.base, lora: LoRAConfig(rank: 8, alpha: 16), seed: 3)
        let before = try rm.accuracy(heldOut)
        var rng = PhiloxRNG(seed: 4)
        var losses: [Double] = []
        for _ in 0..<30 {
            let batch = (0..<8).map { _ in train[Int(rng.nextUInt32() % UInt32(train.count))] }
            losses.append(try rm.trainStep(batch, params: AdamParams(learningRate: 2e-3, gradClipNorm: 1)).loss)
        }
        let after = try rm.accuracy(heldOut), unseen = try rm.accuracy(unseenPhrases)
        print("reward model: held-out pair accuracy \(before) → \(after) on \(heldOut.count) pairs (\(unseen) on \(unseenPhrases.count) pairs of unseen phrases); BT loss \(losses.first!) → \(losses.suffix(5).reduce(0, +) / 5)")
        #expect(after >= 0.9)
        #expect(unseen > 0.6)
        #expect(losses.suffix(5).reduce(0, +) / 5 < losses.first!)
    }

    @Test func saveAndLoadRestoreScoresAndTrainingExactly() throws {
        let cfg = GradientTests.config(normTopK: true)
        let model = Qwen3MoEModel.random(config: cfg, seed: 5, std: 0.3)
        let pairs = [RewardModel.Pair(chosen: [1, 2, 3, 4], rejected: [1, 2, 3, 9]),
                     RewardModel.Pair(chosen: [5, 6, 7], rejected: [5, 6, 8, 8, 2])]
        let a = try RewardModel(base: model, lora: LoRAConfig(rank: 2, alpha: 4), seed: 1)
        try a.trainStep(pairs, params: AdamParams(learningRate: 1e-2))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-rm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try a.save(into: dir)
        let b = try RewardModel(base: model, lora: LoRAConfig(rank: 2, alpha: 4), seed: 99)
        try b.load(from: dir)
        #expect(try a.scores(pairs.map(\.chosen)) == b.scores(pairs.map(\.chosen)))
        try a.trainStep(pairs, params: AdamParams(learningRate: 1e-2))
        try b.trainStep(pairs, params: AdamParams(learningRate: 1e-2))
        #expect(try a.scores(pairs.map(\.rejected)) == b.scores(pairs.map(\.rejected)))
        #expect(b.step == 2)
        let other = try RewardModel(base: model, lora: LoRAConfig(rank: 3, alpha: 4), seed: 1)
        #expect(throws: LatheError.self) { try other.load(from: dir) }
    }

    @Test func bradleyTerryGradientMatchesFiniteDifferences() throws {
        let model = Qwen3MoEModel.random(config: GradientTests.config(normTopK: true), seed: 5, std: 0.3)
        let rm = try RewardModel(base: model, lora: LoRAConfig(rank: 2, alpha: 4), seed: 1)
        var rng = PhiloxRNG(seed: 2)
        for m in rm.lora.modules { for i in 0..<m.b.count { m.b[i] = rng.nextGaussian() * 0.2 } }
        let pairs = [RewardModel.Pair(chosen: [1, 2, 3, 4], rejected: [1, 2, 3, 9]),
                     RewardModel.Pair(chosen: [5, 6, 7], rejected: [5, 6, 8, 8, 2])]
        func loss() throws -> Double {
            let s = try rm.scores(pairs.flatMap { [$0.chosen, $0.rejected] })
            return (0..<pairs.count).reduce(0.0) { acc, p in
                let m = Double(s[2 * p] - s[2 * p + 1]); return acc + log1p(exp(-m)) / Double(pairs.count)
            }
        }
        // The step's gradient, read before the update is applied: a zero learning rate leaves the weights as they are.
        let head = rm.head
        let weightsBefore = head.weight.array
        _ = try rm.trainStep(pairs, params: AdamParams(learningRate: 0))
        #expect(head.weight.array == weightsBefore)
        // trainStep zeroes gradients after the update; recompute them with the same objective through runHead.
        let seqs = pairs.flatMap { [$0.chosen, $0.rejected] }
        _ = try TrainingGraph(model: model, adapter: rm.lora).runHead(seqs.map(RewardModel.datum), positions: seqs.map { [$0.count - 1] },
                                                                    head: head) { o in
            var l = 0.0
            var g: [[[Float]]] = []
            for p in 0..<pairs.count {
                let m = Double(o[2 * p][0][0] - o[2 * p + 1][0][0])
                l += log1p(exp(-m)) / 2
                let d = Float(-0.5 / (1 + exp(m)))
                g.append([[d]]); g.append([[-d]])
            }
            return (l, g)
        }
        let checker = GradientTests()
        for (name, v, g, n) in [("head", head.weight.pointer, head.gradWeight.pointer, head.weight.count),
                                ("q.B", rm.lora.modules[0].b.pointer, rm.lora.modules[0].gradB.pointer, rm.lora.modules[0].b.count)] {
            let (num, ana) = try checker.directionalCheck(name: name, value: v, grad: g, count: n, loss: loss)
            #expect(abs(num - ana) / max(abs(num), 1e-2) < 2e-2, "\(name): finite difference \(num), backward \(ana)")
        }
    }
}
