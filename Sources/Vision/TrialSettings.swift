import Engine
import Foundation

/// A few-shot method of the comparison.
public enum TrialMethod: String, CaseIterable, Codable, Sendable {
    case vlm          // vision tower → image tokens → Qwen3-MoE with a rank-32 LoRA fine-tuned on the support set
    case encoder      // self-supervised tower's pooled features, nearest class prototype (cosine)
    case pixels       // nearest class centroid on raw pixels

    public var label: String {
        switch self { case .vlm: return "VLM + LoRA"; case .encoder: return "SSL encoder"; case .pixels: return "pixels" }
    }
}

/// A trial grid: which methods, shot counts and seeds, on how many test images, with the VLM's fine-tuning budget.
public struct TrialSettings: Codable, Equatable, Sendable {
    public var preset: String
    public var methods: [TrialMethod]
    public var shots: [Int]
    public var seeds: Int
    public var testSize: Int
    public var vlmSteps: Int          // optimizer steps at every shot count (the support set repeats)
    public var vlmBatch: Int          // support examples per step
    public var vlmLearningRate: Double
    public var loraRank: Int
    public var loraAlpha: Double

    /// A smoke run of the whole path (< 1 min): two shot counts, two seeds, 100 test images, a shorter fine-tune.
    public static let quick = TrialSettings(preset: "quick", methods: TrialMethod.allCases, shots: [1, 16], seeds: 2, testSize: 100,
                                            vlmSteps: 16, vlmBatch: 10, vlmLearningRate: 1e-3, loraRank: 32, loraAlpha: 32)
    /// The reported grid: 20 seeds per shot count; 500 test images (50 per class), so that 100 VLM fine-tunes with
    /// their greedy scoring fit the ≤ 15 min budget on 2 cores (the scoring pass is compute-bound in sgemm).
    public static let full = TrialSettings(preset: "full", methods: TrialMethod.allCases, shots: [1, 2, 4, 8, 16], seeds: 20,
                                           testSize: 500, vlmSteps: 32, vlmBatch: 10, vlmLearningRate: 1e-3, loraRank: 32, loraAlpha: 32)

    public static func preset(_ name: String) throws -> TrialSettings {
        switch name {
        case "quick": return .quick
        case "full": return .full
        default: throw LatheError("--preset: expected quick or full, got \(name)")
        }
    }

    public func validate() throws {
        if methods.isEmpty { throw LatheError("methods: at least one of vlm, encoder, pixels") }
        if shots.isEmpty { throw LatheError("shots: at least one shot count") }
        if let s = shots.first(where: { $0 < 1 || $0 > 1000 }) { throw LatheError("shots: \(s) is outside 1…1000") }
        if seeds < 1 { throw LatheError("seeds: must be >= 1 (got \(seeds))") }
        if testSize < 1 { throw LatheError("test size: must be >= 1 (got \(testSize))") }
        if vlmSteps < 1 || vlmBatch < 1 { throw LatheError("vlm steps and batch must be >= 1") }
        if loraRank < 1 { throw LatheError("lora rank: must be >= 1") }
    }

    enum CodingKeys: String, CodingKey {
        case preset, methods, shots, seeds
        case testSize = "test_size", vlmSteps = "vlm_steps", vlmBatch = "vlm_batch", vlmLearningRate = "vlm_lr"
        case loraRank = "lora_rank", loraAlpha = "lora_alpha"
    }
}

/// One method's answers on the test subset for one (shots, seed): the predicted class per test image (−1 = the VLM
/// said something that is no class's answer).
public struct TrialOutcome: Codable, Equatable, Sendable {
    public var method: TrialMethod
    public var shots: Int
    public var seed: Int
    public var predictions: [Int]
    public var support: [Int]            // train indices of the support set
    public var seconds: Double

    public init(method: TrialMethod, shots: Int, seed: Int, predictions: [Int], support: [Int], seconds: Double) {
        self.method = method; self.shots = shots; self.seed = seed; self.predictions = predictions
        self.support = support; self.seconds = seconds
    }

    /// Fraction right over the test images whose label passes `include`.
    public func accuracy(labels: [Int], include: (Int) -> Bool = { _ in true }) -> Double {
        var right = 0, total = 0
        for (p, y) in zip(predictions, labels) where include(y) { total += 1; if p == y { right += 1 } }
        return total == 0 ? .nan : Double(right) / Double(total)
    }
}
