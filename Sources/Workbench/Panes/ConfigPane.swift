import Runs
import Foundation
import Store
import Terminal

/// Pane 1: the runs of the workspace with their checkpoints, and a form over a run config with presets and inline
/// validation; start, pause/resume, stop and fork from here.
final class ConfigPane: Pane {
    enum Focus { case runs, checkpoints, form }
    var focus: Focus = .form
    var form: ConfigForm?
    var formError: String?
    var fieldIndex = 0
    var editor: TextField?
    var runIndex = 0
    var checkpointIndex = 0
    var checkpoints: [CheckpointRecord] = []
    var checkpointsOf: String?
    var presets: [URL] = []
    var presetIndex = 0
    var filter = ""
    private var totals: [String: Int] = [:]
    private var lastCheckpointRefresh = Date.distantPast

    var isEditing: Bool { editor != nil }

    func setUp(_ app: Workbench) {
        let dir = app.workspace.directory.appendingPathComponent("configs")
        presets = ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "toml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        if !presets.isEmpty { loadPreset(0, app) }
        else if let run = app.selectedRun { load(run: run, app) }
        syncRunIndex(app)
    }

    private func fileExists(_ app: Workbench) -> @Sendable (String) -> Bool {
        let dir = app.workspace.directory
        return { path in FileManager.default.fileExists(atPath: path.hasPrefix("/") ? path : dir.appendingPathComponent(path).path) }
    }

    func loadPreset(_ index: Int, _ app: Workbench) {
        guard !presets.isEmpty else { app.say("no presets: put run configs (*.toml) in configs/ of the workspace", error: true); return }
        presetIndex = (index + presets.count) % presets.count
        let url = presets[presetIndex]
        do {
            let config = try RunConfig.load(url)
            form = ConfigForm(config: config, origin: "configs/" + url.lastPathComponent, fileExists: fileExists(app))
            formError = nil
        } catch {
            form = nil
            formError = "\(error)"
            app.say("\(error)", error: true)
        }
    }

    func load(run: RunRecord, _ app: Workbench) {
        do {
            let config = try RunConfig.parse(run.configTOML, source: "runs/\(run.id)/config.toml")
            form = ConfigForm(config: config, origin: "runs/\(run.id)/config.toml", fileExists: fileExists(app))
            formError = nil
        } catch { app.say("\(error)", error: true) }
    }

    var visibleRuns: [RunRecord] = []

    private func syncRunIndex(_ app: Workbench) {
        visibleRuns = app.runs.filter { filter.isEmpty || $0.id.contains(filter) || $0.name.contains(filter) }
        if let id = app.selectedRunID, let i = visibleRuns.firstIndex(where: { $0.id == id }) { runIndex = i }
        runIndex = min(runIndex, max(0, visibleRuns.count - 1))
    }

    func collect(_ app: Workbench) -> Bool {
        let before = visibleRuns
        syncRunIndex(app)
        var changed = before != visibleRuns
        let id = app.selectedRunID
        if id != checkpointsOf || (id == app.liveRunID && Date().timeIntervalSince(lastCheckpointRefresh) > 1) {
            let list = id.flatMap { try? app.workspace.checkpoints(run: $0, kind: .state) } ?? []
            if list != checkpoints || id != checkpointsOf {
                checkpoints = list
                checkpointIndex = max(0, list.count - 1)
                changed = true
            }
            checkpointsOf = id
            lastCheckpointRefresh = Date()
        }
        return changed
    }

    func event(_ event: EngineEvent, _ app: Workbench) {
        if case .step = event { return }
        _ = collect(app)
    }

    // MARK: actions

