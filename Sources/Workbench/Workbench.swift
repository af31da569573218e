import Foundation
import Runs
import Server
import Store
import Terminal

/// The product: panes over one workspace, driven by keys, fed by the engine's events. The loop runs on the main
/// thread: read a key (short timeout), drain events, collect, and redraw what changed — keys at once, everything else
/// at most 10 frames a second.
public final class Workbench {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    let driver: TerminalDriver
    public let workspace: Workspace
    let host: EngineHost?
    let screen: Screen
    var theme: Theme
    var themeName: String
    let themeDirectories: [URL]
    var state: UIState

    var pane: PaneID
    let configPane: ConfigPane
    let curvesPane: CurvesPane
    let samplingPane: SamplingPane
    let visionPane: VisionPane

    enum Overlay: Equatable {
        case help(scroll: Int)
        case palette(TextField, selected: Int)
        case confirmQuit
    }
    var overlay: Overlay?
    var filterField: TextField?

    // Runs and the live one, as the store and events tell them.
    var runs: [RunRecord] = []
    var selectedRunID: String?
    public internal(set) var liveRunID: String?
    var livePaused = false
    /// Runs that ended in this session while the database could not record it (a full disk): their real status.
    var endedHere: [String: (status: RunStatus, error: String?)] = [:]
    var lastReport: StepReport?
    var recentStepSeconds: [Double] = []
    var baseSummary: String?
    var message: (text: String, isError: Bool, at: Date)?

    public private(set) var quitRequested = false
    var server: ServerHandle?
    var serverPort = 0
    var restartWith: [String]?
    private var dirty = true
    private var lastFrame = Date.distantPast
    private var lastCollect = Date.distantPast
    private var lastRunsRefresh = Date.distantPast
    private var lastSavedState: UIState?
    /// Key → presented-frame latencies in seconds (the latency benchmark reads them).
    public private(set) var keyLatencies: [Double] = []
    /// Resident memory in MB for the status line (tests pin it so goldens are stable).
    public var residentMemory: () -> Double = Workbench.residentMegabytes

    public init(driver: TerminalDriver, workspace: Workspace, host: EngineHost?, themeDirectories: [URL],
                themeOverride: String? = nil) {
        self.driver = driver
        self.workspace = workspace
        self.host = host
        self.themeDirectories = themeDirectories
        screen = Screen(width: driver.width, height: driver.height)
        state = UIState.parse(try? workspace.uiState(UIState.key)) ?? UIState()
        pane = state.pane
        themeName = themeOverride ?? state.theme ?? (driver.capabilities.colors <= .ansi16 ? "tty" : "default")
        theme = Theme.builtinDark
        configPane = ConfigPane()
        curvesPane = CurvesPane()
        samplingPane = SamplingPane()
        visionPane = VisionPane()
        lastSavedState = state
        _ = loadTheme(themeName)
        refreshRuns()
        selectedRunID = state.selectedRun.flatMap { id in runs.contains { $0.id == id } ? id : nil } ?? runs.first?.id
        configPane.setUp(self)
        curvesPane.setUp(self)
        samplingPane.setUp(self)
        visionPane.setUp(self)
        if workspace.isReadOnly {
            say("read-only: another process (pid \(workspace.ownerPID.map(String.init) ?? "?")) owns this workspace", error: true)
        }
        if let base = configPane.form?.config.model.base { host?.preload(base: workspace.resolve(base)) }
    }

    var currentPane: Pane {
        switch pane {
        case .config: return configPane
        case .curves: return curvesPane
        case .sampling: return samplingPane
        case .vision: return visionPane
        }
    }

    // MARK: loop

    /// Runs until quit. Returns the arguments to restart with (`:open DIR`), if any.
    public func run() -> [String]? {
        while !quitRequested {
            tick(timeoutMs: 30)
            if externalQuit() { quitRequested = true }
        }
        finish()
        return restartWith
    }

    /// One turn of the loop; tests call it directly.
    public func tick(timeoutMs: Int) {
        let key = driver.readKey(timeoutMs: timeoutMs)
        let keyTime = Date()
        if let key { handle(key) }
        processEvents()
        let now = Date()
        if now.timeIntervalSince(lastCollect) >= 0.25 {
            lastCollect = now
            if now.timeIntervalSince(lastRunsRefresh) >= 1 { refreshRuns() }
            if currentPane.collect(self) { dirty = true }
            saveStateIfChanged()
        }
        if let m = message, now.timeIntervalSince(m.at) > 8, !m.isError { message = nil; dirty = true }
        if let s = server, let e = s.error {
            server = nil
            say("serving stopped: \(e)", error: true)
        }
        if dirty && (key != nil || now.timeIntervalSince(lastFrame) >= 0.1) {
            redraw()
            if key != nil && key != .resize { keyLatencies.append(Date().timeIntervalSince(keyTime)) }
        }
    }

