import Runs
import Foundation
import Store
import Terminal

/// Pane 2: braille line charts of any logged metric, several runs overlaid, smoothing, log-y, three x axes, zoom and
/// a cursor read-out. Points are loaded incrementally from the store (the live run's new steps every ¼ s).
final class CurvesPane: Pane {
    enum XAxis: String, CaseIterable { case step, wall, relative }
    enum Focus { case runs, metrics, chart }

    var focus: Focus = .chart
    var overlay: [String] = []
    var metric = "train/loss"
    var metrics: [String] = []
    var smoothing = 0.6
    var logY = false
    var xAxis: XAxis = .step
    /// Visible x window as fractions of the full range (zoom), and the cursor as a fraction of the window.
    var window: ClosedRange<Double> = 0...1
    var cursor = 1.0
    var runIndex = 0
    var filter = ""
    /// The chart area shows the selected run's expert load (layers × experts) instead of the curve.
    var showExpertLoad = false
    var isEditing: Bool { false }

    private var points: [String: [MetricPoint]] = [:]
    /// `router/load/<layer>/<expert>` points of the selected run, by (layer, expert).
    private var load: [Int: [Int: [MetricPoint]]] = [:]
    private var loadRun: String?
    private var lastMetricsRefresh = Date.distantPast

    func setUp(_ app: Workbench) {
        let s = app.state
        metric = s.metric
        smoothing = s.smoothing
        logY = s.logY
        xAxis = XAxis(rawValue: s.xAxis) ?? .step
        showExpertLoad = s.showExpertLoad ?? false
        overlay = s.overlayRuns.filter { id in app.runs.contains { $0.id == id } }
        if overlay.isEmpty, let id = app.selectedRunID { overlay = [id] }
        refreshMetricNames(app)
    }

    func save(into s: inout UIState) {
        s.metric = metric
        s.smoothing = smoothing
        s.logY = logY
        s.xAxis = xAxis.rawValue
        s.showExpertLoad = showExpertLoad
        s.overlayRuns = overlay
    }

    func ensureOverlay(_ id: String) {
        if !overlay.contains(id) { overlay.append(id) }
        points = points.filter { !$0.key.hasPrefix(id + "\u{0}") }
    }

    func selectedRunChanged(_ app: Workbench) {
        if let id = app.selectedRunID, let i = app.runs.firstIndex(where: { $0.id == id }) { runIndex = i }
    }

    private var visibleMetrics: [String] { metrics.filter { filter.isEmpty || $0.contains(filter) } }

    private func key(_ run: String, _ name: String) -> String { run + "\u{0}" + name }

    func refreshMetricNames(_ app: Workbench) {
        var names = Set<String>()
        for id in Set(overlay + [app.selectedRunID].compactMap { $0 }) {
            names.formUnion((try? app.workspace.metricNames(run: id)) ?? [])
        }
        let preferred = ["train/loss", "eval/nll", "reward/mean", "eval/accuracy", "kl", "entropy", "reward_model/pair_accuracy",
                         "train/lr", "train/grad_norm", "train/tokens_per_s"]
        metrics = preferred.filter(names.contains) + names.subtracting(preferred).sorted()
        lastMetricsRefresh = Date()
    }

    /// Loads points past what is cached for every shown run (all of them for a new metric or run).
    func collect(_ app: Workbench) -> Bool {
        if Date().timeIntervalSince(lastMetricsRefresh) > 2 || metrics.isEmpty { refreshMetricNames(app) }
        var changed = false
        for id in overlay {
            let k = key(id, metric)
            let known = points[k]
            if known != nil && id != app.liveRunID { continue }
            let after = known?.last?.step
            guard let fresh = try? app.workspace.metrics(run: id, name: metric, afterStep: after) else { continue }
            if known == nil || !fresh.isEmpty {
                points[k, default: []].append(contentsOf: fresh)
                changed = true
            }
        }
        if showExpertLoad { changed = collectExpertLoad(app) || changed }
        return changed
    }

