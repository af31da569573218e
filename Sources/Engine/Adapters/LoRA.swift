import Foundation
import Tensor

/// Which linear layers carry a LoRA. `experts` covers every expert's gate/up/down and the dense MLP's (PEFT's
/// `target_modules` gate_proj/up_proj/down_proj name both); gate and up are always adapted together.
public enum LoRATarget: String, CaseIterable, Codable, Sendable {
    case q, k, v, o, mlp, lmHead = "lm_head"

    /// PEFT `target_modules` names.
    public var peftModules: [String] {
        switch self {
        case .q: return ["q_proj"]
        case .k: return ["k_proj"]
        case .v: return ["v_proj"]
        case .o: return ["o_proj"]
        case .mlp: return ["gate_proj", "up_proj", "down_proj"]
        case .lmHead: return ["lm_head"]
        }
    }

    public static let attention: [LoRATarget] = [.q, .k, .v, .o]
}

/// PEFT LoRA semantics: y = W·x + scale · B·A·dropout(x), A Kaiming-uniform, B zero, scale = α/r (α/√r with rsLoRA).
public struct LoRAConfig: Codable, Equatable, Sendable {
    public var rank: Int
    public var alpha: Double
    public var targets: [LoRATarget]
    public var useRSLoRA: Bool
    public var dropout: Double
    /// Per-module overrides, keyed like PEFT's patterns: a module-type name (`q_proj`, `gate_proj`, …) or a full
    /// module path (`model.layers.3.self_attn.q_proj`). Full paths win over type names.
    public var rankPattern: [String: Int]
    public var alphaPattern: [String: Double]

    public init(rank: Int = 16, alpha: Double = 32, targets: [LoRATarget] = LoRATarget.attention + [.mlp],
                useRSLoRA: Bool = false, dropout: Double = 0, rankPattern: [String: Int] = [:],
                alphaPattern: [String: Double] = [:]) {
        self.rank = rank; self.alpha = alpha; self.targets = targets; self.useRSLoRA = useRSLoRA
        self.dropout = dropout; self.rankPattern = rankPattern; self.alphaPattern = alphaPattern
    }

    public func validate() throws {
        if rank < 1 { throw LatheError("lora.rank: must be >= 1 (got \(rank))") }
        if !(alpha > 0) { throw LatheError("lora.alpha: must be > 0 (got \(alpha))") }
        if targets.isEmpty { throw LatheError("lora.targets: at least one target is needed") }
        if dropout != 0 { throw LatheError("lora.dropout: only 0 is supported so far (got \(dropout))") }
        for (k, r) in rankPattern where r < 1 { throw LatheError("lora.rank_pattern.\(k): must be >= 1 (got \(r))") }
        for (k, a) in alphaPattern where !(a > 0) { throw LatheError("lora.alpha_pattern.\(k): must be > 0 (got \(a))") }
    }

    /// Rank and α for the module at `path` of type `type` (e.g. "model.layers.0.self_attn.q_proj", "q_proj").
    public func rankAndAlpha(path: String, type: String) -> (Int, Double) {
        func lookup<T>(_ p: [String: T]) -> T? {
            if let v = p[path] { return v }
            // PEFT matches pattern keys as suffixes of the module path.
            if let hit = p.keys.filter({ path.hasSuffix("." + $0) || path == $0 }).max(by: { $0.count < $1.count }) { return p[hit] }
            return p[type]
        }
        return (lookup(rankPattern) ?? rank, lookup(alphaPattern) ?? alpha)
    }

    public func scale(rank r: Int, alpha a: Double) -> Float {
        Float(useRSLoRA ? a / Double(r).squareRoot() : a / Double(r))
    }
}

/// One adapted linear layer W[out, in]: A [r, in], B [out, r], their gradients, and the scale.
public final class LoRAModule: @unchecked Sendable {
    public let path: String        // PEFT module path without the base_model.model prefix, e.g. model.layers.0.self_attn.q_proj
    public let rank: Int, inDim: Int, outDim: Int
    public let alpha: Double
    public var scale: Float
    public let a: FloatBuffer, b: FloatBuffer
    public let gradA: FloatBuffer, gradB: FloatBuffer

