import Foundation
import Terminal

extension Workbench {
    var unicode: Bool { driver.capabilities.unicode }

    func draw() {
        let base = theme.style(.main_fg, bg: .main_bg)
        screen.clear(base)
        let p = Painter(screen)
        guard screen.width >= Self.minimumWidth, screen.height >= Self.minimumHeight else {
            drawTooSmall(p, base)
            return
        }
        let (top, rest) = screen.bounds.splitTop(1)
        let body = Rect(x: rest.x, y: rest.y, width: rest.width, height: rest.height - 1)
        drawTabs(Painter(screen, top))
        currentPane.draw(Painter(screen, body), self)
        if let filterField {
            let fp = Painter(screen, Rect(x: 0, y: screen.height - 2, width: screen.width, height: 1))
            fp.fill(theme.style(.selected_fg, bg: .selected_bg))
            fp.text(1, 0, "filter /", theme.style(.title, bg: .selected_bg, bold: true))
            filterField.draw(fp, x: 10, y: 0, width: screen.width - 12, style: theme.style(.selected_fg, bg: .selected_bg), focused: true)
        }
        drawStatus(Painter(screen, Rect(x: 0, y: screen.height - 1, width: screen.width, height: 1)))
        switch overlay {
        case .help(let scroll): drawHelp(p, scroll: scroll)
        case .palette(let field, let selected): drawPalette(p, field, selected)
        case .confirmQuit: drawConfirmQuit(p)
        case nil: break
        }
    }

    private func drawTooSmall(_ p: Painter, _ style: Style) {
        let lines = ["Terminal too small: \(screen.width)×\(screen.height)",
                     "(need \(Self.minimumWidth)×\(Self.minimumHeight); enlarge the window or press q)"]
        for (i, line) in lines.enumerated() {
            let w = displayWidth(line)
            p.text(max(0, (screen.width - w) / 2), max(0, screen.height / 2 - 1 + i), line,
                   i == 0 ? theme.style(.warn_fg, bg: .main_bg, bold: true) : style)
        }
    }

    private func drawTabs(_ p: Painter) {
        p.fill(theme.style(.status_fg, bg: .status_bg))
        var x = p.text(1, 0, "Lathe", theme.style(.title, bg: .status_bg, bold: true)) + 2
        for id in PaneID.allCases {
            let label = " \(id.rawValue) \(id.title) "
            let style = id == pane ? theme.style(.selected_fg, bg: .selected_bg, bold: true) : theme.style(.status_fg, bg: .status_bg)
            x = p.text(x, 0, label, style) + 1
        }
        var right = "workspace \(workspace.directory.lastPathComponent)"
        if workspace.isReadOnly { right += " (read-only)" }
        if let server { right = "serving :\(server.port ?? serverPort)  " + right }
        if let live = liveRunID {
            right = (livePaused ? "paused " : "● ") + live + "  " + right
        }
        let w = displayWidth(right)
        if x + w + 1 < p.width { p.text(p.width - w - 1, 0, right, theme.style(liveRunID == nil ? .status_fg : .ok_fg, bg: .status_bg)) }
    }

    /// Step, tok/s, ETA and memory of the live run, then the latest message.
    private func drawStatus(_ p: Painter) {
        p.fill(theme.style(.status_fg, bg: .status_bg))
        var parts: [String] = []
        if let r = lastReport, liveRunID != nil {
            parts.append("step \(r.step)/\(r.totalSteps)")
            parts.append(String(format: "loss %.4f", r.loss))
            parts.append("\(Int(r.tokensPerSecond.rounded())) tok/s")
            let perStep = recentStepSeconds.isEmpty ? 0 : recentStepSeconds.reduce(0, +) / Double(recentStepSeconds.count)
            parts.append("ETA " + clock(perStep * Double(r.totalSteps - r.step)))
        } else if liveRunID != nil {
            parts.append("starting…")
        }
        parts.append("RSS \(Int(residentMemory())) MB")
        let left = " " + parts.joined(separator: " · ")
        var x = p.text(0, 0, left, theme.style(.status_fg, bg: .status_bg))
        if let m = message {
            x += 2
            p.text(x, 0, truncated(m.text, to: p.width - x - 7),
                   theme.style(m.isError ? .error_fg : .hi_fg, bg: .status_bg, bold: m.isError))
        }
        p.text(p.width - 6, 0, "? help", theme.style(.inactive_fg, bg: .status_bg))
    }

