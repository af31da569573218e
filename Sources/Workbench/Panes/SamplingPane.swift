import Runs
import Foundation
import Store
import Terminal

/// Pane 3: a prompt, N continuations from the selected run's adapter — the live one, between training steps —
/// streamed token by token, side by side with the base model (adapter off), shaded by per-token logprob, stored
/// with their step and settings, and rated with thumbs up/down.
final class SamplingPane: Pane {
    struct SampleView {
        var id: Int64?
        var step: Int
        var seed: UInt64
        var index: Int
        var temperature: Double
        var topP: Double
        var pieces: [TokenPiece] = []
        var done = false
        var stopReason: String?
        var rating: Int?
        var error: String?
    }

    /// One press's i-th sample: the adapter's and (optionally) the base model's, same seed, same step.
    struct Row {
        var prompt: String
        var adapter: SampleView?
        var base: SampleView?
        var request: Int?
    }

    var prompt = TextField()
    var editing = false
    var chat = true
    var showBase = true
    var temperature = 0.8
    var topP = 0.95
    var count = 1
    var maxTokens = 48
    var seed: UInt64 = 1
    var rows: [Row] = []
    var selected = 0
    var side = 0   // 0 adapter, 1 base
    var filter = ""
    var pending: Set<Int> = []
    private var loadedRun: String?
    /// The selected RL run's reward model as ratings feed it: labels used, pending, held-out pair accuracy.
    private(set) var rewardModelStatus: String?
    private var statusRefreshed = Date.distantPast
    private var rewardModelRuns: [String: Bool] = [:]

    var isEditing: Bool { editing }

    func setUp(_ app: Workbench) {
        let s = app.state
        prompt = TextField(s.prompt.isEmpty ? "What is 12 plus 30?" : s.prompt)
        chat = s.chat; showBase = s.showBase; temperature = s.temperature; topP = s.topP
        count = s.count; maxTokens = s.maxTokens; seed = s.seed
        reload(app)
    }

    func save(into s: inout UIState) {
        s.prompt = prompt.text; s.chat = chat; s.showBase = showBase; s.temperature = temperature; s.topP = topP
        s.count = count; s.maxTokens = maxTokens; s.seed = seed
    }

    func selectedRunChanged(_ app: Workbench) { reload(app) }

    /// The selected run's stored probes, newest first, adapter and base paired by step, seed and sample index.
    func reload(_ app: Workbench) {
        loadedRun = app.selectedRunID
        rows = []
        selected = 0
        guard let run = app.selectedRunID else { return }
        let stored = ((try? app.workspace.samples(run: run)) ?? []).filter { $0.kind == "probe" || $0.kind == "probe-base" }
        let ratings = (try? app.workspace.feedback(run: run)) ?? [:]
        var built: [Row] = []
        for s in stored {
            let settings = SampleSettings.parse(s.settingsJSON)
            var view = SampleView(id: s.id, step: s.step, seed: settings?.seed ?? 0, index: settings?.sampleIndex ?? 0,
                                  temperature: settings?.temperature ?? 0, topP: settings?.topP ?? 1,
                                  pieces: TokenPiece.parse(s.tokensJSON), done: true, stopReason: nil,
                                  rating: s.id.flatMap { ratings[$0] })
            if view.pieces.isEmpty { view.pieces = [TokenPiece(text: s.completion, logprob: 0)] }
            if s.kind == "probe" {
                built.append(Row(prompt: s.prompt, adapter: view, base: nil))
            } else if let i = built.lastIndex(where: { r in
                r.base == nil && r.prompt == s.prompt && r.adapter.map { $0.step == view.step && $0.seed == view.seed && $0.index == view.index } == true
            }) {
                built[i].base = view
            } else {
                built.append(Row(prompt: s.prompt, adapter: nil, base: view))
            }
        }
        rows = built.reversed()
    }

