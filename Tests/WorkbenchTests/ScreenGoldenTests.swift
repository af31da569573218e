import Foundation
import Terminal
import Testing
@testable import Workbench

/// Every pane and overlay at two sizes, the too-small screen and the ASCII fallback, rendered by the text driver.
@Suite(.serialized) struct ScreenGoldenTests {
    static let sizes = [(80, 24), (120, 40)]

    @Test(arguments: [PaneID.config, .curves, .sampling])
    func panes(_ pane: PaneID) throws {
        let fixture = try WorkbenchFixture()
        defer { fixture.remove() }
        for (w, h) in Self.sizes {
            let (app, driver) = fixture.workbench(width: w, height: h)
            driver.send(.char(Character(String(pane.rawValue))))
            app.tick(timeoutMs: 0)
            expectGolden(driver.text, "pane-\(pane.rawValue)-\(pane.title.lowercased())-\(w)x\(h)")
        }
    }

    @Test func overlays() throws {
        let fixture = try WorkbenchFixture()
        defer { fixture.remove() }
        for (w, h) in Self.sizes {
            let (app, driver) = fixture.workbench(width: w, height: h)
            driver.send(.char("2"), .char("?"))
            app.tick(timeoutMs: 0); app.tick(timeoutMs: 0)
            expectGolden(driver.text, "overlay-help-\(w)x\(h)")
            driver.send(.escape, .char(":"), .char("e"))
            app.tick(timeoutMs: 0); app.tick(timeoutMs: 0); app.tick(timeoutMs: 0)
            expectGolden(driver.text, "overlay-palette-\(w)x\(h)")
            driver.send(.escape, .char("/"), .char("l"), .char("r"))
            for _ in 0..<4 { app.tick(timeoutMs: 0) }
            expectGolden(driver.text, "overlay-filter-\(w)x\(h)")
            driver.send(.escape)
            app.tick(timeoutMs: 0)
            app.liveRunID = "sft-20261128-1000-bbbb"
            driver.send(.char("q"))
            app.tick(timeoutMs: 0)
            expectGolden(driver.text, "overlay-quit-\(w)x\(h)")
        }
    }

    @Test func tooSmallThenResizedKeepsState() throws {
        let fixture = try WorkbenchFixture()
        defer { fixture.remove() }
        let (app, driver) = fixture.workbench(width: 100, height: 30)
        driver.send(.char("2"), .char("L"))
        app.tick(timeoutMs: 0); app.tick(timeoutMs: 0)
        let before = driver.text
        driver.resize(width: 60, height: 20)
        app.tick(timeoutMs: 0)
        expectGolden(driver.text, "too-small-60x20")
        driver.resize(width: 100, height: 30)
        app.tick(timeoutMs: 0)
        #expect(driver.text == before)
    }

    @Test func asciiFallback() throws {
        let fixture = try WorkbenchFixture()
        defer { fixture.remove() }
        let (app, driver) = fixture.workbench(width: 80, height: 24, unicode: false)
        driver.send(.char("2"))
        app.tick(timeoutMs: 0)
        expectGolden(driver.text, "ascii-curves-80x24")
        #expect(!driver.text.unicodeScalars.contains { $0.value > 0x7E })
    }
}
