import Foundation
import Runs
import Store
import Terminal
import Vision

/// Pane 4: few-shot vision trials. Configure methods, shot counts, seeds and test images; start a grid (it runs on
/// the engine worker, one trial per background job); follow it with an ETA; read the results table, the accuracy
/// chart with 95 % interval bars, support and test images with their predicted labels, and a confusion matrix.
/// Every trial is stored in the workspace, so grids come back on reopen.
final class VisionPane: Pane {
    enum View: Int, CaseIterable { case chart, images, confusion
        var title: String { ["accuracy vs shots", "support and test images", "confusion matrix"][rawValue] }
    }

    /// A stored grid with its trials decoded.
    struct Grid {
        var record: TrialGridRecord
        var settings: TrialSettings
        var classNames: [String]
        var heldOut: Set<Int>
        var testIndices: [Int]
        var outcomes: [TrialOutcome]
        var summary: TrialSummary?
    }

    var settings = TrialSettings.full
    var row = 0, item = 0               // form cursor: rows methods, shots, seeds, test images, preset
    var view = View.chart
    var viewMethod = TrialMethod.vlm
    var viewShots = 0                   // index into the grid's shots
    var viewSeed = 0
    var grids: [TrialGridRecord] = []
    var gridIndex = 0
    var grid: Grid?
    var progress: TrialProgress?
    var runningTotal = 0
    var filter = ""
    var dataDirectory = VisionData.fashionMNISTDirectory
    var images: VisionData?             // loaded on first use of the image view
    var imagesError: String?
    var host: VisionTrialHost?
    private var lastGridsRefresh = Date.distantPast

    static let shotChoices = [1, 2, 4, 8, 16]
    static let rows = ["methods", "shots", "seeds", "test images", "preset"]
    var isEditing: Bool { false }
    func edit(_ key: Key, _ app: Workbench) {}

    func setUp(_ app: Workbench) {
        if let engine = app.host, !app.workspace.isReadOnly {
            host = VisionTrialHost(engine: engine, workspace: app.workspace)
            // Only the owner runs grids: one still marked running was left by a process that quit or died mid-grid.
            for g in (try? app.workspace.trialGrids()) ?? [] where g.status == "running" {
                try? app.workspace.finishTrialGrid(g.id, status: "cancelled", summaryJSON: nil, wallSeconds: g.wallSeconds)
            }
        }
        refreshGrids(app)
    }

    // MARK: collect

    func refreshGrids(_ app: Workbench) {
        lastGridsRefresh = Date()
        guard let list = try? app.workspace.trialGrids() else { return }
        let selectedID = grid?.record.id
        grids = list
        gridIndex = selectedID.flatMap { id in list.firstIndex { $0.id == id } } ?? 0
        loadGrid(app)
    }

    func loadGrid(_ app: Workbench) {
        guard gridIndex < grids.count else { grid = nil; return }
        let r = grids[gridIndex]
        let dec = JSONDecoder()
        guard let s = try? dec.decode(TrialSettings.self, from: Data(r.settingsJSON.utf8)),
              let names = try? dec.decode([String].self, from: Data(r.classNamesJSON.utf8)),
              let held = try? dec.decode([Int].self, from: Data(r.heldOutJSON.utf8)),
              let test = try? dec.decode([Int].self, from: Data(r.testIndicesJSON.utf8)) else {
            grid = nil
            app.say("trial grid \(r.id): stored settings do not decode (written by another Lathe?)", error: true)
            return
        }
        let trials = (try? app.workspace.trials(grid: r.id)) ?? []
        let outcomes: [TrialOutcome] = trials.compactMap { t in
            guard let m = TrialMethod(rawValue: t.method), let p = try? dec.decode([Int].self, from: Data(t.predictionsJSON.utf8)),
                  let sup = try? dec.decode([Int].self, from: Data(t.supportJSON.utf8)) else { return nil }
            return TrialOutcome(method: m, shots: t.shots, seed: t.seed, predictions: p, support: sup, seconds: t.seconds)
        }
        var summary = r.summaryJSON.flatMap { try? dec.decode(TrialSummary.self, from: Data($0.utf8)) }
        if summary == nil || r.status == "running" {
            summary = try? TrialSummary(outcomes: outcomes, labels: labels(test, app), heldOut: Set(held), methods: s.methods, shots: s.shots)
        }
        grid = Grid(record: r, settings: s, classNames: names, heldOut: Set(held), testIndices: test, outcomes: outcomes, summary: summary)
        if !s.methods.contains(viewMethod) { viewMethod = s.methods.first ?? .vlm }
        viewShots = min(viewShots, max(0, s.shots.count - 1))
        viewSeed = min(viewSeed, max(0, s.seeds - 1))
    }

