import Foundation
import Terminal
import Testing
@testable import Workbench

private let themes = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("themes")

@Suite struct ThemeTests {
    @Test(arguments: ["default", "light", "tty"])
    func shippedThemesLoadCleanlyAndSetEveryKey(name: String) throws {
        let url = themes.appendingPathComponent("\(name).theme")
        let (theme, warnings) = try Theme.load(url)
        #expect(warnings == [])
        #expect(theme.name == name)
        let text = try String(contentsOf: url, encoding: .utf8)
        for key in ThemeKey.allCases { #expect(text.contains("theme[\(key.rawValue)]="), "\(name) lacks \(key)") }
    }

    @Test func defaultThemeFileIsTheBuiltinDark() throws {
        #expect(try Theme.load(themes.appendingPathComponent("default.theme")).theme.colors == Theme.builtinDark.colors)
        #expect(Theme.builtinDark.colors.count == ThemeKey.allCases.count)
    }

    @Test func ttyThemeUsesOnlyTheSixteenColours() throws {
        let theme = try Theme.load(themes.appendingPathComponent("tty.theme")).theme
        for key in ThemeKey.allCases {
            switch theme[key] {
            case .default: break
            case .ansi(let n): #expect(n < 16)
            case .rgb: Issue.record("\(key) is RGB")
            }
        }
    }

    @Test func everyValueFormParses() {
        let text = """
        # comment

        theme[main_bg]="#0a0B0c"
        theme[main_fg]="#80"
        theme[title] = "255 128 0"
        theme[hi_fg]=""
        theme[ok_fg]="ansi:10"
        """
        let (theme, warnings) = Theme.parse(text, name: "t", source: "t.theme")
        #expect(warnings == [])
        #expect(theme[.main_bg] == .rgb(RGB(10, 11, 12)))
        #expect(theme[.main_fg] == .rgb(RGB(128, 128, 128)))
        #expect(theme[.title] == .rgb(RGB(255, 128, 0)))
        #expect(theme[.hi_fg] == .default)
        #expect(theme[.ok_fg] == .ansi(10))
    }

    @Test func malformedLinesAreReportedAndSkipped() {
        let text = "theme[main_fg]=\"#ffffff\"\nmain_fg=#000000\ntheme[main_fg]=\"#000000\" extra\ntheme[]=\"\"\n"
        let (theme, warnings) = Theme.parse(text, name: "t", source: "t.theme")
        #expect(warnings == [
            "t.theme:2: not of the form theme[key]=\"value\" (skipped)",
            "t.theme:3: not of the form theme[key]=\"value\" (skipped)",
            "t.theme:4: not of the form theme[key]=\"value\" (skipped)",
        ])
        #expect(theme[.main_fg] == .rgb(RGB(255, 255, 255)))
    }

    @Test func unknownKeysAreNamed() {
        let (_, warnings) = Theme.parse("\ntheme[cpu_box]=\"#556d59\"", name: "t", source: "t.theme")
        #expect(warnings == ["t.theme:2: unknown key 'cpu_box' (skipped)"])
    }

    @Test func badColoursNameTheValueAndTheAcceptedForms() {
        for value in ["#12345", "red", "256 0 0", "1 2", "ansi:16", "ansi:", "#gggggg", "+12345"] {
            let (theme, warnings) = Theme.parse("theme[warn_fg]=\"\(value)\"", name: "t", source: "t.theme")
            #expect(warnings.count == 1)
            #expect(warnings.first?.hasPrefix("t.theme:1: bad colour \"\(value)\" for warn_fg; expected \"#RRGGBB\"") == true)
            #expect(warnings.first?.hasSuffix("(skipped)") == true)
            #expect(theme[.warn_fg] == Theme.builtinDark[.warn_fg])
        }
    }

    @Test func missingKeysFallBackToBuiltinDark() {
        var (theme, _) = Theme.parse("theme[series_1]=\"ansi:4\"", name: "partial", source: "p.theme")
        #expect(theme[.series_1] == .ansi(4))
        #expect(theme[.series_2] == Theme.builtinDark[.series_2])
        theme.colors = [:]
        #expect(theme[.main_bg] == Theme.builtinDark[.main_bg])
    }

    @Test func styleUsesMainBackgroundUnlessGiven() {
        let theme = Theme.builtinDark
        #expect(theme.style(.title, bold: true) == Style(fg: theme[.title], bg: theme[.main_bg], bold: true))
        #expect(theme.style(.status_fg, bg: .status_bg).bg == theme[.status_bg])
    }

    @Test func unreadableFileIsAOneLineErrorNamingIt() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/none.theme")
        #expect(throws: ThemeError("cannot read theme file /nonexistent/dir/none.theme: no such file")) {
            try Theme.load(url)
        }
    }
}
