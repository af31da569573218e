import Foundation
import Tensor

/// How weights are held in memory: always fp32, or half precision as stored (bf16/f16 checkpoints kept as they are,
/// fp32 checkpoints rounded to bf16), widened to fp32 inside the kernels.
public enum WeightPrecision: String, Sendable, CaseIterable {
    case f32, bf16
}

/// Qwen3MoeForCausalLM, read-only: the weights plus the rotary table. Forward passes live in extensions
/// (`Qwen3MoEModel+Forward.swift` for whole sequences, `Qwen3MoEModel+Decode.swift` for one token with a KV cache).
public final class Qwen3MoEModel: @unchecked Sendable {
    public let config: Qwen3MoEConfig
    public let embedding: WeightMatrix      // [vocab, hidden]
    public let layers: [DecoderLayerWeights]
    public let finalNorm: FloatBuffer       // [hidden]
    public let lmHead: WeightMatrix         // [vocab, hidden] (the embedding when tied)
    public let rotary: RotaryTable
    public let precision: WeightPrecision

    public init(config: Qwen3MoEConfig, embedding: WeightMatrix, layers: [DecoderLayerWeights], finalNorm: FloatBuffer,
                lmHead: WeightMatrix, precision: WeightPrecision) {
        self.config = config; self.embedding = embedding; self.layers = layers; self.finalNorm = finalNorm
        self.lmHead = lmHead; self.precision = precision
        AllocatorTuning.keepFreedMemory()   // per-call activation and widening buffers then reuse heap memory
        rotary = RotaryTable(headDim: config.headDim, theta: config.ropeTheta)
        rotary.reserve(min(config.maxPositionEmbeddings, 1024))
    }

    /// The same model with every matrix copied into one huge-page arena (contiguous, aligned; see WeightArena).
    public func packed() -> Qwen3MoEModel {
        var all: [WeightMatrix] = [embedding]
        if !config.tieWordEmbeddings { all.append(lmHead) }
        for layer in layers {
            let a = layer.attention
            all += [a.q, a.k, a.v, a.o]
            switch layer.feedForward {
            case .dense(let m): all += [m.gate, m.up, m.down]
            case .sparse(let moe): all.append(moe.router); for e in moe.experts { all += [e.gate, e.up, e.down] }
            }
        }
        let arena = WeightArena(byteCount: all.reduce(0) { $0 + WeightArena.footprint($1) })
        func mlp(_ m: GatedMLPWeights) -> GatedMLPWeights {
            GatedMLPWeights(gate: arena.store(m.gate), up: arena.store(m.up), down: arena.store(m.down))
        }
        let emb = arena.store(embedding)
        let head = config.tieWordEmbeddings ? emb : arena.store(lmHead)
        let newLayers = layers.map { layer -> DecoderLayerWeights in
            var l = layer
            l.attention.q = arena.store(layer.attention.q); l.attention.k = arena.store(layer.attention.k)
            l.attention.v = arena.store(layer.attention.v); l.attention.o = arena.store(layer.attention.o)
            switch layer.feedForward {
            case .dense(let m): l.feedForward = .dense(mlp(m))
            case .sparse(let moe):
                var s = moe
                s.router = arena.store(moe.router)
                s.experts = moe.experts.map(mlp)
                l.feedForward = .sparse(s)
            }
            return l
        }
        return Qwen3MoEModel(config: config, embedding: emb, layers: newLayers, finalNorm: finalNorm, lmHead: head,
                             precision: precision)
    }

    public var qDim: Int { config.numAttentionHeads * config.headDim }
    public var kvDim: Int { config.numKeyValueHeads * config.headDim }

    /// Bytes of weights one generated token reads (DESIGN's `weights_gbs` numerator).
    public var bytesReadPerToken: Int {
        var n = lmHead.byteCount
        for layer in layers {
            let a = layer.attention
            n += a.q.byteCount + a.k.byteCount + a.v.byteCount + a.o.byteCount
            switch layer.feedForward {
            case .dense(let m): n += m.gate.byteCount + m.up.byteCount + m.down.byteCount
            case .sparse(let moe):
                let e = moe.experts[0]
                n += moe.router.byteCount + moe.topK * (e.gate.byteCount + e.up.byteCount + e.down.byteCount)
            }
        }
        return n
    }

