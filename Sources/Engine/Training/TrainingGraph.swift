import Foundation
import Tensor

/// What a forward(+backward) pass over a batch of Datums returns.
public struct ForwardBackwardOutput: Sendable {
    public var loss: Double                   // −Σ wᵢ·log pᵢ (+ coef·aux when the load-balancing loss is on)
    public var logprobs: [[Float]]            // per datum, log p(targets[i] | tokens[0…i])
    public var tokens: Int                    // positions processed
    public var weightSum: Double
    public var auxLoss: Double?               // transformers' load_balancing_loss (without the coefficient)
    public var expertLoad: [[Double]]         // per sparse layer: fraction of routed slots per expert
    public var clipFraction: Double = 0       // PPO-style losses: scored positions whose ratio was clipped
    public var kl: Double? = nil              // with a KL penalty in the loss: Σ wᵢ·k(ℓᵢ, refᵢ) (before the coefficient)
    public var injectedGradients: [[Float]] = []   // per datum, d loss / d injected values [positions, H] (backward only)
    public var routing: [RouterRecord] = []   // per sparse layer, when asked for
}

/// What a pass through a linear head returns.
public struct HeadOutput: Sendable {
    public var loss: Double
    public var outputs: [[[Float]]]           // per datum, per position, [head outputs]
    public var tokens: Int
    public var expertLoad: [[Double]]
    public var injectedGradients: [[Float]] = []
    public var routing: [RouterRecord] = []
}

/// A sparse layer's routing of every row of a pass.
public struct RouterRecord: @unchecked Sendable {
    public let experts: Int
    public let probs: FloatBuffer             // [N, E] router softmax
    public let chosen: [[Int]]                // per row, top-k experts

    /// Mean entropy of the router distribution over rows, in nats.
    public var meanEntropy: Double {
        let n = chosen.count
        guard n > 0 else { return 0 }
        var s = 0.0
        for i in 0..<(n * experts) { let p = Double(probs[i]); if p > 0 { s -= p * log(p) } }
        return s / Double(n)
    }

    /// Mean KL(self ‖ other) of the router distributions row by row, and the fraction of rows whose top-k set differs.
    public func drift(from other: RouterRecord) -> (kl: Double, changed: Double) {
        precondition(other.chosen.count == chosen.count && other.experts == experts, "drift: the passes differ in shape")
        let n = chosen.count
        guard n > 0 else { return (0, 0) }
        var kl = 0.0, changed = 0
        for r in 0..<n {
            for j in 0..<experts {
                let p = Double(probs[r * experts + j]), q = Double(other.probs[r * experts + j])
                if p > 0 { kl += p * (log(p) - log(max(q, 1e-30))) }
            }
            if Set(chosen[r]) != Set(other.chosen[r]) { changed += 1 }
        }
        return (kl / Double(n), Double(changed) / Double(n))
    }
}

/// A KL penalty to a reference policy inside the loss: coef · Σ wᵢ · k(ℓᵢ, refᵢ).
public struct KLPenalty: Sendable, Equatable {
    public var coef: Float
    public var estimator: KLEstimator
    public init(coef: Float, estimator: KLEstimator) { self.coef = coef; self.estimator = estimator }
}

/// The whole-model training pass: a forward that records what backward needs (the `Cache` structs), the loss, and
/// a backward that accumulates into LoRA gradients and/or full-parameter gradients. All Datums are concatenated into
/// one [N, ·] row block so every projection is one GEMM (experts: one GEMM per expert over its routed rows); attention
/// runs per sequence.
public final class TrainingGraph {
    public let model: Qwen3MoEModel
    public let adapter: LoRAAdapter?
    public let gradients: ModelGradients?
    /// transformers' router_aux_loss_coef when the load-balancing loss is on; nil = off.
    public let auxLossCoef: Float?
    public init(model: Qwen3MoEModel, adapter: LoRAAdapter? = nil, gradients: ModelGradients? = nil,
                auxLossCoef: Float? = nil) {
        self.model = model; self.adapter = adapter; self.gradients = gradients; self.auxLossCoef = auxLossCoef
        AllocatorTuning.keepFreedMemory()
    }

    // MARK: caches

    struct LinearCache { var xa: FloatBuffer? }

    struct ExpertCache {
        var rows: [Int]            // routed row indices
        var slot: [Int]            // which of the row's top-k choices this is
        var weights: [Float]
        var x: FloatBuffer         // [n, H] gathered inputs
        var g: FloatBuffer, u: FloatBuffer, act: FloatBuffer   // [n, I]
        var y: FloatBuffer         // [n, H] expert output before weighting
        var gate: LinearCache, up: LinearCache, down: LinearCache
    }

    struct MoECache {
        var probs: FloatBuffer     // [N, E] softmax of router logits
        var chosen: [[Int]]        // per row, top-k experts
        var weights: [[Float]]     // per row, mixing weights (renormalised when norm_topk_prob)
        var experts: [ExpertCache?]
    }

    struct DenseCache {
        var g: FloatBuffer, u: FloatBuffer, act: FloatBuffer
        var gate: LinearCache, up: LinearCache, down: LinearCache
    }