    func perform(_ action: Action, _ app: Workbench) -> Bool {
        switch action {
        case .left: focus = focus == .form ? .checkpoints : .runs
        case .right: focus = focus == .runs ? .checkpoints : .form
        case .up, .down:
            let d = action == .up ? -1 : 1
            switch focus {
            case .runs:
                guard !visibleRuns.isEmpty else { return true }
                runIndex = max(0, min(visibleRuns.count - 1, runIndex + d))
                app.select(run: visibleRuns[runIndex].id)
                _ = collect(app)
            case .checkpoints: checkpointIndex = max(0, min(checkpoints.count - 1, checkpointIndex + d))
            case .form: fieldIndex = max(0, min((form?.fields.count ?? 1) - 1, fieldIndex + d))
            }
        case .select, .editField:
            switch focus {
            case .runs:
                if runIndex < visibleRuns.count {
                    load(run: visibleRuns[runIndex], app)
                    focus = .form
                    app.say("form holds \(visibleRuns[runIndex].id)'s config: s starts a new run with it, f forks a checkpoint")
                }
            case .checkpoints:
                if checkpointIndex < checkpoints.count { fork(app, checkpoint: checkpoints[checkpointIndex].name) }
            case .form:
                guard let form else { return true }
                switch form.fields[fieldIndex].kind {
                case .choice, .flag:
                    self.form?.cycle(fieldIndex, by: 1)
                    reportField(app)
                default: editor = TextField(form.value(fieldIndex))
                }
            }
        case .startRun: start(app)
        case .pauseResume: pauseOrResume(app, wantPause: nil)
        case .stopRun: stopLive(app)
        case .forkRun: fork(app, checkpoint: checkpointIndex < checkpoints.count ? checkpoints[checkpointIndex].name : nil)
        case .nextPreset: loadPreset(presetIndex + 1, app); fieldIndex = 0
        default: return false
        }
        return true
    }

    func edit(_ key: Key, _ app: Workbench) {
        guard var field = editor else { return }
        switch field.handle(key) {
        case .committed:
            editor = nil
            form?.set(fieldIndex, field.text)
            reportField(app)
        case .cancelled: editor = nil
        case .editing, .ignored: editor = field
        }
    }

    private func reportField(_ app: Workbench) {
        guard let form else { return }
        // Changing the kind changes the fields shown.
        fieldIndex = min(fieldIndex, form.fields.count - 1)
        let key = form.fields[fieldIndex].key
        if let e = form.errors[key] { app.say("\(key): \(e)", error: true) }
    }

    func start(_ app: Workbench) {
        guard let form else { app.say(formError ?? "no config in the form", error: true); return }
        guard form.isValid else { app.say("cannot start: " + (form.firstError ?? "invalid config"), error: true); return }
        guard let host = app.host else { app.say("read-only workspace: runs start in the process that owns it", error: true); return }
        guard app.liveRunID == nil else { app.say("\(app.liveRunID!) is live: stop it (x) before starting another", error: true); return }
        if !form.edited, form.origin.hasPrefix("configs/"),
           let text = try? String(contentsOf: presets[presetIndex], encoding: .utf8) {
            host.start(configText: text, source: form.origin)
        } else {
            host.start(configText: form.toml, source: "form")
        }
        app.say("starting \(form.config.name)…")
    }

    /// Pauses or resumes the selected run: the live one in memory, another from its last checkpoint.
    func pauseOrResume(_ app: Workbench, wantPause: Bool?) {
        guard let host = app.host else { app.say("read-only workspace", error: true); return }
        if let live = app.liveRunID, live == app.selectedRunID || app.selectedRunID == nil {
            if app.livePaused, wantPause != true { host.resumeLive() }
            else if !app.livePaused, wantPause != false { host.pause(); app.say("pausing \(live) after this step…") }
            return
        }
        guard wantPause != true else { app.say("no live run to pause", error: true); return }
        guard let run = app.selectedRun else { app.say("select a run first (h, then j/k)", error: true); return }
        guard app.liveRunID == nil else { app.say("\(app.liveRunID!) is live: stop it (x) first", error: true); return }
        guard [.paused, .interrupted, .failed].contains(shownStatus(run, app)) else {
            app.say("\(run.id) is \(run.status.rawValue): only paused, interrupted or failed runs resume", error: true); return
        }
        host.resume(runID: run.id)
        app.say("resuming \(run.id) from its last checkpoint…")
    }

    func stopLive(_ app: Workbench) {
        guard let host = app.host, let live = app.liveRunID else { app.say("no live run", error: true); return }
        host.stop()
        app.say("stopping \(live) after this step (checkpoint saved)…")
    }

    func fork(_ app: Workbench, checkpoint: String?) {
        guard let host = app.host else { app.say("read-only workspace", error: true); return }
        guard let run = app.selectedRun else { app.say("select a run to fork", error: true); return }
        guard let name = checkpoint ?? checkpoints.last?.name else { app.say("\(run.id) has no checkpoint to fork", error: true); return }
        guard app.liveRunID == nil else { app.say("\(app.liveRunID!) is live: stop it (x) first", error: true); return }
        guard let form, form.isValid else { app.say("cannot fork: " + (form?.firstError ?? "no config"), error: true); return }
        host.fork(runID: run.id, checkpoint: name, configText: form.toml)
        app.say("forking \(run.id) at \(name) with the form's config…")
    }