    public init(path: String, rank: Int, inDim: Int, outDim: Int, alpha: Double, scale: Float) {
        self.path = path; self.rank = rank; self.inDim = inDim; self.outDim = outDim; self.alpha = alpha; self.scale = scale
        a = FloatBuffer(count: rank * inDim); b = FloatBuffer(count: outDim * rank)
        gradA = FloatBuffer(count: rank * inDim); gradB = FloatBuffer(count: outDim * rank)
    }

    /// PEFT's init: A ~ Kaiming-uniform(a=√5) = U(−1/√in, 1/√in), B = 0.
    func initialise(rng: inout PhiloxRNG) {
        let bound = 1 / Float(inDim).squareRoot()
        for i in 0..<a.count { a[i] = (rng.nextFloat() * 2 - 1) * bound }
        b.zero()
    }

    /// The module type PEFT names in target_modules: the last path component.
    public var type: String { String(path.split(separator: ".").last ?? "") }

    public func zeroGrad() { gradA.zero(); gradB.zero() }

    public var parameterCount: Int { a.count + b.count }
}

/// The LoRA modules of one decoder layer (nil where not targeted).
public struct LayerLoRA: @unchecked Sendable {
    public var q: LoRAModule?, k: LoRAModule?, v: LoRAModule?, o: LoRAModule?
    public var dense: (gate: LoRAModule, up: LoRAModule, down: LoRAModule)?
    public var experts: [(gate: LoRAModule, up: LoRAModule, down: LoRAModule)] = []
}

/// A named set of LoRA modules over one base model, with a version bumped by every optimizer step.
public final class LoRAAdapter: @unchecked Sendable {
    public let config: LoRAConfig
    public let modelConfig: Qwen3MoEConfig
    public let layers: [LayerLoRA]
    public let lmHead: LoRAModule?
    /// Every module in a fixed order (layers ascending; q, k, v, o, then MLP; lm_head last): optimizer state,
    /// checkpoints and gradient norms all iterate this.
    public let modules: [LoRAModule]
    public var enabled = true
    public var version = 0

    /// A fresh adapter: A Kaiming-uniform, B zero, on every module the config targets.
    public convenience init(config: LoRAConfig, model: Qwen3MoEConfig, seed: UInt64) throws {
        try config.validate()
        let targets = Set(config.targets)
        try self.init(config: config, model: model, seed: seed) { path, type in
            guard targets.contains(LoRAAdapter.target(ofType: type)) else { return nil }
            return config.rankAndAlpha(path: path, type: type)
        }
    }

    /// An adapter with exactly the modules of `modules` (path → rank, α), e.g. read from a PEFT file; weights are then
    /// filled in by the caller. The config records the global rank/α and the targets the paths cover.
    public convenience init(imported modules: [String: (rank: Int, alpha: Double)], useRSLoRA: Bool, globalRank: Int,
                            globalAlpha: Double, model: Qwen3MoEConfig) throws {
        var targets: [LoRATarget] = []
        for path in modules.keys {
            let t = LoRAAdapter.target(ofType: String(path.split(separator: ".").last!))
            if !targets.contains(t) { targets.append(t) }
        }
        targets.sort { LoRATarget.allCases.firstIndex(of: $0)! < LoRATarget.allCases.firstIndex(of: $1)! }
        let config = LoRAConfig(rank: globalRank, alpha: globalAlpha, targets: targets, useRSLoRA: useRSLoRA)
        var seen = Set<String>()
        try self.init(config: config, model: model, seed: 0) { path, _ in
            guard let m = modules[path] else { return nil }
            seen.insert(path)
            return (m.rank, m.alpha)
        }
        if let unknown = modules.keys.filter({ !seen.contains($0) }).sorted().first {
            throw LatheError("adapter module \(unknown) does not exist in this \(model.numHiddenLayers)-layer model")
        }
        // Every module of a targeted type must be present (PEFT would report it missing).
        let expected = try LoRAAdapter(config: config, model: model, seed: 0).modules.map(\.path)
        if let missing = expected.first(where: { modules[$0] == nil }) {
            throw LatheError("adapter has no LoRA for \(missing), though it targets \(LoRAAdapter.target(ofType: String(missing.split(separator: ".").last!)).rawValue)")
        }
    }

