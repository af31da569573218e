import Foundation
import Store

/// The run configuration as an editable form: one field per setting a researcher changes between runs, each edited
/// as text and checked as the TOML loader would check it, with errors attached to the field they name.
public struct ConfigForm: Sendable {
    public enum Kind: Sendable, Equatable { case text, integer, number, flag, choice([String]), list }

    public struct Field: Sendable {
        public let key: String
        public let kind: Kind
        let get: @Sendable (RunConfig) -> String
        let set: @Sendable (inout RunConfig, String) throws -> Void
    }

    public private(set) var config: RunConfig
    /// Where the config came from ("configs/example-sft.toml", "runs/…/config.toml", "edited").
    public var origin: String
    public private(set) var errors: [String: String] = [:]
    public private(set) var edited = false
    /// A problem not tied to one field (TOML that does not parse, a section missing).
    public private(set) var generalError: String?
    let fileExists: @Sendable (String) -> Bool

    public init(config: RunConfig, origin: String, fileExists: @escaping @Sendable (String) -> Bool) {
        self.config = config; self.origin = origin; self.fileExists = fileExists
        revalidate()
    }

    /// The fields of a config of `kind`: the run's identity and model, then SFT's data or RL's environment and
    /// reward model, then LoRA, optimizer and schedule.
    public static func fields(for kind: RunConfig.Kind) -> [Field] {
        head + (kind == .rl ? rlFields : dataFields) + tail
    }

    public var fields: [Field] { Self.fields(for: config.kind) }

    static let head: [Field] = [
        Field(key: "name", kind: .text, get: { $0.name }, set: { $0.name = $1 }),
        Field(key: "kind", kind: .choice(["sft", "rl"]), get: { $0.kind.rawValue }, set: { c, s in
            guard let k = RunConfig.Kind(rawValue: s), k != .pretrain else { throw FormError(message: "\"\(s)\": sft or rl") }
            if k == .rl && c.rl == nil { c.rl = RunConfig.RL() }
            if k == .sft { c.rl = nil }
            c.kind = k
        }),
        Field(key: "seed", kind: .integer, get: { "\($0.seed)" }, set: { $0.seed = try int($1, "seed") }),
        Field(key: "model.base", kind: .text, get: { $0.model.base ?? "" }, set: { $0.model.base = $1.isEmpty ? nil : $1 }),
        Field(key: "model.weights", kind: .choice(RunConfig.WeightFormat.allCases.map(\.rawValue)),
              get: { $0.model.weights.rawValue }, set: { $0.model.weights = RunConfig.WeightFormat(rawValue: $1) ?? .f32 }),
    ]