    /// The selected grid's data folder, read once per folder (nil with the reason in `imagesError` when unreadable).
    var imagesPath: String?
    func data() -> VisionData? {
        guard let r = grids.indices.contains(gridIndex) ? grids[gridIndex] : nil else { return nil }
        if imagesPath != r.data {
            imagesPath = r.data
            do { images = try VisionData(directory: URL(fileURLWithPath: r.data)); imagesError = nil }
            catch { images = nil; imagesError = "\(error)" }
        }
        return images
    }

    /// Test labels of the selected grid, from its data folder's t10k labels.
    func labels(_ test: [Int], _ app: Workbench) -> [Int] {
        let all = data()?.test.labels ?? []
        return test.map { $0 < all.count ? all[$0] : 0 }
    }

    func collect(_ app: Workbench) -> Bool {
        var changed = false
        for e in host?.drainEvents() ?? [] {
            changed = true
            switch e {
            case .started(let id, let total):
                runningTotal = total
                progress = TrialProgress(done: 0, total: total, elapsed: 0, eta: 0, last: nil)
                refreshGrids(app)
                gridIndex = grids.firstIndex { $0.id == id } ?? 0
                loadGrid(app)
                app.say("trial grid \(id) started: \(total) trials")
            case .progress(let p):
                progress = p
                refreshGrids(app)
            case .ended(let id, let status, let error):
                progress = nil
                refreshGrids(app)
                if let error { app.say("trial grid \(id) failed: \(error)", error: true) }
                else { app.say("trial grid \(id) \(status)") }
            }
        }
        if Date().timeIntervalSince(lastGridsRefresh) > 5 && host?.isRunning != true {
            let before = grids.map(\.id)
            refreshGrids(app)
            if grids.map(\.id) != before { changed = true }
        }
        return changed
    }

    func event(_ event: EngineEvent, _ app: Workbench) {}

    // MARK: keys

    func perform(_ action: Action, _ app: Workbench) -> Bool {
        switch action {
        case .up: row = max(0, row - 1); item = 0
        case .down: row = min(VisionPane.rows.count - 1, row + 1); item = 0
        case .left: adjust(-1)
        case .right: adjust(1)
        case .select, .visionToggle: toggle()
        case .visionStart: start(app)
        case .visionCancel:
            guard let host, host.isRunning else { app.say("no trial grid is running"); return true }
            host.cancel()
            app.say("stopping after the current trial…")
        case .visionView: view = View(rawValue: (view.rawValue + 1) % View.allCases.count)!
        case .visionMethod:
            let ms = grid?.settings.methods ?? TrialMethod.allCases
            viewMethod = ms[((ms.firstIndex(of: viewMethod) ?? 0) + 1) % ms.count]
        case .visionShotsNext: viewShots = min(viewShots + 1, max(0, (grid?.settings.shots.count ?? 1) - 1))
        case .visionShotsPrevious: viewShots = max(0, viewShots - 1)
        case .visionSeedNext: viewSeed = min(viewSeed + 1, max(0, (grid?.settings.seeds ?? 1) - 1))
        case .visionSeedPrevious: viewSeed = max(0, viewSeed - 1)
        case .visionOlderGrid: if gridIndex + 1 < grids.count { gridIndex += 1; loadGrid(app) }
        case .visionNewerGrid: if gridIndex > 0 { gridIndex -= 1; loadGrid(app) }
        default: return false
        }
        return true
    }

    /// Items of the form row under the cursor.
    var itemCount: Int { [TrialMethod.allCases.count, VisionPane.shotChoices.count, 1, 1, 1][row] }

    func adjust(_ d: Int) {
        switch row {
        case 0, 1: item = max(0, min(itemCount - 1, item + d))
        case 2: settings.seeds = max(1, min(100, settings.seeds + d))
        case 3:
            let sizes = [100, 200, 500, 1000]
            let i = sizes.firstIndex(of: settings.testSize) ?? 3
            settings.testSize = sizes[max(0, min(sizes.count - 1, i + d))]
        default: toggle()
        }
    }

