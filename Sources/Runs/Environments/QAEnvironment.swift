import Datasets
import Foundation

/// Exact-match question answering from a JSONL file of `{"question": …, "answer": …, "aliases": [… optional]}` (or
/// chat lines whose first user message is the question and the last assistant message the answer). The reward is 1
/// when the reply, normalised as SQuAD does (lowercase, no punctuation, no articles, single spaces), equals the
/// answer or an alias. Every fifth record is held out.
public struct QAEnvironment: Environment {
    public let name = "qa"
    public var hasVerifiableReward: Bool { true }
    let train: [EnvironmentPrompt], heldOut: [EnvironmentPrompt]
    let seed: UInt64

    public init(contentsOf url: URL, source: String, seed: UInt64) throws {
        let records = try JSONLFile.records(contentsOf: url, source: source,
                                            expected: "{\"question\": …, \"answer\": …}")
        var items: [EnvironmentPrompt] = []
        for r in records {
            if let messages = try r.messages() {
                guard let q = messages.first(where: { $0.role == .user }), let a = messages.last(where: { $0.role == .assistant }) else {
                    throw r.error("messages: need a user question and an assistant answer")
                }
                items.append(EnvironmentPrompt(messages: [q], answer: a.content))
            } else {
                let q = try r.requiredString("question"), a = try r.requiredString("answer")
                items.append(EnvironmentPrompt(messages: [ChatMessage(.user, q)], answer: a, accepted: try r.stringArray("aliases") ?? []))
            }
        }
        guard items.count >= 5 else { throw RunsError("\(source): env \"qa\" needs at least 5 question/answer pairs (got \(items.count))") }
        (train, heldOut) = Environments.split(items)
        self.seed = seed
    }

    public func trainingPrompts(step: Int, count: Int) -> [EnvironmentPrompt] {
        Environments.draw(train, seed: seed, step: step, count: count)
    }

    public func heldOutPrompts(count: Int) -> [EnvironmentPrompt] { Array(heldOut.prefix(count)) }

    public func reward(_ prompt: EnvironmentPrompt, completion: String) -> Double? {
        let reply = Self.normalize(completion)
        return ([prompt.answer] + prompt.accepted).contains { Self.normalize($0) == reply } ? 1 : 0
    }

    /// SQuAD's answer normalisation: lowercase, punctuation removed, articles (a, an, the) removed, whitespace collapsed.
    public static func normalize(_ s: String) -> String {
        let lower = s.lowercased()
        let noPunct = String(lower.unicodeScalars.map { CharacterSet.punctuationCharacters.contains($0) ? " " : Character($0) })
        return noPunct.split(whereSeparator: \.isWhitespace).filter { !["a", "an", "the"].contains($0) }.joined(separator: " ")
    }
}
