import Datasets
import Foundation

/// Prompts without a verifiable reward, from a JSONL file of `{"prompt": …}` or chat lines (the conversation up to its
/// last user message): the reward is the reward model's (the run's `[rl.reward_model]`). Every fifth prompt is held out.
public struct PromptsEnvironment: Environment {
    public let name = "prompts"
    public var hasVerifiableReward: Bool { false }
    let train: [EnvironmentPrompt], heldOut: [EnvironmentPrompt]
    let seed: UInt64

    public init(contentsOf url: URL, source: String, seed: UInt64) throws {
        let records = try JSONLFile.records(contentsOf: url, source: source, expected: "{\"prompt\": …} or {\"messages\": […]}")
        let items = try records.map { EnvironmentPrompt(messages: try Self.prompt(of: $0), answer: "") }
        guard items.count >= 5 else { throw RunsError("\(source): env \"prompts\" needs at least 5 prompts (got \(items.count))") }
        (train, heldOut) = Environments.split(items)
        self.seed = seed
    }

    /// A record's conversation up to and including its last user message.
    static func prompt(of r: JSONLRecord) throws -> [ChatMessage] {
        if let messages = try r.messages() {
            guard let last = messages.lastIndex(where: { $0.role == .user }) else { throw r.error("messages: no user message") }
            return Array(messages[...last])
        }
        return [ChatMessage(.user, try r.requiredString("prompt"))]
    }

    public func trainingPrompts(step: Int, count: Int) -> [EnvironmentPrompt] {
        Environments.draw(train, seed: seed, step: step, count: count)
    }

    public func heldOutPrompts(count: Int) -> [EnvironmentPrompt] { Array(heldOut.prefix(count)) }

    public func reward(_ prompt: EnvironmentPrompt, completion: String) -> Double? { nil }
}