    func toggle() {
        switch row {
        case 0:
            let m = TrialMethod.allCases[item]
            if let i = settings.methods.firstIndex(of: m) { if settings.methods.count > 1 { settings.methods.remove(at: i) } }
            else { settings.methods = TrialMethod.allCases.filter { settings.methods.contains($0) || $0 == m } }
        case 1:
            let s = VisionPane.shotChoices[item]
            if let i = settings.shots.firstIndex(of: s) { if settings.shots.count > 1 { settings.shots.remove(at: i) } }
            else { settings.shots = (settings.shots + [s]).sorted() }
        case 4: settings = settings.preset == "full" ? .quick : .full
        default: break
        }
    }

    func start(_ app: Workbench) {
        guard let host else { app.say("read-only workspace: trials run in the process that owns it", error: true); return }
        guard !host.isRunning else { app.say("a trial grid is already running (x stops it)", error: true); return }
        do { try settings.validate() } catch { app.say("\(error)", error: true); return }
        host.start(settings: settings, dataDirectory: dataDirectory)
        app.say("starting a trial grid: loading data and models…")
    }

    // MARK: draw

    func draw(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        p.fill(t.style(.main_fg))
        let leftW = p.width >= 110 ? 40 : 34
        let left = p.sub(Rect(x: 0, y: 0, width: leftW, height: p.height))
        let right = p.sub(Rect(x: leftW + 1, y: 0, width: p.width - leftW - 1, height: p.height))
        for y in 0..<p.height { p.set(leftW, y, Cell(app.unicode ? "│" : "|", style: t.style(.div_line))) }
        drawForm(left, app)
        drawResults(right, app)
    }

    func drawForm(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        p.text(1, 0, "Trial grid", t.style(.title, bold: true))
        let on: String = app.unicode ? "■" : "x", off: String = app.unicode ? "□" : "."
        for (r, name) in VisionPane.rows.enumerated() {
            let y = 1 + r
            let rowStyle = r == row ? t.style(.selected_fg, bg: .selected_bg) : t.style(.main_fg)
            if r == row { p.sub(Rect(x: 0, y: y, width: p.width, height: 1)).fill(rowStyle) }
            var x = p.text(1, y, name.padding(toLength: 12, withPad: " ", startingAt: 0), rowStyle.with(bold: r == row))
            func chip(_ text: String, _ index: Int, _ active: Bool) {
                let focused = r == row && index == item && r < 2
                let style = focused ? t.style(.hi_fg, bg: .selected_bg, bold: true) : (active ? rowStyle : rowStyle.with(fg: t[.inactive_fg]))
                x = p.text(x, y, (active ? on : off) + text, style) + 1
            }
            switch r {
            case 0: for (i, m) in TrialMethod.allCases.enumerated() { chip(m.rawValue, i, settings.methods.contains(m)) }
            case 1: for (i, s) in VisionPane.shotChoices.enumerated() { chip("\(s)", i, settings.shots.contains(s)) }
            case 2: p.text(x, y, "\(settings.seeds)  (◂ ▸)", rowStyle)
            case 3: p.text(x, y, "\(settings.testSize)  (◂ ▸)", rowStyle)
            default: p.text(x, y, "\(settings.preset): \(settings.shots.count * settings.seeds * settings.methods.count) trials", rowStyle)
            }
        }
        var y = 7
        if let pr = progress, host?.isRunning == true {
            let frac = pr.total > 0 ? Double(pr.done) / Double(pr.total) : 0
            p.text(1, y, "running \(pr.done)/\(pr.total)  ETA \(pr.done == 0 ? "–" : app.clock(pr.eta))", t.style(.ok_fg, bold: true))
            y += 1
            let w = p.width - 2, filled = Int((frac * Double(w)).rounded())
            p.text(1, y, String(repeating: app.unicode ? "█" : "#", count: filled), t.style(.ok_fg))
            p.text(1 + filled, y, String(repeating: app.unicode ? "░" : ".", count: w - filled), t.style(.inactive_fg))
            y += 1
            if let o = pr.last, let g = grid {
                let acc = o.accuracy(labels: labels(g.testIndices, app))
                p.text(1, y, truncated(String(format: "last: %@ %d-shot seed %d %.1f%% (%.1f s)", o.method.rawValue, o.shots, o.seed, 100 * acc, o.seconds), to: p.width - 2), t.style(.inactive_fg))
            }
            y += 1
        } else {
            p.text(1, y, host == nil ? "read-only: no engine here" : "s starts the grid · x stops", t.style(.inactive_fg))
            y += 2
        }
        p.text(1, y, "Stored grids (, older  . newer)", t.style(.title, bold: true))
        y += 1
        let visible = grids.filter { filter.isEmpty || $0.id.contains(filter) || $0.status.contains(filter) }
        let formatter = DateFormatter()
        formatter.dateFormat = "MM-dd HH:mm"
        formatter.timeZone = TimeZone(identifier: "UTC")
        for g in visible.prefix(max(0, p.height - y)) {
            let selected = g.id == grid?.record.id
            let style = selected ? t.style(.selected_fg, bg: .selected_bg, bold: true) : t.style(.main_fg)
            let n = (try? JSONDecoder().decode(TrialSettings.self, from: Data(g.settingsJSON.utf8))).map { "\($0.preset) \($0.seeds)×\($0.shots.count)" } ?? "?"
            let status = g.status == "done" ? (app.unicode ? "✓" : "+") : g.status == "running" ? (app.unicode ? "●" : "*") : (app.unicode ? "✗" : "x")
            if selected { p.sub(Rect(x: 0, y: y, width: p.width, height: 1)).fill(style) }
            p.text(1, y, truncated("\(status) \(formatter.string(from: g.createdAt)) \(g.status) \(n)", to: p.width - 2), style)
            y += 1
        }
        if visible.isEmpty { p.text(1, y, "none yet", t.style(.inactive_fg)) }
    }

