import Foundation

extension RunConfig {
    /// Throws the first problem (see `problems`).
    public func validate(source: String = "config.toml") throws {
        if let first = problems(source: source).first { throw first }
    }

    /// Every value outside its allowed range, in schema order, each as `SOURCE: section.key: must … (got …)`.
    public func problems(source: String = "config.toml") -> [StoreError] {
        var check = ConfigChecks(source: source)
        if name.trimmingCharacters(in: .whitespaces).isEmpty { check.fail("name", "must not be empty") }
        if name.contains(where: \.isNewline) { check.fail("name", "must be one line") }
        check.atLeast("seed", seed, 0)
        if let threads { check.atLeast("threads", threads, 1) }

        switch kind {
        case .sft:
            if model.base == nil {
                check.fail("model.base", "missing required key (kind \"sft\" fine-tunes a base model)", .missingKey)
            }
            if pretrain != nil { check.fail("pretrain", "only for kind \"pretrain\" (this config is kind \"sft\")") }
            if lora == nil { check.fail("lora", "missing required section for kind \"sft\"", .missingKey) }
        case .rl:
            if model.base == nil {
                check.fail("model.base", "missing required key (kind \"rl\" fine-tunes a base model)", .missingKey)
            }
            if pretrain != nil { check.fail("pretrain", "only for kind \"pretrain\" (this config is kind \"rl\")") }
            if let rl {
                if !RL.environments.contains(rl.env) {
                    check.fail("rl.env", "unknown environment \(shown(rl.env)) (expected \(RL.environments.joined(separator: ", ")))")
                }
                if !RL.losses.contains(rl.loss) {
                    check.fail("rl.loss", "unknown loss \(shown(rl.loss)) (expected \(RL.losses.joined(separator: ", ")))")
                }
                check.atLeast("rl.group_size", rl.groupSize, 2)
                check.atLeast("rl.prompts_per_step", rl.promptsPerStep, 1)
                check.atLeast("rl.max_tokens", rl.maxTokens, 1)
                check.atLeast("rl.eval_prompts", rl.evalPrompts, 0)
                if !(1...6).contains(rl.digits) { check.fail("rl.digits", "must be 1 to 6 (got \(rl.digits))") }
                if !(rl.clipLow > 0 && rl.clipLow <= 1) { check.fail("rl.clip_low", "must be in (0, 1] (got \(rl.clipLow))") }
                if !(rl.clipHigh >= 1 && rl.clipHigh.isFinite) { check.fail("rl.clip_high", "must be >= 1 (got \(rl.clipHigh))") }
                if !(rl.klCoef >= 0 && rl.klCoef.isFinite) { check.fail("rl.kl_coef", "must be >= 0 (got \(rl.klCoef))") }
                check.positive("rl.temperature", rl.temperature)
                check.atLeast("rl.eval_k", rl.evalK, 1)
                if (rl.env == "qa" || rl.env == "prompts") && (rl.dataset ?? "").isEmpty {
                    check.fail("rl.dataset", "missing required key (env \(shown(rl.env)) reads its prompts from a dataset)", .missingKey)
                }
                if rl.env == "prompts" && rl.rewardModel == nil {
                    check.fail("rl.reward_model", "missing required section (env \"prompts\" has no reward but the reward model's)", .missingKey)
                }
                if let rm = rl.rewardModel {
                    check.atLeast("rl.reward_model.rank", rm.rank, 1)
                    check.positive("rl.reward_model.alpha", rm.alpha)
                    check.positive("rl.reward_model.lr", rm.lr)
                    if !rm.weight.isFinite { check.fail("rl.reward_model.weight", "must be finite (got \(rm.weight))") }
                    check.atLeast("rl.reward_model.initial_steps", rm.initialSteps, 0)
                    check.atLeast("rl.reward_model.steps_per_update", rm.stepsPerUpdate, 0)
                    check.atLeast("rl.reward_model.batch_pairs", rm.batchPairs, 1)
                    check.atLeast("rl.reward_model.hold_out_every", rm.holdOutEvery, 2)
                    if rm.initialSteps > 0 && rm.pairs == nil {
                        check.fail("rl.reward_model.initial_steps", "needs rl.reward_model.pairs (what to train on before the first step)")
                    }
                }
            }
        case .pretrain:
            if model.base != nil {
                check.fail("model.base",
                           "not used by kind \"pretrain\" (the [pretrain] section describes the model to build)")
            }
            if lora != nil { check.fail("lora", "not used by kind \"pretrain\" (LoRA is for kind \"sft\")") }
            if pretrain == nil { check.fail("pretrain", "missing required section for kind \"pretrain\"", .missingKey) }
        }
        if let base = model.base, base.isEmpty { check.fail("model.base", "must not be empty") }

        if data.train.isEmpty && kind != .rl { check.fail("data.train", "must not be empty") }
        if rl != nil && kind != .rl { check.fail("rl", "only for kind \"rl\" (this config is kind \"\(kind.rawValue)\")") }
        if let eval = data.eval, eval.isEmpty { check.fail("data.eval", "must not be empty") }
        check.atLeast("data.max_length", data.maxLength, 1)
        check.range("data.eval_fraction", data.evalFraction, min: 0, max: 1, maxInclusive: false)
        if data.eval != nil && data.evalFraction > 0 {
            check.fail("data.eval_fraction", "must be 0 when data.eval is set (got \(data.evalFraction))")
        }

        if let lora { checkLoRA(lora, &check) }
        checkOptimizer(&check)

        check.atLeast("training.steps", training.steps, 1)
        check.atLeast("training.batch_size", training.batchSize, 1)
        check.atLeast("training.grad_accum", training.gradAccum, 1)
        if optimizer.warmupSteps > training.steps && training.steps >= 1 {
            check.fail("optimizer.warmup_steps",
                       "must be <= training.steps (\(training.steps)) (got \(optimizer.warmupSteps))")
        }

        check.atLeast("eval.every", eval.every, 0)
        check.atLeast("eval.max_tokens", eval.maxTokens, 1)
        check.range("eval.temperature", eval.temperature, min: 0, max: nil)
        check.atLeast("checkpoint.every", checkpoint.every, 0)
        check.atLeast("checkpoint.keep", checkpoint.keep, 0)

        if let pretrain { checkPretrain(pretrain, &check) }
        return check.problems
    }