    struct LayerCache {
        var xIn: FloatBuffer, rstd1: [Float], xn1: FloatBuffer
        var qRaw: FloatBuffer, kRaw: FloatBuffer, v: FloatBuffer
        var qRstd: [Float], kRstd: [Float]
        var qRot: FloatBuffer, kRot: FloatBuffer
        var probs: [FloatBuffer]   // per datum [heads, T, T]
        var att: FloatBuffer
        var q: LinearCache, k: LinearCache, vLin: LinearCache, o: LinearCache
        var h: FloatBuffer, rstd2: [Float], xn2: FloatBuffer
        var dense: DenseCache?
        var moe: MoECache?
    }

    // MARK: the trunk: embedding → decoder layers → final norm

    /// Everything the forward records for the backward, up to the final normed hidden state.
    struct Trunk {
        var n: Int
        var offsets: [Int], lengths: [Int]
        var ids: [Int]
        var x: FloatBuffer                 // [N, H] residual stream after the last layer
        var caches: [LayerCache]
        var xnF: FloatBuffer               // [N, H] final normed hidden state
        var rstdF: [Float]
        var injectedRows: [[Int]]          // per datum, the rows whose input was injected
        var lora: LoRAAdapter?
    }

    func validate(_ batch: [Datum], loss: LossFunction) throws {
        let c = model.config
        guard !batch.isEmpty else { throw LatheError("forward_backward: the batch is empty") }
        for (i, d) in batch.enumerated() {
            try d.validate(index: i, vocabSize: c.vocabSize, hiddenSize: c.hiddenSize)
            if loss.isPolicyGradient {
                guard d.samplingLogprobs?.count == d.tokens.count, d.advantages?.count == d.tokens.count else {
                    throw LatheError("datum \(i): loss \(loss.name) needs logprobs and advantages, one per position")
                }
            }
        }
        if let longest = batch.map(\.tokens.count).max(), longest > c.maxPositionEmbeddings {
            throw LatheError("a datum of \(longest) tokens exceeds max_position_embeddings \(c.maxPositionEmbeddings)")
        }
    }

    func trunkForward(_ batch: [Datum]) -> Trunk {
        let c = model.config
        let h = c.hiddenSize
        let lengths = batch.map(\.tokens.count)
        var offsets: [Int] = []
        var n = 0
        for t in lengths { offsets.append(n); n += t }
        model.rotary.reserve(lengths.max()!)
        let lora = adapter?.enabled == true ? adapter : nil

        // Embedding rows, or the injected vectors (image tokens, soft prompts) where a datum gives them.
        let x = FloatBuffer(uninitialized: n * h)
        let ids = batch.flatMap(\.tokens)
        for (row, id) in ids.enumerated() { model.embedding.rows(id ..< id + 1).widen(into: x.pointer + row * h) }
        var injectedRows: [[Int]] = []
        for (b, d) in batch.enumerated() {
            guard let inj = d.injected else { injectedRows.append([]); continue }
            let rows = inj.positions.map { offsets[b] + $0 }
            inj.values.withUnsafeBufferPointer { v in
                for (j, r) in rows.enumerated() { (x.pointer + r * h).update(from: v.baseAddress! + j * h, count: h) }
            }
            injectedRows.append(rows)
        }

        var caches: [LayerCache] = []
        for l in 0..<model.layers.count {
            caches.append(layerForward(l, x: x, rows: n, offsets: offsets, lengths: lengths, lora: lora?.layers[l]))
        }
        let eps = Float(c.rmsNormEps)
        let xnF = FloatBuffer(uninitialized: n * h)
        var rstdF = [Float](repeating: 0, count: n)
        for r in 0..<n { rstdF[r] = Kernels.rmsNorm(x.pointer + r * h, model.finalNorm.pointer, xnF.pointer + r * h, h, eps: eps) }
        return Trunk(n: n, offsets: offsets, lengths: lengths, ids: ids, x: x, caches: caches, xnF: xnF, rstdF: rstdF,
                     injectedRows: injectedRows, lora: lora)
    }

    /// Given d(loss)/d(final normed hidden state) [N, H]: accumulates every gradient below it and returns, per datum,
    /// d(loss)/d(injected values) [positions, H] (empty for a datum without injected inputs).
    func trunkBackward(_ t: Trunk, dxnF: FloatBuffer, auxGrad: [Float]?) -> [[Float]] {
        let h = model.config.hiddenSize, n = t.n
        let dx = FloatBuffer(uninitialized: n * h)
        for r in 0..<n {
            Kernels.rmsNormBackward(dxnF.pointer + r * h, x: t.x.pointer + r * h, weight: model.finalNorm.pointer,
                                    rstd: t.rstdF[r], h, dx: dx.pointer + r * h, accumulate: false,
                                    dWeight: gradients?.finalNorm.pointer)
        }
        for l in stride(from: model.layers.count - 1, through: 0, by: -1) {
            layerBackward(l, t.caches[l], dx: dx, rows: n, offsets: t.offsets, lengths: t.lengths, lora: t.lora?.layers[l],
                          auxGrad: auxGrad)
        }
        var injected = Set<Int>()
        for rows in t.injectedRows { injected.formUnion(rows) }
        if let g = gradients {
            for (row, id) in t.ids.enumerated() where !injected.contains(row) {
                Kernels.axpy(1, dx.pointer + row * h, g.embedding.pointer + id * h, h)
            }
        }
        return t.injectedRows.map { rows in
            var out = [Float](repeating: 0, count: rows.count * h)
            out.withUnsafeMutableBufferPointer { o in
                for (j, r) in rows.enumerated() { (o.baseAddress! + j * h).update(from: dx.pointer + r * h, count: h) }
            }
            return out
        }
    }