    func pct(_ x: Double?) -> String { x.map { $0.isFinite ? String(format: "%.1f", 100 * $0) : "–" } ?? "–" }

    func drawResults(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        guard let g = grid else {
            p.text(1, 0, "No trial grid yet", t.style(.title, bold: true))
            let lines = ["Pick methods, shots and seeds on the left and press s.",
                         "Each (shots, seed) draws one support set from train images",
                         "50 000–59 999, the same for every method; accuracy is greedy",
                         "exact match (VLM) or nearest prototype on a fixed, class-",
                         "balanced test subset of t10k, with 95 % bootstrap intervals.",
                         "Models: workspace models/vision/{vlm,ssl}."]
            for (i, l) in lines.enumerated() { p.text(1, 2 + i, truncated(l, to: p.width - 2), t.style(.main_fg)) }
            return
        }
        let unseen = g.heldOut.sorted().map { g.classNames[$0] }.joined(separator: ", ")
        p.text(1, 0, truncated("\(g.record.id) · \(g.record.status) · \(g.outcomes.count) trials · n_test \(g.testIndices.count) · unseen: \(unseen)", to: p.width - 2),
               t.style(.title, bold: true))
        // Table: shots × methods, mean accuracy ± half the 95 % interval (and seen/unseen when there is room).
        let wide = p.width >= 70
        let cellW = wide ? 17 : 13
        var x = p.text(1, 1, "shots", t.style(.inactive_fg))
        x = 7
        let series = g.settings.methods
        for (i, m) in series.enumerated() { p.text(x + i * cellW, 1, m.rawValue, t.style(seriesKey(m), bold: true)) }
        if wide, series.contains(.vlm), series.contains(.encoder) { p.text(x + series.count * cellW, 1, app.unicode ? "Δ vlm−enc [95% CI]" : "vlm-enc [95% CI]", t.style(.inactive_fg)) }
        for (k, s) in g.settings.shots.enumerated() {
            let y = 2 + k
            guard y < p.height else { break }
            let rowStyle = k == viewShots ? t.style(.hi_fg, bold: true) : t.style(.inactive_fg)
            p.text(1, y, String(format: "%4d", s), rowStyle)
            for (i, m) in series.enumerated() {
                guard let r = g.summary?.results.first(where: { $0.method == m.rawValue && $0.shots == s }) else { continue }
                var text = pct(r.accuracy) + (app.unicode ? "±" : "+-") + String(format: "%.1f", 50 * (r.ci95[1] - r.ci95[0]))
                if wide { text += " " + [r.accuracySeen, r.accuracyUnseen].map { $0.map { $0.isFinite ? String(format: "%.0f", 100 * $0) : "–" } ?? "–" }.joined(separator: "/") }
                p.text(x + i * cellW, y, text, t.style(.main_fg))
            }
            if wide, let d = g.summary?.paired.first(where: { $0.shots == s && $0.a == "vlm" && $0.b == "encoder" }) {
                let sig = d.ci95[0] > 0 || d.ci95[1] < 0
                p.text(x + series.count * cellW, y, String(format: "%+.1f [%+.1f,%+.1f]", 100 * d.diff, 100 * d.ci95[0], 100 * d.ci95[1]),
                       t.style(sig ? (d.diff > 0 ? .ok_fg : .error_fg) : .main_fg))
            }
        }
        let seedsLine = g.summary?.results.first.map { "\($0.nSeeds) seeds per cell" } ?? ""
        p.text(1, 2 + g.settings.shots.count, truncated(legend(wide, app.unicode), to: p.width - 2), t.style(.inactive_fg))
        let top = 3 + g.settings.shots.count
        let header = "\(view.title) · v view · m \(viewMethod.rawValue) · [ ] shots \(g.settings.shots[min(viewShots, g.settings.shots.count - 1)])" + (view == .images ? " · n/N seed \(viewSeed)" : "") + " · \(seedsLine)"
        p.text(1, top, truncated(header, to: p.width - 2), t.style(.title))
        let area = p.sub(Rect(x: 1, y: top + 1, width: p.width - 2, height: p.height - top - 1))
        switch view {
        case .chart: drawChart(area, g, app)
        case .images: drawImages(area, g, app)
        case .confusion: drawConfusion(area, g, app)
        }
    }