    // MARK: drawing

    func draw(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        let leftWidth = min(40, max(34, p.width / 3))
        let (left, right) = p.rect.splitLeft(leftWidth)
        let (runsRect, ckRect) = left.splitTop(max(6, left.height * 3 / 5))
        drawRuns(Painter(p.screen, runsRect), app)
        drawCheckpoints(Painter(p.screen, ckRect), app)
        drawForm(Painter(p.screen, right), app)
        _ = t
    }

    private func border(_ app: Workbench, _ focused: Bool) -> Style {
        app.theme.style(focused ? .hi_fg : .div_line, bg: .main_bg)
    }

    private func drawRuns(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        p.box(border(app, focus == .runs), title: "Runs" + (filter.isEmpty ? "" : " /\(filter)"),
              titleStyle: t.style(.title, bg: .main_bg, bold: true), unicode: app.unicode)
        let inner = p.sub(Rect(x: 1, y: 1, width: p.width - 2, height: p.height - 2))
        if visibleRuns.isEmpty {
            inner.text(1, 0, filter.isEmpty ? "no runs yet: s starts one" : "no run matches /\(filter)", t.style(.inactive_fg, bg: .main_bg))
            return
        }
        // The last row describes the selected run; the rows above list them all.
        let listHeight = max(1, inner.height - 2)
        if let run = app.selectedRun {
            inner.text(0, inner.height - 1, truncated(describe(run, app), to: inner.width), t.style(.hi_fg, bg: .main_bg))
        }
        let top = max(0, runIndex - listHeight + 1)
        for (row, run) in visibleRuns.dropFirst(top).prefix(listHeight).enumerated() {
            let i = top + row
            let selected = run.id == app.selectedRunID
            let live = run.id == app.liveRunID
            let total = totals[run.id] ?? { let v = (try? RunConfig.parse(run.configTOML, source: run.id))?.training.steps ?? 0; totals[run.id] = v; return v }()
            let step = live ? (app.lastReport?.step ?? run.lastStep) : run.lastStep
            let status = live ? (app.livePaused ? "paused" : "running") : shownStatus(run, app).rawValue
            let icon = statusIcon(live ? (app.livePaused ? .paused : .running) : shownStatus(run, app), app.unicode)
            var style = t.style(live ? .ok_fg : (shownStatus(run, app) == .failed ? .error_fg : .main_fg), bg: .main_bg)
            if selected { style = t.style(.selected_fg, bg: .selected_bg, bold: focus == .runs && i == runIndex) }
            inner.text(0, row, String(repeating: " ", count: inner.width), style)
            let tail = (inner.width >= 40 ? "\(status) " : "") + "\(step)/\(total)"
            inner.text(0, row, "\(icon) " + truncated(run.id, to: inner.width - displayWidth(tail) - 3), style)
            inner.text(inner.width - displayWidth(tail), row, tail, style)
        }
    }

    /// The status to show: the database's, unless the run ended in this session and the database still says
    /// running (its last write failed): then how it really ended.
    private func shownStatus(_ run: RunRecord, _ app: Workbench) -> RunStatus {
        if run.status == .running, run.id != app.liveRunID, let ended = app.endedHere[run.id] { return ended.status }
        return run.status
    }

    private func describe(_ run: RunRecord, _ app: Workbench) -> String {
        if run.id == app.liveRunID { return app.livePaused ? "paused in memory · p resumes" : "running · p pauses, x stops" }
        if shownStatus(run, app) == .failed, run.status == .running {
            return "failed: " + (app.endedHere[run.id]?.error ?? "?") + " · p resumes"
        }
        switch run.status {
        case .interrupted: return "interrupted at step \(run.lastStep) · p resumes"
        case .paused: return "stopped at step \(run.lastStep) · p resumes"
        case .failed: return "failed: " + (run.errorMessage ?? "?")
        case .completed: return "completed \(run.lastStep) steps · f forks"
        case .created, .running: return run.status.rawValue
        }
    }