    /// Loads the selected run's new expert-load points (all of them when the run changed).
    private func collectExpertLoad(_ app: Workbench) -> Bool {
        guard let id = app.selectedRunID else { load = [:]; loadRun = nil; return false }
        if loadRun != id { load = [:]; loadRun = id }
        else if id != app.liveRunID && !load.isEmpty { return false }
        var changed = false
        for name in metrics where name.hasPrefix("router/load/") {
            let parts = name.split(separator: "/")
            guard parts.count == 4, let layer = Int(parts[2]), let expert = Int(parts[3]) else { continue }
            let after = load[layer]?[expert]?.last?.step
            guard let fresh = try? app.workspace.metrics(run: id, name: name, afterStep: after), !fresh.isEmpty else { continue }
            load[layer, default: [:]][expert, default: []].append(contentsOf: fresh)
            changed = true
        }
        return changed
    }

    func event(_ event: EngineEvent, _ app: Workbench) {
        if case .runStarted(let record) = event {
            // A resumed run rewrites its points after the checkpoint: reload them.
            points = points.filter { !$0.key.hasPrefix(record.id + "\u{0}") }
        }
    }

    func perform(_ action: Action, _ app: Workbench) -> Bool {
        let step = (window.upperBound - window.lowerBound) / 40
        switch action {
        case .left:
            if focus == .chart { cursor = max(0, cursor - 1.0 / 40) } else { focus = .runs }
            if cursor == 0 && focus == .chart && window.lowerBound > 0 { shift(-step) }
        case .right:
            if focus == .chart { cursor = min(1, cursor + 1.0 / 40) }
            else { focus = focus == .runs ? .metrics : .chart }
        case .up, .down:
            let d = action == .up ? -1 : 1
            switch focus {
            case .runs, .chart:
                guard !app.runs.isEmpty else { return true }
                runIndex = max(0, min(app.runs.count - 1, runIndex + d))
                app.select(run: app.runs[runIndex].id)
                if focus == .chart { focus = .runs }
            case .metrics:
                let list = visibleMetrics
                guard !list.isEmpty else { return true }
                let i = list.firstIndex(of: metric) ?? 0
                setMetric(list[max(0, min(list.count - 1, i + d))], app)
            }
        case .select, .toggleRunOverlay:
            if focus == .metrics && action == .select { focus = .chart; return true }
            guard runIndex < app.runs.count else { return true }
            let id = app.runs[runIndex].id
            if let i = overlay.firstIndex(of: id) { overlay.remove(at: i) } else { overlay.append(id) }
            _ = collect(app)
        case .nextMetric, .previousMetric:
            let list = visibleMetrics
            guard !list.isEmpty else { app.say("no metrics logged yet for the shown runs"); return true }
            let i = list.firstIndex(of: metric) ?? -1
            setMetric(list[((i + (action == .nextMetric ? 1 : -1)) % list.count + list.count) % list.count], app)
        case .logY: logY.toggle()
        case .smoothMore: smoothing = min(0.99, (smoothing + 0.1 * (smoothing >= 0.89 ? 0.1 : 1)).rounded(to: 2))
        case .smoothLess: smoothing = max(0, (smoothing - 0.1 * (smoothing > 0.9 ? 0.1 : 1)).rounded(to: 2))
        case .xAxis: xAxis = XAxis.allCases[(XAxis.allCases.firstIndex(of: xAxis)! + 1) % XAxis.allCases.count]
        case .zoomIn: zoom(0.5)
        case .zoomOut: zoom(2)
        case .zoomReset: window = 0...1; cursor = 1
        case .exportCSV: export(app, format: .csv, path: nil)
        case .exportJSONL: export(app, format: .jsonl, path: nil)
        case .expertLoad:
            showExpertLoad.toggle()
            if showExpertLoad {
                refreshMetricNames(app)
                _ = collectExpertLoad(app)
                if load.isEmpty { app.say("no expert-load telemetry for this run (RL runs log router/load/<layer>/<expert>)") }
            }
        case .back: if focus != .chart { focus = .chart } else { return false }
        default: return false
        }
        return true
    }

    func edit(_ key: Key, _ app: Workbench) {}

    private func setMetric(_ name: String, _ app: Workbench) {
        metric = name
        _ = collect(app)
    }