    /// How to read a table cell.
    func legend(_ wide: Bool, _ unicode: Bool) -> String {
        let pm = unicode ? "±" : "+-"
        return "accuracy % \(pm) half the 95% bootstrap CI over seeds" + (wide ? "; seen/unseen class names" : "")
    }

    func seriesKey(_ m: TrialMethod) -> ThemeKey {
        switch m { case .vlm: return .series_1; case .encoder: return .series_2; case .pixels: return .series_3 }
    }

    func drawChart(_ p: Painter, _ g: Grid, _ app: Workbench) {
        let t = app.theme
        let markers: [TrialMethod: Unicode.Scalar] = app.unicode ? [.vlm: "●", .encoder: "■", .pixels: "▲"] : [.vlm: "o", .encoder: "#", .pixels: "+"]
        let series = g.settings.methods.map { m in
            IntervalChart.Series(name: m.rawValue, marker: markers[m]!, style: t.style(seriesKey(m)),
                                 points: (g.summary?.results ?? []).filter { $0.method == m.rawValue }.map {
                                     IntervalChart.Point(shots: $0.shots, mean: $0.accuracy, low: $0.ci95[0], high: $0.ci95[1]) })
        }
        guard series.contains(where: { !$0.points.isEmpty }) else { p.text(0, 0, "no finished trials yet", t.style(.inactive_fg)); return }
        let legendW = 14
        IntervalChart(series: series, shots: g.settings.shots)
            .draw(p.sub(Rect(x: 0, y: 0, width: p.width - legendW, height: p.height)), axis: t.style(.div_line), label: t.style(.inactive_fg), unicode: app.unicode)
        for (i, s) in series.enumerated() {
            p.text(p.width - legendW + 1, i, "\(s.marker) \(s.name)", s.style)
        }
        p.text(p.width - legendW + 1, series.count + 1, "bars: 95% CI", t.style(.inactive_fg))
    }

