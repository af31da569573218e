import Foundation
import Tensor

/// Self-attention weights of one decoder layer: grouped-query attention with per-head RMSNorm on q and k, then RoPE.
public struct AttentionWeights: @unchecked Sendable {
    public var q: WeightMatrix        // [nHeads·headDim, hidden]
    public var k: WeightMatrix        // [nKV·headDim, hidden]
    public var v: WeightMatrix        // [nKV·headDim, hidden]
    public var o: WeightMatrix        // [hidden, nHeads·headDim]
    public var qNorm: FloatBuffer     // [headDim]
    public var kNorm: FloatBuffer     // [headDim]
}

/// SiLU-gated MLP: down(silu(gate(x)) · up(x)). Used for dense layers and for each expert.
public struct GatedMLPWeights: @unchecked Sendable {
    public var gate: WeightMatrix     // [inter, hidden]
    public var up: WeightMatrix       // [inter, hidden]
    public var down: WeightMatrix     // [hidden, inter]
}

/// Sparse MoE block: router softmax → top-k → (renormalise when norm_topk_prob) → Σ weight · expert(x).
public struct SparseMoEWeights: @unchecked Sendable {
    public var router: WeightMatrix   // [experts, hidden]
    public var experts: [GatedMLPWeights]
    public var topK: Int
    public var normTopK: Bool
}

public enum FeedForwardWeights: @unchecked Sendable {
    case dense(GatedMLPWeights)
    case sparse(SparseMoEWeights)
}

public struct DecoderLayerWeights: @unchecked Sendable {
    public var inputNorm: FloatBuffer           // [hidden]
    public var attention: AttentionWeights
    public var postAttentionNorm: FloatBuffer   // [hidden]
    public var feedForward: FeedForwardWeights
}

/// Router decision for one token: the chosen experts (best first) and their mixing weights.
public struct Routing: Sendable, Equatable {
    public var experts: [Int]
    public var weights: [Float]
}

extension SparseMoEWeights {
    /// softmax(logits) in fp32 → top-k by probability (ties: lower index first) → renormalise if asked.
    public func route(logits: UnsafePointer<Float>, probs: UnsafeMutablePointer<Float>) -> Routing {
        let e = experts.count
        probs.update(from: logits, count: e)
        Kernels.softmax(probs, e)
        var chosen: [Int] = []
        chosen.reserveCapacity(topK)
        for _ in 0..<topK {
            var best = -1
            var bestP = -Float.infinity
            for j in 0..<e where !chosen.contains(j) && (best < 0 || probs[j] > bestP) {
                best = j; bestP = probs[j]
            }
            chosen.append(best)
        }
        var w = chosen.map { probs[$0] }
        if normTopK {
            let s = w.reduce(0, +)
            w = w.map { $0 / s }
        }
        return Routing(experts: chosen, weights: w)
    }
}

/// cos/sin of RoPE angles computed as transformers does (fp32 inv_freq, fp32 angle), grown on demand.
public final class RotaryTable: @unchecked Sendable {
    public let headDim: Int
    let invFreq: [Float]
    public private(set) var positions = 0
    private(set) var cosTable = FloatBuffer(count: 0)
    private(set) var sinTable = FloatBuffer(count: 0)
    private let lock = NSLock()

    public init(headDim: Int, theta: Double) {
        self.headDim = headDim
        let half = headDim / 2
        invFreq = (0..<half).map { i in 1 / powf(Float(theta), Float(2 * i) / Float(headDim)) }
    }

    /// Ensures positions 0..<n are tabulated.
    public func reserve(_ n: Int) {
        lock.lock(); defer { lock.unlock() }
        guard n > positions else { return }
        let cap = max(n, positions * 2, 256)
        let half = headDim / 2
        let c = FloatBuffer(count: cap * half), s = FloatBuffer(count: cap * half)
        for p in 0..<cap {
            for i in 0..<half {
                let angle = Float(p) * invFreq[i]
                c[p * half + i] = cosf(angle)
                s[p * half + i] = sinf(angle)
            }
        }
        cosTable = c; sinTable = s; positions = cap
    }

    @inline(__always) public func cos(_ pos: Int) -> UnsafePointer<Float> { UnsafePointer(cosTable.pointer + pos * (headDim / 2)) }
    @inline(__always) public func sin(_ pos: Int) -> UnsafePointer<Float> { UnsafePointer(sinTable.pointer + pos * (headDim / 2)) }

    /// Applies RoPE at `pos` to one head vector.
    @inline(__always) public func apply(_ x: UnsafeMutablePointer<Float>, pos: Int) {
        Kernels.rope(x, cos: cos(pos), sin: sin(pos), headDim: headDim)
    }
}

/// Keys and values of every layer for one sequence, preallocated to `capacity` positions.
public final class KVCache: @unchecked Sendable {
    public let capacity: Int
    public let kvDim: Int
    public var length = 0
    public let keys: [FloatBuffer]     // per layer [capacity, kvDim]
    public let values: [FloatBuffer]

    public init(layers: Int, kvDim: Int, capacity: Int) {
        self.capacity = capacity
        self.kvDim = kvDim
        keys = (0..<layers).map { _ in FloatBuffer(count: capacity * kvDim) }
        values = (0..<layers).map { _ in FloatBuffer(count: capacity * kvDim) }
    }

    /// A copy of the first `length` positions (forking a prompt's cache for several samples).
    public func copy() -> KVCache {
        let c = KVCache(layers: keys.count, kvDim: kvDim, capacity: capacity)
        for l in 0..<keys.count {
            c.keys[l].pointer.update(from: keys[l].pointer, count: length * kvDim)
            c.values[l].pointer.update(from: values[l].pointer, count: length * kvDim)
        }
        c.length = length
        return c
    }
}