    private func shift(_ d: Double) {
        let w = window.upperBound - window.lowerBound
        let lo = max(0, min(1 - w, window.lowerBound + d))
        window = lo...(lo + w)
    }

    /// Scales the window by `factor` around the cursor, keeping the cursor's x under it.
    private func zoom(_ factor: Double) {
        let w = window.upperBound - window.lowerBound
        let at = window.lowerBound + cursor * w
        let nw = min(1, max(1.0 / 512, w * factor))
        var lo = at - cursor * nw
        lo = max(0, min(1 - nw, lo))
        window = lo...(lo + nw)
        cursor = nw > 0 ? (at - lo) / nw : 0.5
    }

    /// Writes the selected run's metrics (the filtered ones when a filter is set) under exports/ in the workspace.
    func export(_ app: Workbench, format: MetricExportFormat, path: String?) {
        guard let run = app.selectedRunID else { app.say("export: select a run first", error: true); return }
        let url = path.map { URL(fileURLWithPath: $0, relativeTo: app.workspace.directory).standardizedFileURL }
            ?? app.workspace.directory.appendingPathComponent("exports/\(run)-metrics.\(format.rawValue)")
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let names = filter.isEmpty ? nil : ((try? app.workspace.metricNames(run: run)) ?? []).filter { $0.contains(filter) }
            try app.workspace.exportMetrics(run: run, names: names, format: format, to: url)
            app.say("exported \(names.map { "\($0.count) metrics" } ?? "all metrics") of \(run) to \(url.path)")
        } catch { app.say("export: \(error)", error: true) }
    }

    // MARK: drawing

    private func xValue(_ p: MetricPoint, origin: Double) -> Double {
        switch xAxis {
        case .step: return Double(p.step)
        case .wall: return p.wallTime
        case .relative: return p.wallTime - origin
        }
    }

    func draw(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        let leftWidth = min(34, max(26, p.width / 4))
        let (left, right) = p.rect.splitLeft(leftWidth)
        let (runsRect, metricsRect) = left.splitTop(left.height / 2)
        drawRuns(Painter(p.screen, runsRect), app)
        drawMetrics(Painter(p.screen, metricsRect), app)

        let box = Painter(p.screen, right)
        let title = showExpertLoad ? "Expert load (layers × experts)"
            : "\(metric)" + (logY ? " (log)" : "") + (smoothing > 0 ? String(format: " · EMA %.2f", smoothing) : "") + " · x: \(xAxis.rawValue)"
        box.box(t.style(focus == .chart ? .hi_fg : .div_line, bg: .main_bg), title: title,
                titleStyle: t.style(.title, bg: .main_bg, bold: true), unicode: app.unicode)
        let inner = box.sub(Rect(x: 1, y: 1, width: box.width - 2, height: box.height - 2))
        let (chartRect, footer) = inner.rect.splitTop(inner.height - 2)

        var series: [ChartSeries] = []
        var allX: [Double] = []
        for (i, id) in overlay.enumerated() {
            guard let pts = points[key(id, metric)], !pts.isEmpty else { continue }
            let origin = pts.first!.wallTime
            let xy = pts.map { (x: xValue($0, origin: origin), y: $0.value) }
            allX.append(contentsOf: [xy.first!.x, xy.last!.x])
            let color = t[ThemeKey.series(i)]
            series.append(ChartSeries(label: id, points: xy, color: color))
        }
        let lo = allX.min() ?? 0, hi = allX.max() ?? 1
        let span = max(hi - lo, 1e-9)
        let xr = (lo + window.lowerBound * span)...(lo + window.upperBound * span)
        let cursorX = xr.lowerBound + cursor * (xr.upperBound - xr.lowerBound)
        let chart = BrailleChart(series: series, logY: logY, smoothing: smoothing, xRange: xr, cursorX: cursorX,
                                 xLabel: xLabelFormatter(), unicode: app.unicode,
                                 axisStyle: t.style(.div_line, bg: .main_bg), textStyle: t.style(.inactive_fg, bg: .main_bg),
                                 background: t[.main_bg])
        let fp = Painter(p.screen, footer)
        if showExpertLoad {
            drawExpertLoad(Painter(p.screen, chartRect), fp, cursorStep: series.isEmpty ? nil : cursorX, app)
            return
        }
        let readouts = chart.draw(Painter(p.screen, chartRect))
        if series.isEmpty {
            fp.text(1, 0, overlay.isEmpty ? "no run shown: select one (j/k) and press Space" : "no \(metric) points yet",
                    t.style(.inactive_fg, bg: .main_bg))
        } else {
            var x = 1
            for r in readouts {
                let at = xAxis == .step ? "step \(Int(r.x.rounded()))" : "t " + xLabelFormatter()(r.x)
                let text = "\(shortID(r.label)) \(at): \(format(r.y))"
                    + (smoothing > 0 ? " (ema \(format(r.smoothed)))" : "") + "   "
                x = fp.text(x, 0, text, Style(fg: r.color, bg: t[.main_bg]))
            }
        }
        let dot = app.unicode ? " · " : " | "
        fp.text(1, 1, ["m metric", "Space overlay", "s/S smooth", "L log", "x axis", "+/- zoom", "h/l cursor", "c csv", "J jsonl"]
            .joined(separator: dot), t.style(.inactive_fg, bg: .main_bg))
    }

    /// Layers × experts at the latest step at or before the cursor: colour = load ÷ uniform share (1/E), from the
    /// low colour (unused) through the middle (uniform) to the high one (twice uniform or more); the right column is
    /// each layer's imbalance (coefficient of variation).
    private func drawExpertLoad(_ p: Painter, _ footer: Painter, cursorStep: Double?, _ app: Workbench) {
        let t = app.theme
        let layers = load.keys.sorted()
        guard let experts = layers.first.map({ load[$0]!.keys.sorted() }), !experts.isEmpty else {
            p.text(1, 0, "no expert-load telemetry for \(app.selectedRunID ?? "this run")", t.style(.inactive_fg, bg: .main_bg))
            footer.text(1, 1, "E back to the curve", t.style(.inactive_fg, bg: .main_bg))
            return
        }
        let steps = Array(Set(load.values.flatMap { $0.values.flatMap { $0.map(\.step) } })).sorted()
        let step = cursorStep.flatMap { c in steps.last { Double($0) <= c + 0.5 } } ?? steps.last!
        func value(_ l: Int, _ e: Int) -> Double { load[l]?[e]?.last { $0.step <= step }?.value ?? .nan }
        let e = Double(experts.count)
        let matrix = layers.map { l in experts.map { value(l, $0) } }
        let cv = matrix.map { row -> Double in
            let m = row.reduce(0, +) / e
            return m > 0 ? (row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / e).squareRoot() / m : 0
        }
        p.text(0, 0, truncated("\(shortID(app.selectedRunID ?? "")) at step \(step): fraction of routed tokens per expert", to: p.width),
               t.style(.title, bg: .main_bg, bold: true))
        let map = Heatmap(values: matrix, rowLabels: layers.map { "L\($0)" }, columnLabels: experts.map { "e\($0)" },
                          color: { t.heat($0 * e / 2) }, format: { String(format: "%.2f", $0) },
                          textStyle: t.style(.inactive_fg, bg: .main_bg), valueFG: t[.title])
        let cvX = min(p.width - 9, 3 + experts.count * max(1, min(6, (p.width - 4) / experts.count)) + 1)
        let used = map.draw(p.sub(Rect(x: 0, y: 1, width: cvX, height: p.height - 1)))
        p.text(cvX, 1, "CV", t.style(.inactive_fg, bg: .main_bg))
        for (r, v) in cv.enumerated() where 2 + r * (used > layers.count + 1 ? 2 : 1) < p.height {
            p.text(cvX, 2 + r * (used > layers.count + 1 ? 2 : 1), String(format: "%.2f", v), t.style(.main_fg, bg: .main_bg))
        }
        let dot = app.unicode ? " · " : " | "
        footer.text(1, 0, truncated(["colour: load ÷ 1/\(experts.count)", "0 → 1 (uniform) → 2+", "h/l step",
                                     String(format: "mean CV %.2f", cv.reduce(0, +) / Double(max(1, cv.count)))].joined(separator: dot),
                                    to: footer.width - 2), t.style(.inactive_fg, bg: .main_bg))
        footer.text(1, 1, "E back to the curve", t.style(.inactive_fg, bg: .main_bg))
    }

    private func shortID(_ id: String) -> String { id.count > 22 ? "…" + id.suffix(21) : id }

    private func format(_ v: Double) -> String {
        guard v.isFinite else { return "nan" }
        if v != 0 && (abs(v) < 1e-3 || abs(v) >= 1e5) { return String(format: "%.4g", v) }
        return String(format: "%.5g", v)
    }

    private func xLabelFormatter() -> (Double) -> String {
        switch xAxis {
        case .step: return { compactNumber($0) }
        case .wall:
            return { v in
                let f = DateFormatter()
                f.dateFormat = "HH:mm:ss"
                return f.string(from: Date(timeIntervalSince1970: v))
            }
        case .relative:
            return { v in
                let s = Int(v.rounded())
                return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
            }
        }
    }

    private func drawRuns(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        p.box(t.style(focus == .runs ? .hi_fg : .div_line, bg: .main_bg), title: "Runs (Space overlays)",
              titleStyle: t.style(.title, bg: .main_bg, bold: true), unicode: app.unicode)
        let inner = p.sub(Rect(x: 1, y: 1, width: p.width - 2, height: p.height - 2))
        let top = max(0, runIndex - inner.height + 1)
        for (row, run) in app.runs.dropFirst(top).prefix(inner.height).enumerated() {
            let i = top + row
            let shown = overlay.firstIndex(of: run.id)
            let mark = shown != nil ? (app.unicode ? "■" : "#") : (app.unicode ? "□" : ".")
            let selected = i == runIndex && focus == .runs
            let bg: ThemeKey = selected ? .selected_bg : .main_bg
            inner.text(0, row, String(repeating: " ", count: inner.width), t.style(.main_fg, bg: bg))
            inner.text(0, row, mark, Style(fg: shown.map { t[ThemeKey.series($0)] } ?? t[.inactive_fg], bg: t[bg]))
            inner.text(2, row, truncated(run.id, to: inner.width - 2),
                       t.style(run.id == app.liveRunID ? .ok_fg : (selected ? .selected_fg : .main_fg), bg: bg))
        }
        if app.runs.isEmpty { inner.text(1, 0, "no runs yet", t.style(.inactive_fg, bg: .main_bg)) }
    }

    private func drawMetrics(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        p.box(t.style(focus == .metrics ? .hi_fg : .div_line, bg: .main_bg),
              title: "Metrics" + (filter.isEmpty ? "" : " /\(filter)"),
              titleStyle: t.style(.title, bg: .main_bg, bold: true), unicode: app.unicode)
        let inner = p.sub(Rect(x: 1, y: 1, width: p.width - 2, height: p.height - 2))
        let list = visibleMetrics
        let index = list.firstIndex(of: metric) ?? 0
        let top = max(0, index - inner.height + 1)
        for (row, name) in list.dropFirst(top).prefix(inner.height).enumerated() {
            let selected = name == metric
            inner.text(0, row, String(repeating: " ", count: inner.width),
                       t.style(.main_fg, bg: selected ? .selected_bg : .main_bg))
            inner.text(1, row, truncated(name, to: inner.width - 1),
                       t.style(selected ? .selected_fg : .main_fg, bg: selected ? .selected_bg : .main_bg, bold: selected))
        }
        if list.isEmpty { inner.text(1, 0, filter.isEmpty ? "none logged yet" : "none match", t.style(.inactive_fg, bg: .main_bg)) }
    }
}

extension ThemeKey {
    /// The colour of the i-th overlaid run.
    static func series(_ i: Int) -> ThemeKey {
        [.series_1, .series_2, .series_3, .series_4, .series_5, .series_6, .series_7, .series_8][i % 8]
    }
}

extension Double {
    func rounded(to places: Int) -> Double {
        let m = pow(10, Double(places))
        return (self * m).rounded() / m
    }
}
