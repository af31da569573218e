import Datasets
import Foundation
import Testing

/// Parsing OpenAI chat JSONL: what is accepted, and the exact one-line message for every way a file can be wrong.
@Suite struct ChatDatasetTests {
    /// The error for `text` read as "data.jsonl"; records an issue if it parses.
    func message(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        message(Data(text.utf8), sourceLocation: sourceLocation)
    }

    func message(_ data: Data, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        do {
            _ = try ChatDataset(data: data, source: "data.jsonl")
            Issue.record("expected a DatasetError", sourceLocation: sourceLocation)
            return ""
        } catch {
            #expect(!error.description.contains("\n"), "one line", sourceLocation: sourceLocation)
            return error.description
        }
    }

    let good = #"{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"}]}"#

    @Test func parsesMessagesSkippingBlankLinesAndIgnoringOtherKeys() throws {
        let other = #"{"id":7,"messages":[{"role":"system","content":"S","name":"x"},"#
            + #"{"role":"assistant","content":"A"}],"meta":{"a":[1,2]}}"#
        let text = "\n" + good + "\n  \n" + other + "\r\n"
        let dataset = try ChatDataset(data: Data(text.utf8), source: "data.jsonl")
        #expect(dataset.examples.count == 2)
        #expect(dataset.examples[0]
            == ChatExample(messages: [ChatMessage(.user, "Hi"), ChatMessage(.assistant, "Hello")], line: 2))
        #expect(dataset.examples[1]
            == ChatExample(messages: [ChatMessage(.system, "S"), ChatMessage(.assistant, "A")], line: 4))
    }

    @Test func decodesJSONStringEscapes() throws {
        let line = #"{"messages":[{"role":"assistant","content":"a\"b\\c\/d\n\t\r\b\f \u00e9 \ud83d\ude00 é"}]}"#
        let dataset = try ChatDataset(data: Data(line.utf8), source: "data.jsonl")
        #expect(dataset.examples[0].messages[0].content == "a\"b\\c/d\n\t\r\u{8}\u{C} é 😀 é")
    }

    @Test func toleratesAByteOrderMarkAndAMissingFinalNewline() throws {
        let dataset = try ChatDataset(data: Data([0xEF, 0xBB, 0xBF] + Array(good.utf8)), source: "data.jsonl")
        #expect(dataset.examples.count == 1)
    }

    @Test func readsAFile() throws {
        let dataset = try ChatDataset(contentsOf: ChatFixtures.url("example.jsonl"), source: "example.jsonl")
        #expect(dataset.source == "example.jsonl")
        #expect(dataset.examples.count == 4)
    }

    @Test func invalidJSON() {
        #expect(message(#"{"messages": [}"#) == "data.jsonl:1: invalid JSON at column 15: expected a value, got '}'")
        #expect(message(#"{"messages":[]"#)
            == "data.jsonl:1: invalid JSON at column 15: expected ',' or '}', got the end of the line")
        #expect(message(#"{messages:[]}"#) == "data.jsonl:1: invalid JSON at column 2: expected a string key, got 'm'")
        #expect(message(#"{"messages" []}"#)
            == "data.jsonl:1: invalid JSON at column 13: expected ':' after a key, got '['")
        #expect(message(#"{"messages":[]} x"#)
            == "data.jsonl:1: invalid JSON at column 17: expected the end of the line after the JSON value, got 'x'")
        #expect(message(#"{"a":"unterminated}"#)
            == "data.jsonl:1: invalid JSON at column 20: expected '\"' to close the string, got the end of the line")
        #expect(message(#"{"a":tru}"#) == "data.jsonl:1: invalid JSON at column 6: expected a value, got 't'")
        #expect(message(#"{"a":01}"#) == "data.jsonl:1: invalid JSON at column 7: expected ',' or '}', got '1'")
        #expect(message(#"{"a":"\x"}"#)
            == #"data.jsonl:1: invalid JSON at column 8: expected one of \" \\ \/ \b \f \n \r \t \uHHHH, got 'x'"#)
        #expect(message(#"{"a":"\ud83d"}"#)
            == #"data.jsonl:1: invalid JSON at column 7: expected a low surrogate \uDC00…\uDFFF after \uD83D"#)
        #expect(message("{\"a\":\"tab\there\"}") == "data.jsonl:1: invalid JSON at column 10: "
            + "a raw control character in a string (write it as an escape such as \\n)")
        #expect(message(#"{"é":"ü", "x" 1}"#)
            == "data.jsonl:1: invalid JSON at column 15: expected ':' after a key, got '1'")
        #expect(message(String(repeating: "[", count: 600))
            == "data.jsonl:1: invalid JSON at column 513: nesting deeper than 512 levels")
    }

    @Test func invalidUTF8() {
        #expect(message(Data(#"{"messages":"#.utf8) + Data([0xFF]) + Data("}".utf8)) == "data.jsonl:1: invalid UTF-8")
    }

    @Test func notAnObject() {
        #expect(message("[1,2]") == #"data.jsonl:1: expected a JSON object {"messages":[…]}, got an array"#)
        #expect(message("\"text\"") == #"data.jsonl:1: expected a JSON object {"messages":[…]}, got a string"#)
    }

    @Test func missingMessages() {
        #expect(message(#"{"conversation":[]}"#)
            == #"data.jsonl:1: missing "messages": expected {"messages":[{"role":…,"content":…},…]}"#)
    }

    @Test func messagesNotAnArray() {
        #expect(message(#"{"messages":{"role":"user"}}"#) == "data.jsonl:1: messages: expected an array, got an object")
        #expect(message(#"{"messages":null}"#) == "data.jsonl:1: messages: expected an array, got null")
    }

    @Test func messageNotAnObject() {
        #expect(message(#"{"messages":["Hi"]}"#)
            == #"data.jsonl:1: messages[0]: expected an object with "role" and "content", got a string"#)
    }

    @Test func messageWithoutRoleOrContent() {
        #expect(message(#"{"messages":[{"role":"user","content":"a"},{"content":"b"}]}"#)
            == #"data.jsonl:1: messages[1]: missing "role""#)
        #expect(message(#"{"messages":[{"role":"assistant"}]}"#) == #"data.jsonl:1: messages[0]: missing "content""#)
    }

    @Test func roleNotAString() {
        #expect(message(#"{"messages":[{"role":true,"content":"b"}]}"#)
            == "data.jsonl:1: messages[0].role: expected a string, got a boolean")
    }

    @Test func unknownRole() {
        #expect(message(#"{"messages":[{"role":"tool","content":"b"}]}"#)
            == #"data.jsonl:1: messages[0].role: expected "system", "user" or "assistant", got "tool""#)
        #expect(message(#"{"messages":[{"role":"User","content":"b"}]}"#)
            == #"data.jsonl:1: messages[0].role: expected "system", "user" or "assistant", got "User""#)
    }

    @Test func contentNotAString() {
        #expect(message(#"{"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}"#)
            == "data.jsonl:1: messages[0].content: expected a string, got an array")
        #expect(message(#"{"messages":[{"role":"assistant","content":null}]}"#)
            == "data.jsonl:1: messages[0].content: expected a string, got null")
        #expect(message(#"{"messages":[{"role":"assistant","content":42}]}"#)
            == "data.jsonl:1: messages[0].content: expected a string, got a number")
    }

    @Test func noAssistantMessage() {
        let expected = "data.jsonl:1: no assistant message: "
            + #"expected at least one message with "role":"assistant" to learn from"#
        #expect(message(#"{"messages":[{"role":"user","content":"Hi"}]}"#) == expected)
        #expect(message(#"{"messages":[]}"#) == expected)
    }

    @Test func emptyFile() {
        #expect(message("") == #"data.jsonl: empty file: expected one {"messages":[…]} object per line"#)
        #expect(message("\n \n\r\n")
            == #"data.jsonl: no examples, only blank lines: expected one {"messages":[…]} object per line"#)
    }

    @Test func gzipIsNamedAsSuch() {
        #expect(message(Data([0x1F, 0x8B, 0x08, 0x00]))
            == "data.jsonl: gzip-compressed: expected plain JSONL (decompress it first, e.g. gunzip)")
    }

    @Test func theFirstBadLineIsReported() {
        let text = [good, "", #"{"messages":"x"}"#, "not json", good].joined(separator: "\n")
        #expect(message(text) == "data.jsonl:3: messages: expected an array, got a string")
    }

    @Test func fileProblems() {
        #expect(throws: DatasetError(source: "/nonexistent/d.jsonl", "file not found")) {
            try ChatDataset(contentsOf: URL(fileURLWithPath: "/nonexistent/d.jsonl"))
        }
        #expect(throws: DatasetError(source: "fixtures", "is a directory, expected a .jsonl file")) {
            try ChatDataset(contentsOf: ChatFixtures.directory, source: "fixtures")
        }
    }
}