    /// transformers' load-balancing loss over all sparse layers' rows (as it concatenates them), its gradient with
    /// respect to every row's router probabilities (scaled by `coef`), and the per-layer expert load.
    func loadBalancing(_ t: Trunk, coef: Float?, lossScale: Float) -> (aux: Double?, grad: [Float]?, load: [[Double]]) {
        let c = model.config, n = t.n
        let sparse = t.caches.compactMap(\.moe)
        guard !sparse.isEmpty else { return (nil, nil, []) }
        let e = c.numExperts, k = c.numExpertsPerTok
        let rowsAll = Double(sparse.count * n)
        var f = [Double](repeating: 0, count: k * e), pMean = [Double](repeating: 0, count: e)
        var load: [[Double]] = []
        for m in sparse {
            var layerLoad = [Double](repeating: 0, count: e)
            for r in 0..<n {
                for (slot, x) in m.chosen[r].enumerated() { f[slot * e + x] += 1 / rowsAll; layerLoad[x] += 1 }
                for j in 0..<e { pMean[j] += Double(m.probs[r * e + j]) / rowsAll }
            }
            load.append(layerLoad.map { $0 / Double(n * k) })
        }
        var a = 0.0
        for s in 0..<k { for j in 0..<e { a += f[s * e + j] * pMean[j] } }
        let aux = a * Double(e)
        guard let coef else { return (aux, nil, load) }
        let grad = (0..<e).map { j in
            Float(Double(coef) * Double(e) * (0..<k).reduce(0.0) { $0 + f[$1 * e + j] } / rowsAll) * lossScale
        }
        return (aux, grad, load)
    }

    /// Per sparse layer: the router's probabilities and top-k choices for every row (telemetry: entropy, drift).
    func routerRecords(_ t: Trunk) -> [RouterRecord] {
        t.caches.compactMap(\.moe).map { RouterRecord(experts: model.config.numExperts, probs: $0.probs, chosen: $0.chosen) }
    }

    // MARK: the pass

    /// Forward; then, if `backward`, the gradient of `lossScale · loss` accumulated into the adapter's and/or the
    /// full-parameter gradients. With `kl`, each scored position adds coef·wᵢ·k(ℓᵢ, refᵢ) (the Datums carry the
    /// reference logprobs): a KL penalty to the reference policy in the loss.
    public func run(_ batch: [Datum], backward: Bool = true, lossScale: Float = 1,
                    loss lossFunction: LossFunction = .crossEntropy, kl: KLPenalty? = nil,
                    recordRouting: Bool = false) throws -> ForwardBackwardOutput {
        try validate(batch, loss: lossFunction)
        if kl != nil, let i = batch.firstIndex(where: { $0.referenceLogprobs?.count != $0.tokens.count }) {
            throw LatheError("datum \(i): a KL penalty in the loss needs reference logprobs, one per position")
        }
        let c = model.config
        let v = c.vocabSize
        let t = trunkForward(batch)
        let n = t.n, lora = t.lora

        // LM head, loss.
        let logits = FloatBuffer(uninitialized: n * v)
        let headCache = LinearCache(xa: lora?.lmHead.map { FloatBuffer(count: n * $0.rank) })
        Linear.forward(t.xnF.pointer, rows: n, model.lmHead, lora: lora?.lmHead, logits.pointer, xa: headCache.xa)
        let targets = batch.flatMap(\.targets), weights = batch.flatMap(\.weights)
        let sampling = lossFunction.isPolicyGradient ? batch.flatMap { $0.samplingLogprobs! } : []
        let advantages = lossFunction.isPolicyGradient ? batch.flatMap { $0.advantages! } : []
        let reference = kl != nil ? batch.flatMap { $0.referenceLogprobs! } : []
        var loss = 0.0, weightSum = 0.0, clippedCount = 0, scored = 0, klSum = 0.0
        var logprobs: [[Float]] = batch.map { [Float](repeating: 0, count: $0.tokens.count) }
        for b in 0..<batch.count {
            for i in 0..<t.lengths[b] {
                let r = t.offsets[b] + i
                let row = logits.pointer + r * v
                let lse = Kernels.logSumExp(row, v)
                let lp = row[targets[r]] - lse
                logprobs[b][i] = lp
                let w = weights[r]
                var term = lossFunction.term(logprob: lp, weight: w, samplingLogprob: sampling.isEmpty ? 0 : sampling[r],
                                             advantage: advantages.isEmpty ? 0 : advantages[r])
                if let kl, w != 0 {
                    let k = kl.estimator.value(logprob: lp, referenceLogprob: reference[r])
                    klSum += Double(w) * k
                    term.loss += Double(kl.coef) * Double(w) * k
                    term.dLogprob += kl.coef * w * kl.estimator.derivative(logprob: lp, referenceLogprob: reference[r])
                }
                loss += term.loss
                weightSum += Double(w)
                if w != 0 { scored += 1; if term.clipped { clippedCount += 1 } }
                // dL/dlogits = (df/dℓ)·(onehot − softmax) = s·(softmax − onehot) with s = −df/dℓ (scaled); rows
                // with no gradient are zeroed.
                if backward {
                    let s = -term.dLogprob * lossScale
                    if s == 0 { row.update(repeating: 0, count: v) } else {
                        _ = Kernels.expInto(row, row, v, minus: lse, scale: s)
                        row[targets[r]] -= s
                    }
                }
            }
        }
        if !loss.isFinite {
            throw LatheError("loss is \(loss) (non-finite) at the forward pass")
        }
        let balance = loadBalancing(t, coef: auxLossCoef, lossScale: lossScale)
        if let coef = auxLossCoef, let aux = balance.aux { loss += Double(coef) * aux }

        var injectedGradients: [[Float]] = []
        if backward {
            let dxnF = FloatBuffer(count: n * c.hiddenSize)
            Linear.backward(logits.pointer, rows: n, x: t.xnF.pointer, model.lmHead, lora: lora?.lmHead, xa: headCache.xa,
                            dx: dxnF.pointer, dW: gradients.map { ($0.lmHead ?? $0.embedding).pointer })
            injectedGradients = trunkBackward(t, dxnF: dxnF, auxGrad: balance.grad)
        }
        return ForwardBackwardOutput(loss: loss, logprobs: logprobs, tokens: n, weightSum: weightSum, auxLoss: balance.aux,
                                     expertLoad: balance.load, clipFraction: scored > 0 ? Double(clippedCount) / Double(scored) : 0,
                                     kl: kl != nil ? klSum : nil, injectedGradients: injectedGradients,
                                     routing: recordRouting ? routerRecords(t) : [])
    }