    func collect(_ app: Workbench) -> Bool {
        if loadedRun != app.selectedRunID { reload(app); refreshRewardModelStatus(app); return true }
        if Date().timeIntervalSince(statusRefreshed) > 0.5 {
            let before = rewardModelStatus
            refreshRewardModelStatus(app)
            return before != rewardModelStatus
        }
        return false
    }

    /// Whether a run's config streams ratings into a reward model (parsed once per run).
    private func feedsRewardModel(_ run: RunRecord) -> Bool {
        if let known = rewardModelRuns[run.id] { return known }
        let rm = (try? RunConfig.parse(run.configTOML))?.rl?.rewardModel
        let feeds = rm?.fromFeedback == true
        rewardModelRuns[run.id] = feeds
        return feeds
    }

    /// "reward model: N labels used · M pending · held-out pair accuracy A (P pairs) · S steps": labels are the
    /// workspace's ratings; pending ones are taken up between the live run's next policy steps.
    func refreshRewardModelStatus(_ app: Workbench) {
        statusRefreshed = Date()
        guard let id = app.selectedRunID, let run = app.runs.first(where: { $0.id == id }), feedsRewardModel(run) else {
            rewardModelStatus = nil
            return
        }
        let ws = app.workspace
        func latest(_ name: String) -> Double? { (try? ws.metrics(run: id, name: name))?.last?.value }
        let ratings = (try? ws.feedbackCount()) ?? 0
        let used = Int(latest("reward_model/labels") ?? 0)
        var parts = ["reward model: \(used) labels used", "\(max(0, ratings - used)) pending"]
        if let acc = latest("reward_model/pair_accuracy"), let n = latest("reward_model/held_out_pairs") {
            parts.append(String(format: "held-out pair accuracy %.2f (%d pairs)", acc, Int(n)))
        } else {
            parts.append("no held-out pair yet")
        }
        if let steps = latest("reward_model/steps") { parts.append("\(Int(steps)) BT steps") }
        rewardModelStatus = parts.joined(separator: " · ")
    }

    var visibleRows: [Int] {
        rows.indices.filter { i in
            filter.isEmpty || rows[i].prompt.contains(filter)
                || [rows[i].adapter, rows[i].base].contains { v in v.map { $0.pieces.map(\.text).joined().contains(filter) } ?? false }
        }
    }

    func event(_ event: EngineEvent, _ app: Workbench) {
        switch event {
        case .token(let request, let sample, let text, let logprob):
            update(request, sample) { $0.pieces.append(TokenPiece(text: text, logprob: Double(logprob))) }
        case .sampleFinished(let request, let sample, let record, let stopReason):
            update(request, sample, base: record.map { $0.kind == "probe-base" }) {
                $0.done = true; $0.id = record?.id; $0.stopReason = stopReason
                if let record { $0.step = record.step }
            }
            finishIfDone(request)
        case .requestFailed(let request, let error):
            for i in rows.indices where rows[i].request == request {
                if rows[i].adapter?.done == false, requestSide[request] == 0 { rows[i].adapter?.error = error; rows[i].adapter?.done = true }
                if rows[i].base?.done == false, requestSide[request] == 1 { rows[i].base?.error = error; rows[i].base?.done = true }
            }
            pending.remove(request)
            app.say(error, error: true)
        default: break
        }
    }

    /// Which side (0 adapter, 1 base) each in-flight request fills.
    private var requestSide: [Int: Int] = [:]
    private var requestRow: [Int: Int] = [:]

    private func update(_ request: Int, _ sample: Int, base: Bool? = nil, _ change: (inout SampleView) -> Void) {
        guard let side = requestSide[request] else { return }
        for i in rows.indices where rows[i].request == requestRow[request] && (rows[i].adapter?.index ?? rows[i].base?.index) == sample {
            if side == 0 { if var v = rows[i].adapter { change(&v); rows[i].adapter = v } }
            else { if var v = rows[i].base { change(&v); rows[i].base = v } }
        }
    }

