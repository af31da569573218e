import Datasets
import Foundation
import Testing

/// `lathe data inspect` output for Tests/Fixtures/chat/example.jsonl, against committed goldens (inspect.txt,
/// inspect.json). After an intended change: `LATHE_UPDATE_GOLDENS=1 swift test --filter DataInspectorTests`, then
/// review the diff of the goldens.
@Suite struct DataInspectorTests {
    func inspector(count: Int = 4, maxLength: Int? = 64) throws -> DataInspector {
        let dataset = try ChatDataset(contentsOf: ChatFixtures.url("example.jsonl"),
                                      source: "Tests/Fixtures/chat/example.jsonl")
        return DataInspector(dataset: dataset, template: try ChatFixtures.template(), count: count,
                             maxLength: maxLength)
    }

    @Test func plainTextMatchesTheGolden() throws {
        let text = try inspector().text(colour: false)
        #expect(!text.contains("\u{1B}"), "no escape codes without colour")
        ChatFixtures.expectGolden(text, "inspect.txt")
    }

    @Test func jsonMatchesTheGolden() throws {
        ChatFixtures.expectGolden(try inspector().json(), "inspect.json")
    }

    @Test func jsonHasTheDocumentedShape() throws {
        let json = try JSONSerialization.jsonObject(with: Data(try inspector().json().utf8)) as! [String: Any]
        #expect(json["file"] as? String == "Tests/Fixtures/chat/example.jsonl")
        let examples = json["examples"] as! [[String: Any]]
        #expect(examples.count == 4)
        let first = examples[0]
        #expect(first["index"] as? Int == 0)
        #expect((first["rendered"] as? String)?.hasPrefix("<|im_start|>system\nYou are terse.<|im_end|>\n") == true)
        let ids = first["ids"] as! [Int], tokens = first["tokens"] as! [String], weights = first["weights"] as! [Double]
        #expect(ids.count == tokens.count && ids.count == weights.count)
        #expect(tokens.first == "<|im_start|>")
        #expect(examples[3]["length"] as? Int == 74)
        #expect((examples[3]["ids"] as! [Int]).count == 64)
        let summary = json["summary"] as! [String: Any]
        #expect(summary["examples"] as? Int == 4)
        #expect(summary["truncated"] as? Int == 1)
        #expect(summary["max_length"] as? Int == 64)
    }

    @Test func summaryCountsTheWholeFile() throws {
        let template = try ChatFixtures.template()
        let dataset = try ChatDataset(contentsOf: ChatFixtures.url("example.jsonl"))
        let encoded = dataset.examples.map { template.encode($0).truncated(to: 64) }
        let s = try inspector(count: 1).report.summary
        #expect(s.examples == 4 && s.truncated == 1 && s.withoutLoss == 0)
        #expect(s.tokens == encoded.reduce(0) { $0 + $1.count })
        #expect(s.lossTokens == encoded.reduce(0) { $0 + $1.lossTokens })
        #expect(s.lossFraction == Double(s.lossTokens) / Double(s.tokens))
        #expect(try inspector(maxLength: nil).report.summary.truncated == 0)
    }

    @Test func showsThreeExamplesByDefault() throws {
        let dataset = try ChatDataset(contentsOf: ChatFixtures.url("example.jsonl"))
        let report = DataInspector(dataset: dataset, template: try ChatFixtures.template()).report
        #expect(report.examples.map(\.index) == [0, 1, 2])
    }

    @Test func colourMarksLossTokensGreenInsteadOfStars() throws {
        let text = try inspector(count: 1).text(colour: true)
        let green = "\u{1B}[32m", reset = "\u{1B}[0m"
        #expect(text.contains(green + "4<|im_end|>" + reset), "the trained text of the rendering")
        let rows = text.split(separator: "\n").filter { $0.hasPrefix(green + " ") }  // table rows start padded
        #expect(rows.count == 2, "the rows of `4` and <|im_end|>")
        #expect(rows.allSatisfy { $0.hasSuffix(reset) && !$0.contains("*") })
        let plain = try inspector(count: 1).text(colour: false)
        #expect(plain.split(separator: "\n").filter { $0.contains(" *") }.count == 2)
    }

    @Test func colourOnlyForATerminalWithoutNoColor() {
        #expect(DataInspector.usesColour(environment: [:], isTerminal: true))
        #expect(!DataInspector.usesColour(environment: [:], isTerminal: false))
        #expect(!DataInspector.usesColour(environment: ["NO_COLOR": "1"], isTerminal: true))
        #expect(DataInspector.usesColour(environment: ["NO_COLOR": ""], isTerminal: true), "empty means unset")
        #expect(!DataInspector.usesColour(environment: ["TERM": "dumb"], isTerminal: true))
    }

    @Test func controlCharactersInDataCannotReachTheTerminal() throws {
        let line = #"{"messages":[{"role":"user","content":"\u001b[31mred\r"},{"role":"assistant","content":"ok"}]}"#
        let dataset = try ChatDataset(data: Data(line.utf8), source: "d.jsonl")
        let text = DataInspector(dataset: dataset, template: try ChatFixtures.template()).text(colour: false)
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("<0x1B>[31mred<0x0D>"))
        #expect(text.contains("␍"), "the token table marks a carriage return")
    }
}
