import Datasets
import Foundation
import Store
import Testing
@testable import Runs

/// The built-in environments: held-out prompts never appear in training, rewards are right on hand-made replies,
/// and dataset files fail on the line that is wrong.
struct EnvironmentTests {
    @Test func arithmeticHeldOutIsDisjointFromTrainingAndSmallDigitCountsTerminate() {
        let env = ArithmeticEnvironment(digits: 2, seed: 5)
        let held = Set(env.heldOutPrompts(count: 2000).map { $0.messages[0].content })
        #expect(held.count == 2000)
        for step in 0..<50 { for p in env.trainingPrompts(step: step, count: 16) { #expect(!held.contains(p.messages[0].content)) } }
        // The held-out set is the same whatever the run's seed, so runs and base models are compared on it.
        #expect(ArithmeticEnvironment(digits: 2, seed: 99).heldOutPrompts(count: 200) == env.heldOutPrompts(count: 200))
        // One-digit operands have 200 problems: a quarter is held out, and training still finds the rest.
        let small = ArithmeticEnvironment(digits: 1, seed: 0)
        #expect(small.heldOutPrompts(count: 1000).count == 50)
        #expect(small.trainingPrompts(step: 3, count: 8).count == 8)
    }

    @Test func arithmeticRewardReadsTheLastInteger() {
        let env = ArithmeticEnvironment(digits: 2, seed: 0)
        let p = EnvironmentPrompt(messages: [ChatMessage(.user, "What is 12-58?")], answer: "-46")
        #expect(env.reward(p, completion: "12-58=-46.") == 1)
        #expect(env.reward(p, completion: "The answer is -46.") == 1)
        #expect(env.reward(p, completion: "The answer is 46.") == 0)
        #expect(env.reward(p, completion: "no number at all") == 0)
        #expect(ArithmeticEnvironment.lastInteger("So 5-3 is 2") == "2")
        #expect(ArithmeticEnvironment.lastInteger("x=007") == "7")
    }

    @Test func formatConstraintsCheckTheReply() {
        typealias C = FormatEnvironment.Constraint
        #expect(C.maxWords(3).isSatisfied(by: "Paris is nice"))
        #expect(!C.maxWords(3).isSatisfied(by: "Paris is very nice"))
        #expect(!C.maxWords(3).isSatisfied(by: "   "))
        #expect(C.lowercase.isSatisfied(by: "paris, of course."))
        #expect(!C.lowercase.isSatisfied(by: "Paris"))
        #expect(C.uppercase.isSatisfied(by: "PARIS!"))
        #expect(C.startsWith("Answer:").isSatisfied(by: " Answer: Paris"))
        #expect(!C.startsWith("Yes").isSatisfied(by: "No."))
        #expect(C.endsWithExclamation.isSatisfied(by: "Paris!"))
        #expect(C.quoted.isSatisfied(by: "\"Paris\""))
        #expect(!C.quoted.isSatisfied(by: "\"\""))
        let env = try! FormatEnvironment(seed: 1)
        let held = env.heldOutPrompts(count: 1000)
        #expect(held.count == FormatEnvironment.builtInQuestions.count / 5 * C.all.count)
        let heldQuestions = Set(held.map { $0.messages[0].content })
        for p in env.trainingPrompts(step: 0, count: 64) { #expect(!heldQuestions.contains(p.messages[0].content)) }
        let p = held[0]
        #expect(p.metadata["constraint"] == "max_words_3")
        #expect(env.reward(p, completion: "It is white.") == 1)
        #expect(env.reward(p, completion: "Snow is white and cold.") == 0)
    }

    func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-env-\(UUID().uuidString).jsonl")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func qaRewardIsNormalisedExactMatchAndBadLinesAreNamed() throws {
        #expect(QAEnvironment.normalize("The  Eiffel-Tower!") == "eiffel tower")
        let lines = (0..<10).map { #"{"question":"Capital of \#($0)?","answer":"City \#($0)","aliases":["C\#($0)"]}"# }
        let env = try QAEnvironment(contentsOf: try file(lines.joined(separator: "\n")), source: "qa.jsonl", seed: 0)
        #expect(env.heldOutPrompts(count: 100).count == 2)
        let p = env.heldOutPrompts(count: 1)[0]
        #expect(p.messages[0].content == "Capital of 4?")
        #expect(env.reward(p, completion: "city 4.") == 1)
        #expect(env.reward(p, completion: "C4") == 1)
        #expect(env.reward(p, completion: "It is City 4.") == 0)
        let bad = lines.prefix(2).joined(separator: "\n") + "\n{\"question\":\"x\"}\n"
        #expect(throws: DatasetError(source: "qa.jsonl", line: 3, "missing \"answer\"")) {
            try QAEnvironment(contentsOf: try file(bad), source: "qa.jsonl", seed: 0)
        }
        #expect(throws: DatasetError(source: "qa.jsonl", line: 1, "aliases[0]: expected a string, got a number")) {
            try QAEnvironment(contentsOf: try file(#"{"question":"q","answer":"a","aliases":[3]}"#), source: "qa.jsonl", seed: 0)
        }
    }

    @Test func promptsComeFromPromptOrMessagesLines() throws {
        let text = """
            {"prompt":"Tell me a joke."}
            {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}
            {"prompt":"a"}
            {"prompt":"b"}
            {"prompt":"c"}
            """
        let env = try PromptsEnvironment(contentsOf: try file(text), source: "p.jsonl", seed: 0)
        #expect(!env.hasVerifiableReward)
        #expect(env.heldOutPrompts(count: 5).map { $0.messages.last!.content } == ["c"])
        let second = env.trainingPrompts(step: 0, count: 200).first { $0.messages.count == 2 }
        #expect(second?.messages.map(\.role) == [.system, .user])
        #expect(throws: DatasetError(source: "p.jsonl", line: 1, "messages: no user message")) {
            try PromptsEnvironment(contentsOf: try file(#"{"messages":[{"role":"system","content":"x"}]}"#), source: "p.jsonl", seed: 0)
        }
    }
}