    private func finishIfDone(_ request: Int) {
        guard let group = requestRow[request] else { return }
        let side = requestSide[request]!
        let done = rows.filter { $0.request == group }.allSatisfy { (side == 0 ? $0.adapter?.done : $0.base?.done) ?? true }
        if done { pending.remove(request) }
    }

    // MARK: actions

    func perform(_ action: Action, _ app: Workbench) -> Bool {
        switch action {
        case .editPrompt: editing = true
        case .sample, .select: sample(app)
        case .toggleBase: showBase.toggle(); if !showBase { side = 0 }
        case .toggleChat: chat.toggle()
        case .temperatureUp: temperature = min(2, (temperature + 0.1).rounded(to: 2))
        case .temperatureDown: temperature = max(0, (temperature - 0.1).rounded(to: 2))
        case .topPUp: topP = min(1, (topP + 0.05).rounded(to: 2))
        case .topPDown: topP = max(0.05, (topP - 0.05).rounded(to: 2))
        case .countUp: count = min(8, count + 1)
        case .countDown: count = max(1, count - 1)
        case .maxTokensUp: maxTokens = min(512, maxTokens * 2)
        case .maxTokensDown: maxTokens = max(8, maxTokens / 2)
        case .newSeed: seed += 1
        case .up: selected = max(0, selected - 1)
        case .down: selected = min(max(0, visibleRows.count - 1), selected + 1)
        case .left: side = 0
        case .right: if showBase { side = 1 }
        case .thumbsUp: rate(app, 1)
        case .thumbsDown: rate(app, -1)
        case .back:
            guard !pending.isEmpty, let host = app.host else { return false }
            for r in pending { host.cancel(request: r) }
            app.say("cancelled")
        default: return false
        }
        return true
    }

    func edit(_ key: Key, _ app: Workbench) {
        switch prompt.handle(key) {
        case .committed, .cancelled: editing = false
        case .editing, .ignored: break
        }
    }

    func sample(_ app: Workbench) {
        guard let host = app.host else { app.say("read-only workspace: sampling runs in the owner process", error: true); return }
        guard !prompt.text.trimmingCharacters(in: .whitespaces).isEmpty else { app.say("prompt: empty (e edits it)", error: true); return }
        guard let base = app.configPane.form?.config.model.base ?? app.selectedRun.flatMap({ try? RunConfig.parse($0.configTOML, source: $0.id) })?.model.base else {
            app.say("no base model: the form's model.base is empty", error: true); return
        }
        let run = app.selectedRunID
        let hasAdapter = run.map { id in id == app.liveRunID || (try? app.workspace.latestCheckpoint(run: id)) != nil } ?? false
        if run == nil { app.say("no run selected: sampling the base model only (not stored)") }
        else if !hasAdapter { app.say("\(run!) has no checkpoint yet: sampling the base model only") }
        let step = run == app.liveRunID ? (app.lastReport?.step ?? 0) : (app.selectedRun?.lastStep ?? 0)
        let group = host.newRequestID()
        let sides = (hasAdapter ? [0] : []) + (showBase || !hasAdapter ? [1] : [])
        var newRows: [Row] = []
        for i in 0..<count {
            let v = SampleView(step: step, seed: seed, index: i, temperature: temperature, topP: topP)
            newRows.append(Row(prompt: prompt.text, adapter: sides.contains(0) ? v : nil, base: sides.contains(1) ? v : nil,
                               request: group))
        }
        rows.insert(contentsOf: newRows, at: 0)
        selected = 0
        for s in sides {
            let id = host.newRequestID()
            requestSide[id] = s
            requestRow[id] = group
            pending.insert(id)
            host.sample(SampleRequest(id: id, runID: run, useAdapter: s == 0, prompt: prompt.text, chat: chat, count: count,
                                      maxTokens: maxTokens, temperature: temperature, topP: topP, seed: seed),
                        base: app.workspace.resolve(base))
        }
    }

