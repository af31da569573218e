import Datasets
import Foundation

/// Format following with a verifiable reward: a question plus one instruction about the reply's form ("Answer in at
/// most 5 words.", "Answer in lowercase letters only.", …); the reward is 1 when the reply obeys it. Questions are
/// built in (or the user turns of a chat JSONL file); every fifth question is held out, so evaluation asks
/// questions never trained on, under every instruction.
public struct FormatEnvironment: Environment {
    public let name = "format"
    public var hasVerifiableReward: Bool { true }
    let train: [String], heldOut: [String]
    let seed: UInt64

    /// A checkable instruction about a reply's form.
    public enum Constraint: Sendable, Equatable {
        case maxWords(Int), lowercase, uppercase, startsWith(String), endsWithExclamation, quoted

        public var instruction: String {
            switch self {
            case .maxWords(let n): return "Answer in at most \(n) words."
            case .lowercase: return "Answer in lowercase letters only."
            case .uppercase: return "Answer in capital letters only."
            case .startsWith(let w): return "Begin your answer with \"\(w)\"."
            case .endsWithExclamation: return "End your answer with an exclamation mark."
            case .quoted: return "Put your whole answer in double quotes."
            }
        }

        public var key: String {
            switch self {
            case .maxWords(let n): return "max_words_\(n)"
            case .lowercase: return "lowercase"
            case .uppercase: return "uppercase"
            case .startsWith(let w): return "starts_with_\(w.lowercased().filter(\.isLetter))"
            case .endsWithExclamation: return "ends_with_exclamation"
            case .quoted: return "quoted"
            }
        }

        public func isSatisfied(by reply: String) -> Bool {
            let text = reply.trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.contains(where: \.isLetter) || text.contains(where: \.isNumber) else { return false }
            switch self {
            case .maxWords(let n): return text.split(whereSeparator: \.isWhitespace).count <= n
            case .lowercase: return !text.contains(where: \.isUppercase)
            case .uppercase: return !text.contains(where: \.isLowercase)
            case .startsWith(let w): return text.hasPrefix(w)
            case .endsWithExclamation: return text.hasSuffix("!")
            case .quoted: return text.count >= 3 && text.hasPrefix("\"") && text.hasSuffix("\"")
            }
        }

        public static let all: [Constraint] = [.maxWords(3), .maxWords(5), .maxWords(8), .lowercase, .uppercase,
                                              .startsWith("Yes"), .startsWith("Answer:"), .startsWith("Well,"),
                                              .endsWithExclamation, .quoted]
    }

    public init(questions: [String]? = nil, seed: UInt64) throws {
        let qs = questions ?? Self.builtInQuestions
        guard qs.count >= 5 else { throw RunsError("rl.dataset: env \"format\" needs at least 5 questions (got \(qs.count))") }
        (train, heldOut) = Environments.split(qs)
        self.seed = seed
    }

    /// The user turns of a chat JSONL file (each line's first user message).
    public static func questions(from url: URL, source: String) throws -> [String] {
        let records = try JSONLFile.records(contentsOf: url, source: source, expected: "{\"messages\": […]} or {\"prompt\": …}")
        return try records.map { r in try PromptsEnvironment.prompt(of: r).last { $0.role == .user }?.content ?? "" }
    }

    func prompt(_ question: String, _ c: Constraint) -> EnvironmentPrompt {
        EnvironmentPrompt(messages: [ChatMessage(.user, "\(question) \(c.instruction)")], answer: "",
                          metadata: ["constraint": c.key])
    }

    public func trainingPrompts(step: Int, count: Int) -> [EnvironmentPrompt] {
        let pairs = Environments.draw(train.indices.flatMap { q in Constraint.all.indices.map { (q, $0) } }, seed: seed, step: step, count: count)
        return pairs.map { prompt(train[$0.0], Constraint.all[$0.1]) }
    }

    /// Every held-out question under every instruction, question-major, cut at `count`.
    public func heldOutPrompts(count: Int) -> [EnvironmentPrompt] {
        var out: [EnvironmentPrompt] = []
        for c in Constraint.all.indices { for q in heldOut { out.append(prompt(q, Constraint.all[c])) } }
        return Array(out.prefix(count))
    }

    public func reward(_ prompt: EnvironmentPrompt, completion: String) -> Double? {
        guard let key = prompt.metadata["constraint"], let c = Constraint.all.first(where: { $0.key == key }) else { return 0 }
        return c.isSatisfied(by: completion) ? 1 : 0
    }

    /// Plain questions of the kinds the base model was pretrained to answer.
    static let builtInQuestions: [String] = {
        let things = ["a cat", "a dog", "a horse", "a cow", "a bird", "a fish", "an apple", "a banana", "a tree",
                      "the sun", "the moon", "rain", "snow", "a river", "a mountain", "a coat", "a shirt", "a dress",
                      "a sandal", "a sneaker", "a bag", "a book", "a chair", "a table", "bread", "milk", "a boat",
                      "a train", "a clock", "a key"]
        let countries = ["France", "Italy", "Spain", "Japan", "Egypt", "Kenya", "Canada", "Peru", "Norway", "India"]
        var qs = things.map { "What is \($0)?" }
        qs += countries.map { "What is the capital of \($0)?" }
        qs += ["What colour is the sky?", "What colour is grass?", "What colour is snow?", "How many days are in a week?",
               "How many legs does a spider have?", "How many legs does a dog have?", "What do cows eat?",
               "Where do fish live?", "What is ice made of?", "What is the opposite of hot?", "What is the opposite of up?",
               "Which animal barks?", "Which animal says moo?", "What is the first month of the year?",
               "What day comes after Monday?", "What do bees make?", "What is the largest ocean?",
               "What is the biggest planet?", "Name a fruit.", "Name a colour.", "Name an animal.", "Name a day of the week.",
               "Name a piece of clothing.", "Name a kind of shoe.", "What do you wear on your feet?",
               "What do you use to cut paper?", "What is two plus two?", "What is ten minus three?",
               "How many hours are in a day?", "What season comes after winter?"]
        return qs
    }()
}