    static let rlFields: [Field] = [
        Field(key: "rl.env", kind: .choice(RunConfig.RL.environments), get: { $0.rl?.env ?? "arithmetic" },
              set: { c, s in c.rl = withRL(c.rl) { $0.env = s } }),
        Field(key: "rl.dataset", kind: .text, get: { $0.rl?.dataset ?? "" },
              set: { c, s in c.rl = withRL(c.rl) { $0.dataset = s.isEmpty ? nil : s } }),
        Field(key: "rl.digits", kind: .integer, get: { "\($0.rl?.digits ?? 2)" },
              set: { c, s in c.rl = try withRL(c.rl) { $0.digits = try int(s, "rl.digits") } }),
        Field(key: "rl.group_size", kind: .integer, get: { "\($0.rl?.groupSize ?? 8)" },
              set: { c, s in c.rl = try withRL(c.rl) { $0.groupSize = try int(s, "rl.group_size") } }),
        Field(key: "rl.prompts_per_step", kind: .integer, get: { "\($0.rl?.promptsPerStep ?? 8)" },
              set: { c, s in c.rl = try withRL(c.rl) { $0.promptsPerStep = try int(s, "rl.prompts_per_step") } }),
        Field(key: "rl.loss", kind: .choice(RunConfig.RL.losses), get: { $0.rl?.loss ?? "ppo" },
              set: { c, s in c.rl = withRL(c.rl) { $0.loss = s } }),
        Field(key: "rl.clip_low", kind: .number, get: { num($0.rl?.clipLow ?? 0.8) },
              set: { c, s in c.rl = try withRL(c.rl) { $0.clipLow = try double(s, "rl.clip_low") } }),
        Field(key: "rl.clip_high", kind: .number, get: { num($0.rl?.clipHigh ?? 1.2) },
              set: { c, s in c.rl = try withRL(c.rl) { $0.clipHigh = try double(s, "rl.clip_high") } }),
        Field(key: "rl.normalize_advantages", kind: .flag, get: { "\($0.rl?.normalizeAdvantages ?? false)" },
              set: { c, s in c.rl = withRL(c.rl) { $0.normalizeAdvantages = s == "true" } }),
        Field(key: "rl.kl_coef", kind: .number, get: { num($0.rl?.klCoef ?? 0) },
              set: { c, s in c.rl = try withRL(c.rl) { $0.klCoef = try double(s, "rl.kl_coef") } }),
        Field(key: "rl.kl_estimator", kind: .choice(RunConfig.RL.KLEstimatorName.allCases.map(\.rawValue)),
              get: { $0.rl?.klEstimator.rawValue ?? "k3" },
              set: { c, s in c.rl = withRL(c.rl) { $0.klEstimator = RunConfig.RL.KLEstimatorName(rawValue: s) ?? .k3 } }),
        Field(key: "rl.kl_in", kind: .choice(RunConfig.RL.KLPlacement.allCases.map(\.rawValue)),
              get: { $0.rl?.klIn.rawValue ?? "reward" },
              set: { c, s in c.rl = withRL(c.rl) { $0.klIn = RunConfig.RL.KLPlacement(rawValue: s) ?? .reward } }),
        Field(key: "rl.max_tokens", kind: .integer, get: { "\($0.rl?.maxTokens ?? 48)" },
              set: { c, s in c.rl = try withRL(c.rl) { $0.maxTokens = try int(s, "rl.max_tokens") } }),
        Field(key: "rl.temperature", kind: .number, get: { num($0.rl?.temperature ?? 1) },
              set: { c, s in c.rl = try withRL(c.rl) { $0.temperature = try double(s, "rl.temperature") } }),
        Field(key: "rl.eval_prompts", kind: .integer, get: { "\($0.rl?.evalPrompts ?? 200)" },
              set: { c, s in c.rl = try withRL(c.rl) { $0.evalPrompts = try int(s, "rl.eval_prompts") } }),
        Field(key: "rl.eval_k", kind: .integer, get: { "\($0.rl?.evalK ?? 1)" },
              set: { c, s in c.rl = try withRL(c.rl) { $0.evalK = try int(s, "rl.eval_k") } }),
        Field(key: "rl.reward_model", kind: .flag, get: { "\($0.rl?.rewardModel != nil)" },
              set: { c, s in c.rl = withRL(c.rl) { $0.rewardModel = s == "true" ? ($0.rewardModel ?? RunConfig.RewardModelSection()) : nil } }),
        Field(key: "rl.reward_model.weight", kind: .number, get: { num($0.rl?.rewardModel?.weight ?? 1) },
              set: { c, s in c.rl = try withRM(c.rl) { $0.weight = try double(s, "rl.reward_model.weight") } }),
        Field(key: "rl.reward_model.pairs", kind: .text, get: { $0.rl?.rewardModel?.pairs ?? "" },
              set: { c, s in c.rl = withRM(c.rl) { $0.pairs = s.isEmpty ? nil : s } }),
        Field(key: "rl.reward_model.initial_steps", kind: .integer, get: { "\($0.rl?.rewardModel?.initialSteps ?? 0)" },
              set: { c, s in c.rl = try withRM(c.rl) { $0.initialSteps = try int(s, "rl.reward_model.initial_steps") } }),
        Field(key: "rl.reward_model.from_feedback", kind: .flag, get: { "\($0.rl?.rewardModel?.fromFeedback ?? true)" },
              set: { c, s in c.rl = withRM(c.rl) { $0.fromFeedback = s == "true" } }),
        Field(key: "rl.reward_model.steps_per_update", kind: .integer, get: { "\($0.rl?.rewardModel?.stepsPerUpdate ?? 4)" },
              set: { c, s in c.rl = try withRM(c.rl) { $0.stepsPerUpdate = try int(s, "rl.reward_model.steps_per_update") } }),
        Field(key: "rl.reward_model.lr", kind: .number, get: { num($0.rl?.rewardModel?.lr ?? 5e-4) },
              set: { c, s in c.rl = try withRM(c.rl) { $0.lr = try double(s, "rl.reward_model.lr") } }),
        Field(key: "rl.reward_model.rank", kind: .integer, get: { "\($0.rl?.rewardModel?.rank ?? 8)" },
              set: { c, s in c.rl = try withRM(c.rl) { $0.rank = try int(s, "rl.reward_model.rank") } }),
    ]

