import Foundation
import Tensor

/// One-token-at-a-time forward with a KV cache: the generation hot loop. Everything it touches is preallocated, the
/// parallel jobs are built once, and each GEMV row is reduced the same way however rows are split across threads, so a
/// sequence's logits do not depend on the thread count's row split or on what else is being decoded.
public final class TokenDecoder: @unchecked Sendable {
    public let model: Qwen3MoEModel
    public let pool: ThreadPool
    let h: Int, d: Int, nH: Int, nKV: Int, qDim: Int, kvDim: Int, vocab: Int
    let maxInter: Int, topK: Int, maxExperts: Int

    // Scratch: x [H], xn [H], q [qDim], att [qDim], tmp [H], scores [capacity], router [E], probs [E],
    // gate/up [topK·I], down [topK·H], logits [vocab].
    let x: FloatBuffer, xn: FloatBuffer, q: FloatBuffer, att: FloatBuffer, tmp: FloatBuffer
    var scores: FloatBuffer
    let routerLogits: FloatBuffer, probs: FloatBuffer
    let gate: FloatBuffer, up: FloatBuffer, down: FloatBuffer
    public let logits: FloatBuffer
    var chosen: [Int], chosenWeights: [Float]

    /// The adapter applied while decoding (nil or disabled: the base model). LoRA terms are added after each base GEMV.
    public var adapter: LoRAAdapter?
    let loraScratch: FloatBuffer

    // State read by the prebuilt jobs.
    var layer = 0
    var position = 0
    var cache: KVCache?
    var activeMLPs: [GatedMLPWeights] = []
    var activeLoRA: [(LoRAModule, LoRAModule, LoRAModule)?] = []
    var qkvJob: ((Int) -> Void)!, oJob: ((Int) -> Void)!, gateUpJob: ((Int) -> Void)!, downJob: ((Int) -> Void)!
    var lmHeadJob: ((Int) -> Void)!, attentionJob: ((Int) -> Void)!
    var attentionEps: Float = 0, attentionScale: Float = 0, attentionGroup = 1

    public init(model: Qwen3MoEModel, pool: ThreadPool) {
        self.model = model
        self.pool = pool
        let c = model.config
        h = c.hiddenSize; d = c.headDim; nH = c.numAttentionHeads; nKV = c.numKeyValueHeads
        qDim = model.qDim; kvDim = model.kvDim; vocab = c.vocabSize
        maxInter = max(c.moeIntermediateSize, c.intermediateSize)
        topK = max(1, c.numExpertsPerTok)
        maxExperts = max(1, c.numExperts)
        x = FloatBuffer(count: h); xn = FloatBuffer(count: h); q = FloatBuffer(count: qDim)
        att = FloatBuffer(count: qDim); tmp = FloatBuffer(count: h)
        scores = FloatBuffer(count: 1024)
        routerLogits = FloatBuffer(count: maxExperts); probs = FloatBuffer(count: maxExperts)
        gate = FloatBuffer(count: topK * maxInter); up = FloatBuffer(count: topK * maxInter)
        down = FloatBuffer(count: topK * h)
        logits = FloatBuffer(count: vocab)
        chosen = [Int](repeating: 0, count: topK)
        chosenWeights = [Float](repeating: 0, count: topK)
        activeMLPs.reserveCapacity(topK)
        loraScratch = FloatBuffer(count: 1024)
        buildJobs()
    }

