import Foundation
import Tensor

/// Optimizer parameters sent with every step (Tinker's AdamParams); defaults are PyTorch's AdamW.
public struct AdamParams: Codable, Equatable, Sendable {
    public var learningRate: Double
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var weightDecay: Double
    /// Global gradient-norm clip (0 = off), applied before the step as torch.nn.utils.clip_grad_norm_.
    public var gradClipNorm: Double

    public init(learningRate: Double = 1e-4, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                weightDecay: Double = 0, gradClipNorm: Double = 0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps
        self.weightDecay = weightDecay; self.gradClipNorm = gradClipNorm
    }

    public func validate() throws {
        if !(learningRate >= 0) || !learningRate.isFinite { throw LatheError("learning_rate: must be >= 0 (got \(learningRate))") }
        if !(beta1 >= 0 && beta1 < 1) { throw LatheError("beta1: must be in [0, 1) (got \(beta1))") }
        if !(beta2 >= 0 && beta2 < 1) { throw LatheError("beta2: must be in [0, 1) (got \(beta2))") }
        if !(eps > 0) { throw LatheError("eps: must be > 0 (got \(eps))") }
        if !(weightDecay >= 0) { throw LatheError("weight_decay: must be >= 0 (got \(weightDecay))") }
        if !(gradClipNorm >= 0) { throw LatheError("grad_clip_norm: must be >= 0 (got \(gradClipNorm))") }
    }
}

/// One tensor the optimizer updates: its values, its gradient and a name for messages.
public struct OptimizedTensor {
    public let name: String
    public let value: UnsafeMutablePointer<Float>
    public let grad: UnsafeMutablePointer<Float>
    public let count: Int
    public init(name: String, value: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>, count: Int) {
        self.name = name; self.value = value; self.grad = grad; self.count = count
    }
}

/// AdamW with PyTorch semantics (torch.optim.AdamW, foreach=False): decoupled weight decay θ ← θ·(1 − lr·λ), bias
/// corrections, eps added to the corrected √v. Moments live here, one pair per tensor, in a fixed order.
public final class AdamW: @unchecked Sendable {
    public private(set) var step = 0
    public let m: [FloatBuffer]
    public let v: [FloatBuffer]

    public init(sizes: [Int]) {
        m = sizes.map { FloatBuffer(count: $0) }
        v = sizes.map { FloatBuffer(count: $0) }
    }

    public struct StepReport: Sendable {
        public var gradNorm: Double          // global L2 norm before clipping
        public var updateNorm: Double        // ‖Δθ‖
        public var weightNorm: Double        // ‖θ‖ after the step
    }

    /// Global L2 norm of the gradients (float64 accumulation).
    public static func gradNorm(_ tensors: [OptimizedTensor]) -> Double {
        var s = 0.0
        for t in tensors { for i in 0..<t.count { let g = Double(t.grad[i]); s += g * g } }
        return s.squareRoot()
    }

    /// Clips, updates every tensor, and leaves gradients untouched (the caller zeroes them).
    public func update(_ tensors: [OptimizedTensor], _ p: AdamParams) throws -> StepReport {
        precondition(tensors.count == m.count, "optimizer state has \(m.count) tensors, got \(tensors.count)")
        let norm = AdamW.gradNorm(tensors)
        guard norm.isFinite else {
            let bad = tensors.first { t in (0..<t.count).contains { !t.grad[$0].isFinite } }
            throw LatheError("non-finite gradient in \(bad?.name ?? "?") at step \(step + 1)")
        }
        // torch clip_grad_norm_: scale by max_norm / (norm + 1e-6) when norm exceeds max_norm.
        let clip: Float = p.gradClipNorm > 0 && norm > p.gradClipNorm ? Float(p.gradClipNorm / (norm + 1e-6)) : 1
        step += 1
        let lr = Float(p.learningRate), b1 = Float(p.beta1), b2 = Float(p.beta2), eps = Float(p.eps)
        let bc1 = 1 - Float(pow(p.beta1, Double(step)))
        let bc2Sqrt = Float((1 - pow(p.beta2, Double(step))).squareRoot())
        let stepSize = lr / bc1
        let decay = 1 - lr * Float(p.weightDecay)
        var upd = 0.0, wn = 0.0
        for (k, t) in tensors.enumerated() {
            let mk = m[k].pointer, vk = v[k].pointer
            for i in 0..<t.count {
                let g = t.grad[i] * clip
                let old = t.value[i]
                var x = old * decay
                mk[i] = b1 * mk[i] + (1 - b1) * g
                vk[i] = b2 * vk[i] + (1 - b2) * g * g
                let denom = vk[i].squareRoot() / bc2Sqrt + eps
                x -= stepSize * mk[i] / denom
                t.value[i] = x
                let dx = Double(x - old)
                upd += dx * dx
                wn += Double(x) * Double(x)
            }
        }
        return StepReport(gradNorm: norm, updateNorm: upd.squareRoot(), weightNorm: wn.squareRoot())
    }

    /// Restores the step count (checkpoint load); moments are restored through `m` and `v`.
    public func restore(step: Int) { self.step = step }
}

/// Learning-rate schedules: the multiplier of the base rate at a step (0-based), as in the HF schedulers.
public enum LRSchedule: Codable, Equatable, Sendable {
    case constant
    case warmupLinear(warmup: Int, total: Int)
    case warmupCosine(warmup: Int, total: Int, minRatio: Double)

    public func multiplier(step: Int) -> Double {
        switch self {
        case .constant: return 1
        case .warmupLinear(let w, let total):
            if step < w { return Double(step + 1) / Double(max(1, w)) }
            return max(0, Double(total - step) / Double(max(1, total - w)))
        case .warmupCosine(let w, let total, let minRatio):
            if step < w { return Double(step + 1) / Double(max(1, w)) }
            let progress = min(1, Double(step - w) / Double(max(1, total - w)))
            return minRatio + (1 - minRatio) * 0.5 * (1 + cos(Double.pi * progress))
        }
    }
}
