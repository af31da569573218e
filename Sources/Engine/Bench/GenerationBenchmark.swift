import Foundation
import Tensor

/// DESIGN.md's generation benchmark: batch 1, a 32-token prompt, exactly 128 new greedy tokens (prefill included),
/// and one 256-token prefill; medians over repetitions, with the machine's sgemm peak and read bandwidth measured in
/// the same run.
public struct GenerationBenchmark {
    public struct Result: Codable, Sendable {
        public var tokensPerS: Double
        public var decodeTokensPerS: Double
        public var prefill256TokensPerS: Double
        public var weightsGBs: Double
        public var timeToFirstTokenMs: Double
        public var samplesS: [Double]
        public var prefill256SamplesS: [Double]
        public var weightBytesPerToken: Int
        enum CodingKeys: String, CodingKey {
            case tokensPerS = "tokens_per_s", decodeTokensPerS = "decode_tokens_per_s"
            case prefill256TokensPerS = "prefill256_tokens_per_s", weightsGBs = "weights_gbs"
            case timeToFirstTokenMs = "time_to_first_token_ms", samplesS = "samples_s"
            case prefill256SamplesS = "prefill256_samples_s", weightBytesPerToken = "weight_bytes_per_token"
        }
    }

    public let preset: BenchmarkPreset
    public let threads: Int
    public let precision: WeightPrecision
    public let repetitions: Int

    public init(preset: BenchmarkPreset, threads: Int, precision: WeightPrecision, repetitions: Int = 5) {
        self.preset = preset; self.threads = threads; self.precision = precision; self.repetitions = repetitions
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    public func run(pool: ThreadPool, progress: (String) -> Void = { _ in }) throws -> Result {
        let config = preset.config
        progress("building random \(preset.rawValue) model (\(precision.rawValue) weights)")
        let model = Qwen3MoEModel.random(config: config, seed: 0, precision: precision)
        let generator = Generator(model: model, pool: pool)
        var rng = PhiloxRNG(seed: 42)
        let prompt = (0..<32).map { _ in Int(rng.nextUInt32() % UInt32(config.vocabSize)) }
        let long = (0..<256).map { _ in Int(rng.nextUInt32() % UInt32(config.vocabSize)) }
        var firstTokenAt = 0.0
        var totals: [Double] = [], ttfts: [Double] = []
        let params = SamplingParams(maxTokens: 128, temperature: 0)
        for rep in 0...repetitions {   // rep 0 warms caches and pages
            progress("generate rep \(rep)/\(repetitions)")
            let t0 = GenerationBenchmark.now()
            var seen = 0
            let out = try generator.generate(prompt: prompt, params: params) { _, _, _, _ in
                seen += 1
                if seen == 1 { firstTokenAt = GenerationBenchmark.now() }
                return true
            }
            let t1 = GenerationBenchmark.now()
            precondition(out[0].ids.count == 128)
            if rep > 0 { totals.append(t1 - t0); ttfts.append(firstTokenAt - t0) }
        }
        var prefills: [Double] = []
        for rep in 0...repetitions {
            progress("prefill-256 rep \(rep)/\(repetitions)")
            let cache = model.newCache(capacity: 256)
            let t0 = GenerationBenchmark.now()
            _ = try model.forward(.tokens(long), cache: cache, options: ForwardOptions(logits: .last))
            let dt = GenerationBenchmark.now() - t0
            if rep > 0 { prefills.append(dt) }
        }
        let total = GenerationBenchmark.median(totals)
        let decodeTimes = zip(totals, ttfts).map { $0 - $1 }
        let decode = 127 / GenerationBenchmark.median(decodeTimes)
        let bytes = model.bytesReadPerToken
        return Result(tokensPerS: 128 / total, decodeTokensPerS: decode,
                      prefill256TokensPerS: 256 / GenerationBenchmark.median(prefills),
                      weightsGBs: Double(bytes) * decode / 1e9,
                      timeToFirstTokenMs: GenerationBenchmark.median(ttfts) * 1e3, samplesS: totals,
                      prefill256SamplesS: prefills, weightBytesPerToken: bytes)
    }
}