    /// A linear head on the final normed hidden state instead of the LM head: outputs yₚ = W·hₚ + b at the chosen
    /// positions of each datum; `objective` turns them into a loss and d(loss)/d(outputs). With `backward`, the
    /// gradient of `lossScale · loss` accumulates into the head, the adapter (and full-parameter gradients).
    public func runHead(_ batch: [Datum], positions: [[Int]], head: LinearHead, backward: Bool = true, lossScale: Float = 1,
                        recordRouting: Bool = false,
                        objective: (_ outputs: [[[Float]]]) throws -> (loss: Double, gradients: [[[Float]]])) throws -> HeadOutput {
        try validate(batch, loss: .crossEntropy)
        guard positions.count == batch.count else {
            throw LatheError("head: \(positions.count) position lists for \(batch.count) datums")
        }
        for (b, ps) in positions.enumerated() {
            if let bad = ps.first(where: { !(0..<batch[b].tokens.count).contains($0) }) {
                throw LatheError("datum \(b): head position \(bad) is outside 0..<\(batch[b].tokens.count)")
            }
        }
        let h = model.config.hiddenSize
        guard head.inputs == h else { throw LatheError("head: \(head.inputs) inputs for a hidden size of \(h)") }
        let t = trunkForward(batch)
        var outputs: [[[Float]]] = []
        for (b, ps) in positions.enumerated() {
            outputs.append(ps.map { p in head.apply(t.xnF.pointer + (t.offsets[b] + p) * h) })
        }
        let (loss, dOut) = try objective(outputs)
        guard loss.isFinite else { throw LatheError("head loss is \(loss) (non-finite) at the forward pass") }
        let balance = loadBalancing(t, coef: auxLossCoef, lossScale: lossScale)
        var injectedGradients: [[Float]] = []
        if backward {
            guard dOut.count == batch.count, zip(dOut, positions).allSatisfy({ $0.count == $1.count }),
                  dOut.allSatisfy({ $0.allSatisfy { $0.count == head.outputs } }) else {
                throw LatheError("head objective: gradients must have the outputs' shape")
            }
            let dxnF = FloatBuffer(count: t.n * h)
            for (b, ps) in positions.enumerated() {
                for (j, p) in ps.enumerated() {
                    let row = t.offsets[b] + p
                    head.backward(dOut[b][j].map { $0 * lossScale }, x: t.xnF.pointer + row * h, dx: dxnF.pointer + row * h)
                }
            }
            injectedGradients = trunkBackward(t, dxnF: dxnF, auxGrad: balance.grad)
        }
        return HeadOutput(loss: loss, outputs: outputs, tokens: t.n, expertLoad: balance.load,
                          injectedGradients: injectedGradients, routing: recordRouting ? routerRecords(t) : [])
    }

    // MARK: layer forward

    func linearCache(_ m: LoRAModule?, rows n: Int) -> LinearCache { LinearCache(xa: m.map { FloatBuffer(count: n * $0.rank) }) }