    private func buildJobs() {
        let t = pool.threadCount
        qkvJob = { [unowned self] i in
            let a = self.model.layers[self.layer].attention, kv = self.cache!
            let kDst = kv.keys[self.layer].pointer + self.position * self.kvDim
            let vDst = kv.values[self.layer].pointer + self.position * self.kvDim
            GEMV.apply(a.q, self.xn.pointer, self.q.pointer, rows: GEMV.split(a.q.rows, part: i, of: t))
            GEMV.apply(a.k, self.xn.pointer, kDst, rows: GEMV.split(a.k.rows, part: i, of: t))
            GEMV.apply(a.v, self.xn.pointer, vDst, rows: GEMV.split(a.v.rows, part: i, of: t))
        }
        oJob = { [unowned self] i in
            let o = self.model.layers[self.layer].attention.o
            GEMV.apply(o, self.att.pointer, self.tmp.pointer, rows: GEMV.split(o.rows, part: i, of: t))
        }
        gateUpJob = { [unowned self] i in
            for (k, mlp) in self.activeMLPs.enumerated() {
                let r = GEMV.split(mlp.gate.rows, part: i, of: t)
                GEMV.apply(mlp.gate, self.xn.pointer, self.gate.pointer + k * self.maxInter, rows: r)
                GEMV.apply(mlp.up, self.xn.pointer, self.up.pointer + k * self.maxInter, rows: r)
            }
        }
        downJob = { [unowned self] i in
            for (k, mlp) in self.activeMLPs.enumerated() {
                GEMV.apply(mlp.down, self.gate.pointer + k * self.maxInter, self.down.pointer + k * self.h,
                           rows: GEMV.split(mlp.down.rows, part: i, of: t))
            }
        }
        // Attention for one token, heads split over the parts: q-norm, RoPE, softmax(q·kᵀ/√d)·v per head.
        attentionJob = { [unowned self] i in
            let kv = self.cache!, l = self.layer, a = self.model.layers[l].attention
            let keys = kv.keys[l].pointer, values = kv.values[l].pointer
            let context = self.position + 1, d = self.d
            let scores = self.scores.pointer + i * context
            let lo = self.nH * i / t, hi = self.nH * (i + 1) / t
            for head in lo..<hi {
                let qh = self.q.pointer + head * d
                Kernels.rmsNorm(qh, a.qNorm.pointer, qh, d, eps: self.attentionEps)
                self.model.rotary.apply(qh, pos: self.position)
                let g = head / self.attentionGroup
                for j in 0..<context { scores[j] = Kernels.dot(qh, keys + j * self.kvDim + g * d, d) * self.attentionScale }
                Kernels.softmax(scores, context)
                let out = self.att.pointer + head * d
                out.update(repeating: 0, count: d)
                for j in 0..<context { Kernels.axpy(scores[j], values + j * self.kvDim + g * d, out, d) }
            }
        }
        lmHeadJob = { [unowned self] i in
            GEMV.apply(self.model.lmHead, self.xn.pointer, self.logits.pointer, rows: GEMV.split(self.vocab, part: i, of: t))
        }
    }

    /// Multiply-adds below which a job runs on the calling thread alone (dispatch costs more than it saves).
    static let parallelThreshold = 24_576

    /// Serial fallback of a job split: when run alone, a job must still cover every part.
    @inline(__always)
    private func run(_ job: @escaping (Int) -> Void, work: Int) {
        if pool.threadCount == 1 || work < TokenDecoder.parallelThreshold {
            for i in 0..<pool.threadCount { job(i) }
        } else {
            pool.run(job)
        }
    }

    /// Feeds `token` at position `cache.length`, appends its keys and values, and returns the logits (valid until the
    /// next call).
    public func step(token: Int, cache kv: KVCache) throws -> UnsafeMutablePointer<Float> {
        guard (0..<vocab).contains(token) else {
            throw LatheError("token id \(token) is outside the vocabulary (0..<\(vocab))")
        }
        guard kv.length < kv.capacity else { throw LatheError("KV cache is full (\(kv.capacity) positions)") }
        model.embedding.rows(token ..< token + 1).widen(into: x.pointer)
        return try step(cache: kv)
    }

    /// Like `step(token:)` with an input embedding [hidden] in place of a token.
    public func step(embedding: UnsafePointer<Float>, cache kv: KVCache) throws -> UnsafeMutablePointer<Float> {
        guard kv.length < kv.capacity else { throw LatheError("KV cache is full (\(kv.capacity) positions)") }
        x.pointer.update(from: embedding, count: h)
        return try step(cache: kv)
    }

