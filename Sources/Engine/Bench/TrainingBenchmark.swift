import Foundation
import Tensor

/// DESIGN.md's LoRA training benchmark: LoRA on q/k/v/o and every expert's gate/up/down, random fp32 weights,
/// mean next-token cross-entropy over B·(T−1) targets, AdamW; tokens/s = B·T / median step.
public struct TrainingBenchmark {
    public struct Result: Codable, Sendable {
        public var tokensPerS: Double
        public var gflops: Double
        public var peakRSSMB: Double
        public var stepSamplesS: [Double]
        public var batch: Int
        public var sequenceLength: Int
        public var flopsPerToken: Double
        enum CodingKeys: String, CodingKey {
            case tokensPerS = "tokens_per_s", gflops, peakRSSMB = "peak_rss_mb", stepSamplesS = "step_samples_s"
            case batch, sequenceLength = "sequence_length", flopsPerToken = "flops_per_token"
        }
    }

    public let preset: BenchmarkPreset
    public let steps: Int
    public let warmup: Int

    public init(preset: BenchmarkPreset, steps: Int = 10, warmup: Int = 2) {
        self.preset = preset; self.steps = steps; self.warmup = warmup
    }

    public var shape: (batch: Int, length: Int, rank: Int, alpha: Double) {
        switch preset {
        case .tiny: return (8, 128, 8, 16)
        case .small: return (8, 256, 16, 32)
        case .medium: return (4, 256, 16, 32)
        }
    }

    /// DESIGN's FLOP accounting: 4·N + 6·L·T·d per token for a frozen-base LoRA step.
    public static func flopsPerToken(_ c: Qwen3MoEConfig, length t: Int) -> Double {
        4 * Double(c.activeParameters) + 6 * Double(c.numHiddenLayers * t * c.numAttentionHeads * c.headDim)
    }

    public func run(pool: ThreadPool, progress: (String) -> Void = { _ in }) throws -> Result {
        let config = preset.config
        let (b, t, r, alpha) = shape
        progress("building random \(preset.rawValue) model")
        let model = Qwen3MoEModel.random(config: config, seed: 0)
        let session = Session(base: model, pool: pool, seed: 0)
        let adapter = try session.createAdapter("bench", LoRAConfig(rank: r, alpha: alpha, targets: LoRATarget.attention + [.mlp]))
        var rng = PhiloxRNG(seed: 1)
        for m in adapter.lora.modules { for i in 0..<m.b.count { m.b[i] = rng.nextGaussian() * 0.01 } }  // as the peer: B ~ N(0, 0.01)
        let batch = (0..<b).map { _ in
            Datum(sequence: (0..<t).map { _ in Int(rng.nextUInt32() % UInt32(config.vocabSize)) }, weight: 1 / Float(b * (t - 1)))
        }
        var times: [Double] = []
        for s in 0..<(warmup + steps) {
            progress("step \(s + 1)/\(warmup + steps)")
            let t0 = GenerationBenchmark.now()
            _ = try adapter.forwardBackward(batch)
            try adapter.optimStep(AdamParams(learningRate: 1e-4))
            let dt = GenerationBenchmark.now() - t0
            if s >= warmup { times.append(dt) }
        }
        let median = GenerationBenchmark.median(times)
        let tokensPerS = Double(b * t) / median
        let flops = TrainingBenchmark.flopsPerToken(config, length: t)
        return Result(tokensPerS: tokensPerS, gflops: tokensPerS * flops / 1e9, peakRSSMB: PeakMemory.residentMB,
                      stepSamplesS: times, batch: b, sequenceLength: t, flopsPerToken: flops)
    }
}

/// The process's maximum resident set (getrusage ru_maxrss), as GNU time's %M reports it.
public enum PeakMemory {
    public static var residentMB: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