    func layerForward(_ l: Int, x: FloatBuffer, rows n: Int, offsets: [Int], lengths: [Int], lora: LayerLoRA?) -> LayerCache {
        let c = model.config, layer = model.layers[l], a = layer.attention
        let h = c.hiddenSize, d = c.headDim, nH = c.numAttentionHeads, nKV = c.numKeyValueHeads
        let qDim = model.qDim, kvDim = model.kvDim
        let eps = Float(c.rmsNormEps)
        let xIn = FloatBuffer(uninitialized: n * h)
        xIn.pointer.update(from: x.pointer, count: n * h)
        let xn1 = FloatBuffer(uninitialized: n * h)
        var rstd1 = [Float](repeating: 0, count: n)
        for r in 0..<n { rstd1[r] = Kernels.rmsNorm(x.pointer + r * h, layer.inputNorm.pointer, xn1.pointer + r * h, h, eps: eps) }
        let qRaw = FloatBuffer(uninitialized: n * qDim), kRaw = FloatBuffer(uninitialized: n * kvDim)
        let vBuf = FloatBuffer(uninitialized: n * kvDim)
        let qc = linearCache(lora?.q, rows: n), kc = linearCache(lora?.k, rows: n), vc = linearCache(lora?.v, rows: n)
        Linear.forward(xn1.pointer, rows: n, a.q, lora: lora?.q, qRaw.pointer, xa: qc.xa)
        Linear.forward(xn1.pointer, rows: n, a.k, lora: lora?.k, kRaw.pointer, xa: kc.xa)
        Linear.forward(xn1.pointer, rows: n, a.v, lora: lora?.v, vBuf.pointer, xa: vc.xa)
        // Per-head q/k RMSNorm, then RoPE at each datum's own positions.
        let qRot = FloatBuffer(uninitialized: n * qDim), kRot = FloatBuffer(uninitialized: n * kvDim)
        var qRstd = [Float](repeating: 0, count: n * nH), kRstd = [Float](repeating: 0, count: n * nKV)
        for b in 0..<lengths.count {
            for i in 0..<lengths[b] {
                let r = offsets[b] + i
                for hd in 0..<nH {
                    let src = qRaw.pointer + r * qDim + hd * d, dst = qRot.pointer + r * qDim + hd * d
                    qRstd[r * nH + hd] = Kernels.rmsNorm(src, a.qNorm.pointer, dst, d, eps: eps)
                    model.rotary.apply(dst, pos: i)
                }
                for hd in 0..<nKV {
                    let src = kRaw.pointer + r * kvDim + hd * d, dst = kRot.pointer + r * kvDim + hd * d
                    kRstd[r * nKV + hd] = Kernels.rmsNorm(src, a.kNorm.pointer, dst, d, eps: eps)
                    model.rotary.apply(dst, pos: i)
                }
            }
        }
        // Causal attention per datum and head: P = softmax(q·kᵀ/√d), out = P·v.
        let att = FloatBuffer(uninitialized: n * qDim)
        let scale = 1 / Float(d).squareRoot()
        let group = nH / nKV
        var probs: [FloatBuffer] = []
        for b in 0..<lengths.count {
            let t = lengths[b], off = offsets[b]
            let p = FloatBuffer(uninitialized: nH * t * t)
            for hd in 0..<nH {
                let g = hd / group
                let s = p.pointer + hd * t * t
                BLAS.sgemm(transB: true, m: t, n: t, k: d, alpha: scale, a: qRot.pointer + off * qDim + hd * d, lda: qDim,
                           b: kRot.pointer + off * kvDim + g * d, ldb: kvDim, c: s, ldc: t)
                for i in 0..<t {
                    Kernels.softmax(s + i * t, i + 1)
                    if i + 1 < t { (s + i * t + i + 1).update(repeating: 0, count: t - i - 1) }
                }
                BLAS.sgemm(m: t, n: d, k: t, a: s, lda: t, b: vBuf.pointer + off * kvDim + g * d, ldb: kvDim,
                           c: att.pointer + off * qDim + hd * d, ldc: qDim)
            }
            probs.append(p)
        }
        let oc = linearCache(lora?.o, rows: n)
        Linear.forward(att.pointer, rows: n, a.o, lora: lora?.o, x.pointer, xa: oc.xa, accumulate: true)   // x += o(att)
        let hBuf = FloatBuffer(uninitialized: n * h)
        hBuf.pointer.update(from: x.pointer, count: n * h)
        let xn2 = FloatBuffer(uninitialized: n * h)
        var rstd2 = [Float](repeating: 0, count: n)
        for r in 0..<n { rstd2[r] = Kernels.rmsNorm(x.pointer + r * h, layer.postAttentionNorm.pointer, xn2.pointer + r * h, h, eps: eps) }
        var cache = LayerCache(xIn: xIn, rstd1: rstd1, xn1: xn1, qRaw: qRaw, kRaw: kRaw, v: vBuf, qRstd: qRstd, kRstd: kRstd,
                               qRot: qRot, kRot: kRot, probs: probs, att: att, q: qc, k: kc, vLin: vc, o: oc,
                               h: hBuf, rstd2: rstd2, xn2: xn2, dense: nil, moe: nil)
        switch layer.feedForward {
        case .dense(let mlp):
            let dl = lora?.dense
            cache.dense = mlpForward(mlp, lora: dl.map { ($0.gate, $0.up, $0.down) }, x: xn2.pointer, rows: n,
                                     out: x.pointer).0
        case .sparse(let moe):
            cache.moe = moeForward(moe, lora: lora?.experts ?? [], x: xn2.pointer, rows: n, out: x.pointer)
        }
        return cache
    }