    private func statusIcon(_ s: RunStatus, _ unicode: Bool) -> String {
        switch s {
        case .running: return unicode ? "●" : "*"
        case .paused: return unicode ? "‖" : "="
        case .completed: return unicode ? "✓" : "+"
        case .failed: return unicode ? "✗" : "x"
        case .interrupted: return "!"
        case .created: return unicode ? "·" : "."
        }
    }

    private func drawCheckpoints(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        p.box(border(app, focus == .checkpoints), title: "Checkpoints (Enter forks)",
              titleStyle: t.style(.title, bg: .main_bg, bold: true), unicode: app.unicode)
        let inner = p.sub(Rect(x: 1, y: 1, width: p.width - 2, height: p.height - 2))
        if checkpoints.isEmpty {
            inner.text(1, 0, app.selectedRunID == nil ? "select a run" : "none yet", t.style(.inactive_fg, bg: .main_bg))
            return
        }
        let top = max(0, checkpointIndex - inner.height + 1)
        for (row, c) in checkpoints.dropFirst(top).prefix(inner.height).enumerated() {
            let selected = top + row == checkpointIndex
            let style = selected ? t.style(.selected_fg, bg: .selected_bg, bold: focus == .checkpoints) : t.style(.main_fg, bg: .main_bg)
            inner.text(0, row, String(repeating: " ", count: inner.width), style)
            inner.text(1, row, "\(c.name)  step \(c.step)", style)
        }
    }

    private func drawForm(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        let title = form.map { "Config: \($0.config.name) — \($0.origin)" + ($0.edited ? " (edited)" : "") } ?? "Config"
        p.box(border(app, focus == .form), title: title, titleStyle: t.style(.title, bg: .main_bg, bold: true), unicode: app.unicode)
        let inner = p.sub(Rect(x: 2, y: 1, width: p.width - 4, height: p.height - 2))
        guard let form else {
            inner.text(0, 0, formError ?? "no config: add a *.toml to configs/", t.style(.error_fg, bg: .main_bg))
            return
        }
        // Keys take what the longest needs, up to 45 % of the width; longer ones are cut with an ellipsis.
        let longest = form.fields.map { displayWidth($0.key) }.max() ?? 22
        let labelWidth = max(23, min(longest + 1, inner.width * 45 / 100))
        let valueWidth = max(10, inner.width - labelWidth)
        let hintRows = 3
        let rows = max(1, inner.height - hintRows)
        let top = max(0, fieldIndex - rows + 1)
        for (row, field) in form.fields.enumerated().dropFirst(top).prefix(rows).map({ ($0.offset - top, $0.element) }) {
            let i = row + top
            let selected = i == fieldIndex && focus == .form
            let error = form.errors[field.key]
            inner.text(0, row, truncated(field.key, to: labelWidth - 1), t.style(error == nil ? .inactive_fg : .error_fg, bg: .main_bg))
            let valueStyle = selected ? t.style(.selected_fg, bg: .selected_bg, bold: true) : t.style(.main_fg, bg: .main_bg)
            if selected, let editor {
                editor.draw(inner, x: labelWidth, y: row, width: valueWidth, style: valueStyle, focused: true)
            } else {
                var value = form.value(i)
                switch field.kind {
                case .choice, .flag: value = (app.unicode ? "◂ " : "< ") + value + (app.unicode ? " ▸" : " >")
                default: break
                }
                // The value takes what it needs; an error follows it on the same line.
                let shown = truncated(value, to: error == nil ? valueWidth : max(8, valueWidth / 2))
                let end = inner.text(labelWidth, row, shown, valueStyle)
                if let error {
                    inner.text(end + 1, row, (app.unicode ? "✗ " : "x ") + truncated(error, to: inner.width - end - 3),
                               t.style(.error_fg, bg: .main_bg))
                }
            }
        }
        let hintY = inner.height - hintRows + 1
        if let e = form.generalError { inner.text(0, hintY - 1, truncated(e, to: inner.width), t.style(.error_fg, bg: .main_bg)) }
        let dot = app.unicode ? " · " : " | "
        inner.text(0, hintY, truncated(["s start", "p pause/resume", "x stop", "f fork", "P preset"].joined(separator: dot), to: inner.width),
                   t.style(.hi_fg, bg: .main_bg))
        inner.text(0, hintY + 1, truncated(["Enter edit", "h/l focus", "? keys"].joined(separator: dot), to: inner.width),
                   t.style(.inactive_fg, bg: .main_bg))
    }
}
