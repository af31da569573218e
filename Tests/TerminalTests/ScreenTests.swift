import Testing
@testable import Terminal

@Suite struct ScreenTests {
    @Test func textIsClippedAndWideCharactersTakeTwoCells() {
        let s = Screen(width: 8, height: 2)
        let p = Painter(s, Rect(x: 1, y: 0, width: 6, height: 2))
        let end = p.text(0, 0, "ab漢字xyz")
        #expect(end == 6)
        #expect(s.text() == " ab漢字\n")
        #expect(s[4, 0].continuation)
    }

    @Test func controlCharactersAreVisible() {
        let s = Screen(width: 6, height: 1)
        Painter(s).text(0, 0, "a\nb\tc")
        #expect(s.text() == "a·b·c")
    }

    @Test func truncationAddsAnEllipsis() {
        #expect(truncated("hello world", to: 6) == "hello…")
        #expect(truncated("hi", to: 6) == "hi")
    }

    @Test func colourReductionPicksNearest() {
        #expect(ColorReduction.nearest256(RGB(255, 0, 0)) == 196)
        #expect(ColorReduction.nearest256(RGB(128, 128, 128)) == 244)
        #expect(ColorReduction.nearestANSI(RGB(250, 250, 250)) == 15)
        #expect(ColorReduction.index(.rgb(RGB(1, 2, 3)), depth: .truecolor) == 0x010203)
        #expect(ColorReduction.index(.rgb(RGB(1, 2, 3)), depth: .monochrome) == nil)
        #expect(RGB(hex: "#0a0B0c") == RGB(10, 11, 12))
        #expect(RGB(hex: "#0a0B0") == nil)
        #expect(RGB(10, 11, 12).description == "#0a0b0c")
    }

    @Test func capabilitiesHonourNoColorAndTheLocale() {
        let c = Capabilities.detect(environment: ["NO_COLOR": "1"], terminalColors: 256, codeset: "UTF-8")
        #expect(c.colors == .monochrome && c.unicode)
        let d = Capabilities.detect(environment: [:], terminalColors: 8, codeset: "ANSI_X3.4-1968")
        #expect(d.colors == .ansi16 && !d.unicode)
        #expect(Capabilities.detect(environment: [:], terminalColors: 256, codeset: "utf8").colors == .indexed256)
    }

    @Test func textDriverCountsChangedCells() {
        let d = TextDriver(width: 4, height: 1)
        let s = Screen(width: 4, height: 1)
        Painter(s).text(0, 0, "abcd")
        d.present(s)
        #expect(d.lastChangedCells == 4)
        Painter(s).text(1, 0, "x")
        d.present(s)
        #expect(d.lastChangedCells == 1)
        #expect(d.text == "axcd")
    }
}
