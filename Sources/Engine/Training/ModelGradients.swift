import Tensor

/// Full-parameter gradients, shaped like the model (pretraining and full fine-tuning). Backward accumulates (+=).
public final class ModelGradients: @unchecked Sendable {
    public struct MLP { public let gate: FloatBuffer, up: FloatBuffer, down: FloatBuffer }
    public struct Layer {
        public let inputNorm: FloatBuffer, postNorm: FloatBuffer
        public let q: FloatBuffer, k: FloatBuffer, v: FloatBuffer, o: FloatBuffer, qNorm: FloatBuffer, kNorm: FloatBuffer
        public let dense: MLP?
        public let router: FloatBuffer?
        public let experts: [MLP]
    }
    public let embedding: FloatBuffer
    public let lmHead: FloatBuffer?       // nil when tied: the head's gradient goes into `embedding`
    public let finalNorm: FloatBuffer
    public let layers: [Layer]

    public init(model: Qwen3MoEModel) {
        func like(_ w: WeightMatrix) -> FloatBuffer { FloatBuffer(count: w.rows * w.cols) }
        func mlp(_ m: GatedMLPWeights) -> MLP { MLP(gate: like(m.gate), up: like(m.up), down: like(m.down)) }
        embedding = like(model.embedding)
        lmHead = model.config.tieWordEmbeddings ? nil : like(model.lmHead)
        finalNorm = FloatBuffer(count: model.config.hiddenSize)
        layers = model.layers.map { l in
            let a = l.attention
            var dense: MLP?, router: FloatBuffer?, experts: [MLP] = []
            switch l.feedForward {
            case .dense(let m): dense = mlp(m)
            case .sparse(let moe): router = like(moe.router); experts = moe.experts.map(mlp)
            }
            return Layer(inputNorm: FloatBuffer(count: l.inputNorm.count), postNorm: FloatBuffer(count: l.postAttentionNorm.count),
                         q: like(a.q), k: like(a.k), v: like(a.v), o: like(a.o),
                         qNorm: FloatBuffer(count: a.qNorm.count), kNorm: FloatBuffer(count: a.kNorm.count),
                         dense: dense, router: router, experts: experts)
        }
    }

    /// Every gradient buffer with the name of its parameter (HF naming), in the order of `Qwen3MoEModel.parameters`.
    public var named: [(String, FloatBuffer)] {
        var out: [(String, FloatBuffer)] = [("model.embed_tokens.weight", embedding)]
        for (i, l) in layers.enumerated() {
            let p = "model.layers.\(i)."
            out += [(p + "input_layernorm.weight", l.inputNorm), (p + "self_attn.q_proj.weight", l.q),
                    (p + "self_attn.k_proj.weight", l.k), (p + "self_attn.v_proj.weight", l.v),
                    (p + "self_attn.o_proj.weight", l.o), (p + "self_attn.q_norm.weight", l.qNorm),
                    (p + "self_attn.k_norm.weight", l.kNorm), (p + "post_attention_layernorm.weight", l.postNorm)]
            if let d = l.dense {
                out += [(p + "mlp.gate_proj.weight", d.gate), (p + "mlp.up_proj.weight", d.up), (p + "mlp.down_proj.weight", d.down)]
            }
            if let r = l.router { out.append((p + "mlp.gate.weight", r)) }
            for (e, m) in l.experts.enumerated() {
                let q = p + "mlp.experts.\(e)."
                out += [(q + "gate_proj.weight", m.gate), (q + "up_proj.weight", m.up), (q + "down_proj.weight", m.down)]
            }
        }
        out.append(("model.norm.weight", finalNorm))
        if let lmHead { out.append(("lm_head.weight", lmHead)) }
        return out
    }

    public func zero() { for (_, b) in named { b.zero() } }
}

extension Qwen3MoEModel {
    /// Writable views of every parameter (fp32 models only: pretraining and full fine-tuning own their model),
    /// named and ordered as `ModelGradients.named`.
    public func parameters() throws -> [(String, UnsafeMutablePointer<Float>, Int)] {
        func w(_ m: WeightMatrix) throws -> (UnsafeMutablePointer<Float>, Int) {
            guard m.dtype == .f32 else { throw LatheError("full-parameter training needs f32 weights (got \(m.dtype))") }
            return (UnsafeMutablePointer(mutating: m.floatPointer), m.rows * m.cols)
        }
        func v(_ b: FloatBuffer) -> (UnsafeMutablePointer<Float>, Int) { (b.pointer, b.count) }
        var out: [(String, UnsafeMutablePointer<Float>, Int)] = []
        func add(_ name: String, _ p: (UnsafeMutablePointer<Float>, Int)) { out.append((name, p.0, p.1)) }
        add("model.embed_tokens.weight", try w(embedding))
        for (i, l) in layers.enumerated() {
            let p = "model.layers.\(i).", a = l.attention
            add(p + "input_layernorm.weight", v(l.inputNorm)); add(p + "self_attn.q_proj.weight", try w(a.q))
            add(p + "self_attn.k_proj.weight", try w(a.k)); add(p + "self_attn.v_proj.weight", try w(a.v))
            add(p + "self_attn.o_proj.weight", try w(a.o)); add(p + "self_attn.q_norm.weight", v(a.qNorm))
            add(p + "self_attn.k_norm.weight", v(a.kNorm)); add(p + "post_attention_layernorm.weight", v(l.postAttentionNorm))
            switch l.feedForward {
            case .dense(let m):
                add(p + "mlp.gate_proj.weight", try w(m.gate)); add(p + "mlp.up_proj.weight", try w(m.up))
                add(p + "mlp.down_proj.weight", try w(m.down))
            case .sparse(let moe):
                add(p + "mlp.gate.weight", try w(moe.router))
                for (e, m) in moe.experts.enumerated() {
                    let q = p + "mlp.experts.\(e)."
                    add(q + "gate_proj.weight", try w(m.gate)); add(q + "up_proj.weight", try w(m.up))
                    add(q + "down_proj.weight", try w(m.down))
                }
            }
        }
        add("model.norm.weight", v(finalNorm))
        if !config.tieWordEmbeddings { add("lm_head.weight", try w(lmHead)) }
        return out
    }
}
