import Foundation
import Tensor

/// What a whole-sequence forward pass takes in and hands back. Internals are computed only when asked for.
public struct ForwardOptions: Sendable {
    public enum Logits: Sendable { case all, last, none }
    public var logits: Logits = .all
    public var hiddenStates = false       // input to every layer, then the final normed state (transformers' convention)
    public var attentionProbs = false     // per layer [heads, T, context]
    public var routerLogits = false       // per sparse layer [T, experts], pre-softmax
    public init(logits: Logits = .all, hiddenStates: Bool = false, attentionProbs: Bool = false, routerLogits: Bool = false) {
        self.logits = logits; self.hiddenStates = hiddenStates; self.attentionProbs = attentionProbs
        self.routerLogits = routerLogits
    }
}

public enum ModelInput: Sendable {
    case tokens([Int])
    case embeddings([Float])   // [T, hidden] row-major: image tokens, soft prompts
}

public struct ForwardResult: @unchecked Sendable {
    public var tokens: Int
    public var logits: FloatBuffer?             // [T, vocab] (.all) or [1, vocab] (.last)
    public var finalHidden: FloatBuffer         // [T, hidden], after the final norm (scalar heads read this)
    public var hiddenStates: [[Float]] = []
    public var attentionProbs: [[Float]] = []
    public var routerLogits: [[Float]] = []
    public var routing: [[Routing]] = []        // per sparse layer, per token (when routerLogits was asked)
}

extension Qwen3MoEModel {
    /// Runs T new positions through the model. With a cache, they follow the cache's `length` positions, their keys
    /// and values are appended, and attention sees the whole cache; without one, positions start at 0.
    public func forward(_ input: ModelInput, cache: KVCache? = nil, options: ForwardOptions = ForwardOptions(),
                        adapter: LoRAAdapter? = nil) throws -> ForwardResult {
        let lora = adapter?.enabled == true ? adapter : nil
        let h = config.hiddenSize, d = config.headDim
        let nH = config.numAttentionHeads, nKV = config.numKeyValueHeads
        let x: FloatBuffer
        let t: Int
        switch input {
        case .tokens(let ids):
            t = ids.count
            x = FloatBuffer(count: t * h)
            for (row, id) in ids.enumerated() {
                guard (0..<config.vocabSize).contains(id) else {
                    throw LatheError("token id \(id) at position \(row) is outside the vocabulary (0..<\(config.vocabSize))")
                }
                embedding.rows(id ..< id + 1).widen(into: x.pointer + row * h)
            }
        case .embeddings(let e):
            guard e.count % h == 0 else {
                throw LatheError("input embeddings: \(e.count) values is not a multiple of hidden_size \(h)")
            }
            t = e.count / h
            x = FloatBuffer(e)
        }
        guard t > 0 else { throw LatheError("empty input: at least one position is needed") }
        let kv = cache ?? newCache(capacity: t)
        let start = kv.length
        guard start + t <= kv.capacity else {
            throw LatheError("sequence of \(start + t) positions exceeds the cache capacity \(kv.capacity)")
        }
        rotary.reserve(start + t)
        let context = start + t

        var result = ForwardResult(tokens: t, logits: nil, finalHidden: FloatBuffer(count: t * h))
        let xn = FloatBuffer(count: t * h)
        let q = FloatBuffer(count: t * qDim)
        let att = FloatBuffer(count: t * qDim)
        let scores = FloatBuffer(count: t * context)
        let eps = Float(config.rmsNormEps)
        let scale = 1 / Float(d).squareRoot()
        let group = nH / nKV

        for (l, layer) in layers.enumerated() {
            if options.hiddenStates { result.hiddenStates.append(x.array) }
            // Attention: xn = norm(x); q, k, v projections; per-head q/k norm and RoPE; causal softmax(q·kᵀ/√d)·v.
            for r in 0..<t { Kernels.rmsNorm(x.pointer + r * h, layer.inputNorm.pointer, xn.pointer + r * h, h, eps: eps) }
            let a = layer.attention
            let kBase = kv.keys[l].pointer + start * kvDim, vBase = kv.values[l].pointer + start * kvDim
            let ll = lora?.layers[l]
            Linear.forward(xn.pointer, rows: t, a.q, lora: ll?.q, q.pointer)
            Linear.forward(xn.pointer, rows: t, a.k, lora: ll?.k, kBase, ldy: kvDim)
            Linear.forward(xn.pointer, rows: t, a.v, lora: ll?.v, vBase, ldy: kvDim)
            for r in 0..<t {
                for head in 0..<nH {
                    let p = q.pointer + r * qDim + head * d
                    Kernels.rmsNorm(p, a.qNorm.pointer, p, d, eps: eps)
                    rotary.apply(p, pos: start + r)
                }
                for head in 0..<nKV {
                    let p = kBase + r * kvDim + head * d
                    Kernels.rmsNorm(p, a.kNorm.pointer, p, d, eps: eps)
                    rotary.apply(p, pos: start + r)
                }
            }
            var probs: [Float] = []
            if options.attentionProbs { probs = [Float](repeating: 0, count: nH * t * context) }
            for head in 0..<nH {
                let g = head / group
                // scores[T, context] = q_h · k_gᵀ · scale
                BLAS.sgemm(transB: true, m: t, n: context, k: d, alpha: scale, a: q.pointer + head * d, lda: qDim,
                           b: kv.keys[l].pointer + g * d, ldb: kvDim, c: scores.pointer, ldc: context)
                for r in 0..<t {
                    let row = scores.pointer + r * context
                    let visible = start + r + 1
                    Kernels.softmax(row, visible)
                    if visible < context { (row + visible).update(repeating: 0, count: context - visible) }
                    if options.attentionProbs {
                        for j in 0..<context { probs[(head * t + r) * context + j] = row[j] }
                    }
                }
                BLAS.sgemm(m: t, n: d, k: context, a: scores.pointer, lda: context, b: kv.values[l].pointer + g * d,
                           ldb: kvDim, c: att.pointer + head * d, ldc: qDim)
            }
            if options.attentionProbs { result.attentionProbs.append(probs) }
            Linear.forward(att.pointer, rows: t, a.o, lora: ll?.o, x.pointer, accumulate: true)   // residual: x += o(att)

            // Feed-forward on norm(x), added to the residual.
            for r in 0..<t { Kernels.rmsNorm(x.pointer + r * h, layer.postAttentionNorm.pointer, xn.pointer + r * h, h, eps: eps) }
            switch layer.feedForward {
            case .dense(let mlp):
                gatedMLP(mlp, lora: ll?.dense.map { ($0.gate, $0.up, $0.down) }, xn.pointer, rows: t, addingTo: x.pointer,
                         weights: nil)
            case .sparse(let moe):
                let (logits, routing) = sparseMoE(moe, lora: ll?.experts ?? [], xn.pointer, rows: t, addingTo: x.pointer)
                if options.routerLogits { result.routerLogits.append(logits); result.routing.append(routing) }
            }
        }
        kv.length = start + t

        for r in 0..<t { Kernels.rmsNorm(x.pointer + r * h, finalNorm.pointer, result.finalHidden.pointer + r * h, h, eps: eps) }
        if options.hiddenStates { result.hiddenStates.append(result.finalHidden.array) }
        switch options.logits {
        case .all:
            let logits = FloatBuffer(count: t * config.vocabSize)
            Linear.forward(result.finalHidden.pointer, rows: t, lmHead, lora: lora?.lmHead, logits.pointer)
            result.logits = logits
        case .last:
            let logits = FloatBuffer(count: config.vocabSize)
            Linear.forward(result.finalHidden.pointer + (t - 1) * h, rows: 1, lmHead, lora: lora?.lmHead, logits.pointer)
            result.logits = logits
        case .none: break
        }
        return result
    }