    /// The SiLU-gated MLP on n rows: with `out`, out += down(silu(gate(x))·up(x)); without, the output is returned
    /// (experts weight it per row).
    func mlpForward(_ mlp: GatedMLPWeights, lora: (LoRAModule, LoRAModule, LoRAModule)?, x: UnsafePointer<Float>,
                    rows n: Int, out: UnsafeMutablePointer<Float>?) -> (DenseCache, FloatBuffer?) {
        let i = mlp.gate.rows, h = mlp.down.rows
        let g = FloatBuffer(uninitialized: n * i), u = FloatBuffer(uninitialized: n * i)
        let act = FloatBuffer(uninitialized: n * i)
        let gc = linearCache(lora?.0, rows: n), uc = linearCache(lora?.1, rows: n), dc = linearCache(lora?.2, rows: n)
        Linear.forward(x, rows: n, mlp.gate, lora: lora?.0, g.pointer, xa: gc.xa)
        Linear.forward(x, rows: n, mlp.up, lora: lora?.1, u.pointer, xa: uc.xa)
        Kernels.swiGLU(g.pointer, u.pointer, act.pointer, n * i)
        let cache = DenseCache(g: g, u: u, act: act, gate: gc, up: uc, down: dc)
        if let out {
            Linear.forward(act.pointer, rows: n, mlp.down, lora: lora?.2, out, xa: dc.xa, accumulate: true)
            return (cache, nil)
        }
        let y = FloatBuffer(uninitialized: n * h)
        Linear.forward(act.pointer, rows: n, mlp.down, lora: lora?.2, y.pointer, xa: dc.xa)
        return (cache, y)
    }

    func moeForward(_ moe: SparseMoEWeights, lora: [(gate: LoRAModule, up: LoRAModule, down: LoRAModule)],
                    x: UnsafePointer<Float>, rows n: Int, out: UnsafeMutablePointer<Float>) -> MoECache {
        let h = moe.router.cols, e = moe.experts.count
        let logits = FloatBuffer(uninitialized: n * e), probs = FloatBuffer(uninitialized: n * e)
        BLAS.matmulWeightT(x, rows: n, moe.router, logits.pointer)
        var chosen: [[Int]] = [], weights: [[Float]] = []
        var assigned = [[(row: Int, slot: Int, w: Float)]](repeating: [], count: e)
        for r in 0..<n {
            let route = moe.route(logits: logits.pointer + r * e, probs: probs.pointer + r * e)
            chosen.append(route.experts); weights.append(route.weights)
            for (s, xe) in route.experts.enumerated() { assigned[xe].append((r, s, route.weights[s])) }
        }
        var experts: [ExpertCache?] = []
        for xe in 0..<e {
            let rows = assigned[xe]
            guard !rows.isEmpty else { experts.append(nil); continue }
            let m = rows.count
            let xb = FloatBuffer(uninitialized: m * h)
            for (j, a) in rows.enumerated() { (xb.pointer + j * h).update(from: x + a.row * h, count: h) }
            let l = lora.isEmpty ? nil : lora[xe]
            let (dc, yOpt) = mlpForward(moe.experts[xe], lora: l.map { ($0.gate, $0.up, $0.down) }, x: xb.pointer, rows: m,
                                        out: nil)
            let y = yOpt!
            for (j, a) in rows.enumerated() { Kernels.axpy(a.w, y.pointer + j * h, out + a.row * h, h) }
            experts.append(ExpertCache(rows: rows.map(\.row), slot: rows.map(\.slot), weights: rows.map(\.w), x: xb,
                                       g: dc.g, u: dc.u, act: dc.act, y: y, gate: dc.gate, up: dc.up, down: dc.down))
        }
        return MoECache(probs: probs, chosen: chosen, weights: weights, experts: experts)
    }

    // MARK: layer backward

