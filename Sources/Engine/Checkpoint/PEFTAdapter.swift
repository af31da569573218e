import Durability
import Foundation
import Tensor

/// PEFT LoRA adapters on disk (`adapter_config.json` + `adapter_model.safetensors`), as PEFT 0.21.2 + transformers
/// 5.23 read and write them (docs/DECISIONS.md, "Adapter facts"):
/// - export writes the Hub per-expert layout (`…mlp.experts.E.gate_proj.lora_A.weight`), dense MLP layers through
///   `target_parameters` (PEFT's per-expert conversion would otherwise drop them), and rsLoRA as
///   `use_rslora: false` with α·√r (PEFT's conversion doubles r and α of gate_up, which changes an rsLoRA scale by √2);
/// - import reads that layout and PEFT's fused `target_parameters` layout (`…mlp.experts.base_layer.lora_{A,B}` for
///   gate_up, `…mlp.experts.lora_{A,B}` for down): A is (E·r, in) expert-major, B (out, r·E) rank-major; a fused
///   gate_up becomes separate gate and up LoRAs sharing A, with B split by rows.
public enum PEFTAdapter {
    static let prefix = "base_model.model."

    struct Config: Codable {
        var peft_type: String?
        var r: Int?
        var lora_alpha: Double?
        var target_modules: TargetModules?
        var target_parameters: [String]?
        var use_rslora: Bool?
        var lora_dropout: Double?
        var rank_pattern: [String: Int]?
        var alpha_pattern: [String: Double]?
        var use_dora: Bool?
        var modules_to_save: [String]?
    }

