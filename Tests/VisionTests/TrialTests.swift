import Foundation
import Testing
import Tensor
import Engine
import Tokenizer
@testable import Vision

/// Trials on a synthetic 8×8 data set with tiny random towers and the shipped base model: fast, and exercising the
/// real VLM path (LoRA fine-tune, greedy exact match).
struct TrialTests {
    static let baseDir: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("workspaces/default/models/lathe-base")
    }()
    static let lm = try! Qwen3MoEModel.load(directory: baseDir)
    static let tokenizer = try! Tokenizer(contentsOf: baseDir.appendingPathComponent("tokenizer.json"))
    static let towerConfig = VisionTowerConfig(encoder: PatchEncoderConfig(imageSize: 8, patchSize: 2, dim: 16, heads: 2, layers: 1, mlpHidden: 16),
                                               merge: 2, projectorHidden: 32, outDim: 256)

    /// Class c is a bright square in quadrant c (plus noise), so every method can learn something.
    static func images(_ n: Int, seed: UInt64) -> ImageSet {
        var rng = PhiloxRNG(seed: seed)
        var px: [UInt8] = [], labels: [Int] = []
        for i in 0..<n {
            let c = i % 3
            labels.append(c)
            for y in 0..<8 { for x in 0..<8 {
                let inside = (y / 4) * 2 + x / 4 == c
                px.append(UInt8(min(255, (inside ? 200 : 20) + Int(rng.nextUInt32() % 40))))
            } }
        }
        return ImageSet(rows: 8, cols: 8, pixels: px, labels: labels)
    }

    static let data = VisionData(directory: URL(fileURLWithPath: "/synthetic"), classNames: ["Bag", "Coat", "Dress"],
                                 train: images(60, seed: 1), test: images(30, seed: 2))

    static func runner(methods: [TrialMethod] = TrialMethod.allCases) throws -> TrialRunner {
        let record = VisionPretrainingRecord(kind: "vlm", tower: towerConfig, parameters: 0, seed: 0, steps: 0, batch: 0, images: 0,
                                             flops: 0, wallSeconds: 0, threads: 1, finalLoss: 0, classNames: data.classNames,
                                             heldOutClasses: [1], languageModel: "lathe-base")
        let models = TrialModels(vlmTower: try VisionTower(config: towerConfig, seed: 3), vlmRecord: record,
                                 sslTower: try VisionTower(config: towerConfig, seed: 4), lm: lm, tokenizer: tokenizer)
        var s = TrialSettings.quick
        s.methods = methods; s.shots = [1, 2]; s.seeds = 2; s.testSize = 6; s.vlmSteps = 3; s.vlmBatch = 3; s.loraRank = 4
        return try TrialRunner(data: data, settings: s, models: models)
    }

    @Test func splitsFollowTheProtocol() throws {
        let r = try TrialTests.runner(methods: [.pixels])
        #expect(r.splits.pretraining == 0..<50 && r.splits.supportPool == 50..<60)
        #expect(r.testLabels.sorted() == [0, 0, 1, 1, 2, 2])
        let a = try VisionSplits.support(TrialTests.data, pool: r.splits.supportPool, shots: 2, seed: 5)
        #expect(a.count == 6 && a.allSatisfy { (50..<60).contains($0) })
        #expect(a == (try VisionSplits.support(TrialTests.data, pool: r.splits.supportPool, shots: 2, seed: 5)))
        #expect(a.map { TrialTests.data.train.labels[$0] } == [0, 0, 1, 1, 2, 2])
    }

    @Test func aTrialIsDeterministicPerSeed() throws {
        let r = try TrialTests.runner()
        let support0 = try VisionSplits.support(TrialTests.data, pool: r.splits.supportPool, shots: 2, seed: 0)
        let support1 = try VisionSplits.support(TrialTests.data, pool: r.splits.supportPool, shots: 2, seed: 1)
        #expect(support0 != support1)
        for m in TrialMethod.allCases {
            let a = try r.trial(m, shots: 2, seed: 0, support: support0)
            let b = try r.trial(m, shots: 2, seed: 0, support: support0)
            #expect(a.predictions == b.predictions, "\(m)")
            #expect(a.predictions.count == 6)
        }
        // The LoRA itself is a function of the seed: same seed, same weights.
        let vlm = r.vlm!
        let tokens = r.models.vlmTower!.tokens((0..<3).flatMap { TrialTests.data.train.image(50 + $0) })
        let l1 = try vlm.fineTune(imageTokens: tokens, labels: [2, 0, 1], steps: 2, batch: 2, rank: 4, alpha: 8, learningRate: 1e-2, seed: 9)
        let l2 = try vlm.fineTune(imageTokens: tokens, labels: [2, 0, 1], steps: 2, batch: 2, rank: 4, alpha: 8, learningRate: 1e-2, seed: 9)
        #expect(l1.modules.allSatisfy { m in m.b.array == l2.module(m.path)!.b.array })
    }

    /// The batched teacher-forced answer equals token-by-token greedy decoding with the KV cache.
    @Test func predictionsAreGreedyDecoding() throws {
        let r = try TrialTests.runner(methods: [.vlm])
        let vlm = r.vlm!
        let support = try VisionSplits.support(TrialTests.data, pool: r.splits.supportPool, shots: 2, seed: 0)
        let tokens = r.models.vlmTower!.tokens(support.flatMap { TrialTests.data.train.image($0) })
        // A strong fine-tune, so the answers name classes (and some images may still be answered wrongly).
        let lora = try vlm.fineTune(imageTokens: tokens, labels: support.map { TrialTests.data.train.labels[$0] }, steps: 12,
                                    batch: 6, rank: 8, alpha: 16, learningRate: 3e-3, seed: 1)
        let predictions = try vlm.predict(imageTokens: r.vlmTestTokens, startCandidates: r.testLabels, adapter: lora, chunk: 4)
        #expect(predictions.contains { $0 >= 0 })
        let generator = Generator(model: TrialTests.lm, pool: ThreadPool(threads: 1))
        let h = TrialTests.lm.config.hiddenSize, per = vlm.prompt.imageTokens * h
        for i in 0..<predictions.count {
            var input = [Float](repeating: 0, count: vlm.promptIDs.count * h)
            for (p, id) in vlm.promptIDs.enumerated() {
                input.withUnsafeMutableBufferPointer { TrialTests.lm.embedding.rows(id ..< id + 1).widen(into: $0.baseAddress! + p * h) }
            }
            for (j, p) in vlm.imagePositions.enumerated() {
                for k in 0..<h { input[p * h + k] = r.vlmTestTokens[i * per + j * h + k] }
            }
            let out = try generator.generate(input: .embeddings(input), params: SamplingParams(maxTokens: 24, temperature: 0, stopTokens: [vlm.prompt.template.endID]),
                                             adapter: lora)[0]
            let greedyClass = vlm.answers.firstIndex(of: out.ids) ?? -1
            #expect(greedyClass == predictions[i], "image \(i): generated \(out.ids)")
        }
    }

    @Test func aGridSummarisesEveryCell() throws {
        let r = try TrialTests.runner()
        var outcomes: [TrialOutcome] = []
        var seen: [TrialProgress] = []
        try r.run(onProgress: { seen.append($0) }, done: &outcomes)
        #expect(outcomes.count == 3 * 2 * 2 && seen.last?.done == 12 && seen.last?.eta == 0)
        let s = try TrialSummary(outcomes: outcomes, labels: r.testLabels, heldOut: r.heldOut, methods: r.settings.methods, shots: [1, 2])
        #expect(s.results.count == 6 && s.paired.count == 6)
        for res in s.results { #expect(res.ci95[0] <= res.accuracy && res.accuracy <= res.ci95[1] && res.nSeeds == 2) }
        // Stopping between trials keeps what finished.
        var partial: [TrialOutcome] = []
        var finished = 0
        var cancelled = false
        do { try r.run(onProgress: { finished = $0.done }, shouldStop: { finished >= 2 }, done: &partial) } catch is TrialCancelled { cancelled = true }
        #expect(cancelled && partial.count == 2)
    }

    /// Accuracies of 0 or 1 over 20 seeds, half right: the bootstrap distribution of the mean is Binomial(20, ½)/20,
    /// whose 2.5 % and 97.5 % quantiles are 0.3 and 0.7 (P(X ≤ 5) = 0.021, P(X ≤ 6) = 0.058).
    @Test func bootstrapIntervalOfAKnownCase() throws {
        let labels = [0]
        let outcomes = (0..<20).map { TrialOutcome(method: .pixels, shots: 1, seed: $0, predictions: [$0 % 2 == 0 ? 0 : 1], support: [], seconds: 0) }
        let s = try TrialSummary(outcomes: outcomes, labels: labels, heldOut: [], methods: [.pixels], shots: [1])
        let r = s.results[0]
        #expect(r.accuracy == 0.5)
        #expect(abs(r.ci95[0] - 0.3) <= 0.05 && abs(r.ci95[1] - 0.7) <= 0.05, "\(r.ci95)")
        let confusion = TrialSummary.confusion([TrialOutcome(method: .vlm, shots: 1, seed: 0, predictions: [1, -1, 0], support: [], seconds: 0)],
                                               labels: [0, 0, 1], classes: 2)
        #expect(confusion == [[0, 1, 1], [1, 0, 0]])
    }
}
