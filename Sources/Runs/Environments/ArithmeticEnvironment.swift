import Datasets
import Foundation

/// Multi-digit addition and subtraction asked as the shipped base model's corpus asks them ("What is 37+45?"), with a
/// verifiable reward: 1 when the last integer of the completion is the right result (the corpus's answers end with
/// it: "So 37+45=82.", "The answer is 82."), else 0. Held-out problems are drawn from their own stream and never
/// appear in training: 2 000 of them, or a quarter of all problems when there are fewer (one-digit operands).
public struct ArithmeticEnvironment: Environment {
    public let name = "arithmetic"
    public var hasVerifiableReward: Bool { true }
    public let digits: Int
    public let seed: UInt64
    private let heldOut: [Problem]
    private let heldOutKeys: Set<Problem>

    struct Problem: Hashable, Sendable { var a: Int; var op: Character; var b: Int }

    public init(digits: Int, seed: UInt64) {
        self.digits = digits
        self.seed = seed
        var rng = SplitMix64(seed: 0xE7A1_0000 &+ UInt64(digits))   // the held-out set does not depend on the run's seed
        var seen = Set<Problem>(), list: [Problem] = []
        let operands = Int(pow(10, Double(digits)))
        let target = min(2000, 2 * operands * operands / 4)
        while list.count < target {
            let p = Self.draw(&rng, digits: digits)
            if seen.insert(p).inserted { list.append(p) }
        }
        heldOut = list
        heldOutKeys = seen
    }

    static func draw(_ rng: inout SplitMix64, digits: Int) -> Problem {
        func operand() -> Int {
            let d = 1 + rng.next(below: digits)
            let lo = d == 1 ? 0 : Int(pow(10, Double(d - 1)))
            return lo + rng.next(below: Int(pow(10, Double(d))) - lo)
        }
        return Problem(a: operand(), op: rng.next(below: 2) == 0 ? "+" : "-", b: operand())
    }

    private func prompt(_ p: Problem) -> EnvironmentPrompt {
        let result = p.op == "+" ? p.a + p.b : p.a - p.b
        return EnvironmentPrompt(messages: [ChatMessage(.user, "What is \(p.a)\(p.op)\(p.b)?")], answer: String(result),
                                 metadata: ["op": String(p.op)])
    }

    public func trainingPrompts(step: Int, count: Int) -> [EnvironmentPrompt] {
        var rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(step))
        var out: [EnvironmentPrompt] = []
        while out.count < count {
            let p = Self.draw(&rng, digits: digits)
            if !heldOutKeys.contains(p) { out.append(prompt(p)) }
        }
        return out
    }

    public func heldOutPrompts(count: Int) -> [EnvironmentPrompt] { heldOut.prefix(count).map(prompt) }

    public func reward(_ prompt: EnvironmentPrompt, completion: String) -> Double? {
        Self.lastInteger(completion) == prompt.answer ? 1 : 0
    }

    /// The last integer written in `text` (a leading minus sign kept when it directly precedes the digits and does
    /// not follow a digit, so "5-3" reads as 3 but "is -2" as −2).
    static func lastInteger(_ text: String) -> String? {
        let chars = Array(text)
        var i = chars.count - 1
        while i >= 0 && !(chars[i].isASCII && chars[i].isNumber) { i -= 1 }
        guard i >= 0 else { return nil }
        let end = i
        while i >= 0 && chars[i].isASCII && chars[i].isNumber { i -= 1 }
        var digits = String(chars[(i + 1)...end])
        if i >= 0 && chars[i] == "-" && (i == 0 || !(chars[i - 1].isASCII && chars[i - 1].isNumber)) { digits = "-" + digits }
        while digits.hasPrefix("0") && digits.count > 1 { digits.removeFirst() }
        if digits.hasPrefix("-0") && digits.count > 2 { digits = "-" + digits.dropFirst(2) }
        return digits
    }
}
