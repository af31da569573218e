import Foundation
import Tokenizer

/// What `lathe data inspect` shows: the first examples of a chat dataset as the model will see them (rendered
/// template, then every token with its loss weight), and a summary over the whole file.
public struct DataInspector: Sendable {
    public struct Example: Encodable, Equatable, Sendable {
        public var index: Int
        public var line: Int
        public var rendered: String
        public var ids: [Int]
        /// Vocabulary strings, as `lathe tokenize` prints them.
        public var tokens: [String]
        public var weights: [Float]
        /// Tokens before truncation (more than `ids.count` when the example was truncated).
        public var length: Int
        /// For the text view: the rendering in pieces, with whether each carries loss.
        var segments: [ChatTemplate.Segment]

        enum CodingKeys: String, CodingKey {
            case index, line, rendered, ids, tokens, weights, length
        }
    }

    public struct Summary: Encodable, Equatable, Sendable {
        public var examples: Int
        /// After truncation.
        public var tokens: Int
        public var lossTokens: Int
        public var lossFraction: Double
        public var maxLength: Int?
        public var truncated: Int
        /// Examples left with no loss-carrying token after truncation (training drops them).
        public var withoutLoss: Int

        enum CodingKeys: String, CodingKey {
            case examples, tokens, lossTokens = "loss_tokens", lossFraction = "loss_fraction"
            case maxLength = "max_length", truncated, withoutLoss = "without_loss"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(examples, forKey: .examples)
            try c.encode(tokens, forKey: .tokens)
            try c.encode(lossTokens, forKey: .lossTokens)
            try c.encode(lossFraction, forKey: .lossFraction)
            try c.encode(maxLength, forKey: .maxLength)
            try c.encode(truncated, forKey: .truncated)
            try c.encode(withoutLoss, forKey: .withoutLoss)
        }
    }

    public struct Report: Encodable, Equatable, Sendable {
        public var file: String
        public var examples: [Example]
        public var summary: Summary
    }

    public let report: Report
    private let tokenizer: Tokenizer

    /// Inspects the first `count` examples of `dataset`; `maxLength` (if any) truncates as training would.
    public init(dataset: ChatDataset, template: ChatTemplate, count: Int = 3, maxLength: Int? = nil) {
        precondition(count >= 0, "count must not be negative")
        precondition(maxLength.map { $0 > 0 } ?? true, "maxLength must be positive")
        let tokenizer = template.tokenizer
        self.tokenizer = tokenizer
        var shown: [Example] = []
        var summary = Summary(examples: dataset.examples.count, tokens: 0, lossTokens: 0, lossFraction: 0,
                              maxLength: maxLength, truncated: 0, withoutLoss: 0)
        for (index, example) in dataset.examples.enumerated() {
            let full = template.encode(example)
            var kept = full
            if let maxLength, full.count > maxLength {
                kept = full.truncated(to: maxLength)
                summary.truncated += 1
            }
            summary.tokens += kept.count
            summary.lossTokens += kept.lossTokens
            if kept.lossTokens == 0 { summary.withoutLoss += 1 }
            guard index < count else { continue }
            shown.append(Example(
                index: index, line: example.line, rendered: ChatTemplate.render(example.messages), ids: kept.ids,
                tokens: kept.ids.map { tokenizer.token(forID: $0) ?? "" }, weights: kept.weights,
                length: full.count,
                segments: ChatTemplate.segments(example.messages)))
        }
        summary.lossFraction = summary.tokens == 0 ? 0 : Double(summary.lossTokens) / Double(summary.tokens)
        report = Report(file: dataset.source, examples: shown, summary: summary)
    }

    /// Colour only for a terminal, and never when `NO_COLOR` is set to anything (https://no-color.org) or TERM=dumb.
    public static func usesColour(environment: [String: String], isTerminal: Bool) -> Bool {
        isTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    /// One JSON object and a line break (sorted keys, as every `--json` of lathe).
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only strings, integers and finite numbers: encoding cannot fail.
        let data = try! encoder.encode(report)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static let green = "\u{1B}[32m", reset = "\u{1B}[0m"

    /// The terminal view. With `colour`, loss-carrying text and token rows are green; without, rows carry a `*`.
    public func text(colour: Bool) -> String {
        var out = ""
        for example in report.examples {
            var heading = "example \(example.index) (line \(example.line)): \(example.ids.count) tokens, "
                + "\(example.weights.filter { $0 != 0 }.count) with loss"
            if example.length > example.ids.count { heading += ", truncated from \(example.length)" }
            out += "── \(heading) ──\n"
            // Consecutive segments with the same weight are written as one run, so colour wraps whole spans.
            var k = 0
            while k < example.segments.count {
                let trained = example.segments[k].trained
                var run = ""
                while k < example.segments.count && example.segments[k].trained == trained {
                    run += example.segments[k].text
                    k += 1
                }
                let visible = VisibleText.text(run)
                out += colour && trained ? Self.green + visible + Self.reset : visible
            }
            if !out.hasSuffix("\n") { out += "\n" }
            out += "\n" + pad("index", 6) + pad("id", 8) + pad("weight", 9) + "  token\n"
            for (i, id) in example.ids.enumerated() {
                let weight = example.weights[i]
                let marked = weight != 0
                let marker = marked && !colour ? "*" : " "
                let row = pad(String(i), 6) + pad(String(id), 8) + "  " + marker + pad(Self.format(weight), 6)
                    + "  " + VisibleText.token(id, in: tokenizer)
                out += (colour && marked ? Self.green + row + Self.reset : row) + "\n"
            }
            out += "\n"
        }
        let s = report.summary
        let percent = String(format: "%.1f", s.lossFraction * 100)
        var summary = "summary: \(s.examples) examples, \(s.tokens) tokens, \(s.lossTokens) with loss (\(percent)%)"
        if let maxLength = s.maxLength {
            summary += ", \(s.truncated) truncated at \(maxLength) tokens"
        } else {
            summary += ", no max length"
        }
        if s.withoutLoss > 0 { summary += ", \(s.withoutLoss) without any loss-carrying token" }
        return out + summary + "\n"
    }

    /// 1 → "1", 0.5 → "0.5".
    static func format(_ w: Float) -> String {
        w == w.rounded() && abs(w) < 1e9 ? String(Int(w)) : "\(w)"
    }

    private func pad(_ s: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - s.count)) + s
    }
}
