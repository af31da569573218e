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

    public static let fields: [Field] = [
        Field(key: "name", kind: .text, get: { $0.name }, set: { $0.name = $1 }),
        Field(key: "seed", kind: .integer, get: { "\($0.seed)" }, set: { $0.seed = try int($1, "seed") }),
        Field(key: "model.base", kind: .text, get: { $0.model.base ?? "" }, set: { $0.model.base = $1.isEmpty ? nil : $1 }),
        Field(key: "model.weights", kind: .choice(RunConfig.WeightFormat.allCases.map(\.rawValue)),
              get: { $0.model.weights.rawValue }, set: { $0.model.weights = RunConfig.WeightFormat(rawValue: $1) ?? .f32 }),
        Field(key: "data.train", kind: .text, get: { $0.data.train }, set: { $0.data.train = $1 }),
        Field(key: "data.eval", kind: .text, get: { $0.data.eval ?? "" }, set: { $0.data.eval = $1.isEmpty ? nil : $1 }),
        Field(key: "data.max_length", kind: .integer, get: { "\($0.data.maxLength)" },
              set: { $0.data.maxLength = try int($1, "data.max_length") }),
        Field(key: "data.packing", kind: .flag, get: { "\($0.data.packing)" }, set: { $0.data.packing = $1 == "true" }),
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

    public func value(_ index: Int) -> String { Self.fields[index].get(config) }

    /// Sets a field from text. A value that does not parse is refused (the config keeps its old value) and the error
    /// is returned and attached to the field; range problems are attached but the value is kept, as in a file.
    @discardableResult
    public mutating func set(_ index: Int, _ text: String) -> String? {
        let field = Self.fields[index]
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
        let field = Self.fields[index]
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
            if Self.fields.contains(where: { $0.key == field }) { errors[field] = problem.message }
            else if generalError == nil { generalError = "\(field): \(problem.message)" }
        }
        for (key, path) in [("data.train", config.data.train), ("data.eval", config.data.eval ?? ""),
                            ("model.base", config.model.base ?? "")] where !path.isEmpty && errors[key] == nil {
            if !fileExists(path) { errors[key] = "\(path) does not exist in this workspace" }
        }
    }

    public var isValid: Bool { errors.isEmpty && generalError == nil }

    /// The first error as one line naming the field, for the status line.
    public var firstError: String? {
        if let generalError { return generalError }
        guard let field = Self.fields.first(where: { errors[$0.key] != nil }) else { return nil }
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
