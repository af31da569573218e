import Foundation
import Store
import Terminal
import Testing
@testable import Workbench

/// Keys drive the panes as the keymap says, bad input is reported on the field it concerns, and what the user does
/// (ratings, UI state, exports, copies) lands in the workspace.
@Suite struct WorkbenchKeyTests {
    func press(_ app: Workbench, _ driver: TextDriver, _ keys: Key...) {
        for k in keys { driver.send(k); app.tick(timeoutMs: 0) }
    }

    func type(_ app: Workbench, _ driver: TextDriver, _ text: String) {
        for c in text { press(app, driver, .char(c)) }
    }

    @Test func formRejectsBadValuesOnTheFieldTheyConcern() throws {
        let f = try WorkbenchFixture()
        defer { f.remove() }
        let (app, d) = f.workbench(width: 120, height: 40)
        let lr = ConfigForm.fields(for: .sft).firstIndex { $0.key == "optimizer.lr" }!
        for _ in 0..<lr { press(app, d, .char("j")) }
        press(app, d, .enter, .ctrl("u"))
        type(app, d, "abc")
        press(app, d, .enter)
        #expect(app.configPane.form?.config.optimizer.lr == 2e-3)
        #expect(d.text.contains("optimizer.lr           0.002 ✗ \"abc\" is not a number"))
        press(app, d, .enter, .ctrl("u"))
        type(app, d, "-1")
        press(app, d, .enter)
        #expect(d.text.contains("✗ must be > 0 (got -1.0)"))
        press(app, d, .char("s"))
        #expect(app.message?.text == "cannot start: optimizer.lr: must be > 0 (got -1.0)")
        press(app, d, .enter, .ctrl("u"))
        type(app, d, "1e-3")
        press(app, d, .enter)
        #expect(app.configPane.form?.isValid == true)
        #expect(app.configPane.form?.toml.contains("lr = 0.001") == true)
        // A choice field cycles on Enter.
        let schedule = ConfigForm.fields(for: .sft).firstIndex { $0.key == "optimizer.schedule" }!
        press(app, d, .char("j"))
        #expect(app.configPane.fieldIndex == schedule)
        press(app, d, .enter)
        #expect(app.configPane.form?.config.optimizer.schedule == .constant)
    }

    @Test func formNamesMissingFiles() throws {
        let f = try WorkbenchFixture()
        defer { f.remove() }
        let (app, d) = f.workbench(width: 120, height: 40)
        let train = ConfigForm.fields(for: .sft).firstIndex { $0.key == "data.train" }!
        for _ in 0..<train { press(app, d, .down) }
        press(app, d, .enter, .ctrl("u"))
        type(app, d, "datasets/nope.jsonl")
        press(app, d, .enter)
        #expect(app.configPane.form?.firstError == "data.train: datasets/nope.jsonl does not exist in this workspace")
    }

