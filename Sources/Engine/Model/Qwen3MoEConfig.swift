import Foundation

/// Hugging Face `config.json` of a `Qwen3MoeForCausalLM`. Reads both the Hub spellings (`num_experts`, `rope_theta`)
/// and the ones transformers 5 writes (`num_local_experts`, `rope_parameters.rope_theta`).
public struct Qwen3MoEConfig: Codable, Equatable, Sendable {
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var moeIntermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var numExperts: Int
    public var numExpertsPerTok: Int
    public var normTopkProb: Bool
    public var decoderSparseStep: Int
    public var mlpOnlyLayers: [Int]
    public var rmsNormEps: Double
    public var ropeTheta: Double
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    public var routerAuxLossCoef: Double
    public var bosTokenId: Int?
    public var eosTokenId: [Int]
    public var hiddenAct: String
    public var attentionBias: Bool

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", vocabSize = "vocab_size", hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size", moeIntermediateSize = "moe_intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads", headDim = "head_dim", numExperts = "num_experts"
        case numLocalExperts = "num_local_experts"
        case numExpertsPerTok = "num_experts_per_tok", normTopkProb = "norm_topk_prob"
        case decoderSparseStep = "decoder_sparse_step", mlpOnlyLayers = "mlp_only_layers", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeParameters = "rope_parameters", ropeScaling = "rope_scaling"
        case maxPositionEmbeddings = "max_position_embeddings", tieWordEmbeddings = "tie_word_embeddings"
        case routerAuxLossCoef = "router_aux_loss_coef", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
        case hiddenAct = "hidden_act", attentionBias = "attention_bias", architectures, torchDtype = "torch_dtype"
        case dtype, useSlidingWindow = "use_sliding_window", outputRouterLogits = "output_router_logits"
    }

    struct RopeParameters: Codable { var ropeTheta: Double?; var ropeType: String?
        enum CodingKeys: String, CodingKey { case ropeTheta = "rope_theta", ropeType = "rope_type" } }

    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, moeIntermediateSize: Int, numHiddenLayers: Int,
                numAttentionHeads: Int, numKeyValueHeads: Int, headDim: Int, numExperts: Int, numExpertsPerTok: Int,
                normTopkProb: Bool = true, decoderSparseStep: Int = 1, mlpOnlyLayers: [Int] = [],
                rmsNormEps: Double = 1e-6, ropeTheta: Double = 10_000, maxPositionEmbeddings: Int = 4096,
                tieWordEmbeddings: Bool = false, routerAuxLossCoef: Double = 0.001, bosTokenId: Int? = nil,
                eosTokenId: [Int] = []) {
        modelType = "qwen3_moe"
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.moeIntermediateSize = moeIntermediateSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.numKeyValueHeads = numKeyValueHeads; self.headDim = headDim
        self.numExperts = numExperts; self.numExpertsPerTok = numExpertsPerTok; self.normTopkProb = normTopkProb
        self.decoderSparseStep = decoderSparseStep; self.mlpOnlyLayers = mlpOnlyLayers; self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta; self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings; self.routerAuxLossCoef = routerAuxLossCoef
        self.bosTokenId = bosTokenId; self.eosTokenId = eosTokenId; hiddenAct = "silu"; attentionBias = false
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? ""
        guard modelType == "qwen3_moe" else {
            throw LatheError("model_type \(quotedValue(modelType)) is not supported (expected \"qwen3_moe\")")
        }
        vocabSize = try c.decode(Int.self, forKey: .vocabSize)
        hiddenSize = try c.decode(Int.self, forKey: .hiddenSize)
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? 0
        moeIntermediateSize = try c.decode(Int.self, forKey: .moeIntermediateSize)
        numHiddenLayers = try c.decode(Int.self, forKey: .numHiddenLayers)
        numAttentionHeads = try c.decode(Int.self, forKey: .numAttentionHeads)
        numKeyValueHeads = try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? numAttentionHeads
        let heads = max(numAttentionHeads, 1)
        headDim = try c.decodeIfPresent(Int.self, forKey: .headDim) ?? hiddenSize / heads
        numExperts = try c.decodeIfPresent(Int.self, forKey: .numExperts)
            ?? c.decodeIfPresent(Int.self, forKey: .numLocalExperts) ?? 0
        numExpertsPerTok = try c.decodeIfPresent(Int.self, forKey: .numExpertsPerTok) ?? 0
        normTopkProb = try c.decodeIfPresent(Bool.self, forKey: .normTopkProb) ?? false
        decoderSparseStep = try c.decodeIfPresent(Int.self, forKey: .decoderSparseStep) ?? 1
        mlpOnlyLayers = try c.decodeIfPresent([Int].self, forKey: .mlpOnlyLayers) ?? []
        rmsNormEps = try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6
        let params = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeParameters)
        if let scaling = try c.decodeIfPresent(RopeParameters.self, forKey: .ropeScaling),
           let kind = scaling.ropeType, kind != "default" {
            throw LatheError("rope_scaling.rope_type \(quotedValue(kind)) is not supported (only \"default\")")
        }
        if let kind = params?.ropeType, kind != "default" {
            throw LatheError("rope_parameters.rope_type \(quotedValue(kind)) is not supported (only \"default\")")
        }
        ropeTheta = try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? params?.ropeTheta ?? 10_000
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 32_768
        tieWordEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false
        routerAuxLossCoef = try c.decodeIfPresent(Double.self, forKey: .routerAuxLossCoef) ?? 0.001
        bosTokenId = try? c.decodeIfPresent(Int.self, forKey: .bosTokenId)
        if let one = try? c.decodeIfPresent(Int.self, forKey: .eosTokenId) { eosTokenId = [one] }
        else { eosTokenId = (try? c.decodeIfPresent([Int].self, forKey: .eosTokenId)) ?? [] }
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? "silu"
        attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        if try c.decodeIfPresent(Bool.self, forKey: .useSlidingWindow) == true {
            throw LatheError("use_sliding_window: true is not supported")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(["Qwen3MoeForCausalLM"], forKey: .architectures)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize); try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(moeIntermediateSize, forKey: .moeIntermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads); try c.encode(headDim, forKey: .headDim)
        try c.encode(numExperts, forKey: .numExperts); try c.encode(numExpertsPerTok, forKey: .numExpertsPerTok)
        try c.encode(normTopkProb, forKey: .normTopkProb); try c.encode(decoderSparseStep, forKey: .decoderSparseStep)
        try c.encode(mlpOnlyLayers, forKey: .mlpOnlyLayers); try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        try c.encode(routerAuxLossCoef, forKey: .routerAuxLossCoef)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        if eosTokenId.count == 1 { try c.encode(eosTokenId[0], forKey: .eosTokenId) }
        else if !eosTokenId.isEmpty { try c.encode(eosTokenId, forKey: .eosTokenId) }
        try c.encode(hiddenAct, forKey: .hiddenAct); try c.encode(attentionBias, forKey: .attentionBias)
        try c.encode("float32", forKey: .torchDtype)
    }

    /// Whether layer `i` uses the sparse MoE block (transformers' rule) rather than the dense MLP.
    public func isSparse(layer i: Int) -> Bool {
        !mlpOnlyLayers.contains(i) && numExperts > 0 && (i + 1) % decoderSparseStep == 0
    }

    /// Throws a LatheError naming the first field that makes the model impossible to build.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ why: String) throws {
            if !ok { throw LatheError("\(field): \(why)") }
        }
        // Upper bounds far above any model this engine can hold: sizes are multiplied into allocations and loop
        // counts, so a hostile config must not get that far.
        func range(_ v: Int, _ field: String, _ upper: Int, allowZero: Bool = false) throws {
            try check(v >= (allowZero ? 0 : 1) && v <= upper, field,
                      "must be in \(allowZero ? 0 : 1)...\(upper) (got \(v))")
        }
        try range(vocabSize, "vocab_size", 1 << 24)
        try range(hiddenSize, "hidden_size", 1 << 16)
        try range(numHiddenLayers, "num_hidden_layers", 1024)
        try range(numAttentionHeads, "num_attention_heads", 1024)
        try range(numExperts, "num_experts", 4096, allowZero: true)
        try range(intermediateSize, "intermediate_size", 1 << 20, allowZero: true)
        try range(moeIntermediateSize, "moe_intermediate_size", 1 << 20, allowZero: true)
        try range(headDim, "head_dim", 4096)
        try range(maxPositionEmbeddings, "max_position_embeddings", 1 << 24)
        try check(numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0, "num_key_value_heads",
                  "must divide num_attention_heads \(numAttentionHeads) (got \(numKeyValueHeads))")
        try check(headDim > 0 && headDim % 2 == 0, "head_dim", "must be positive and even (got \(headDim))")
        try check(decoderSparseStep > 0, "decoder_sparse_step", "must be positive (got \(decoderSparseStep))")
        try check(rmsNormEps > 0, "rms_norm_eps", "must be positive (got \(rmsNormEps))")
        try check(ropeTheta > 0, "rope_theta", "must be positive (got \(ropeTheta))")
        try check(hiddenAct == "silu", "hidden_act", "only \"silu\" is supported (got \(quotedValue(hiddenAct)))")
        try check(!attentionBias, "attention_bias", "true is not supported by Qwen3-MoE")
        try check(mlpOnlyLayers.allSatisfy { (0..<numHiddenLayers).contains($0) }, "mlp_only_layers",
                  "entries must be layer indices below \(numHiddenLayers) (got \(mlpOnlyLayers))")
        let anySparse = (0..<numHiddenLayers).contains { isSparse(layer: $0) }
        let anyDense = (0..<numHiddenLayers).contains { !isSparse(layer: $0) }
        if anySparse {
            try check(numExpertsPerTok > 0 && numExpertsPerTok <= numExperts, "num_experts_per_tok",
                      "must be in 1...num_experts \(numExperts) (got \(numExpertsPerTok))")
            try check(moeIntermediateSize > 0, "moe_intermediate_size", "must be positive (got \(moeIntermediateSize))")
        }
        if anyDense {
            try check(intermediateSize > 0, "intermediate_size",
                      "must be positive when a layer uses the dense MLP (got \(intermediateSize))")
        }
        try check(maxPositionEmbeddings > 0, "max_position_embeddings", "must be positive")
        for id in eosTokenId {
            try check((0..<vocabSize).contains(id), "eos_token_id", "\(id) is outside the vocabulary (\(vocabSize))")
        }
    }

    public static func load(_ url: URL) throws -> Qwen3MoEConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LatheError("\(url.path): cannot read (\(error.localizedDescription))")
        }
        let config: Qwen3MoEConfig
        do { config = try JSONDecoder().decode(Qwen3MoEConfig.self, from: data) }
        catch let e as LatheError { throw LatheError("\(url.path): \(e.message)") }
        catch let e as DecodingError { throw LatheError("\(url.path): \(describe(e))") }
        catch { throw LatheError("\(url.path): \(error)") }
        do { try config.validate() } catch let e as LatheError { throw LatheError("\(url.path): \(e.message)") }
        return config
    }

    /// Parameters a token multiplies (q/k/v/o, router, its top-k experts or the dense MLP, lm_head): DESIGN's N.
    public var activeParameters: Int {
        let d = numAttentionHeads * headDim, kv = numKeyValueHeads * headDim
        var n = vocabSize * hiddenSize
        for l in 0..<numHiddenLayers {
            n += hiddenSize * (d + 2 * kv) + d * hiddenSize
            n += isSparse(layer: l) ? numExperts * hiddenSize + numExpertsPerTok * 3 * hiddenSize * moeIntermediateSize
                                    : 3 * hiddenSize * intermediateSize
        }
        return n
    }
}

/// One line for a JSON decoding failure: the field path and what was wrong.
func describe(_ error: DecodingError) -> String {
    func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }
    switch error {
    case .keyNotFound(let key, let ctx): return "\(path(ctx.codingPath + [key])): missing"
    case .typeMismatch(let type, let ctx): return "\(path(ctx.codingPath)): expected \(type)"
    case .valueNotFound(let type, let ctx): return "\(path(ctx.codingPath)): expected \(type), got null"
    case .dataCorrupted(let ctx):
        let p = path(ctx.codingPath)
        return p.isEmpty ? "not valid JSON" : "\(p): \(ctx.debugDescription)"
    @unknown default: return "\(error)"
    }
}
