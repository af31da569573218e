import Datasets
import Foundation
import Store

/// One task instance: the conversation the policy answers, what the reward checks against, and metadata a report
/// can group by (the arithmetic operator, the format constraint, …).
public struct EnvironmentPrompt: Sendable, Equatable {
    public var messages: [ChatMessage]
    /// The reference answer ("" when the environment has none).
    public var answer: String
    /// Other accepted answers (QA aliases).
    public var accepted: [String]
    public var metadata: [String: String]

    public init(messages: [ChatMessage], answer: String, accepted: [String] = [], metadata: [String: String] = [:]) {
        self.messages = messages; self.answer = answer; self.accepted = accepted; self.metadata = metadata
    }
}

/// An RL environment: prompts to train on (a function of step), held-out prompts to evaluate on (disjoint from every
/// training prompt), and a verifiable reward for a completion.
public protocol Environment: Sendable {
    var name: String { get }
    /// False when `reward` is always nil (the reward model's score is the only reward).
    var hasVerifiableReward: Bool { get }
    func trainingPrompts(step: Int, count: Int) -> [EnvironmentPrompt]
    func heldOutPrompts(count: Int) -> [EnvironmentPrompt]
    /// Reward in [0, 1] (1 = correct), or nil when the environment has no verifiable reward (its reward is the
    /// reward model's).
    func reward(_ prompt: EnvironmentPrompt, completion: String) -> Double?
}

public enum Environments {
    /// The environment a config's [rl] section names; `dataset` is its dataset file, resolved, when it has one.
    public static func make(_ rl: RunConfig.RL, dataset: URL?, seed: UInt64) throws -> Environment {
        let source = rl.dataset ?? ""
        switch rl.env {
        case "arithmetic": return ArithmeticEnvironment(digits: rl.digits, seed: seed)
        case "format": return try FormatEnvironment(questions: dataset.map { try FormatEnvironment.questions(from: $0, source: source) },
                                                    seed: seed)
        case "qa":
            guard let dataset else { throw RunsError("rl.dataset: missing (env \"qa\" reads question/answer pairs from it)") }
            return try QAEnvironment(contentsOf: dataset, source: source, seed: seed)
        case "prompts":
            guard let dataset else { throw RunsError("rl.dataset: missing (env \"prompts\" reads its prompts from it)") }
            return try PromptsEnvironment(contentsOf: dataset, source: source, seed: seed)
        default:
            throw RunsError("rl.env: unknown environment \"\(rl.env)\" (expected \(RunConfig.RL.environments.joined(separator: ", ")))")
        }
    }

    /// Draws `count` items for a training step from `pool`, a function of (seed, step) so a resumed run sees the same.
    static func draw<T>(_ pool: [T], seed: UInt64, step: Int, count: Int) -> [T] {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(step))
        return (0..<count).map { _ in pool[rng.next(below: pool.count)] }
    }

    /// Splits items into (training, held out): every fifth item is held out, so both keep the file's mix.
    static func split<T>(_ items: [T]) -> (train: [T], heldOut: [T]) {
        var train: [T] = [], held: [T] = []
        for (i, x) in items.enumerated() { if i % 5 == 4 { held.append(x) } else { train.append(x) } }
        return (train, held)
    }
}

struct RunsError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