    func redraw() {
        if screen.width != driver.width || screen.height != driver.height {
            screen.resize(width: driver.width, height: driver.height)
        }
        draw()
        if !driver.capabilities.unicode { screen.foldToASCII() }
        driver.present(screen)
        dirty = false
        lastFrame = Date()
    }

    func setNeedsRedraw() { dirty = true }

    /// Shows `text` on the status line; paths inside the workspace are shown relative to it, so the reason at the end
    /// of a long error ("… (No space left on device)") still fits.
    func say(_ text: String, error: Bool = false) {
        message = (text.replacingOccurrences(of: workspace.directory.standardizedFileURL.path + "/", with: ""), error, Date())
        dirty = true
    }

    func refreshRuns() {
        lastRunsRefresh = Date()
        if let list = try? workspace.runs(), list != runs {
            runs = list
            dirty = true
        }
    }

    var selectedRun: RunRecord? { runs.first { $0.id == selectedRunID } }

    func select(run id: String?) {
        guard id != selectedRunID else { return }
        selectedRunID = id
        curvesPane.selectedRunChanged(self)
        samplingPane.selectedRunChanged(self)
        dirty = true
    }

    private func processEvents() {
        guard let host else { return }
        let events = host.drainEvents()
        guard !events.isEmpty else { return }
        dirty = true
        for e in events {
            switch e {
            case .message(let text, let isError): say(text, error: isError)
            case .baseLoaded(let path, let summary):
                baseSummary = summary
                say("base model \(URL(fileURLWithPath: path).lastPathComponent) loaded: \(summary)")
            case .runStarted(let record):
                liveRunID = record.id
                livePaused = false
                lastReport = nil
                recentStepSeconds = []
                refreshRuns()
                select(run: record.id)
                curvesPane.ensureOverlay(record.id)
                say("\(record.id) started")
            case .step(_, let report):
                lastReport = report
                recentStepSeconds.append(report.seconds)
                if recentStepSeconds.count > 20 { recentStepSeconds.removeFirst() }
            case .runPaused(let id):
                livePaused = true
                refreshRuns()
                say("\(id) paused at step \(lastReport?.step ?? 0) (checkpoint saved); p resumes")
            case .runResumed(let id):
                livePaused = false
                endedHere[id] = nil
                refreshRuns()
                say("\(id) resumed")
            case .runEnded(let id, let status, let error):
                if liveRunID == id { liveRunID = nil; livePaused = false }
                endedHere[id] = (error == nil ? status : .failed, error)
                refreshRuns()
                if let error { say("\(id) failed: \(error)", error: true) }
                else if status == .completed { say("\(id) completed") }
                else { say("\(id) stopped at step \(lastReport?.step ?? 0): checkpoint saved, resumable") }
            default: break
            }
            configPane.event(e, self)
            curvesPane.event(e, self)
            samplingPane.event(e, self)
        }
    }

    // MARK: keys

    func handle(_ key: Key) {
        dirty = true
        if key == .resize { return }
        if let overlay {
            handleOverlay(key, overlay)
            return
        }
        if var field = filterField {
            switch field.handle(key) {
            case .committed: filterField = nil
            case .cancelled: filterField = nil; currentPane.filter = ""
            case .editing: filterField = field; currentPane.filter = field.text
            case .ignored: break
            }
            return
        }
        if currentPane.isEditing {
            currentPane.edit(key, self)
            return
        }
        guard let action = Keymap.action(for: key, in: pane.scope) else {
            if case .char(let c) = key { say("\(c): no action here (? lists the keys)") }
            return
        }
        if currentPane.perform(action, self) { return }
        perform(action)
    }

    func perform(_ action: Action) {
        switch action {
        case .quit:
            if liveRunID != nil { overlay = .confirmQuit } else { quitRequested = true }
        case .nextPane: switchTo(PaneID(rawValue: pane.rawValue % PaneID.allCases.count + 1)!)
        case .previousPane: switchTo(PaneID(rawValue: (pane.rawValue + PaneID.allCases.count - 2) % PaneID.allCases.count + 1)!)
        case .paneConfig: switchTo(.config)
        case .paneCurves: switchTo(.curves)
        case .paneSampling: switchTo(.sampling)
        case .paneVision: switchTo(.vision)
        case .help: overlay = .help(scroll: 0)
        case .palette: overlay = .palette(TextField(), selected: 0)
        case .filter: filterField = TextField(currentPane.filter)
        case .toggleServe: toggleServing(port: 8000)
        case .back: if !currentPane.filter.isEmpty { currentPane.filter = "" }
        default: break
        }
    }