    // MARK: Loading

    /// Loads `config.json` and the safetensors of an HF model directory (single file or sharded), in either expert
    /// layout: the Hub's per-expert `experts.E.{gate,up,down}_proj.weight` or transformers' fused
    /// `experts.gate_up_proj` (E, 2I, H) / `experts.down_proj` (E, H, I). Missing, extra or mis-shaped tensors are errors.
    public static func load(directory: URL, precision: WeightPrecision = .f32) throws -> Qwen3MoEModel {
        let config = try Qwen3MoEConfig.load(directory.appendingPathComponent("config.json"))
        let archive = try SafeTensorsArchive(directory: directory)
        let keep: WeightDType? = precision == .f32 ? .f32 : nil
        func mat(_ name: String, _ r: Int, _ c: Int) throws -> WeightMatrix {
            let m = try archive.matrix(name, r, c, keep: keep)
            return precision == .bf16 && m.dtype == .f32 ? m.converted(to: .bf16) : m
        }
        let h = config.hiddenSize, d = config.headDim
        let qd = config.numAttentionHeads * d, kvd = config.numKeyValueHeads * d
        let embedding = try mat("model.embed_tokens.weight", config.vocabSize, h)
        var layers: [DecoderLayerWeights] = []
        for l in 0..<config.numHiddenLayers {
            let p = "model.layers.\(l)."
            let attention = AttentionWeights(
                q: try mat(p + "self_attn.q_proj.weight", qd, h), k: try mat(p + "self_attn.k_proj.weight", kvd, h),
                v: try mat(p + "self_attn.v_proj.weight", kvd, h), o: try mat(p + "self_attn.o_proj.weight", h, qd),
                qNorm: try archive.vector(p + "self_attn.q_norm.weight", d),
                kNorm: try archive.vector(p + "self_attn.k_norm.weight", d))
            let ff: FeedForwardWeights
            if config.isSparse(layer: l) {
                let e = config.numExperts, i = config.moeIntermediateSize
                var experts: [GatedMLPWeights] = []
                let fusedName = p + "mlp.experts.gate_up_proj"
                if archive.contains(fusedName) {
                    let gateUp = try archive.matrix(fusedName, shape: [e, 2 * i, h], keep: keep)
                    let down = try archive.matrix(p + "mlp.experts.down_proj", shape: [e, h, i], keep: keep)
                    let gu = precision == .bf16 && gateUp.dtype == .f32 ? gateUp.converted(to: .bf16) : gateUp
                    let dn = precision == .bf16 && down.dtype == .f32 ? down.converted(to: .bf16) : down
                    // Reinterpret [E, 2I·H] as rows of H: expert x's gate is rows [2I·x, 2I·x + I), up the next I.
                    let guRows = WeightMatrix(rows: e * 2 * i, cols: h, dtype: gu.dtype, base: gu.base, owner: gu.owner)
                    let dnRows = WeightMatrix(rows: e * h, cols: i, dtype: dn.dtype, base: dn.base, owner: dn.owner)
                    for x in 0..<e {
                        experts.append(GatedMLPWeights(gate: guRows.rows(2 * i * x ..< 2 * i * x + i),
                                                       up: guRows.rows(2 * i * x + i ..< 2 * i * (x + 1)),
                                                       down: dnRows.rows(h * x ..< h * (x + 1))))
                    }
                } else {
                    for x in 0..<e {
                        let q = p + "mlp.experts.\(x)."
                        experts.append(GatedMLPWeights(gate: try mat(q + "gate_proj.weight", i, h),
                                                       up: try mat(q + "up_proj.weight", i, h),
                                                       down: try mat(q + "down_proj.weight", h, i)))
                    }
                }
                ff = .sparse(SparseMoEWeights(router: try mat(p + "mlp.gate.weight", e, h), experts: experts,
                                              topK: config.numExpertsPerTok, normTopK: config.normTopkProb))
            } else {
                let i = config.intermediateSize
                ff = .dense(GatedMLPWeights(gate: try mat(p + "mlp.gate_proj.weight", i, h),
                                            up: try mat(p + "mlp.up_proj.weight", i, h),
                                            down: try mat(p + "mlp.down_proj.weight", h, i)))
            }
            layers.append(DecoderLayerWeights(inputNorm: try archive.vector(p + "input_layernorm.weight", h),
                                              attention: attention,
                                              postAttentionNorm: try archive.vector(p + "post_attention_layernorm.weight", h),
                                              feedForward: ff))
        }
        let finalNorm = try archive.vector("model.norm.weight", h)
        let lmHead: WeightMatrix
        if config.tieWordEmbeddings {
            lmHead = embedding
            _ = try? archive.entry("lm_head.weight")   // tied checkpoints may still carry a copy
        } else {
            lmHead = try mat("lm_head.weight", config.vocabSize, h)
        }
        let extra = archive.unused.filter { !$0.hasSuffix("rotary_emb.inv_freq") }
        if let first = extra.first {
            throw LatheError("\(directory.lastPathComponent): unexpected tensor \(first) (\(extra.count) not used by a \(config.numHiddenLayers)-layer Qwen3-MoE)")
        }
        return Qwen3MoEModel(config: config, embedding: embedding, layers: layers, finalNorm: finalNorm, lmHead: lmHead,
                             precision: precision).packed()
    }