    func drawImages(_ p: Painter, _ g: Grid, _ app: Workbench) {
        let t = app.theme
        guard let data = data() else {
            p.text(0, 0, truncated(imagesError ?? "the grid's data folder is not readable", to: p.width), t.style(.error_fg)); return
        }
        let shots = g.settings.shots[min(viewShots, g.settings.shots.count - 1)]
        guard let o = g.outcomes.first(where: { $0.method == viewMethod && $0.shots == shots && $0.seed == viewSeed }) else {
            p.text(0, 0, "\(viewMethod.rawValue) \(shots)-shot seed \(viewSeed): not run yet", t.style(.inactive_fg)); return
        }
        let scale = p.height >= 18 ? 2 : 3     // 14×7 cells per image, or 9×5 on a short pane
        let (cw, ch) = HalfBlockImage.size(rows: data.train.rows, cols: data.train.cols, scale: scale)
        let per = max(1, (p.width + 1) / (cw + 1))
        func name(_ c: Int) -> String { c < 0 ? "?" : truncated(g.classNames[c], to: cw) }
        // Support: one image per class (the first shot of each).
        p.text(0, 0, "support (first shot per class)", t.style(.inactive_fg))
        let n = data.train.pixelCount
        let firstOfClass = (0..<g.classNames.count).compactMap { c in o.support.first { data.train.labels[$0] == c } }
        for (i, idx) in firstOfClass.prefix(per).enumerated() {
            HalfBlockImage.draw(p, x: i * (cw + 1), y: 1, pixels: data.train.pixels[(idx * n)..<((idx + 1) * n)], rows: data.train.rows,
                                cols: data.train.cols, scale: scale, unicode: app.unicode)
            p.text(i * (cw + 1), 1 + ch, name(data.train.labels[idx]), t.style(.main_fg))
        }
        let y0 = ch + 3
        guard y0 + ch + 1 < p.height + 1 else { return }
        p.text(0, y0 - 1, "test: predicted label (green right, red wrong)", t.style(.inactive_fg))
        let rowsFit = max(1, (p.height - y0) / (ch + 1))
        // A spread of test images: every k-th so all classes show.
        let count = min(g.testIndices.count, per * rowsFit)
        let step = max(1, g.testIndices.count / max(1, count))
        for j in 0..<count {
            let ti = (j * step + viewSeed) % g.testIndices.count
            let idx = g.testIndices[ti]
            let x = (j % per) * (cw + 1), y = y0 + (j / per) * (ch + 1)
            HalfBlockImage.draw(p, x: x, y: y, pixels: data.test.pixels[(idx * n)..<((idx + 1) * n)], rows: data.test.rows,
                                cols: data.test.cols, scale: scale, unicode: app.unicode)
            let pred = o.predictions[ti], truth = data.test.labels[idx]
            p.text(x, y + ch, name(pred), t.style(pred == truth ? .ok_fg : .error_fg, bold: true))
        }
    }

    func drawConfusion(_ p: Painter, _ g: Grid, _ app: Workbench) {
        let t = app.theme
        let shots = g.settings.shots[min(viewShots, g.settings.shots.count - 1)]
        let os = g.outcomes.filter { $0.method == viewMethod && $0.shots == shots }
        guard !os.isEmpty else { p.text(0, 0, "\(viewMethod.rawValue) \(shots)-shot: not run yet", t.style(.inactive_fg)); return }
        let labels = self.labels(g.testIndices, app)
        let k = g.classNames.count
        let m = TrialSummary.confusion(os, labels: labels, classes: k)
        let nameW = p.width >= 70 ? 11 : 6
        let cell = max(3, min(5, (p.width - nameW) / (k + 1)))
        p.text(0, 0, truncated("true ↓ predicted → (% of row, \(os.count) seeds)", to: p.width), t.style(.inactive_fg))
        for c in 0...k {
            let head = c < k ? String(g.classNames[c].prefix(cell - 1)) : "?"
            p.text(nameW + c * cell, 1, head, t.style(c < k && g.heldOut.contains(c) ? .warn_fg : .inactive_fg))
        }
        for r in 0..<min(k, p.height - 2) {
            let total = max(1, m[r].reduce(0, +))
            p.text(0, 2 + r, truncated(g.classNames[r], to: nameW - 1), t.style(g.heldOut.contains(r) ? .warn_fg : .main_fg))
            for c in 0...k {
                let v = Double(m[r][c]) / Double(total)
                let text = String(format: "%\(cell - 1)d", Int((100 * v).rounded()))
                let bg = RGB(20, 22, 27).mixed(with: r == c ? RGB(60, 160, 90) : RGB(200, 70, 70), min(1, v * 1.5))
                p.text(nameW + c * cell, 2 + r, text, Style(fg: t[.main_fg], bg: .rgb(bg)))
            }
        }
        if p.height > k + 2 { p.text(0, k + 2, "yellow: names held out of captions", t.style(.warn_fg)) }
    }
}