    /// out[r] += w[r] · down(silu(gate(x[r])) · up(x[r])) for `rows` rows of x (w = 1 when nil).
    func gatedMLP(_ mlp: GatedMLPWeights, lora: (LoRAModule, LoRAModule, LoRAModule)?, _ x: UnsafePointer<Float>,
                  rows n: Int, addingTo out: UnsafeMutablePointer<Float>, weights: [Float]?) {
        let h = mlp.down.rows, i = mlp.gate.rows
        let g = FloatBuffer(count: n * i), u = FloatBuffer(count: n * i)
        Linear.forward(x, rows: n, mlp.gate, lora: lora?.0, g.pointer)
        Linear.forward(x, rows: n, mlp.up, lora: lora?.1, u.pointer)
        Kernels.swiGLU(g.pointer, u.pointer, g.pointer, n * i)
        if let w = weights {
            for r in 0..<n { Kernels.scale(g.pointer + r * i, w[r], i) }
        }
        Linear.forward(g.pointer, rows: n, mlp.down, lora: lora?.2, out, accumulate: true, ldy: h)
    }

    /// Routes every row, then runs each expert once on all rows routed to it (one GEMM per expert and projection).
    func sparseMoE(_ moe: SparseMoEWeights, lora: [(gate: LoRAModule, up: LoRAModule, down: LoRAModule)],
                   _ x: UnsafePointer<Float>, rows n: Int,
                   addingTo out: UnsafeMutablePointer<Float>) -> ([Float], [Routing]) {
        let h = moe.router.cols, e = moe.experts.count
        let logits = FloatBuffer(count: n * e)
        BLAS.matmulWeightT(x, rows: n, moe.router, logits.pointer)
        let probs = FloatBuffer(count: e)
        var routing: [Routing] = []
        routing.reserveCapacity(n)
        var assigned = [[(row: Int, weight: Float)]](repeating: [], count: e)
        for r in 0..<n {
            let route = moe.route(logits: logits.pointer + r * e, probs: probs.pointer)
            for (k, expert) in route.experts.enumerated() { assigned[expert].append((r, route.weights[k])) }
            routing.append(route)
        }
        for (expert, rows) in assigned.enumerated() where !rows.isEmpty {
            let m = rows.count
            let xe = FloatBuffer(count: m * h), ye = FloatBuffer(count: m * h)
            for (j, a) in rows.enumerated() { (xe.pointer + j * h).update(from: x + a.row * h, count: h) }
            let l = lora.isEmpty ? nil : lora[expert]
            gatedMLP(moe.experts[expert], lora: l.map { ($0.gate, $0.up, $0.down) }, xe.pointer, rows: m, addingTo: ye.pointer,
                     weights: rows.map(\.weight))
            for (j, a) in rows.enumerated() { Kernels.add(out + a.row * h, ye.pointer + j * h, out + a.row * h, h) }
        }
        return (logits.array, routing)
    }

    /// logprobs[i] = log p(ids[i+1] | ids[0…i]) and the raw logits at the last position.
    public func logprobs(_ ids: [Int], adapter: LoRAAdapter? = nil) throws -> (logprobs: [Float], finalLogits: [Float]) {
        let out = try forward(.tokens(ids), options: ForwardOptions(logits: .all), adapter: adapter)
        let v = config.vocabSize
        let logits = out.logits!
        var lp: [Float] = []
        for i in 0..<(ids.count - 1) {
            let row = logits.pointer + i * v
            lp.append(row[ids[i + 1]] - Kernels.logSumExp(row, v))
        }
        return (lp, Array(UnsafeBufferPointer(start: logits.pointer + (ids.count - 1) * v, count: v)))
    }
}
