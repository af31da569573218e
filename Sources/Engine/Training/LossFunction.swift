import Foundation

/// Loss functions selectable by name, as in Tinker (tinker/PROTOCOL.md §6.3). Each is a sum over scored positions of
/// a per-token term fᵢ(ℓᵢ) of the token's logprob ℓᵢ = log p(targetᵢ | x≤ᵢ); with rᵢ = exp(ℓᵢ − sampling logprobᵢ)
/// and Aᵢ the advantage:
///   cross_entropy       L = −Σ wᵢ·ℓᵢ
///   importance_sampling L = −Σ rᵢ·Aᵢ
///   ppo                 L = −Σ min(rᵢ·Aᵢ, clip(rᵢ, lo, hi)·Aᵢ)   (dual-clip: for Aᵢ < 0, L ≥ … max(·, c·Aᵢ))
///   cispo               L = −Σ sg(clip(rᵢ, lo, hi))·Aᵢ·ℓᵢ
/// RL losses score the positions whose weight is non-zero (prompt tokens carry weight 0).
public enum LossFunction: Sendable, Equatable {
    case crossEntropy
    case importanceSampling
    case ppo(clipLow: Float = 0.8, clipHigh: Float = 1.2, dualClip: Float? = nil)
    case cispo(clipLow: Float = 0.8, clipHigh: Float = 1.2)

    /// Parses Tinker's names (`cross_entropy`, `importance_sampling`, `ppo`, `cispo`) with `loss_fn_config`'s
    /// `clip_low_threshold` / `clip_high_threshold` (and Lathe's `dual_clip`).
    public init(name: String, config: [String: Double] = [:]) throws {
        let lo = Float(config["clip_low_threshold"] ?? 0.8), hi = Float(config["clip_high_threshold"] ?? 1.2)
        switch name {
        case "cross_entropy": self = .crossEntropy
        case "importance_sampling": self = .importanceSampling
        case "ppo": self = .ppo(clipLow: lo, clipHigh: hi, dualClip: config["dual_clip"].map(Float.init))
        case "cispo": self = .cispo(clipLow: lo, clipHigh: hi)
        default:
            throw LatheError("loss_fn \(quotedValue(name)): unknown (cross_entropy, importance_sampling, ppo or cispo)")
        }
        if lo <= 0 || hi < 1 || lo > 1 { throw LatheError("loss_fn_config: need 0 < clip_low_threshold ≤ 1 ≤ clip_high_threshold (got \(lo), \(hi))") }
        if case .ppo(_, _, let c?) = self, c <= 1 { throw LatheError("loss_fn_config: dual_clip must be > 1 (got \(c))") }
    }

    public var name: String {
        switch self {
        case .crossEntropy: return "cross_entropy"
        case .importanceSampling: return "importance_sampling"
        case .ppo: return "ppo"
        case .cispo: return "cispo"
        }
    }

    /// Whether Datums need sampling logprobs and advantages.
    public var isPolicyGradient: Bool { self != .crossEntropy }

    /// One position's term: its loss fᵢ, dfᵢ/dℓᵢ, and whether the ratio was clipped (PPO-style losses).
    public struct Term: Equatable { public var loss: Double; public var dLogprob: Float; public var clipped: Bool }

    public func term(logprob l: Float, weight w: Float, samplingLogprob s: Float, advantage a: Float) -> Term {
        switch self {
        case .crossEntropy:
            return Term(loss: -Double(w) * Double(l), dLogprob: -w, clipped: false)
        case .importanceSampling:
            guard w != 0 else { return Term(loss: 0, dLogprob: 0, clipped: false) }
            let r = Float(exp(Double(l - s)))
            return Term(loss: -Double(r * a), dLogprob: -a * r, clipped: false)
        case .ppo(let lo, let hi, let dual):
            guard w != 0 else { return Term(loss: 0, dLogprob: 0, clipped: false) }
            let r = Float(exp(Double(l - s)))
            let unclipped = r * a, clippedR = min(max(r, lo), hi), clippedTerm = clippedR * a
            // min(r·A, clip(r)·A): the clipped branch (constant in ℓ) is taken when it is the smaller.
            var objective = unclipped, grad = -a * r, clipped = false
            if clippedTerm < unclipped { objective = clippedTerm; grad = 0; clipped = true }
            if let c = dual, a < 0, objective < c * a { objective = c * a; grad = 0; clipped = true }
            return Term(loss: -Double(objective), dLogprob: grad, clipped: clipped)
        case .cispo(let lo, let hi):
            guard w != 0 else { return Term(loss: 0, dLogprob: 0, clipped: false) }
            let r = Float(exp(Double(l - s)))
            let c = min(max(r, lo), hi)
            return Term(loss: -Double(c * a * l), dLogprob: -c * a, clipped: c != r)
        }
    }
}

/// Group-relative advantages (GRPO): each sample's reward minus its group's mean, optionally divided by the group's
/// standard deviation (population, + eps). A group whose rewards are all equal gets zero advantages.
public func groupRelativeAdvantages(_ rewards: [Double], groupSize: Int, normalizeByStd: Bool, eps: Double = 1e-6) -> [Double] {
    precondition(groupSize > 0 && rewards.count % groupSize == 0, "rewards must come in whole groups")
    var out: [Double] = []
    for g in stride(from: 0, to: rewards.count, by: groupSize) {
        let group = rewards[g..<(g + groupSize)]
        let mean = group.reduce(0, +) / Double(groupSize)
        let std = (group.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(groupSize)).squareRoot()
        out.append(contentsOf: group.map { normalizeByStd ? ($0 - mean) / (std + eps) : $0 - mean })
    }
    return out
}

/// KL(policy ‖ reference) estimators from one sample (Schulman, "Approximating KL divergence"), with
/// log ratio d = log π(x) − log π_ref(x) for x drawn from π:  k1 = d (unbiased, high variance),
/// k3 = (e^{−d} − 1) + d (unbiased, always ≥ 0, low variance).
public enum KLEstimator: String, Sendable, CaseIterable {
    case k1, k3

    public func value(logprob: Float, referenceLogprob: Float) -> Double {
        let d = Double(logprob) - Double(referenceLogprob)
        switch self {
        case .k1: return d
        case .k3: return exp(-d) - 1 + d
        }
    }

    /// d k / d logprob (the reference held fixed): k1 → 1, k3 → 1 − e^{−d}.
    public func derivative(logprob: Float, referenceLogprob: Float) -> Float {
        switch self {
        case .k1: return 1
        case .k3: return Float(1 - exp(Double(referenceLogprob) - Double(logprob)))
        }
    }
}