    private func rate(_ app: Workbench, _ rating: Int) {
        let list = visibleRows
        guard selected < list.count else { app.say("no sample selected", error: true); return }
        let i = list[selected]
        guard let view = side == 0 ? rows[i].adapter : rows[i].base else { app.say("nothing on this side to rate", error: true); return }
        guard let id = view.id else {
            app.say(view.done ? "not stored (no run selected): nothing to rate" : "still sampling: rate it when it is done", error: true)
            return
        }
        let newRating: Int? = view.rating == rating ? nil : rating
        do {
            try app.workspace.setFeedback(sampleID: id, rating: newRating)
            if side == 0 { rows[i].adapter?.rating = newRating } else { rows[i].base?.rating = newRating }
            let fed = rewardModelStatus != nil && app.selectedRunID == app.liveRunID ? " (the reward model takes it up before the next step)" : ""
            app.say((newRating == nil ? "rating cleared" : (rating > 0 ? "thumbs up stored" : "thumbs down stored")) + fed)
            refreshRewardModelStatus(app)
        } catch { app.say("\(error)", error: true) }
    }

    // MARK: drawing

    func draw(_ p: Painter, _ app: Workbench) {
        let t = app.theme
        let promptBox = p.sub(Rect(x: 0, y: 0, width: p.width, height: 3))
        promptBox.box(t.style(editing ? .hi_fg : .div_line, bg: .main_bg),
                      title: "Prompt (\(chat ? "chat" : "raw")) — " + (editing ? "Enter: done" : "e: edit · Enter/g: sample"),
                      titleStyle: t.style(.title, bg: .main_bg, bold: true), unicode: app.unicode)
        prompt.draw(promptBox, x: 2, y: 1, width: p.width - 4, style: t.style(.main_fg, bg: .main_bg), focused: editing)

        let dot = app.unicode ? " · " : " | "
        var source = "base model (no run selected)"
        if let run = app.selectedRunID {
            source = run == app.liveRunID ? "\(run) live, step \(app.lastReport?.step ?? 0)" : "\(run) at its last checkpoint"
        }
        let settings = [source, String(format: "T %.2f", temperature), String(format: "top-p %.2f", topP), "n \(count)",
                        "max \(maxTokens)", "seed \(seed)", showBase ? "base: on" : "base: off"].joined(separator: dot)
        p.text(1, 3, truncated(settings, to: p.width - 2), t.style(.hi_fg, bg: .main_bg))
        if !pending.isEmpty { p.text(p.width - 12, 3, "sampling…", t.style(.warn_fg, bg: .main_bg, bold: true)) }

        var top = 4
        if let status = rewardModelStatus {
            p.text(1, 4, truncated(status, to: p.width - 2), t.style(.ok_fg, bg: .main_bg))
            top = 5
        }
        let body = p.sub(Rect(x: 0, y: top, width: p.width, height: p.height - top - 1))
        p.text(1, p.height - 1, truncated(["g sample", "u/d thumbs", "j/k select", "h/l side", "b base", "c chat/raw", "t/T temp",
                                           "p/P top-p", "n/N count", "m/M max", "r seed", "Esc cancel"].joined(separator: dot),
                                          to: p.width - 2), t.style(.inactive_fg, bg: .main_bg))
        let columns = showBase ? 2 : 1
        let colWidth = body.width / columns
        let titles = ["Adapter" + (app.selectedRunID.map { " — \($0)" } ?? ""), "Base (adapter off)"]
        for c in 0..<columns {
            let col = body.sub(Rect(x: c * colWidth, y: 0, width: c == columns - 1 ? body.width - c * colWidth : colWidth, height: body.height))
            col.box(t.style(side == c ? .hi_fg : .div_line, bg: .main_bg), title: titles[c],
                    titleStyle: t.style(.title, bg: .main_bg, bold: true), unicode: app.unicode)
        }
        let list = visibleRows
        if list.isEmpty {
            body.text(2, 1, filter.isEmpty ? "no samples yet: g samples the prompt" : "no sample matches /\(filter)",
                      t.style(.inactive_fg, bg: .main_bg))
            return
        }
        let innerHeight = body.height - 2
        var y = 0
        let start = min(selected, max(0, list.count - 1))
        // Keep the selected row on screen: show from the selection, with one row of context above when it fits.
        let first = max(0, start - 1)
        for (n, i) in list.enumerated().dropFirst(first) {
            if y >= innerHeight { break }
            let row = rows[i]
            let isSelected = n == start
            let lines = isSelected ? 12 : 4
            var used = 0
            for c in 0..<columns {
                let col = body.sub(Rect(x: c * colWidth + 1, y: 1 + y, width: (c == columns - 1 ? body.width - c * colWidth : colWidth) - 2,
                                        height: innerHeight - y))
                let view = c == 0 ? row.adapter : row.base
                used = max(used, drawSample(col, view, prompt: row.prompt, maxLines: lines, selected: isSelected && side == c, app))
            }
            y += used + 1
        }
    }

