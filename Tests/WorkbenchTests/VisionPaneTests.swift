import Foundation
import Store
import Terminal
import Testing
import Vision
@testable import Workbench

/// Pane 4 over a stored trial grid (reloaded from the workspace) on a synthetic 28×28 data folder: goldens of each
/// view at both sizes, the ASCII image fallback, and the form keys.
@Suite(.serialized) struct VisionPaneTests {
    static let classes = ["T-shirt/top", "Trouser", "Bag"]

    /// IDX files of 30 train and 12 test images: class c is a bright block in band c (so the images differ).
    static func writeData(_ dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func idx(_ dims: [Int], _ payload: [UInt8]) -> Data { IDXArray.encoded(dims: dims, bytes: payload) }
        func images(_ n: Int) -> [UInt8] {
            (0..<n).flatMap { i in (0..<784).map { k -> UInt8 in
                let y = k / 28, x = k % 28
                return y / 9 == i % 3 && x > 4 + i % 5 && x < 22 ? UInt8(120 + (i * 37 + x * 5) % 130) : 0
            } }
        }
        try idx([30, 28, 28], images(30)).write(to: dir.appendingPathComponent("train-images-idx3-ubyte"))
        try idx([30], (0..<30).map { UInt8($0 % 3) }).write(to: dir.appendingPathComponent("train-labels-idx1-ubyte"))
        try idx([12, 28, 28], images(12)).write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try idx([12], (0..<12).map { UInt8($0 % 3) }).write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        try (classes.joined(separator: "\n") + "\n").write(to: dir.appendingPathComponent("classes.txt"), atomically: true, encoding: .utf8)
    }

    /// A finished grid: 3 methods × shots 1, 2, 4 × 3 seeds, with fixed predictions on 6 test images.
    static func storeGrid(_ ws: Workspace, data: URL) throws {
        var s = TrialSettings.quick
        s.shots = [1, 2, 4]; s.seeds = 3; s.testSize = 6
        let test = [0, 1, 2, 3, 4, 5]
        let labels = test.map { $0 % 3 }
        let enc = JSONEncoder()
        func json<T: Encodable>(_ v: T) throws -> String { String(decoding: try enc.encode(v), as: UTF8.self) }
        try ws.addTrialGrid(TrialGridRecord(id: "grid-golden1", data: data.path, status: "done", settingsJSON: try json(s),
                                            classNamesJSON: try json(classes), heldOutJSON: "[2]", testIndicesJSON: try json(test),
                                            wallSeconds: 42, createdAt: Date(timeIntervalSince1970: 1_800_000_000)))
        var outcomes: [TrialOutcome] = []
        for (k, shots) in s.shots.enumerated() {
            for seed in 0..<3 {
                for (mi, m) in TrialMethod.allCases.enumerated() {
                    // Method mi gets (k + seed + 3 − mi) of the 6 right, the rest shifted by one class (or −1 for the VLM).
                    let right = min(6, max(0, k + seed + 3 - mi))
                    let preds = labels.enumerated().map { j, y in j < right ? y : (m == .vlm && j == 5 ? -1 : (y + 1) % 3) }
                    let o = TrialOutcome(method: m, shots: shots, seed: seed, predictions: preds, support: [0, 1, 2].map { $0 + 3 * seed },
                                         seconds: 1)
                    outcomes.append(o)
                    try ws.addTrial(TrialRecord(gridID: "grid-golden1", method: m.rawValue, shots: shots, seed: seed,
                                                accuracy: o.accuracy(labels: labels), predictionsJSON: try json(preds),
                                                supportJSON: try json(o.support), seconds: 1))
                }
            }
        }
        let summary = try TrialSummary(outcomes: outcomes, labels: labels, heldOut: [2], methods: s.methods, shots: s.shots)
        try ws.finishTrialGrid("grid-golden1", status: "done", summaryJSON: try json(summary), wallSeconds: 42)
    }

    static func fixture() throws -> WorkbenchFixture {
        let f = try WorkbenchFixture()
        let data = f.root.appendingPathComponent("vision-data")
        try writeData(data)
        try storeGrid(f.workspace, data: data)
        return f
    }

    @Test func viewsAtBothSizes() throws {
        let f = try VisionPaneTests.fixture()
        defer { f.remove() }
        for (w, h) in [(80, 24), (120, 40)] {
            let (app, driver) = f.workbench(width: w, height: h)
            driver.send(.char("4"))
            app.tick(timeoutMs: 0)
            expectGolden(driver.text, "pane-4-vision-chart-\(w)x\(h)")
            driver.send(.char("v"), .char("]"))
            app.tick(timeoutMs: 0); app.tick(timeoutMs: 0)
            expectGolden(driver.text, "pane-4-vision-images-\(w)x\(h)")
            driver.send(.char("v"))
            app.tick(timeoutMs: 0)
            expectGolden(driver.text, "pane-4-vision-confusion-\(w)x\(h)")
        }
    }

    @Test func asciiImages() throws {
        let f = try VisionPaneTests.fixture()
        defer { f.remove() }
        let (app, driver) = f.workbench(width: 80, height: 24, unicode: false)
        driver.send(.char("4"), .char("v"))
        app.tick(timeoutMs: 0); app.tick(timeoutMs: 0)
        expectGolden(driver.text, "ascii-vision-images-80x24")
        #expect(!driver.text.unicodeScalars.contains { $0.value > 0x7E })
    }

    @Test func predictedLabelsAreColouredRightOrWrong() throws {
        let f = try VisionPaneTests.fixture()
        defer { f.remove() }
        let (app, driver) = f.workbench(width: 120, height: 40)
        driver.send(.char("4"), .char("v"))
        app.tick(timeoutMs: 0); app.tick(timeoutMs: 0)
        // vlm 1-shot seed 0 gets the first 3 of 6 right: a green label and a red one must both be on screen.
        let ok = app.theme[.ok_fg], bad = app.theme[.error_fg]
        let styles = Set(app.screen.cells.map(\.style.fg))
        #expect(styles.contains(ok) && styles.contains(bad))
        #expect(app.screen.cells.contains { $0.scalar == "▀" })
    }

    @Test func formKeysEditTheSettings() throws {
        let f = try VisionPaneTests.fixture()
        defer { f.remove() }
        let (app, driver) = f.workbench(width: 120, height: 40)
        driver.send(.char("4"), .char(" "))                  // methods row, first item: vlm off
        for _ in 0..<2 { app.tick(timeoutMs: 0) }
        #expect(app.visionPane.settings.methods == [.encoder, .pixels])
        driver.send(.down, .right, .right, .char(" "))       // shots row, third item: 4 off
        for _ in 0..<4 { app.tick(timeoutMs: 0) }
        #expect(app.visionPane.settings.shots == [1, 2, 8, 16])
        driver.send(.down, .left, .left)                     // seeds 20 → 18
        for _ in 0..<3 { app.tick(timeoutMs: 0) }
        #expect(app.visionPane.settings.seeds == 18)
        driver.send(.char("s"))                              // no engine: a one-line error, nothing started
        app.tick(timeoutMs: 0)
        #expect(app.message?.isError == true && app.message?.text.contains("read-only") == true)
        driver.send(.char("?"))
        app.tick(timeoutMs: 0)
        #expect(driver.text.contains("start a trial grid with these settings"))
    }
}