    static let dataFields: [Field] = [
        Field(key: "data.train", kind: .text, get: { $0.data.train }, set: { $0.data.train = $1 }),
        Field(key: "data.eval", kind: .text, get: { $0.data.eval ?? "" }, set: { $0.data.eval = $1.isEmpty ? nil : $1 }),
        Field(key: "data.max_length", kind: .integer, get: { "\($0.data.maxLength)" },
              set: { $0.data.maxLength = try int($1, "data.max_length") }),
        Field(key: "data.packing", kind: .flag, get: { "\($0.data.packing)" }, set: { $0.data.packing = $1 == "true" }),
    ]

    static let tail: [Field] = [
        Field(key: "lora.rank", kind: .integer, get: { "\($0.lora?.rank ?? 16)" },
              set: { c, s in c.lora = try with(c.lora) { $0.rank = try int(s, "lora.rank") } }),
        Field(key: "lora.alpha", kind: .number, get: { num($0.lora?.alpha ?? 32) },
              set: { c, s in c.lora = try with(c.lora) { $0.alpha = try double(s, "lora.alpha") } }),
        Field(key: "lora.targets", kind: .list, get: { ($0.lora?.targets ?? []).map(\.rawValue).joined(separator: ", ") },
              set: { c, s in c.lora = try with(c.lora) { $0.targets = try targets(s) } }),
        Field(key: "lora.rank_pattern", kind: .list, get: { pattern($0.lora?.rankPattern ?? [:]) { "\($0)" } },
              set: { c, s in c.lora = try with(c.lora) { $0.rankPattern = try parsePattern(s, "lora.rank_pattern") { Int($0) } } }),
        Field(key: "lora.alpha_pattern", kind: .list, get: { pattern($0.lora?.alphaPattern ?? [:], num) },
              set: { c, s in c.lora = try with(c.lora) { $0.alphaPattern = try parsePattern(s, "lora.alpha_pattern") { Double($0) } } }),
        Field(key: "lora.rslora", kind: .flag, get: { "\($0.lora?.rslora ?? false)" },
              set: { c, s in c.lora = with(c.lora) { $0.rslora = s == "true" } }),
        Field(key: "optimizer.lr", kind: .number, get: { num($0.optimizer.lr) },
              set: { $0.optimizer.lr = try double($1, "optimizer.lr") }),
        Field(key: "optimizer.schedule", kind: .choice(RunConfig.Schedule.allCases.map(\.rawValue)),
              get: { $0.optimizer.schedule.rawValue },
              set: { $0.optimizer.schedule = RunConfig.Schedule(rawValue: $1) ?? .constant }),
        Field(key: "optimizer.warmup_steps", kind: .integer, get: { "\($0.optimizer.warmupSteps)" },
              set: { $0.optimizer.warmupSteps = try int($1, "optimizer.warmup_steps") }),
        Field(key: "optimizer.weight_decay", kind: .number, get: { num($0.optimizer.weightDecay) },
              set: { $0.optimizer.weightDecay = try double($1, "optimizer.weight_decay") }),
        Field(key: "optimizer.grad_clip", kind: .number, get: { num($0.optimizer.gradClip) },
              set: { $0.optimizer.gradClip = try double($1, "optimizer.grad_clip") }),
        Field(key: "training.steps", kind: .integer, get: { "\($0.training.steps)" },
              set: { $0.training.steps = try int($1, "training.steps") }),
        Field(key: "training.batch_size", kind: .integer, get: { "\($0.training.batchSize)" },
              set: { $0.training.batchSize = try int($1, "training.batch_size") }),
        Field(key: "training.grad_accum", kind: .integer, get: { "\($0.training.gradAccum)" },
              set: { $0.training.gradAccum = try int($1, "training.grad_accum") }),
        Field(key: "eval.every", kind: .integer, get: { "\($0.eval.every)" }, set: { $0.eval.every = try int($1, "eval.every") }),
        Field(key: "eval.max_tokens", kind: .integer, get: { "\($0.eval.maxTokens)" },
              set: { $0.eval.maxTokens = try int($1, "eval.max_tokens") }),
        Field(key: "checkpoint.every", kind: .integer, get: { "\($0.checkpoint.every)" },
              set: { $0.checkpoint.every = try int($1, "checkpoint.every") }),
        Field(key: "checkpoint.keep", kind: .integer, get: { "\($0.checkpoint.keep)" },
              set: { $0.checkpoint.keep = try int($1, "checkpoint.keep") }),
    ]

    public func value(_ index: Int) -> String { fields[index].get(config) }

    /// Sets a field from text. A value that does not parse is refused (the config keeps its old value) and the error
    /// is returned and attached to the field; range problems are attached but the value is kept, as in a file.
    @discardableResult
    public mutating func set(_ index: Int, _ text: String) -> String? {
        let field = fields[index]
        var next = config
        do { try field.set(&next, text.trimmingCharacters(in: .whitespaces)) } catch {
            let message = (error as? FormError)?.message ?? "\(error)"
            errors[field.key] = message
            return message
        }
        config = next
        edited = true
        origin = "edited"
        revalidate()
        return errors[field.key]
    }

