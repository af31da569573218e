import Foundation
import Testing
import Tensor
import Engine
@testable import Vision

/// Backward of the vision tower against central finite differences of the fp32 loss along a random direction per
/// tensor (as Tests/EngineTests/GradientTests.swift), ε = 1e-2.
struct TowerGradientTests {
    static let tiny = VisionTowerConfig(encoder: PatchEncoderConfig(imageSize: 8, patchSize: 2, dim: 8, heads: 2, layers: 2, mlpHidden: 12),
                                        merge: 2, projectorHidden: 6, outDim: 16)

    static func images(_ count: Int, seed: UInt64) -> [Float] {
        var rng = PhiloxRNG(seed: seed)
        return (0..<(count * 64)).map { _ in rng.nextFloat() }
    }

    static func check(_ tower: VisionTower, loss: () throws -> Double) rethrows {
        for p in tower.params.all {
            var rng = PhiloxRNG(seed: UInt64(p.name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
            let dir = (0..<p.count).map { _ in rng.nextGaussian() }
            let norm = Float(dir.reduce(0) { $0 + Double($1 * $1) }.squareRoot())
            let eps: Float = 1e-2
            let saved = p.value.array
            for i in 0..<p.count { p.value[i] = saved[i] + eps * dir[i] / norm }
            let plus = try loss()
            for i in 0..<p.count { p.value[i] = saved[i] - eps * dir[i] / norm }
            let minus = try loss()
            for i in 0..<p.count { p.value[i] = saved[i] }
            let numeric = (plus - minus) / Double(2 * eps)
            var analytic = 0.0
            for i in 0..<p.count { analytic += Double(p.grad[i]) * Double(dir[i] / norm) }
            // fp32 forward noise puts ~5e-4 of error into the difference (measured: it moves that much with ε), so
            // gradients below ~0.05 are held to 1e-3 absolute, the rest to 2 % relative.
            #expect(abs(numeric - analytic) < max(2e-2 * abs(numeric), 1e-3), "\(p.name): finite difference \(numeric), backward \(analytic)")
        }
    }

    @Test func imageToTokenShapes() throws {
        let tower = try VisionTower(config: VisionTowerConfig(), seed: 1)
        #expect(tower.config.encoder.patches == 16 && tower.tokensPerImage == 4)
        let (tokens, _) = tower.forward(TowerGradientTests.images(3, seed: 2).map { _ in 0.5 } + [Float](repeating: 0, count: 3 * 784 - 3 * 64))
        #expect(tokens.count == 3 * 4 * 256)
        let small = try VisionTower(config: TowerGradientTests.tiny, seed: 1)
        #expect(small.tokensPerImage == 4)                      // 8×8 image, 2×2 patches → 4×4 grid, merged 2×2 → 2×2
        #expect(small.pooledFeatures(TowerGradientTests.images(5, seed: 3), batch: 2).count == 5 * 8)
        let imgs = TowerGradientTests.images(5, seed: 3)
        let chunked = small.tokens(imgs, batch: 2), whole = small.forward(imgs).0.array
        #expect(chunked.count == 5 * 4 * 16)
        #expect(zip(chunked, whole).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }, "chunked tokens differ from one forward")
    }

    /// L = Σ cᵢ·tokensᵢ with fixed random c: the tower's own backward.
    @Test func towerGradientsMatchFiniteDifferences() throws {
        let tower = try VisionTower(config: TowerGradientTests.tiny, seed: 5)
        // Larger weights than the init so attention and norms are far from their linear regime.
        // Sharper attention (q, k ×10) and larger weights than the init, so every block is far from linear and the
        // q/k gradients are well above the fp32 noise of the loss.
        for p in tower.params.all where p.shape.count == 2 {
            let s: Float = p.name.hasSuffix("q.weight") || p.name.hasSuffix("k.weight") ? 10 : 2
            for i in 0..<p.count { p.value[i] *= s }
        }
        let imgs = TowerGradientTests.images(3, seed: 9)
        var rng = PhiloxRNG(seed: 11)
        let c = (0..<(3 * 4 * 16)).map { _ in rng.nextGaussian() }
        func loss() -> Double {
            let (t, _) = tower.forward(imgs)
            return (0..<c.count).reduce(0.0) { $0 + Double(t[$1]) * Double(c[$1]) }
        }
        tower.params.zeroGrad()
        let (_, cache) = tower.forward(imgs)
        c.withUnsafeBufferPointer { tower.backward($0.baseAddress!, cache) }
        TowerGradientTests.check(tower, loss: loss)
    }

    /// Image tokens injected into a tiny Qwen3-MoE: caption cross-entropy back through the LM into the tower.
    @Test func languageModelLossReachesTheTower() throws {
        let lmConfig = Qwen3MoEConfig(vocabSize: 40, hiddenSize: 16, intermediateSize: 12, moeIntermediateSize: 8,
                                      numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 4,
                                      numExperts: 4, numExpertsPerTok: 2, normTopkProb: true, mlpOnlyLayers: [1],
                                      maxPositionEmbeddings: 64)
        let lm = Qwen3MoEModel.random(config: lmConfig, seed: 3, std: 0.3)
        let tower = try VisionTower(config: TowerGradientTests.tiny, seed: 7)
        for p in tower.params.all where p.shape.count == 2 { for i in 0..<p.count { p.value[i] *= 4 } }
        let imgs = TowerGradientTests.images(2, seed: 4)
        let per = 4 * 16
        func datums(_ tokens: FloatBuffer) -> [Datum] {
            (0..<2).map { b in
                var d = Datum(sequence: [1, 2, 3, 3, 3, 3, 5, 7, 9, 11, 2], weight: 0.5)
                d.weights[0...2] = [0, 0, 0]
                d.injected = InjectedEmbeddings(positions: [2, 3, 4, 5],
                                                values: Array(UnsafeBufferPointer(start: tokens.pointer + b * per, count: per)))
                return d
            }
        }
        func loss() throws -> Double { try TrainingGraph(model: lm).run(datums(tower.forward(imgs).0), backward: false).loss }
        tower.params.zeroGrad()
        let (tokens, cache) = tower.forward(imgs)
        let out = try TrainingGraph(model: lm).run(datums(tokens))
        let d = out.injectedGradients.flatMap { $0 }
        #expect(d.count == 2 * per)
        d.withUnsafeBufferPointer { tower.backward($0.baseAddress!, cache) }
        try TowerGradientTests.check(tower, loss: loss)
    }

    /// NT-Xent's gradient with respect to the embeddings, against finite differences per coordinate.
    @Test func contrastiveLossGradient() {
        var rng = PhiloxRNG(seed: 21)
        let m = 6, d = 5
        var u = (0..<(m * d)).map { _ in rng.nextGaussian() }
        let (_, du) = ContrastivePretraining.ntXent(u, rows: m, dim: d, temperature: 0.5)
        for i in stride(from: 0, to: m * d, by: 3) {
            let saved = u[i]
            u[i] = saved + 1e-2; let plus = ContrastivePretraining.ntXent(u, rows: m, dim: d, temperature: 0.5).0
            u[i] = saved - 1e-2; let minus = ContrastivePretraining.ntXent(u, rows: m, dim: d, temperature: 0.5).0
            u[i] = saved
            let numeric = (plus - minus) / 2e-2
            #expect(abs(numeric - Double(du[i])) < 2e-2 * max(abs(numeric), 0.05), "u[\(i)]: \(numeric) vs \(du[i])")
        }
    }
}