    /// dx: on entry d(layer output); on exit d(layer input).
    func layerBackward(_ l: Int, _ c: LayerCache, dx: FloatBuffer, rows n: Int, offsets: [Int], lengths: [Int],
                       lora: LayerLoRA?, auxGrad: [Float]?) {
        let cfg = model.config, layer = model.layers[l], a = layer.attention
        let h = cfg.hiddenSize, d = cfg.headDim, nH = cfg.numAttentionHeads, nKV = cfg.numKeyValueHeads
        let qDim = model.qDim, kvDim = model.kvDim
        let g = gradients?.layers[l]

        // Feed-forward: out = h + ffn(norm2(h)).
        let dxn2 = FloatBuffer(count: n * h)
        switch layer.feedForward {
        case .dense(let mlp):
            let dl = lora?.dense
            mlpBackward(mlp, lora: dl.map { ($0.gate, $0.up, $0.down) }, cache: c.dense!, x: c.xn2.pointer, rows: n,
                        dy: dx.pointer, dx: dxn2.pointer, grads: g?.dense)
        case .sparse(let moe):
            moeBackward(moe, lora: lora?.experts ?? [], cache: c.moe!, x: c.xn2.pointer, rows: n, dy: dx.pointer,
                        dx: dxn2.pointer, grads: g, auxGrad: auxGrad)
        }
        for r in 0..<n {   // dh = dout + norm2ᵀ(dxn2), in place in dx
            Kernels.rmsNormBackward(dxn2.pointer + r * h, x: c.h.pointer + r * h, weight: layer.postAttentionNorm.pointer,
                                    rstd: c.rstd2[r], h, dx: dx.pointer + r * h, accumulate: true, dWeight: g?.postNorm.pointer)
        }

        // Attention: h = xIn + o(att(norm1(xIn))).
        let dAtt = FloatBuffer(count: n * qDim)
        Linear.backward(dx.pointer, rows: n, x: c.att.pointer, a.o, lora: lora?.o, xa: c.o.xa, dx: dAtt.pointer, dW: g?.o.pointer)
        let dq = FloatBuffer(count: n * qDim), dk = FloatBuffer(count: n * kvDim), dv = FloatBuffer(count: n * kvDim)
        let scale = 1 / Float(d).squareRoot()
        let group = nH / nKV
        for b in 0..<lengths.count {
            let t = lengths[b], off = offsets[b]
            let dP = FloatBuffer(uninitialized: t * t)
            for hd in 0..<nH {
                let gi = hd / group
                let p = c.probs[b].pointer + hd * t * t
                let dO = dAtt.pointer + off * qDim + hd * d
                // dV_g += Pᵀ·dO ; dP = dO·V_gᵀ
                BLAS.sgemm(transA: true, m: t, n: d, k: t, a: p, lda: t, b: dO, ldb: qDim, beta: 1,
                           c: dv.pointer + off * kvDim + gi * d, ldc: kvDim)
                BLAS.sgemm(transB: true, m: t, n: t, k: d, a: dO, lda: qDim, b: c.v.pointer + off * kvDim + gi * d, ldb: kvDim,
                           c: dP.pointer, ldc: t)
                // dS = P ⊙ (dP − rowsum(dP ⊙ P))
                for i in 0..<t {
                    let pr = p + i * t, dr = dP.pointer + i * t
                    var s: Float = 0
                    for j in 0...i { s += pr[j] * dr[j] }
                    for j in 0...i { dr[j] = pr[j] * (dr[j] - s) }
                    for j in (i + 1)..<max(t, i + 1) { dr[j] = 0 }
                }
                // dQ_h = scale·dS·K_g ; dK_g += scale·dSᵀ·Q_h
                BLAS.sgemm(m: t, n: d, k: t, alpha: scale, a: dP.pointer, lda: t, b: c.kRot.pointer + off * kvDim + gi * d,
                           ldb: kvDim, c: dq.pointer + off * qDim + hd * d, ldc: qDim)
                BLAS.sgemm(transA: true, m: t, n: d, k: t, alpha: scale, a: dP.pointer, lda: t,
                           b: c.qRot.pointer + off * qDim + hd * d, ldb: qDim, beta: 1,
                           c: dk.pointer + off * kvDim + gi * d, ldc: kvDim)
            }
            // RoPE and q/k norm backward, in place: dq, dk become gradients of qRaw, kRaw.
            for i in 0..<t {
                let r = off + i
                for hd in 0..<nH {
                    let p = dq.pointer + r * qDim + hd * d
                    Kernels.ropeBackward(p, cos: model.rotary.cos(i), sin: model.rotary.sin(i), headDim: d)
                    Kernels.rmsNormBackward(p, x: c.qRaw.pointer + r * qDim + hd * d, weight: a.qNorm.pointer,
                                            rstd: c.qRstd[r * nH + hd], d, dx: p, accumulate: false, dWeight: g?.qNorm.pointer)
                }
                for hd in 0..<nKV {
                    let p = dk.pointer + r * kvDim + hd * d
                    Kernels.ropeBackward(p, cos: model.rotary.cos(i), sin: model.rotary.sin(i), headDim: d)
                    Kernels.rmsNormBackward(p, x: c.kRaw.pointer + r * kvDim + hd * d, weight: a.kNorm.pointer,
                                            rstd: c.kRstd[r * nKV + hd], d, dx: p, accumulate: false, dWeight: g?.kNorm.pointer)
                }
            }
        }
        let dxn1 = FloatBuffer(count: n * h)
        Linear.backward(dq.pointer, rows: n, x: c.xn1.pointer, a.q, lora: lora?.q, xa: c.q.xa, dx: dxn1.pointer, dW: g?.q.pointer)
        Linear.backward(dk.pointer, rows: n, x: c.xn1.pointer, a.k, lora: lora?.k, xa: c.k.xa, dx: dxn1.pointer, dW: g?.k.pointer)
        Linear.backward(dv.pointer, rows: n, x: c.xn1.pointer, a.v, lora: lora?.v, xa: c.vLin.xa, dx: dxn1.pointer, dW: g?.v.pointer)
        for r in 0..<n {
            Kernels.rmsNormBackward(dxn1.pointer + r * h, x: c.xIn.pointer + r * h, weight: layer.inputNorm.pointer,
                                    rstd: c.rstd1[r], h, dx: dx.pointer + r * h, accumulate: true, dWeight: g?.inputNorm.pointer)
        }
    }