    /// Steps a choice or flag field to its next (or previous) value.
    public mutating func cycle(_ index: Int, by delta: Int) {
        let field = fields[index]
        let options: [String]
        switch field.kind {
        case .choice(let o): options = o
        case .flag: options = ["false", "true"]
        default: return
        }
        let i = options.firstIndex(of: value(index)) ?? 0
        set(index, options[((i + delta) % options.count + options.count) % options.count])
    }

    /// Checks the whole config as the loader does, plus that data files exist in the workspace.
    mutating func revalidate() {
        errors = [:]
        generalError = nil
        for problem in config.problems(source: "form") {
            let field = problem.location.hasPrefix("form: ") ? String(problem.location.dropFirst(6)) : problem.location
            if fields.contains(where: { $0.key == field }) { errors[field] = problem.message }
            else if generalError == nil { generalError = "\(field): \(problem.message)" }
        }
        let files = config.kind == .rl
            ? [("rl.dataset", config.rl?.dataset ?? ""), ("rl.reward_model.pairs", config.rl?.rewardModel?.pairs ?? "")]
            : [("data.train", config.data.train), ("data.eval", config.data.eval ?? "")]
        for (key, path) in files + [("model.base", config.model.base ?? "")] where !path.isEmpty && errors[key] == nil {
            if !fileExists(path) { errors[key] = "\(path) does not exist in this workspace" }
        }
    }

    public var isValid: Bool { errors.isEmpty && generalError == nil }

    /// The first error as one line naming the field, for the status line.
    public var firstError: String? {
        if let generalError { return generalError }
        guard let field = fields.first(where: { errors[$0.key] != nil }) else { return nil }
        return "\(field.key): \(errors[field.key]!)"
    }

    public var toml: String { config.toTOML() }
}

struct FormError: Error { let message: String }

private func int(_ s: String, _ key: String) throws -> Int {
    guard let v = Int(s) else { throw FormError(message: "\"\(s)\" is not an integer") }
    return v
}

private func double(_ s: String, _ key: String) throws -> Double {
    guard let v = Double(s), v.isFinite else { throw FormError(message: "\"\(s)\" is not a number") }
    return v
}

private func num(_ v: Double) -> String {
    if v != 0 && (abs(v) < 1e-3 || abs(v) >= 1e6) { return String(format: "%g", v) }
    var s = String(v)
    if s.hasSuffix(".0") { s.removeLast(2) }
    return s
}

private func with(_ lora: RunConfig.LoRA?, _ change: (inout RunConfig.LoRA) throws -> Void) rethrows -> RunConfig.LoRA {
    var l = lora ?? RunConfig.LoRA()
    try change(&l)
    return l
}

private func withRL(_ rl: RunConfig.RL?, _ change: (inout RunConfig.RL) throws -> Void) rethrows -> RunConfig.RL {
    var r = rl ?? RunConfig.RL()
    try change(&r)
    return r
}

/// Edits the reward-model section, creating it (the flag field turns it on) when a value is set.
private func withRM(_ rl: RunConfig.RL?, _ change: (inout RunConfig.RewardModelSection) throws -> Void) rethrows -> RunConfig.RL {
    var r = rl ?? RunConfig.RL()
    var m = r.rewardModel ?? RunConfig.RewardModelSection()
    try change(&m)
    r.rewardModel = m
    return r
}

private func targets(_ s: String) throws -> [RunConfig.LoRATarget] {
    let names = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    return try names.map { name in
        guard let t = RunConfig.LoRATarget(rawValue: name) else {
            throw FormError(message: "unknown target \"\(name)\" (one of \(RunConfig.LoRATarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return t
    }
}

private func pattern<V>(_ p: [String: V], _ show: (V) -> String) -> String {
    p.keys.sorted().map { "\($0)=\(show(p[$0]!))" }.joined(separator: ", ")
}

/// "q=8, mlp=4" → ["q": 8, "mlp": 4].
private func parsePattern<V>(_ s: String, _ key: String, _ parse: (String) -> V?) throws -> [String: V] {
    var out: [String: V] = [:]
    for part in s.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
        let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard kv.count == 2, !kv[0].isEmpty, let v = parse(kv[1]) else {
            throw FormError(message: "\"\(part)\": write module=value, e.g. q=8, mlp=4")
        }
        out[kv[0]] = v
    }
    return out
}
