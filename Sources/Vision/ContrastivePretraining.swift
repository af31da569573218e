import Engine
import Foundation
import Tensor

/// SimCLR (Chen et al. 2020) on unlabelled images: two augmented views per image through the tower, the mean of an
/// image's output tokens L2-normalised, and the NT-Xent loss at temperature τ over the 2B views of a batch.
public final class ContrastivePretraining: @unchecked Sendable {
    public let tower: VisionTower
    public let temperature: Float
    let optimizer: AdamW
    public private(set) var flops = 0.0

    public init(tower: VisionTower, temperature: Float = 0.2) {
        self.tower = tower; self.temperature = temperature
        optimizer = AdamW(sizes: tower.params.all.map(\.count))
    }

    public var step: Int { optimizer.step }

    /// NT-Xent of embeddings u [2B, D] where rows 2i and 2i+1 are the two views of image i; returns the mean loss and
    /// d(loss)/d(u).
    public static func ntXent(_ u: [Float], rows m: Int, dim d: Int, temperature tau: Float) -> (Double, [Float]) {
        var z = u, norms = [Float](repeating: 0, count: m)
        for i in 0..<m {
            var s: Float = 0
            for j in 0..<d { s += u[i * d + j] * u[i * d + j] }
            norms[i] = max(s.squareRoot(), 1e-12)
            for j in 0..<d { z[i * d + j] = u[i * d + j] / norms[i] }
        }
        var sim = [Float](repeating: 0, count: m * m)
        z.withUnsafeBufferPointer { zp in
            sim.withUnsafeMutableBufferPointer { sp in
                BLAS.sgemm(transB: true, m: m, n: m, k: d, alpha: 1 / tau, a: zp.baseAddress!, lda: d, b: zp.baseAddress!, ldb: d,
                           c: sp.baseAddress!, ldc: m)
            }
        }
        var loss = 0.0
        var g = [Float](repeating: 0, count: m * m)   // d loss / d sim
        for i in 0..<m {
            let pos = i ^ 1
            var mx = -Float.infinity
            for k in 0..<m where k != i { mx = max(mx, sim[i * m + k]) }
            var s: Double = 0
            for k in 0..<m where k != i { s += exp(Double(sim[i * m + k] - mx)) }
            let lse = Double(mx) + log(s)
            loss += lse - Double(sim[i * m + pos])
            for k in 0..<m where k != i { g[i * m + k] = Float(exp(Double(sim[i * m + k]) - lse)) / Float(m) }
            g[i * m + pos] -= 1 / Float(m)
        }
        // sim = Z·Zᵀ/τ ⇒ dZ = (G + Gᵀ)·Z/τ ; z = u/|u| ⇒ du = (dz − z·(z·dz))/|u|
        var gs = [Float](repeating: 0, count: m * m)
        for i in 0..<m { for k in 0..<m { gs[i * m + k] = g[i * m + k] + g[k * m + i] } }
        var dz = [Float](repeating: 0, count: m * d)
        gs.withUnsafeBufferPointer { gp in
            z.withUnsafeBufferPointer { zp in
                dz.withUnsafeMutableBufferPointer { dp in
                    BLAS.sgemm(m: m, n: d, k: m, alpha: 1 / tau, a: gp.baseAddress!, lda: m, b: zp.baseAddress!, ldb: d,
                               c: dp.baseAddress!, ldc: d)
                }
            }
        }
        var du = [Float](repeating: 0, count: m * d)
        for i in 0..<m {
            var dot: Float = 0
            for j in 0..<d { dot += z[i * d + j] * dz[i * d + j] }
            for j in 0..<d { du[i * d + j] = (dz[i * d + j] - z[i * d + j] * dot) / norms[i] }
        }
        return (loss / Double(m), du)
    }

    /// One step on the images at `indices` of `set`; `rng` draws the augmentations.
    public func step(_ set: ImageSet, _ indices: [Int], rng: inout PhiloxRNG, adam: AdamParams) throws -> Double {
        let side = tower.config.encoder.imageSize, px = side * side
        var views: [Float] = []
        views.reserveCapacity(2 * indices.count * px)
        for i in indices {
            let img = set.image(i)[...]
            views += Augmentation.view(img, side: side, rng: &rng)
            views += Augmentation.view(img, side: side, rng: &rng)
        }
        let m = 2 * indices.count, t = tower.tokensPerImage, d = tower.config.outDim
        let (tokens, cache) = tower.forward(views)
        var u = [Float](repeating: 0, count: m * d)
        for i in 0..<m { for j in 0..<t { for c in 0..<d { u[i * d + c] += tokens[(i * t + j) * d + c] / Float(t) } } }
        let (loss, du) = ContrastivePretraining.ntXent(u, rows: m, dim: d, temperature: temperature)
        guard loss.isFinite else { throw LatheError("contrastive loss is \(loss) at step \(step + 1)") }
        let dTokens = FloatBuffer(uninitialized: m * t * d)
        for i in 0..<m { for j in 0..<t { for c in 0..<d { dTokens[(i * t + j) * d + c] = du[i * d + c] / Float(t) } } }
        tower.params.zeroGrad()
        tower.backward(dTokens.pointer, cache)
        _ = try optimizer.update(tower.params.optimizedTensors, adam)
        flops += 3 * Double(m) * tower.forwardFLOPs
        return loss
    }
}
