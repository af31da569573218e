import Datasets

/// One task instance: the conversation the policy answers, and what the reward checks against.
public struct EnvironmentPrompt: Sendable, Equatable {
    public var messages: [ChatMessage]
    public var answer: String
    public init(messages: [ChatMessage], answer: String) { self.messages = messages; self.answer = answer }
}

/// An RL environment: prompts to train on (a function of step), held-out prompts to evaluate on (disjoint from every
/// training prompt), and a reward for a completion.
public protocol Environment: Sendable {
    var name: String { get }
    func trainingPrompts(step: Int, count: Int) -> [EnvironmentPrompt]
    func heldOutPrompts(count: Int) -> [EnvironmentPrompt]
    /// Reward in [0, 1] (1 = correct).
    func reward(_ prompt: EnvironmentPrompt, completion: String) -> Double
}

public enum Environments {
    /// The environment a config names (`rl.env`).
    public static func make(name: String, digits: Int, seed: UInt64) throws -> Environment {
        switch name {
        case "arithmetic": return ArithmeticEnvironment(digits: digits, seed: seed)
        default: throw RunsError("rl.env: unknown environment \"\(name)\" (expected arithmetic)")
        }
    }
}

struct RunsError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