    @Test func curvesKeysChangeMetricScaleSmoothingAndOverlay() throws {
        let f = try WorkbenchFixture()
        defer { f.remove() }
        let (app, d) = f.workbench(width: 120, height: 40)
        press(app, d, .char("2"))
        #expect(d.text.contains("train/loss · EMA 0.60 · x: step"))
        press(app, d, .char("m"), .char("L"), .char("S"), .char("x"))
        #expect(d.text.contains("train/lr (log) · EMA 0.50 · x: wall"))
        #expect(app.curvesPane.overlay == ["sft-20261128-1000-bbbb"])
        press(app, d, .char("j"), .char(" "))
        #expect(app.curvesPane.overlay == ["sft-20261128-1000-bbbb", "sft-20261128-0900-aaaa"])
        #expect(d.text.contains("■ sft-20261128-0900-aaaa"))
        press(app, d, .char("c"))
        let csv = try String(contentsOf: f.directory.appendingPathComponent("exports/sft-20261128-0900-aaaa-metrics.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("name,step,value,wall_time\n"))
        #expect(csv.split(separator: "\n").count == 1 + 2 * 150)
    }

    @Test func thumbsAreStoredAndToggled() throws {
        let f = try WorkbenchFixture()
        defer { f.remove() }
        let (app, d) = f.workbench(width: 120, height: 40)
        press(app, d, .char("3"))
        let run = "sft-20261128-1000-bbbb"
        #expect(try f.workspace.feedback(run: run).isEmpty)
        press(app, d, .char("u"))
        #expect(Array(try f.workspace.feedback(run: run).values) == [1])
        #expect(d.text.contains("▲ up"))
        press(app, d, .char("l"), .char("d"))
        #expect(try f.workspace.feedback(run: run).values.sorted() == [-1, 1])
        press(app, d, .char("d"))
        #expect(Array(try f.workspace.feedback(run: run).values) == [1])
    }

    @Test func uiStateComesBackOnReopen() throws {
        let f = try WorkbenchFixture()
        defer { f.remove() }
        do {
            let (app, d) = f.workbench(width: 120, height: 40)
            press(app, d, .char("2"), .char("L"), .char("m"))
            app.finish()
        }
        let (app, d) = f.workbench(width: 120, height: 40)
        app.tick(timeoutMs: 0)
        #expect(app.pane == .curves)
        #expect(d.text.contains("train/lr (log)"))
    }

    @Test func paletteRunsCommandsAndReportsUnknownOnes() throws {
        let f = try WorkbenchFixture()
        defer { f.remove() }
        let (app, d) = f.workbench(width: 120, height: 40)
        press(app, d, .char(":"))
        type(app, d, "bogus")
        press(app, d, .enter)
        #expect(app.message?.text == ":bogus: unknown command (: lists them)")
        press(app, d, .char(":"))
        type(app, d, "theme light")
        press(app, d, .enter)
        #expect(app.themeName == "light" && app.message?.isError == false)
        let copy = f.root.appendingPathComponent("copy")
        press(app, d, .char(":"))
        type(app, d, "save-as \(copy.path)")
        press(app, d, .enter)
        #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent("workspace.sqlite").path))
        let reopened = try Workspace.open(copy, mode: .readOnly)
        #expect(try reopened.samples(run: "sft-20261128-0900-aaaa").count == 2)
        try reopened.close()
        // Tab completes the highlighted command.
        press(app, d, .char(":"), .char("q"), .tab)
        guard case .palette(let field, _) = app.overlay else { Issue.record("palette closed"); return }
        #expect(field.text == "quit ")
    }

    @Test func aBadThemeLineIsReportedAndSkipped() throws {
        let f = try WorkbenchFixture()
        defer { f.remove() }
        let dir = f.root.appendingPathComponent("themes")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("theme[main_bg]=\"#101010\"\ntheme[main_fg]=\"#zzzzzz\"\n".utf8).write(to: dir.appendingPathComponent("broken.theme"))
        let driver = TextDriver(width: 100, height: 30)
        let app = Workbench(driver: driver, workspace: f.workspace, host: nil, themeDirectories: [dir], themeOverride: "broken")
        #expect(app.theme[.main_bg] == .rgb(RGB(16, 16, 16)))
        #expect(app.theme[.main_fg] == Theme.builtinDark[.main_fg])
        #expect(app.message?.isError == true && app.message!.text.contains("broken.theme:2:"))
    }

    @Test func keymapHasNoClashesAndTheHelpListsEveryBinding() {
        for scope in KeyScope.allCases {
            let keys = Keymap.bindings.filter { $0.scope == scope }.flatMap(\.keys)
            #expect(Set(keys).count == keys.count, "a key is bound twice in \(scope)")
        }
        let help = Keymap.helpLines(scopes: KeyScope.allCases)
        #expect(help.filter { $0.header == nil }.count == Keymap.bindings.count)
    }
}
