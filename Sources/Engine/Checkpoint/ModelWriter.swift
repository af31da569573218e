import Durability
import Foundation
import Tensor

/// Writes a Hugging Face model directory transformers loads with `AutoModelForCausalLM.from_pretrained`:
/// config.json, model.safetensors in the Hub per-expert layout (f32 or bf16), generation_config.json.
/// Tokenizer files are the caller's (they come with the tokenizer).
public enum ModelWriter {
    public static func save(_ model: Qwen3MoEModel, to dir: URL, dtype: WeightDType = .f32,
                            extraFiles: [String: Data] = [:]) throws {
        precondition(dtype != .f16, "f16 export is not offered")
        var tensors: [SafeTensorsWriter.Tensor] = []
        func add(_ name: String, _ w: WeightMatrix, shape: [Int]? = nil) {
            let values = w.toArray()
            let shape = shape ?? [w.rows, w.cols]
            if dtype == .bf16 {
                tensors.append(.init(name: name, shape: shape, payload: .bf16(values.map(HalfPrecision.floatToBF16))))
            } else {
                tensors.append(.init(name: name, shape: shape, values: values))
            }
        }
        func addVector(_ name: String, _ b: FloatBuffer) {
            if dtype == .bf16 {
                tensors.append(.init(name: name, shape: [b.count], payload: .bf16(b.array.map(HalfPrecision.floatToBF16))))
            } else {
                tensors.append(.init(name: name, shape: [b.count], values: b.array))
            }
        }
        add("model.embed_tokens.weight", model.embedding)
        for (i, l) in model.layers.enumerated() {
            let p = "model.layers.\(i).", a = l.attention
            addVector(p + "input_layernorm.weight", l.inputNorm)
            add(p + "self_attn.q_proj.weight", a.q); add(p + "self_attn.k_proj.weight", a.k)
            add(p + "self_attn.v_proj.weight", a.v); add(p + "self_attn.o_proj.weight", a.o)
            addVector(p + "self_attn.q_norm.weight", a.qNorm); addVector(p + "self_attn.k_norm.weight", a.kNorm)
            addVector(p + "post_attention_layernorm.weight", l.postAttentionNorm)
            switch l.feedForward {
            case .dense(let m):
                add(p + "mlp.gate_proj.weight", m.gate); add(p + "mlp.up_proj.weight", m.up); add(p + "mlp.down_proj.weight", m.down)
            case .sparse(let moe):
                add(p + "mlp.gate.weight", moe.router)
                for (e, m) in moe.experts.enumerated() {
                    let q = p + "mlp.experts.\(e)."
                    add(q + "gate_proj.weight", m.gate); add(q + "up_proj.weight", m.up); add(q + "down_proj.weight", m.down)
                }
            }
        }
        addVector("model.norm.weight", model.finalNorm)
        if !model.config.tieWordEmbeddings { add("lm_head.weight", model.lmHead) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try SafeTensorsWriter.write(tensors, to: dir.appendingPathComponent("model.safetensors"))
        var config = try JSONSerialization.jsonObject(with: JSONEncoder().encode(model.config)) as! [String: Any]
        config["torch_dtype"] = dtype == .bf16 ? "bfloat16" : "float32"
        config["use_cache"] = true
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(json, to: dir.appendingPathComponent("config.json"))
        var gen: [String: Any] = ["do_sample": false, "transformers_version": "5.23.0"]
        if let bos = model.config.bosTokenId { gen["bos_token_id"] = bos }
        if !model.config.eosTokenId.isEmpty { gen["eos_token_id"] = model.config.eosTokenId }
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: gen, options: [.prettyPrinted, .sortedKeys]),
                                    to: dir.appendingPathComponent("generation_config.json"))
        for (name, data) in extraFiles { try AtomicFile.write(data, to: dir.appendingPathComponent(name)) }
    }
}