    enum TargetModules: Codable {
        case list([String]), regex(String)
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let l = try? c.decode([String].self) { self = .list(l) } else { self = .regex(try c.decode(String.self)) }
        }
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self { case .list(let l): try c.encode(l); case .regex(let s): try c.encode(s) }
        }
    }

    // MARK: import

    /// Loads an adapter directory for `model`. Every tensor must belong to a module of this model with the right shape.
    public static func load(directory: URL, model: Qwen3MoEConfig) throws -> LoRAAdapter {
        let configURL = directory.appendingPathComponent("adapter_config.json")
        let file = "adapter_config.json"
        guard let data = FileManager.default.contents(atPath: configURL.path) else {
            throw LatheError("\(configURL.path): cannot read")
        }
        let cfg: Config
        do { cfg = try JSONDecoder().decode(Config.self, from: data) }
        catch let e as DecodingError { throw LatheError("\(configURL.path): \(describe(e))") }
        guard cfg.peft_type == nil || cfg.peft_type == "LORA" else {
            throw LatheError("\(file): peft_type \(quotedValue(cfg.peft_type!)) is not supported (expected \"LORA\")")
        }
        guard let r = cfg.r, r >= 1 else { throw LatheError("\(file): r: missing or < 1") }
        guard let alpha = cfg.lora_alpha, alpha > 0 else { throw LatheError("\(file): lora_alpha: missing or <= 0") }
        if cfg.use_dora == true { throw LatheError("\(file): use_dora: DoRA adapters are not supported") }
        if let m = cfg.modules_to_save, !m.isEmpty {
            throw LatheError("\(file): modules_to_save \(m) is not supported")
        }
        let rsLoRA = cfg.use_rslora ?? false
        let weightsURL = directory.appendingPathComponent("adapter_model.safetensors")
        let st = try SafeTensorsFile(weightsURL)
        func tensor(_ key: String) throws -> (SafeTensorsFile.Entry, [Float]) {
            guard let e = st.entries[key] else { throw LatheError("adapter_model.safetensors: tensor \(key) is missing") }
            guard e.shape.count == 2 else { throw LatheError("adapter_model.safetensors: tensor \(key): shape \(e.shape) is not 2-D") }
            let m = try st.matrix(e, rows: e.shape[0], cols: e.shape[1], keep: .f32)
            return (e, m.toArray())
        }
        func pattern<T>(_ p: [String: T]?, _ path: String, _ type: String) -> T? {
            guard let p else { return nil }
            for (k, v) in p {
                let key = k.hasPrefix(".*\\.") ? String(k.dropFirst(4)) : k
                if key == type || path == key || path.hasSuffix("." + key) { return v }
            }
            return nil
        }
        // Collect A/B pairs by module path.
        var pairs: [String: (a: (SafeTensorsFile.Entry, [Float])?, b: (SafeTensorsFile.Entry, [Float])?)] = [:]
        for key in st.entries.keys {
            guard key.hasPrefix(prefix) else { throw LatheError("adapter_model.safetensors: tensor \(key): expected the prefix \(prefix)") }
            if key.hasSuffix(".base_layer.weight") { continue }   // PEFT saves the base lm_head when it targets it
            let rest = String(key.dropFirst(prefix.count))
            let isA = rest.hasSuffix(".lora_A.weight"), isB = rest.hasSuffix(".lora_B.weight")
            guard isA || isB else { throw LatheError("adapter_model.safetensors: tensor \(key): not a lora_A/lora_B weight") }
            let path = String(rest.dropLast(".lora_A.weight".count))
            var p = pairs[path] ?? (nil, nil)
            if isA { p.a = try tensor(key) } else { p.b = try tensor(key) }
            pairs[path] = p
        }
        var shapes: [String: (rank: Int, alpha: Double, a: [Float], b: [Float])] = [:]
        let e = model.numExperts, h = model.hiddenSize, inter = model.moeIntermediateSize
        for (path, p) in pairs.sorted(by: { $0.key < $1.key }) {
            guard let (ea, a) = p.a, let (eb, b) = p.b else {
                throw LatheError("adapter_model.safetensors: \(path) has lora_\(p.a == nil ? "A" : "B") but not lora_\(p.a == nil ? "B" : "A")")
            }
            let type = String(path.split(separator: ".").last!)
            // Fused experts: "…mlp.experts.base_layer" (gate_up) and "…mlp.experts" (down).
            if path.hasSuffix("mlp.experts.base_layer") || path.hasSuffix("mlp.experts") {
                let gateUp = path.hasSuffix("base_layer")
                let layerPath = gateUp ? String(path.dropLast(".base_layer".count)) : path
                let fusedType = gateUp ? "gate_up_proj" : "down_proj"
                let rf = pattern(cfg.rank_pattern, layerPath + "." + fusedType, fusedType) ?? r
                let af = pattern(cfg.alpha_pattern, layerPath + "." + fusedType, fusedType) ?? alpha
                let inDim = gateUp ? h : inter, outDim = gateUp ? 2 * inter : h
                guard ea.shape == [e * rf, inDim], eb.shape == [outDim, rf * e] else {
                    throw LatheError("adapter_model.safetensors: \(path): lora_A \(ea.shape) / lora_B \(eb.shape), expected [\(e * rf), \(inDim)] / [\(outDim), \(rf * e)] for rank \(rf)")
                }
                for x in 0..<e {
                    let aX = Array(a[(x * rf * inDim)..<((x + 1) * rf * inDim)])
                    func bRows(_ rows: Range<Int>) -> [Float] {
                        var out = [Float](repeating: 0, count: rows.count * rf)
                        for (i, row) in rows.enumerated() { for k in 0..<rf { out[i * rf + k] = b[row * (rf * e) + k * e + x] } }
                        return out
                    }
                    let base = layerPath + ".\(x)."
                    if gateUp {
                        shapes[base + "gate_proj"] = (rf, af, aX, bRows(0..<inter))
                        shapes[base + "up_proj"] = (rf, af, aX, bRows(inter..<(2 * inter)))
                    } else {
                        shapes[base + "down_proj"] = (rf, af, aX, bRows(0..<h))
                    }
                }
                continue
            }
            let rank = ea.shape[0]
            guard eb.shape.count == 2, eb.shape[1] == rank else {
                throw LatheError("adapter_model.safetensors: \(path): lora_A \(ea.shape) and lora_B \(eb.shape) disagree on the rank")
            }
            let expected = pattern(cfg.rank_pattern, path, type) ?? r
            guard rank == expected else {
                throw LatheError("adapter_model.safetensors: \(path): rank \(rank), adapter_config.json says \(expected)")
            }
            shapes[path] = (rank, pattern(cfg.alpha_pattern, path, type) ?? alpha, a, b)
        }
        let adapter = try LoRAAdapter(imported: shapes.mapValues { ($0.rank, $0.alpha) }, useRSLoRA: rsLoRA,
                                      globalRank: r, globalAlpha: alpha, model: model)
        for m in adapter.modules {
            let s = shapes[m.path]!
            guard s.a.count == m.a.count, s.b.count == m.b.count else {
                throw LatheError("adapter_model.safetensors: \(m.path): lora_A/lora_B sizes \(s.a.count)/\(s.b.count), the model needs \(m.a.count)/\(m.b.count)")
            }
            m.a.pointer.update(from: s.a, count: s.a.count)
            m.b.pointer.update(from: s.b, count: s.b.count)
        }
        return adapter
    }

    // MARK: export

    /// Writes the per-expert layout PEFT 0.21.2 + transformers 5.23 load with no missing or unexpected keys.
    public static func save(_ adapter: LoRAAdapter, to directory: URL, baseModel: String) throws {
        let cfg = adapter.config
        let mc = adapter.modelConfig
        var types: [String] = []
        for t in cfg.targets {
            for m in t.peftModules where !types.contains(m) { types.append(m) }
        }
        // rsLoRA: PEFT's conversion doubles r and α of gate_up, changing α/√r by √2; plain LoRA with α' = α·√r gives
        // every module PEFT loads the scale α/√r exactly.
        func exportAlpha(_ a: Double, _ r: Int) -> Double { cfg.useRSLoRA ? a * Double(r).squareRoot() : a }
        var json: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": baseModel,
            "r": cfg.rank, "lora_alpha": exportAlpha(cfg.alpha, cfg.rank), "target_modules": types,
            "use_rslora": false, "lora_dropout": cfg.dropout, "bias": "none", "fan_in_fan_out": false,
            "inference_mode": true, "init_lora_weights": true, "use_dora": false, "modules_to_save": NSNull(),
            "revision": NSNull(), "peft_version": "0.21.2",
        ]
        let hasDense = (0..<mc.numHiddenLayers).contains { !mc.isSparse(layer: $0) }
        if cfg.targets.contains(.mlp) && hasDense {
            json["target_parameters"] = ["mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"]
        }
        var rankPattern: [String: Int] = [:], alphaPattern: [String: Double] = [:]
        for m in adapter.modules {
            if m.rank != cfg.rank { rankPattern[m.path] = m.rank }
            let exported = exportAlpha(m.alpha, m.rank)
            if exported != exportAlpha(cfg.alpha, cfg.rank) || m.rank != cfg.rank { alphaPattern[m.path] = exported }
        }
        json["rank_pattern"] = rankPattern
        json["alpha_pattern"] = alphaPattern
        let configData = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        var tensors: [SafeTensorsWriter.Tensor] = []
        for m in adapter.modules {
            tensors.append(.init(name: prefix + m.path + ".lora_A.weight", shape: [m.rank, m.inDim], values: m.a.array))
            tensors.append(.init(name: prefix + m.path + ".lora_B.weight", shape: [m.outDim, m.rank], values: m.b.array))
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try SafeTensorsWriter.write(tensors, to: directory.appendingPathComponent("adapter_model.safetensors"))
        try AtomicFile.write(configData, to: directory.appendingPathComponent("adapter_config.json"))
    }
}