    /// Backward of the SiLU-gated MLP given dy = d(output) [n, H] (already weighted): dx [n, H] += ….
    func mlpBackward(_ mlp: GatedMLPWeights, lora: (LoRAModule, LoRAModule, LoRAModule)?, cache c: DenseCache,
                     x: UnsafePointer<Float>, rows n: Int, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                     grads: ModelGradients.MLP?) {
        let i = mlp.gate.rows
        let dAct = FloatBuffer(count: n * i)
        Linear.backward(dy, rows: n, x: c.act.pointer, mlp.down, lora: lora?.2, xa: c.down.xa, dx: dAct.pointer,
                        dW: grads?.down.pointer)
        let dG = FloatBuffer(uninitialized: n * i), dU = FloatBuffer(uninitialized: n * i)
        Kernels.swiGLUBackward(dAct.pointer, gate: c.g.pointer, up: c.u.pointer, dGate: dG.pointer, dUp: dU.pointer, n * i)
        Linear.backward(dG.pointer, rows: n, x: x, mlp.gate, lora: lora?.0, xa: c.gate.xa, dx: dx, dW: grads?.gate.pointer)
        Linear.backward(dU.pointer, rows: n, x: x, mlp.up, lora: lora?.1, xa: c.up.xa, dx: dx, dW: grads?.up.pointer)
    }

    func moeBackward(_ moe: SparseMoEWeights, lora: [(gate: LoRAModule, up: LoRAModule, down: LoRAModule)],
                     cache c: MoECache, x: UnsafePointer<Float>, rows n: Int, dy: UnsafePointer<Float>,
                     dx: UnsafeMutablePointer<Float>, grads: ModelGradients.Layer?, auxGrad: [Float]?) {
        let h = moe.router.cols, e = moe.experts.count, k = moe.topK
        var dWeights = [Float](repeating: 0, count: n * k)   // d loss / d mixing weight, per row and slot
        for (xe, ec) in c.experts.enumerated() {
            guard let ec else { continue }
            let m = ec.rows.count
            let dY = FloatBuffer(count: m * h), dXe = FloatBuffer(count: m * h)
            for j in 0..<m {
                let r = ec.rows[j]
                dWeights[r * k + ec.slot[j]] = Kernels.dot(dy + r * h, ec.y.pointer + j * h, h)
                Kernels.axpy(ec.weights[j], dy + r * h, dY.pointer + j * h, h)
            }
            let l = lora.isEmpty ? nil : lora[xe]
            let dc = DenseCache(g: ec.g, u: ec.u, act: ec.act, gate: ec.gate, up: ec.up, down: ec.down)
            mlpBackward(moe.experts[xe], lora: l.map { ($0.gate, $0.up, $0.down) }, cache: dc, x: ec.x.pointer, rows: m,
                        dy: dY.pointer, dx: dXe.pointer, grads: grads?.experts[xe])
            for j in 0..<m { Kernels.axpy(1, dXe.pointer + j * h, dx + ec.rows[j] * h, h) }
        }
        // Router: mixing weights → top-k probabilities (renormalised) → softmax → logits = x·Wrᵀ.
        let dLogits = FloatBuffer(uninitialized: n * e)
        var dp = [Float](repeating: 0, count: e)
        for r in 0..<n {
            let p = c.probs.pointer + r * e
            for j in 0..<e { dp[j] = 0 }
            let w = c.weights[r], chosen = c.chosen[r]
            if moe.normTopK {
                var s: Float = 0, dot: Float = 0
                for (slot, xe) in chosen.enumerated() { s += p[xe]; dot += dWeights[r * k + slot] * w[slot] }
                for (slot, xe) in chosen.enumerated() { dp[xe] = (dWeights[r * k + slot] - dot) / s }
            } else {
                for (slot, xe) in chosen.enumerated() { dp[xe] = dWeights[r * k + slot] }
            }
            if let auxGrad { for j in 0..<e { dp[j] += auxGrad[j] } }
            var s: Float = 0
            for j in 0..<e { s += dp[j] * p[j] }
            for j in 0..<e { dLogits[r * e + j] = p[j] * (dp[j] - s) }
        }
        BLAS.matmulWeight(dLogits.pointer, rows: n, moe.router, dx, accumulate: true)
        if let gr = grads?.router {
            BLAS.sgemm(transA: true, m: e, n: h, k: n, a: dLogits.pointer, lda: e, b: x, ldb: h, beta: 1, c: gr.pointer, ldc: h)
        }
    }
}