    private func step(cache kv: KVCache) throws -> UnsafeMutablePointer<Float> {
        cache = kv
        position = kv.length
        let context = position + 1
        let parts = pool.threadCount
        if scores.count < context * parts { scores = FloatBuffer(count: max(context * parts, scores.count * 2)) }
        if model.rotary.positions < context { model.rotary.reserve(context) }
        let eps = Float(model.config.rmsNormEps)
        let scale = 1 / Float(d).squareRoot()
        let group = nH / nKV
        let lora = adapter?.enabled == true ? adapter : nil
        for l in 0..<model.layers.count {
            layer = l
            let lw = model.layers[l]
            let a = lw.attention
            Kernels.rmsNorm(x.pointer, lw.inputNorm.pointer, xn.pointer, h, eps: eps)
            run(qkvJob, work: (qDim + 2 * kvDim) * h)
            let keys = kv.keys[l].pointer, values = kv.values[l].pointer
            let kNew = keys + position * kvDim
            let ll = lora?.layers[l]
            if let ll {
                addLoRA(ll.q, xn.pointer, q.pointer)
                addLoRA(ll.k, xn.pointer, kNew)
                addLoRA(ll.v, xn.pointer, values + position * kvDim)
            }
            for head in 0..<nKV {
                Kernels.rmsNorm(kNew + head * d, a.kNorm.pointer, kNew + head * d, d, eps: eps)
                model.rotary.apply(kNew + head * d, pos: position)
            }
            attentionEps = eps; attentionScale = scale; attentionGroup = group
            run(attentionJob, work: nH * context * d * 2)
            run(oJob, work: h * qDim)
            addLoRA(ll?.o, att.pointer, tmp.pointer)
            Kernels.add(x.pointer, tmp.pointer, x.pointer, h)

            Kernels.rmsNorm(x.pointer, lw.postAttentionNorm.pointer, xn.pointer, h, eps: eps)
            activeMLPs.removeAll(keepingCapacity: true)
            activeLoRA.removeAll(keepingCapacity: true)
            switch lw.feedForward {
            case .dense(let mlp):
                activeMLPs.append(mlp)
                activeLoRA.append(ll?.dense.map { ($0.gate, $0.up, $0.down) })
                chosenWeights[0] = 1
            case .sparse(let moe):
                let e = moe.experts.count
                GEMV.apply(moe.router, xn.pointer, routerLogits.pointer, rows: 0..<e)
                routeTopK(moe, e)
                for k in 0..<moe.topK {
                    activeMLPs.append(moe.experts[chosen[k]])
                    activeLoRA.append(ll.flatMap { $0.experts.isEmpty ? nil : ($0.experts[chosen[k]].gate, $0.experts[chosen[k]].up, $0.experts[chosen[k]].down) })
                }
            }
            let inter = activeMLPs[0].gate.rows
            run(gateUpJob, work: activeMLPs.count * 2 * inter * h)
            for k in 0..<activeMLPs.count {
                let g = gate.pointer + k * maxInter
                if let m = activeLoRA[k] {
                    addLoRA(m.0, xn.pointer, g)
                    addLoRA(m.1, xn.pointer, up.pointer + k * maxInter)
                }
                Kernels.swiGLU(g, up.pointer + k * maxInter, g, inter)
            }
            run(downJob, work: activeMLPs.count * inter * h)
            for k in 0..<activeMLPs.count { addLoRA(activeLoRA[k]?.2, gate.pointer + k * maxInter, down.pointer + k * h) }
            for k in 0..<activeMLPs.count { Kernels.axpy(chosenWeights[k], down.pointer + k * h, x.pointer, h) }
        }
        Kernels.rmsNorm(x.pointer, model.finalNorm.pointer, xn.pointer, h, eps: eps)
        run(lmHeadJob, work: vocab * h)
        addLoRA(lora?.lmHead, xn.pointer, logits.pointer)
        kv.length = position + 1
        cache = nil
        return logits.pointer
    }

    /// y += scale · B·(A·x) for one vector (rank ≤ 1024).
    @inline(__always)
    private func addLoRA(_ m: LoRAModule?, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        guard let m else { return }
        let a = WeightMatrix(rows: m.rank, cols: m.inDim, dtype: .f32, base: UnsafeRawPointer(m.a.pointer), owner: m.a)
        let b = WeightMatrix(rows: m.outDim, cols: m.rank, dtype: .f32, base: UnsafeRawPointer(m.b.pointer), owner: m.b)
        GEMV.apply(a, x, loraScratch.pointer, rows: 0..<m.rank)
        Kernels.scale(loraScratch.pointer, m.scale, m.rank)
        for o in 0..<m.outDim { y[o] += Kernels.dot(b.floatPointer + o * m.rank, loraScratch.pointer, m.rank) }
    }

    /// Top-k of softmax(router logits) without allocating; same choice and weights as `SparseMoEWeights.route`.
    private func routeTopK(_ moe: SparseMoEWeights, _ e: Int) {
        probs.pointer.update(from: routerLogits.pointer, count: e)
        Kernels.softmax(probs.pointer, e)
        var sum: Float = 0
        for k in 0..<moe.topK {
            var best = -1
            var bestP = -Float.infinity
            for j in 0..<e {
                var taken = false
                for m in 0..<k where chosen[m] == j { taken = true }
                if !taken && (best < 0 || probs[j] > bestP) { best = j; bestP = probs[j] }
            }
            chosen[k] = best
            chosenWeights[k] = bestP
            sum += bestP
        }
        if moe.normTopK { for k in 0..<moe.topK { chosenWeights[k] /= sum } }
    }
}
