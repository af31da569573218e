import Foundation

extension RunConfig {
    /// The canonical TOML of this config: every section the kind uses, every key with its value (defaults
    /// spelled out), in schema order, no comments. `parse(toTOML())` gives back an equal config.
    public func toTOML() -> String {
        var out = TOMLWriter()
        out.key("name", quotedString(name))
        out.key("kind", quotedString(kind.rawValue))
        out.key("seed", "\(seed)")
        if let threads { out.key("threads", "\(threads)") }

        out.section("model")
        if let base = model.base { out.key("base", quotedString(base)) }
        out.key("weights", quotedString(model.weights.rawValue))

        if !(kind == .rl && data.train.isEmpty) {
        out.section("data")
        out.key("train", quotedString(data.train))
        if let eval = data.eval { out.key("eval", quotedString(eval)) }
        out.key("max_length", "\(data.maxLength)")
        out.key("packing", "\(data.packing)")
        out.key("shuffle", "\(data.shuffle)")
        out.key("eval_fraction", tomlFloat(data.evalFraction))
        }

        if let lora {
            out.section("lora")
            out.key("rank", "\(lora.rank)")
            out.key("alpha", tomlFloat(lora.alpha))
            out.key("targets", tomlArray(lora.targets.map { quotedString($0.rawValue) }))
            out.key("rslora", "\(lora.rslora)")
            out.key("dropout", tomlFloat(lora.dropout))
            if !lora.rankPattern.isEmpty { out.key("rank_pattern", tomlInlineTable(lora.rankPattern) { "\($0)" }) }
            if !lora.alphaPattern.isEmpty { out.key("alpha_pattern", tomlInlineTable(lora.alphaPattern, tomlFloat)) }
        }

        out.section("optimizer")
        out.key("lr", tomlFloat(optimizer.lr))
        out.key("beta1", tomlFloat(optimizer.beta1))
        out.key("beta2", tomlFloat(optimizer.beta2))
        out.key("eps", tomlFloat(optimizer.eps))
        out.key("weight_decay", tomlFloat(optimizer.weightDecay))
        out.key("grad_clip", tomlFloat(optimizer.gradClip))
        out.key("schedule", quotedString(optimizer.schedule.rawValue))
        out.key("warmup_steps", "\(optimizer.warmupSteps)")
        out.key("min_lr_ratio", tomlFloat(optimizer.minLRRatio))

        out.section("training")
        out.key("steps", "\(training.steps)")
        out.key("batch_size", "\(training.batchSize)")
        out.key("grad_accum", "\(training.gradAccum)")

        out.section("eval")
        out.key("every", "\(eval.every)")
        out.key("prompts", tomlArray(eval.prompts.map(quotedString)))
        out.key("max_tokens", "\(eval.maxTokens)")
        out.key("temperature", tomlFloat(eval.temperature))

        out.section("checkpoint")
        out.key("every", "\(checkpoint.every)")
        out.key("keep", "\(checkpoint.keep)")

        if let rl {
            out.section("rl")
            out.key("env", quotedString(rl.env))
            out.key("digits", "\(rl.digits)")
            if let d = rl.dataset { out.key("dataset", quotedString(d)) }
            out.key("group_size", "\(rl.groupSize)")
            out.key("prompts_per_step", "\(rl.promptsPerStep)")
            out.key("loss", quotedString(rl.loss))
            out.key("clip_low", tomlFloat(rl.clipLow))
            out.key("clip_high", tomlFloat(rl.clipHigh))
            out.key("normalize_advantages", "\(rl.normalizeAdvantages)")
            out.key("kl_coef", tomlFloat(rl.klCoef))
            out.key("kl_estimator", quotedString(rl.klEstimator.rawValue))
            out.key("kl_in", quotedString(rl.klIn.rawValue))
            out.key("max_tokens", "\(rl.maxTokens)")
            out.key("temperature", tomlFloat(rl.temperature))
            out.key("eval_prompts", "\(rl.evalPrompts)")
            out.key("eval_k", "\(rl.evalK)")
            if let rm = rl.rewardModel {
                out.section("rl.reward_model")
                out.key("rank", "\(rm.rank)")
                out.key("alpha", tomlFloat(rm.alpha))
                out.key("lr", tomlFloat(rm.lr))
                out.key("weight", tomlFloat(rm.weight))
                if let p = rm.pairs { out.key("pairs", quotedString(p)) }
                out.key("initial_steps", "\(rm.initialSteps)")
                out.key("from_feedback", "\(rm.fromFeedback)")
                out.key("steps_per_update", "\(rm.stepsPerUpdate)")
                out.key("batch_pairs", "\(rm.batchPairs)")
                out.key("hold_out_every", "\(rm.holdOutEvery)")
            }
        }

        if let p = pretrain {
            out.section("pretrain")
            out.key("vocab_size", "\(p.vocabSize)")
            out.key("hidden_size", "\(p.hiddenSize)")
            out.key("num_hidden_layers", "\(p.numHiddenLayers)")
            out.key("num_attention_heads", "\(p.numAttentionHeads)")
            out.key("num_key_value_heads", "\(p.numKeyValueHeads)")
            out.key("head_dim", "\(p.headDim)")
            out.key("num_experts", "\(p.numExperts)")
            out.key("num_experts_per_tok", "\(p.numExpertsPerTok)")
            out.key("moe_intermediate_size", "\(p.moeIntermediateSize)")
            out.key("intermediate_size", "\(p.intermediateSize)")
            out.key("mlp_only_layers", tomlArray(p.mlpOnlyLayers.map { "\($0)" }))
            out.key("norm_topk_prob", "\(p.normTopkProb)")
            out.key("rope_theta", tomlFloat(p.ropeTheta))
            out.key("max_position_embeddings", "\(p.maxPositionEmbeddings)")
            out.key("tie_word_embeddings", "\(p.tieWordEmbeddings)")
            out.key("router_aux_loss_coef", tomlFloat(p.routerAuxLossCoef))
            out.key("tokenizer", quotedString(p.tokenizer))
            out.key("init_std", tomlFloat(p.initStd))
        }
        return out.text
    }

    /// Hex SHA-256 of the canonical file bytes (`toTOML()` as UTF-8): equal configs hash equal whatever their
    /// comments, layout or spelled-out defaults.
    public var hash: String { SHA256.hexDigest(toTOML()) }
}

extension RunRecord {
    /// A new run of `config`; `configText` is the file exactly as the user wrote it (the canonical TOML if nil).
    public init(id: String, config: RunConfig, configText: String? = nil, createdAt: Date = Date()) {
        self.init(id: id, name: config.name, kind: config.kind.rawValue, configTOML: configText ?? config.toTOML(),
                  configHash: config.hash, baseModel: config.model.base, seed: config.seed,
                  threads: config.resolvedThreads, createdAt: createdAt)
    }
}

private struct TOMLWriter {
    var text = ""

    mutating func section(_ name: String) { text += "\n[\(name)]\n" }
    mutating func key(_ key: String, _ value: String) { text += "\(key) = \(value)\n" }
}

/// Swift's shortest round-trip spelling (`0.0001`, `1e-08`, `32.0`) is valid TOML for every finite value.
private func tomlFloat(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return "\(value)"
}

private func tomlArray(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }

private func tomlInlineTable<V>(_ table: [String: V], _ format: (V) -> String) -> String {
    let entries = table.sorted { $0.key < $1.key }.map { "\(quoteIfNeeded($0.key)) = \(format($0.value))" }
    return "{ " + entries.joined(separator: ", ") + " }"
}