    private func checkLoRA(_ lora: LoRA, _ check: inout ConfigChecks) {
        check.atLeast("lora.rank", lora.rank, 1)
        check.positive("lora.alpha", lora.alpha)
        if lora.targets.isEmpty { check.fail("lora.targets", "must name at least one target") }
        for (index, target) in lora.targets.enumerated() where lora.targets[..<index].contains(target) {
            check.fail("lora.targets[\(index)]", "duplicate target \"\(target.rawValue)\"")
        }
        if lora.dropout != 0 { check.fail("lora.dropout", "only 0 is supported so far (got \(lora.dropout))") }
        for (module, rank) in lora.rankPattern.sorted(by: { $0.key < $1.key }) {
            check.atLeast("lora.rank_pattern.\(quoteIfNeeded(module))", rank, 1)
        }
        for (module, alpha) in lora.alphaPattern.sorted(by: { $0.key < $1.key }) {
            check.positive("lora.alpha_pattern.\(quoteIfNeeded(module))", alpha)
        }
    }

    private func checkOptimizer(_ check: inout ConfigChecks) {
        check.positive("optimizer.lr", optimizer.lr)
        check.range("optimizer.beta1", optimizer.beta1, min: 0, max: 1, maxInclusive: false)
        check.range("optimizer.beta2", optimizer.beta2, min: 0, max: 1, maxInclusive: false)
        check.positive("optimizer.eps", optimizer.eps)
        check.range("optimizer.weight_decay", optimizer.weightDecay, min: 0, max: nil)
        check.range("optimizer.grad_clip", optimizer.gradClip, min: 0, max: nil)
        check.atLeast("optimizer.warmup_steps", optimizer.warmupSteps, 0)
        check.range("optimizer.min_lr_ratio", optimizer.minLRRatio, min: 0, max: 1)
    }