    func switchTo(_ id: PaneID) {
        pane = id
        _ = currentPane.collect(self)
    }

    private func handleOverlay(_ key: Key, _ current: Overlay) {
        switch current {
        case .confirmQuit:
            switch key {
            case .char("y"), .char("Y"), .enter: overlay = nil; quitRequested = true
            default: overlay = nil; say("still running")
            }
        case .help(let scroll):
            switch key {
            case .down, .char("j"): overlay = .help(scroll: scroll + 1)
            case .up, .char("k"): overlay = .help(scroll: max(0, scroll - 1))
            case .pageDown, .char(" "): overlay = .help(scroll: scroll + 10)
            case .pageUp: overlay = .help(scroll: max(0, scroll - 10))
            default: overlay = nil
            }
        case .palette(var field, let selected):
            let matches = CommandPalette.matches(field.text)
            switch key {
            case .down: overlay = .palette(field, selected: min(selected + 1, max(0, matches.count - 1)))
            case .up: overlay = .palette(field, selected: max(0, selected - 1))
            case .tab:
                if selected < matches.count { field = TextField(matches[selected].name + " ") }
                overlay = .palette(field, selected: 0)
            default:
                switch field.handle(key) {
                case .committed:
                    overlay = nil
                    var text = field.text.trimmingCharacters(in: .whitespaces)
                    if !text.contains(" "), selected < matches.count, !CommandPalette.commands.contains(where: { $0.name == text }) {
                        text = matches[selected].name
                    }
                    CommandPalette.run(text, self)
                case .cancelled: overlay = nil
                case .editing: overlay = .palette(field, selected: 0)
                case .ignored: break
                }
            }
        }
    }

    // MARK: theme and state

    @discardableResult
    func loadTheme(_ name: String) -> Bool {
        for dir in themeDirectories {
            let url = dir.appendingPathComponent(name + ".theme")
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            do {
                let (t, warnings) = try Theme.load(url)
                theme = t
                themeName = name
                if let w = warnings.first {
                    say(w + (warnings.count > 1 ? " (+\(warnings.count - 1) more)" : ""), error: true)
                }
                return true
            } catch {
                say("\(error)", error: true)
                return false
            }
        }
        say("theme \(name): no \(name).theme in \(themeDirectories.map(\.path).joined(separator: ", ")); using the built-in dark theme", error: true)
        theme = Theme.builtinDark
        return false
    }

    func currentUIState() -> UIState {
        var s = state
        s.pane = pane
        s.theme = themeName
        s.selectedRun = selectedRunID
        curvesPane.save(into: &s)
        samplingPane.save(into: &s)
        return s
    }

    private func saveStateIfChanged() {
        guard !workspace.isReadOnly else { return }
        let s = currentUIState()
        if s != lastSavedState {
            try? workspace.setUIState(UIState.key, s.json)
            lastSavedState = s
        }
    }

    /// Saves UI state, stops serving, and stops the live run with a checkpoint.
    public func finish() {
        saveStateIfChanged()
        server?.stop()
        server = nil
        host?.shutdown()
    }

    /// Starts (or stops) the OpenAI-compatible server over this workbench's engine: the live run is served as it
    /// trains, between optimizer steps, next to the base and every checkpoint.
    func toggleServing(port: Int) {
        if let server {
            server.stop()
            self.server = nil
            say("stopped serving")
            return
        }
        guard let host else { say("read-only workspace: the owner process serves it", error: true); return }
        guard let base = configPane.form?.config.model.base else { say("serve: the form has no model.base", error: true); return }
        var options = OpenAIServer.Options()
        options.port = port
        do {
            let s = try OpenAIServer(engine: host, baseDirectory: workspace.resolve(base).standardizedFileURL, workspace: workspace,
                                     options: options, fingerprint: "lathe-" + BuildInfo.commit)
            server = ServerHandle.start(s, handleSignals: false)
            serverPort = port
            say("serving on http://127.0.0.1:\(port)/v1 (Ctrl-S stops)")
        } catch { say("\(error)", error: true) }
    }

    /// Marks the loop finished without waiting for a key (SIGTERM/SIGHUP handlers call this through a flag).
    public func requestQuit() { quitRequested = true }

    /// Polled every turn: true when a signal asked the process to end (it then quits as `q` + `y` would).
    public var externalQuit: () -> Bool = { false }

    public var frameText: String { screen.text() }

    /// The live run's last completed step (0 before the first).
    public var lastStep: Int { lastReport?.step ?? 0 }
}