    init(config: LoRAConfig, model: Qwen3MoEConfig, seed: UInt64,
         spec: (_ path: String, _ type: String) -> (Int, Double)?) throws {
        self.config = config
        self.modelConfig = model
        var rng = PhiloxRNG(seed: seed, stream: 0x10BA)
        let h = model.hiddenSize, d = model.headDim
        let qd = model.numAttentionHeads * d, kvd = model.numKeyValueHeads * d
        var all: [LoRAModule] = []
        func make(_ path: String, _ inDim: Int, _ outDim: Int) -> LoRAModule? {
            let type = String(path.split(separator: ".").last!)
            guard let (r, a) = spec(path, type) else { return nil }
            let m = LoRAModule(path: path, rank: r, inDim: inDim, outDim: outDim, alpha: a, scale: config.scale(rank: r, alpha: a))
            m.initialise(rng: &rng)
            all.append(m)
            return m
        }
        var built: [LayerLoRA] = []
        for l in 0..<model.numHiddenLayers {
            let p = "model.layers.\(l)."
            var ll = LayerLoRA()
            ll.q = make(p + "self_attn.q_proj", h, qd)
            ll.k = make(p + "self_attn.k_proj", h, kvd)
            ll.v = make(p + "self_attn.v_proj", h, kvd)
            ll.o = make(p + "self_attn.o_proj", qd, h)
            if model.isSparse(layer: l) {
                let i = model.moeIntermediateSize
                var experts: [(gate: LoRAModule, up: LoRAModule, down: LoRAModule)] = []
                for e in 0..<model.numExperts {
                    let q = p + "mlp.experts.\(e)."
                    let g = make(q + "gate_proj", h, i), u = make(q + "up_proj", h, i), dn = make(q + "down_proj", i, h)
                    if let g, let u, let dn { experts.append((g, u, dn)) }
                    else if g != nil || u != nil || dn != nil {
                        throw LatheError("\(q)*: gate_proj, up_proj and down_proj must be adapted together")
                    }
                }
                ll.experts = experts
            } else {
                let i = model.intermediateSize
                let g = make(p + "mlp.gate_proj", h, i), u = make(p + "mlp.up_proj", h, i), dn = make(p + "mlp.down_proj", i, h)
                if let g, let u, let dn { ll.dense = (g, u, dn) }
                else if g != nil || u != nil || dn != nil {
                    throw LatheError("\(p)mlp: gate_proj, up_proj and down_proj must be adapted together")
                }
            }
            built.append(ll)
        }
        lmHead = make("lm_head", h, model.vocabSize)
        layers = built
        modules = all
    }

    static func target(ofType type: String) -> LoRATarget {
        switch type {
        case "q_proj": return .q
        case "k_proj": return .k
        case "v_proj": return .v
        case "o_proj": return .o
        case "lm_head": return .lmHead
        default: return .mlp
        }
    }

    public var parameterCount: Int { modules.reduce(0) { $0 + $1.parameterCount } }

    public func module(_ path: String) -> LoRAModule? { modules.first { $0.path == path } }

    public func zeroGrad() { for m in modules { m.zeroGrad() } }

    /// Module group for per-type gradient norms: q, k, v, o, gate, up, down, lm_head.
    public static func group(of m: LoRAModule) -> String {
        switch m.type {
        case "q_proj": return "q"
        case "k_proj": return "k"
        case "v_proj": return "v"
        case "o_proj": return "o"
        case "gate_proj": return "gate"
        case "up_proj": return "up"
        case "down_proj": return "down"
        default: return m.type
        }
    }
}