    /// One sample: a header (step, seed, rating) and its text shaded by token logprob. Returns rows used.
    private func drawSample(_ p: Painter, _ view: SampleView?, prompt: String, maxLines: Int, selected: Bool, _ app: Workbench) -> Int {
        let t = app.theme
        guard p.height > 0 else { return 0 }
        guard let v = view else {
            p.text(0, 0, "—", t.style(.inactive_fg, bg: .main_bg))
            return 1
        }
        let thumb = v.rating == 1 ? (app.unicode ? " ▲ up" : " +1") : v.rating == -1 ? (app.unicode ? " ▼ down" : " -1") : ""
        let state = v.error != nil ? " failed" : v.done ? "" : " …"
        let header = "step \(v.step) · seed \(v.seed) #\(v.index) · \(truncated(prompt, to: 24))\(state)"
        let hs = selected ? t.style(.selected_fg, bg: .selected_bg, bold: true) : t.style(.inactive_fg, bg: .main_bg)
        p.text(0, 0, String(repeating: " ", count: p.width), hs)
        let end = p.text(0, 0, truncated(header, to: p.width - displayWidth(thumb)), hs)
        if !thumb.isEmpty { p.text(end, 0, thumb, t.style(v.rating == 1 ? .thumbs_up : .thumbs_down, bg: selected ? .selected_bg : .main_bg, bold: true)) }
        if let e = v.error {
            p.text(0, 1, truncated(e, to: p.width), t.style(.error_fg, bg: .main_bg))
            return 2
        }
        var x = 0, y = 1
        let limit = min(maxLines, p.height - 1)
        outer: for piece in v.pieces {
            let style = shade(piece.logprob, t)
            for s in piece.text.unicodeScalars {
                if s == "\n" { x = 0; y += 1; if y > limit { break outer }; continue }
                let w = max(1, displayWidth(s))
                if x + w > p.width { x = 0; y += 1; if y > limit { break outer } }
                p.text(x, y, String(s), style)
                x += w
            }
        }
        return min(y, limit) + 1
    }

    /// Confident tokens plain, unlikely ones tinted toward `logprob_low` (or coloured on 16-colour themes).
    private func shade(_ logprob: Double, _ t: Theme) -> Style {
        let p = exp(min(0, logprob))
        if case .rgb(let bg) = t[.main_bg], case .rgb(let low) = t[.logprob_low] {
            let amount = (1 - p) * 0.75
            return Style(fg: t[.main_fg], bg: .rgb(bg.mixed(with: low, amount)))
        }
        return t.style(p < 0.1 ? .error_fg : p < 0.5 ? .warn_fg : .main_fg, bg: .main_bg)
    }
}
