@testable import Datasets
import Testing

/// How tokens and rendered text are shown on a terminal.
@Suite struct VisibleTextTests {
    @Test func whitespaceIsMarked() throws {
        let tok = try ChatFixtures.template().tokenizer
        #expect(VisibleText.token(220, in: tok) == "·")  // "Ġ", a space
        #expect(VisibleText.token(198, in: tok) == "↵")  // "Ċ", a line feed
        #expect(VisibleText.token(197, in: tok) == "→")  // "ĉ", a tab
        #expect(VisibleText.token(1002, in: tok) == "<|im_end|>")
        #expect(VisibleText.token(99_999, in: tok) == "<unknown id 99999>")
    }

    @Test func partialUTF8IsShownAsBytes() throws {
        let tok = try ChatFixtures.template().tokenizer
        // "日本" is [162, 245, 956, 105]: the bytes E6 97 A5 E6 9C AC cut across tokens.
        #expect(tok.encode("日本") == [162, 245, 956, 105])
        #expect(VisibleText.token(162, in: tok) == "<0xE6>")
        #expect(VisibleText.token(956, in: tok) == "<0xA5><0xE6><0x9C>")
        #expect(VisibleText.token(405, in: tok) == "é")
    }

    @Test func renderedTextKeepsLayoutButNotControlCharacters() {
        #expect(VisibleText.text("a\n\tb") == "a\n\tb")
        #expect(VisibleText.text("\u{1B}[2J\r\u{7F}\u{85}x") == "<0x1B>[2J<0x0D><0x7F><0xC2><0x85>x")
        #expect(VisibleText.text("café 😀") == "café 😀")
    }

    @Test func weightsPrintWithoutATrailingZero() {
        #expect(DataInspector.format(1) == "1")
        #expect(DataInspector.format(0) == "0")
        #expect(DataInspector.format(0.5) == "0.5")
    }
}