    private func centeredBox(_ p: Painter, width: Int, height: Int) -> Painter {
        let w = min(width, p.width - 4), h = min(height, p.height - 2)
        let box = p.sub(Rect(x: (p.width - w) / 2, y: (p.height - h) / 2, width: w, height: h))
        box.fill(theme.style(.main_fg, bg: .main_bg))
        return box
    }

    private func drawHelp(_ p: Painter, scroll: Int) {
        let lines = Keymap.helpLines(scopes: [.global, pane.scope])
        let box = centeredBox(p, width: 72, height: min(lines.count + 4, p.height - 2))
        box.box(theme.style(.div_line, bg: .main_bg), title: "Keys — \(pane.title) (any other key closes)",
                titleStyle: theme.style(.title, bg: .main_bg, bold: true), unicode: unicode)
        let inner = box.sub(box.rect.inset(1).offset(-box.rect.x, -box.rect.y))
        let top = min(scroll, max(0, lines.count - inner.height))
        for (row, line) in lines.dropFirst(top).prefix(inner.height).enumerated() {
            if let header = line.header {
                inner.text(1, row, header, theme.style(.title, bg: .main_bg, bold: true))
            } else {
                inner.text(2, row, truncated(line.keys, to: 18), theme.style(.hi_fg, bg: .main_bg))
                inner.text(21, row, truncated(line.help, to: inner.width - 22), theme.style(.main_fg, bg: .main_bg))
            }
        }
    }

    private func drawPalette(_ p: Painter, _ field: TextField, _ selected: Int) {
        let matches = CommandPalette.matches(field.text)
        let box = centeredBox(p, width: 70, height: min(matches.count, 10) + 4)
        box.box(theme.style(.div_line, bg: .main_bg), title: "Command (Tab completes, Enter runs, Esc closes)",
                titleStyle: theme.style(.title, bg: .main_bg, bold: true), unicode: unicode)
        box.text(2, 1, ":", theme.style(.hi_fg, bg: .main_bg, bold: true))
        field.draw(box, x: 3, y: 1, width: box.width - 5, style: theme.style(.main_fg, bg: .main_bg), focused: true)
        for (i, c) in matches.prefix(box.height - 3).enumerated() {
            let style = i == selected ? theme.style(.selected_fg, bg: .selected_bg) : theme.style(.main_fg, bg: .main_bg)
            box.text(2, 2 + i, String(repeating: " ", count: box.width - 4), style)
            box.text(3, 2 + i, c.usage, style.with(bold: true), maxWidth: 26)
            box.text(30, 2 + i, truncated(c.help, to: box.width - 32), style)
        }
    }

    private func drawConfirmQuit(_ p: Painter) {
        let box = centeredBox(p, width: 60, height: 6)
        box.box(theme.style(.warn_fg, bg: .main_bg), title: "Quit?", titleStyle: theme.style(.warn_fg, bg: .main_bg, bold: true),
                unicode: unicode)
        box.text(2, 1, truncated("\(liveRunID ?? "a run") is live.", to: box.width - 4), theme.style(.main_fg, bg: .main_bg))
        box.text(2, 2, truncated("y  checkpoint it, stop it (resumable) and quit", to: box.width - 4), theme.style(.hi_fg, bg: .main_bg))
        box.text(2, 3, truncated("any other key  keep working", to: box.width - 4), theme.style(.hi_fg, bg: .main_bg))
    }

    func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "–" }
        let t = Int(seconds.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }

    /// This process's resident memory, from /proc/self/statm (0 where there is none).
    static func residentMegabytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * 4096 / 1_048_576
    }
}

extension Rect {
    func offset(_ dx: Int, _ dy: Int) -> Rect { Rect(x: x + dx, y: y + dy, width: width, height: height) }
}
