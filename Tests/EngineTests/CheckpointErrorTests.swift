import Foundation
import Testing
@testable import Engine

/// Every damaged checkpoint is a one-line LatheError naming the file and the field or tensor — never a crash.
struct CheckpointErrorTests {
    func loadError(_ dir: URL) -> String? {
        do { _ = try Qwen3MoEModel.load(directory: dir); return nil } catch let e as LatheError { return e.message }
        catch { return "non-LatheError: \(error)" }
    }

    func editConfig(_ dir: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = dir.appendingPathComponent("config.json")
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&obj)
        try JSONSerialization.data(withJSONObject: obj).write(to: url)
    }

    @Test func configErrorsNameTheField() throws {
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("unknown model_type", { $0["model_type"] = "llama" }, "model_type \"llama\" is not supported (expected \"qwen3_moe\")"),
            ("missing field", { $0["hidden_size"] = nil }, "hidden_size: missing"),
            ("wrong type", { $0["num_hidden_layers"] = "three" }, "num_hidden_layers: expected Int"),
            ("heads", { $0["num_key_value_heads"] = 3 }, "num_key_value_heads: must divide num_attention_heads 4 (got 3)"),
            ("top-k", { $0["num_experts_per_tok"] = 9 }, "num_experts_per_tok: must be in 1...num_experts 8 (got 9)"),
            ("odd head_dim", { $0["head_dim"] = 7 }, "head_dim: must be positive and even (got 7)"),
            ("rope scaling", { $0["rope_parameters"] = ["rope_type": "yarn", "rope_theta": 1e4] },
             "rope_parameters.rope_type \"yarn\" is not supported (only \"default\")"),
        ]
        for (label, edit, message) in cases {
            let dir = try Fixtures.copy("moe-a")
            defer { try? FileManager.default.removeItem(at: dir) }
            try editConfig(dir, edit)
            let got = loadError(dir)
            #expect(got == "\(dir.path)/config.json: \(message)", "\(label)")
        }
        let dir = try Fixtures.copy("moe-a")
        try Data("{not json".utf8).write(to: dir.appendingPathComponent("config.json"))
        #expect(loadError(dir) == "\(dir.path)/config.json: not valid JSON")
    }

    /// Writes a safetensors file from a header object and raw data.
    func writeSafetensors(_ url: URL, header: Data, data: Data, declaredLength: UInt64? = nil) throws {
        var out = Data()
        var n = (declaredLength ?? UInt64(header.count)).littleEndian
        out.append(Data(bytes: &n, count: 8))
        out.append(header)
        out.append(data)
        try out.write(to: url)
    }

    func header(of url: URL) throws -> (obj: [String: Any], data: Data) {
        let bytes = try Data(contentsOf: url)
        let n = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let obj = try JSONSerialization.jsonObject(with: bytes[8..<(8 + n)]) as! [String: Any]
        return (obj, bytes[(8 + n)...])
    }

    @Test func damagedSafetensorsNameFileAndTensor() throws {
        let name = "model.safetensors"
        let cases: [(String, (inout [String: Any], inout Data) -> UInt64?, String)] = [
            ("truncated data", { _, d in d = d.prefix(d.count / 2); return nil }, "data_offsets"),
            ("huge header length", { _, _ in UInt64.max / 2 }, "\(name): header length \(UInt64.max / 2) runs past the end of the file"),
            ("offsets past end", { h, _ in
                var e = h["model.norm.weight"] as! [String: Any]; e["data_offsets"] = [0, 1 << 40]; h["model.norm.weight"] = e; return nil
            }, "\(name): tensor model.norm.weight: data_offsets [0, 1099511627776] run past the end of the file"),
            ("shape vs bytes", { h, _ in
                var e = h["model.norm.weight"] as! [String: Any]; e["shape"] = [65]; h["model.norm.weight"] = e; return nil
            }, "\(name): tensor model.norm.weight: shape [65] × F32 needs 260 bytes, data_offsets give 256"),
            ("negative dim", { h, _ in
                var e = h["model.norm.weight"] as! [String: Any]; e["shape"] = [-64]; h["model.norm.weight"] = e; return nil
            }, "\(name): tensor model.norm.weight: bad shape"),
            ("bad dtype", { h, _ in
                var e = h["model.norm.weight"] as! [String: Any]; e["dtype"] = "Q4"; h["model.norm.weight"] = e; return nil
            }, "\(name): tensor model.norm.weight: unknown dtype Q4"),
            ("integer weights", { h, _ in
                var e = h["model.norm.weight"] as! [String: Any]; e["dtype"] = "I32"; h["model.norm.weight"] = e; return nil
            }, "\(name): tensor model.norm.weight: dtype I32 is not a float type (F32, F16, BF16)"),
            ("missing tensor", { h, _ in h["model.layers.2.mlp.experts.7.down_proj.weight"] = nil; return nil },
             "tensor model.layers.2.mlp.experts.7.down_proj.weight is missing from the checkpoint"),
            ("extra tensor", { h, _ in h["model.layers.9.self_attn.q_proj.weight"] = h["model.norm.weight"]; return nil },
             "unexpected tensor model.layers.9.self_attn.q_proj.weight (1 not used by a 3-layer Qwen3-MoE)"),
            ("shape vs config", { h, _ in
                var e = h["model.layers.0.self_attn.k_proj.weight"] as! [String: Any]
                e["shape"] = [64, 48]; h["model.layers.0.self_attn.k_proj.weight"] = e; return nil
            }, "\(name): tensor model.layers.0.self_attn.k_proj.weight: shape [64, 48], config says [48, 64]"),
            ("header not JSON", { h, _ in h = [:]; return nil }, ""),
        ]
        for (label, damage, message) in cases {
            let dir = try Fixtures.copy("moe-a")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = dir.appendingPathComponent(name)
            var (obj, data) = try header(of: url)
            let declared = damage(&obj, &data)
            if label == "header not JSON" {
                try writeSafetensors(url, header: Data("[1,2".utf8), data: data)
                #expect(loadError(dir) == "\(name): header is not a JSON object")
                continue
            }
            try writeSafetensors(url, header: try JSONSerialization.data(withJSONObject: obj), data: data,
                                 declaredLength: declared)
            let got = loadError(dir) ?? "loaded without error"
            #expect(got.contains(message) && !got.contains("\n"), "\(label): got \(got)")
        }
        let dir = try Fixtures.copy("moe-a")
        try Data([1, 2, 3]).write(to: dir.appendingPathComponent(name))
        #expect(loadError(dir) == "\(name): truncated (3 bytes, no header length)")
        try FileManager.default.removeItem(at: dir.appendingPathComponent(name))
        #expect(loadError(dir) == "\(dir.path): no model.safetensors or model.safetensors.index.json")
    }

    @Test func shardedIndexErrors() throws {
        let dir = try Fixtures.copy("moe-a-fused")
        defer { try? FileManager.default.removeItem(at: dir) }
        let index = dir.appendingPathComponent("model.safetensors.index.json")
        var obj = try JSONSerialization.jsonObject(with: Data(contentsOf: index)) as! [String: Any]
        var map = obj["weight_map"] as! [String: String]
        #expect(map["lm_head.weight"] == "model-00001-of-00002.safetensors")
        map["lm_head.weight"] = "model-00002-of-00002.safetensors"   // it lives in shard 1
        let wrong = map
        obj["weight_map"] = wrong
        try JSONSerialization.data(withJSONObject: obj).write(to: index)
        let got = loadError(dir) ?? ""
        #expect(got == "model-00002-of-00002.safetensors: tensor lm_head.weight listed in model.safetensors.index.json is missing")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        #expect(loadError(dir)?.contains("model-00002-of-00002.safetensors: cannot open") == true)
    }
}