    /// A model with random weights ~ N(0, std²) and unit norms (as transformers initialises), for benchmarks.
    public static func random(config: Qwen3MoEConfig, seed: UInt64, std: Float = 0.02,
                              precision: WeightPrecision = .f32) -> Qwen3MoEModel {
        var rng = PhiloxRNG(seed: seed)
        func mat(_ r: Int, _ c: Int) -> WeightMatrix {
            let buf = FloatBuffer(count: r * c)
            for i in 0..<(r * c) { buf[i] = rng.nextGaussian() * std }
            let m = WeightMatrix(rows: r, cols: c, dtype: .f32, base: UnsafeRawPointer(buf.pointer), owner: buf)
            return precision == .bf16 ? m.converted(to: .bf16) : m
        }
        func ones(_ n: Int) -> FloatBuffer { FloatBuffer([Float](repeating: 1, count: n)) }
        let h = config.hiddenSize, d = config.headDim
        let qd = config.numAttentionHeads * d, kvd = config.numKeyValueHeads * d
        let embedding = mat(config.vocabSize, h)
        var layers: [DecoderLayerWeights] = []
        for l in 0..<config.numHiddenLayers {
            let att = AttentionWeights(q: mat(qd, h), k: mat(kvd, h), v: mat(kvd, h), o: mat(h, qd),
                                       qNorm: ones(d), kNorm: ones(d))
            let ff: FeedForwardWeights
            if config.isSparse(layer: l) {
                let i = config.moeIntermediateSize
                let experts = (0..<config.numExperts).map { _ in GatedMLPWeights(gate: mat(i, h), up: mat(i, h), down: mat(h, i)) }
                ff = .sparse(SparseMoEWeights(router: mat(config.numExperts, h), experts: experts,
                                              topK: config.numExpertsPerTok, normTopK: config.normTopkProb))
            } else {
                let i = config.intermediateSize
                ff = .dense(GatedMLPWeights(gate: mat(i, h), up: mat(i, h), down: mat(h, i)))
            }
            layers.append(DecoderLayerWeights(inputNorm: ones(h), attention: att, postAttentionNorm: ones(h), feedForward: ff))
        }
        let lmHead = config.tieWordEmbeddings ? embedding : mat(config.vocabSize, h)
        return Qwen3MoEModel(config: config, embedding: embedding, layers: layers, finalNorm: ones(h), lmHead: lmHead,
                             precision: precision).packed()
    }

    public func newCache(capacity: Int) -> KVCache {
        rotary.reserve(capacity)
        return KVCache(layers: layers.count, kvDim: kvDim, capacity: capacity)
    }
}