    private func checkPretrain(_ p: Pretrain, _ check: inout ConfigChecks) {
        check.atLeast("pretrain.vocab_size", p.vocabSize, 1)
        check.atLeast("pretrain.hidden_size", p.hiddenSize, 1)
        check.atLeast("pretrain.num_hidden_layers", p.numHiddenLayers, 1)
        check.atLeast("pretrain.num_attention_heads", p.numAttentionHeads, 1)
        check.atLeast("pretrain.num_key_value_heads", p.numKeyValueHeads, 1)
        if p.numKeyValueHeads >= 1 && p.numAttentionHeads % p.numKeyValueHeads != 0 {
            check.fail("pretrain.num_key_value_heads",
                       "must divide num_attention_heads (\(p.numAttentionHeads)) (got \(p.numKeyValueHeads))")
        }
        check.atLeast("pretrain.head_dim", p.headDim, 1)
        if p.headDim >= 1 && p.headDim % 2 != 0 {
            check.fail("pretrain.head_dim", "must be even for RoPE (got \(p.headDim))")
        }
        check.atLeast("pretrain.num_experts", p.numExperts, 1)
        check.atLeast("pretrain.num_experts_per_tok", p.numExpertsPerTok, 1)
        if p.numExpertsPerTok > p.numExperts && p.numExperts >= 1 {
            check.fail("pretrain.num_experts_per_tok",
                       "must be <= num_experts (\(p.numExperts)) (got \(p.numExpertsPerTok))")
        }
        check.atLeast("pretrain.moe_intermediate_size", p.moeIntermediateSize, 1)
        check.atLeast("pretrain.intermediate_size", p.intermediateSize, 1)
        for (index, layer) in p.mlpOnlyLayers.enumerated() {
            if layer < 0 || layer >= p.numHiddenLayers {
                check.fail("pretrain.mlp_only_layers[\(index)]",
                           "must be a layer index in 0..<\(p.numHiddenLayers) (got \(layer))")
            } else if p.mlpOnlyLayers[..<index].contains(layer) {
                check.fail("pretrain.mlp_only_layers[\(index)]", "duplicate layer \(layer)")
            }
        }
        check.positive("pretrain.rope_theta", p.ropeTheta)
        check.atLeast("pretrain.max_position_embeddings", p.maxPositionEmbeddings, 1)
        if data.maxLength > p.maxPositionEmbeddings && p.maxPositionEmbeddings >= 1 {
            let limit = "pretrain.max_position_embeddings (\(p.maxPositionEmbeddings))"
            check.fail("data.max_length", "must be <= \(limit) (got \(data.maxLength))")
        }
        check.range("pretrain.router_aux_loss_coef", p.routerAuxLossCoef, min: 0, max: nil)
        if p.tokenizer.isEmpty { check.fail("pretrain.tokenizer", "must not be empty") }
        check.positive("pretrain.init_std", p.initStd)
    }
}

/// Collects validation failures as `SOURCE: FIELD: MESSAGE`.
private struct ConfigChecks {
    let source: String
    var problems: [StoreError] = []

    mutating func fail(_ field: String, _ message: String, _ kind: StoreError.Kind = .invalidValue) {
        problems.append(StoreError(kind, "\(source): \(field)", message))
    }

    mutating func atLeast(_ field: String, _ value: Int, _ minimum: Int) {
        if value < minimum { fail(field, "must be >= \(minimum) (got \(value))") }
    }

    mutating func positive(_ field: String, _ value: Double) {
        if !value.isFinite { fail(field, "must be a finite number (got \(value))") }
        else if value <= 0 { fail(field, "must be > 0 (got \(value))") }
    }

    /// min <= value (<= or <) max; nil max means unbounded above.
    mutating func range(_ field: String, _ value: Double, min: Double, max: Double?, maxInclusive: Bool = true) {
        guard value.isFinite else { return fail(field, "must be a finite number (got \(value))") }
        if value < min { return fail(field, "must be >= \(format(min)) (got \(value))") }
        guard let max else { return }
        if maxInclusive ? value > max : value >= max {
            fail(field, "must be \(maxInclusive ? "<=" : "<") \(format(max)) (got \(value))")
        }
    }

    private func format(_ bound: Double) -> String {
        bound == bound.rounded() ? String(Int(bound)) : "\(bound)"
    }
}
