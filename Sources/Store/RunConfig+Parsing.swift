import Foundation
import TOMLKit

extension RunConfig {
    /// Sections a config may have; `rl`, `vision` and `memory` are reserved and must stay empty for now.
    static let sectionNames = ["model", "data", "lora", "optimizer", "training", "eval", "checkpoint", "pretrain", "rl"]
        + reservedKinds

    /// Reads and validates a config file; errors name the file as given (`url.relativePath`).
    public static func load(_ url: URL) throws -> RunConfig {
        let source = url.relativePath
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw StoreError(.notFound, source, "cannot read the config (\((error as NSError).localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoreError(.syntax, source, "not valid UTF-8")
        }
        return try parse(text, source: source)
    }

    /// Parses and validates config text; `source` names it in every error (`config.toml: lora.rank: …`).
    public static func parse(_ text: String, source: String = "config.toml") throws -> RunConfig {
        if text.utf8.contains(0) {
            throw StoreError(.syntax, source, "contains a NUL byte")
        }
        if let line = TOMLHeaderCheck.firstBadHeader(text) {
            throw StoreError(.syntax, "\(source): line \(line)", "a table header is [name] or [[name]], the name starting with a letter, digit, _, - or a quote")
        }
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw syntaxError(error, source: source)
        }
        let root = TOMLFields(table, path: "", source: source)
        let config = try read(root)
        try config.validate(source: source)
        return config
    }

    private static func syntaxError(_ error: TOMLParseError, source: String) -> StoreError {
        // toml++ says "Error while parsing key-value pair: expected value, saw '\n'"; lead with what went wrong.
        var message = error.description.replacingOccurrences(of: "\n", with: "\\n")
        var context = ""
        let prefix = "Error while parsing "
        if message.hasPrefix(prefix), let colon = message.range(of: ": ") {
            context = String(message[message.index(message.startIndex, offsetBy: prefix.count)..<colon.lowerBound])
            message = String(message[colon.upperBound...])
        }
        let column = "column \(error.source.begin.column)"
        let detail = context.isEmpty ? column : "\(column), while parsing \(context)"
        return StoreError(.syntax, "\(source): line \(error.source.begin.line)", "\(message) (\(detail))")
    }

    private static func read(_ root: TOMLFields) throws -> RunConfig {
        let name = try root.required(root.string("name"), "name")
        let kindText = try root.string("kind") ?? Kind.sft.rawValue
        let seed = try root.int("seed") ?? 0
        let threads = try root.int("threads")
        try root.rejectUnknownKeys(known: sectionNames)

        guard let kind = Kind(rawValue: kindText) else {
            if reservedKinds.contains(kindText) {
                throw root.error(.invalidValue, "kind", "kind \(shown(kindText)) arrives with its issue")
            }
            throw root.error(.invalidValue, "kind", "unknown kind \(shown(kindText)) (expected sft, rl or pretrain)")
        }
        for reserved in reservedKinds {
            guard let section = try root.table(reserved) else { continue }
            if let key = section.keys.sorted().first {
                throw section.error(.unknownKey, key,
                                    "the [\(reserved)] section is reserved for its issue; leave it empty")
            }
        }

        let model = try readModel(root.table("model"))
        let data: DataSection
        if let dataFields = try root.table("data") {
            data = try readData(dataFields)
        } else if kind == .rl {
            data = DataSection(train: "")   // RL prompts come from the environment
        } else {
            throw root.error(.missingKey, "data.train", "missing required key")
        }
        let lora = try root.table("lora").map(readLoRA) ?? (kind == .sft || kind == .rl ? LoRA() : nil)
        let rl = try root.table("rl").map(readRL) ?? (kind == .rl ? RL() : nil)
        let optimizer = try readOptimizer(root.table("optimizer"))
        guard let trainingFields = try root.table("training") else {
            throw root.error(.missingKey, "training.steps", "missing required key")
        }
        let training = try readTraining(trainingFields)
        let eval = try readEval(root.table("eval"))
        let checkpoint = try readCheckpoint(root.table("checkpoint"))
        let pretrain = try root.table("pretrain").map(readPretrain)

        var config = RunConfig(name: name, kind: kind, seed: seed, threads: threads, model: model, data: data,
                               lora: nil, optimizer: optimizer, training: training, eval: eval,
                               checkpoint: checkpoint, pretrain: pretrain)
        config.lora = lora
        config.rl = rl
        return config
    }

    private static func readEnum<E: RawRepresentable & CaseIterable>(
        _ fields: TOMLFields, _ key: String, _ type: E.Type
    ) throws -> E? where E.RawValue == String {
        guard let text = try fields.string(key) else { return nil }
        guard let value = E(rawValue: text) else {
            let expected = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw fields.error(.invalidValue, key, "unknown value \(shown(text)) (expected \(expected))")
        }
        return value
    }

    private static func readRL(_ fields: TOMLFields) throws -> RL {
        var rl = RL()
        rl.env = try fields.string("env") ?? rl.env
        rl.digits = try fields.int("digits") ?? rl.digits
        rl.dataset = try fields.string("dataset")
        rl.groupSize = try fields.int("group_size") ?? rl.groupSize
        rl.promptsPerStep = try fields.int("prompts_per_step") ?? rl.promptsPerStep
        rl.loss = try fields.string("loss") ?? rl.loss
        rl.clipLow = try fields.double("clip_low") ?? rl.clipLow
        rl.clipHigh = try fields.double("clip_high") ?? rl.clipHigh
        rl.normalizeAdvantages = try fields.bool("normalize_advantages") ?? rl.normalizeAdvantages
        rl.klCoef = try fields.double("kl_coef") ?? rl.klCoef
        rl.klEstimator = try readEnum(fields, "kl_estimator", RL.KLEstimatorName.self) ?? rl.klEstimator
        rl.klIn = try readEnum(fields, "kl_in", RL.KLPlacement.self) ?? rl.klIn
        rl.maxTokens = try fields.int("max_tokens") ?? rl.maxTokens
        rl.temperature = try fields.double("temperature") ?? rl.temperature
        rl.evalPrompts = try fields.int("eval_prompts") ?? rl.evalPrompts
        rl.evalK = try fields.int("eval_k") ?? rl.evalK
        rl.rewardModel = try fields.table("reward_model").map(readRewardModel)
        try fields.rejectUnknownKeys(known: ["reward_model"])
        return rl
    }

    private static func readRewardModel(_ fields: TOMLFields) throws -> RewardModelSection {
        var rm = RewardModelSection()
        rm.rank = try fields.int("rank") ?? rm.rank
        rm.alpha = try fields.double("alpha") ?? rm.alpha
        rm.lr = try fields.double("lr") ?? rm.lr
        rm.weight = try fields.double("weight") ?? rm.weight
        rm.pairs = try fields.string("pairs")
        rm.initialSteps = try fields.int("initial_steps") ?? rm.initialSteps
        rm.fromFeedback = try fields.bool("from_feedback") ?? rm.fromFeedback
        rm.stepsPerUpdate = try fields.int("steps_per_update") ?? rm.stepsPerUpdate
        rm.batchPairs = try fields.int("batch_pairs") ?? rm.batchPairs
        rm.holdOutEvery = try fields.int("hold_out_every") ?? rm.holdOutEvery
        try fields.rejectUnknownKeys()
        return rm
    }

    private static func readModel(_ fields: TOMLFields?) throws -> Model {
        guard let fields else { return Model() }
        let model = Model(base: try fields.string("base"),
                          weights: try readEnum(fields, "weights", WeightFormat.self) ?? .f32)
        try fields.rejectUnknownKeys()
        return model
    }

    private static func readData(_ fields: TOMLFields) throws -> DataSection {
        let data = DataSection(
            train: try fields.required(fields.string("train"), "train"),
            eval: try fields.string("eval"),
            maxLength: try fields.int("max_length") ?? 512,
            packing: try fields.bool("packing") ?? false,
            shuffle: try fields.bool("shuffle") ?? true,
            evalFraction: try fields.double("eval_fraction") ?? 0)
        try fields.rejectUnknownKeys()
        return data
    }

    private static func readLoRA(_ fields: TOMLFields) throws -> LoRA {
        var lora = LoRA()
        lora.rank = try fields.int("rank") ?? lora.rank
        lora.alpha = try fields.double("alpha") ?? lora.alpha
        if let names = try fields.stringArray("targets") {
            lora.targets = try names.enumerated().map { index, name in
                guard let target = LoRATarget(rawValue: name) else {
                    let expected = LoRATarget.allCases.map(\.rawValue).joined(separator: ", ")
                    throw StoreError(.invalidValue, "\(fields.source): \(fields.field("targets"))[\(index)]",
                                     "unknown target \(shown(name)) (expected \(expected))")
                }
                return target
            }
        }
        lora.rslora = try fields.bool("rslora") ?? lora.rslora
        lora.dropout = try fields.double("dropout") ?? lora.dropout
        lora.rankPattern = try fields.intMap("rank_pattern") ?? [:]
        lora.alphaPattern = try fields.doubleMap("alpha_pattern") ?? [:]
        try fields.rejectUnknownKeys()
        return lora
    }

    private static func readOptimizer(_ fields: TOMLFields?) throws -> Optimizer {
        var optimizer = Optimizer()
        guard let fields else { return optimizer }
        optimizer.lr = try fields.double("lr") ?? optimizer.lr
        optimizer.beta1 = try fields.double("beta1") ?? optimizer.beta1
        optimizer.beta2 = try fields.double("beta2") ?? optimizer.beta2
        optimizer.eps = try fields.double("eps") ?? optimizer.eps
        optimizer.weightDecay = try fields.double("weight_decay") ?? optimizer.weightDecay
        optimizer.gradClip = try fields.double("grad_clip") ?? optimizer.gradClip
        optimizer.schedule = try readEnum(fields, "schedule", Schedule.self) ?? optimizer.schedule
        optimizer.warmupSteps = try fields.int("warmup_steps") ?? optimizer.warmupSteps
        optimizer.minLRRatio = try fields.double("min_lr_ratio") ?? optimizer.minLRRatio
        try fields.rejectUnknownKeys()
        return optimizer
    }

    private static func readTraining(_ fields: TOMLFields) throws -> Training {
        let training = Training(steps: try fields.required(fields.int("steps"), "steps"),
                                batchSize: try fields.int("batch_size") ?? 8,
                                gradAccum: try fields.int("grad_accum") ?? 1)
        try fields.rejectUnknownKeys()
        return training
    }

    private static func readEval(_ fields: TOMLFields?) throws -> Eval {
        guard let fields else { return Eval() }
        let eval = Eval(every: try fields.int("every") ?? 0,
                        prompts: try fields.stringArray("prompts") ?? [],
                        maxTokens: try fields.int("max_tokens") ?? 64,
                        temperature: try fields.double("temperature") ?? 0)
        try fields.rejectUnknownKeys()
        return eval
    }

    private static func readCheckpoint(_ fields: TOMLFields?) throws -> Checkpoint {
        guard let fields else { return Checkpoint() }
        let checkpoint = Checkpoint(every: try fields.int("every") ?? 0, keep: try fields.int("keep") ?? 0)
        try fields.rejectUnknownKeys()
        return checkpoint
    }

    private static func readPretrain(_ fields: TOMLFields) throws -> Pretrain {
        var p = Pretrain(tokenizer: "")
        p.vocabSize = try fields.int("vocab_size") ?? p.vocabSize
        p.hiddenSize = try fields.int("hidden_size") ?? p.hiddenSize
        p.numHiddenLayers = try fields.int("num_hidden_layers") ?? p.numHiddenLayers
        p.numAttentionHeads = try fields.int("num_attention_heads") ?? p.numAttentionHeads
        p.numKeyValueHeads = try fields.int("num_key_value_heads") ?? p.numKeyValueHeads
        p.headDim = try fields.int("head_dim") ?? p.headDim
        p.numExperts = try fields.int("num_experts") ?? p.numExperts
        p.numExpertsPerTok = try fields.int("num_experts_per_tok") ?? p.numExpertsPerTok
        p.moeIntermediateSize = try fields.int("moe_intermediate_size") ?? p.moeIntermediateSize
        p.intermediateSize = try fields.int("intermediate_size") ?? p.intermediateSize
        p.mlpOnlyLayers = try fields.intArray("mlp_only_layers") ?? p.mlpOnlyLayers
        p.normTopkProb = try fields.bool("norm_topk_prob") ?? p.normTopkProb
        p.ropeTheta = try fields.double("rope_theta") ?? p.ropeTheta
        p.maxPositionEmbeddings = try fields.int("max_position_embeddings") ?? p.maxPositionEmbeddings
        p.tieWordEmbeddings = try fields.bool("tie_word_embeddings") ?? p.tieWordEmbeddings
        p.routerAuxLossCoef = try fields.double("router_aux_loss_coef") ?? p.routerAuxLossCoef
        p.tokenizer = try fields.required(fields.string("tokenizer"), "tokenizer")
        p.initStd = try fields.double("init_std") ?? p.initStd
        try fields.rejectUnknownKeys()
        return p
    }
}
