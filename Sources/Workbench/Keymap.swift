import Terminal

/// Everything a key can do. One table (`Keymap.bindings`) maps keys to actions per scope and generates the help.
public enum Action: String, CaseIterable, Sendable {
    // global
    case quit, nextPane, previousPane, paneConfig, paneCurves, paneSampling, paneVision, help, palette, filter, toggleServe
    // lists and cursors
    case up, down, left, right, select, back
    // run configuration
    case startRun, pauseResume, stopRun, forkRun, nextPreset, editField
    // curves
    case nextMetric, previousMetric, toggleRunOverlay, logY, smoothMore, smoothLess, xAxis, zoomIn, zoomOut, zoomReset
    case exportCSV, exportJSONL, expertLoad
    // sampling
    case editPrompt, sample, toggleBase, toggleChat, temperatureUp, temperatureDown, topPUp, topPDown, countUp
    case countDown, maxTokensUp, maxTokensDown, newSeed, thumbsUp, thumbsDown
    // vision trials
    case visionStart, visionCancel, visionToggle, visionView, visionMethod, visionShotsNext, visionShotsPrevious
    case visionSeedNext, visionSeedPrevious, visionOlderGrid, visionNewerGrid
}

public enum KeyScope: String, CaseIterable, Sendable {
    case global = "Everywhere", config = "Run configuration", curves = "Curves", sampling = "Sampling", vision = "Vision trials"
}

public struct KeyBinding: Sendable {
    public var keys: [Key]
    public var action: Action
    public var scope: KeyScope
    public var help: String
}

public enum Keymap {
    public static let bindings: [KeyBinding] = [
        KeyBinding(keys: [.char("q"), .ctrl("c")], action: .quit, scope: .global, help: "quit (asks first while a run is live)"),
        KeyBinding(keys: [.tab], action: .nextPane, scope: .global, help: "next pane"),
        KeyBinding(keys: [.backTab], action: .previousPane, scope: .global, help: "previous pane"),
        KeyBinding(keys: [.char("1")], action: .paneConfig, scope: .global, help: "run configuration pane"),
        KeyBinding(keys: [.char("2")], action: .paneCurves, scope: .global, help: "curves pane"),
        KeyBinding(keys: [.char("3")], action: .paneSampling, scope: .global, help: "sampling pane"),
        KeyBinding(keys: [.char("4")], action: .paneVision, scope: .global, help: "vision trials pane"),
        KeyBinding(keys: [.char("?"), .function(1)], action: .help, scope: .global, help: "this help"),
        KeyBinding(keys: [.char(":")], action: .palette, scope: .global, help: "command palette (open, save-as, export, theme…)"),
        KeyBinding(keys: [.char("/")], action: .filter, scope: .global, help: "filter the list in this pane"),
        KeyBinding(keys: [.ctrl("s")], action: .toggleServe, scope: .global,
                   help: "serve OpenAI-style on :8000 (again: stop)"),
        KeyBinding(keys: [.up, .char("k")], action: .up, scope: .global, help: "move up"),
        KeyBinding(keys: [.down, .char("j")], action: .down, scope: .global, help: "move down"),
        KeyBinding(keys: [.left, .char("h")], action: .left, scope: .global, help: "move left / previous value"),
        KeyBinding(keys: [.right, .char("l")], action: .right, scope: .global, help: "move right / next value"),
        KeyBinding(keys: [.enter], action: .select, scope: .global, help: "edit / choose"),
        KeyBinding(keys: [.escape], action: .back, scope: .global, help: "cancel / close"),

        KeyBinding(keys: [.char("s")], action: .startRun, scope: .config, help: "start a run with this config"),
        KeyBinding(keys: [.char("p"), .char(" ")], action: .pauseResume, scope: .config, help: "pause / resume the selected run"),
        KeyBinding(keys: [.char("x")], action: .stopRun, scope: .config, help: "stop the live run (checkpoint; resumable)"),
        KeyBinding(keys: [.char("f")], action: .forkRun, scope: .config, help: "fork a new run from the selected checkpoint"),
        KeyBinding(keys: [.char("P")], action: .nextPreset, scope: .config, help: "load the next preset (configs/*.toml)"),
        KeyBinding(keys: [.char("e")], action: .editField, scope: .config, help: "edit the selected field"),

        KeyBinding(keys: [.char("m")], action: .nextMetric, scope: .curves, help: "next metric"),
        KeyBinding(keys: [.char("M")], action: .previousMetric, scope: .curves, help: "previous metric"),
        KeyBinding(keys: [.char(" ")], action: .toggleRunOverlay, scope: .curves, help: "overlay / hide the selected run"),
        KeyBinding(keys: [.char("L")], action: .logY, scope: .curves, help: "log-scale y"),
        KeyBinding(keys: [.char("s")], action: .smoothMore, scope: .curves, help: "more smoothing (EMA)"),
        KeyBinding(keys: [.char("S")], action: .smoothLess, scope: .curves, help: "less smoothing"),
        KeyBinding(keys: [.char("x")], action: .xAxis, scope: .curves, help: "x axis: step / wall time / relative time"),
        KeyBinding(keys: [.char("+"), .char("=")], action: .zoomIn, scope: .curves, help: "zoom in around the cursor"),
        KeyBinding(keys: [.char("-")], action: .zoomOut, scope: .curves, help: "zoom out"),
        KeyBinding(keys: [.char("0")], action: .zoomReset, scope: .curves, help: "show everything"),
        KeyBinding(keys: [.char("c")], action: .exportCSV, scope: .curves, help: "export the shown runs' metrics as CSV"),
        KeyBinding(keys: [.char("J")], action: .exportJSONL, scope: .curves, help: "export them as JSONL"),
        KeyBinding(keys: [.char("E")], action: .expertLoad, scope: .curves,
                   help: "expert-load heatmap (layers × experts) of the selected run at the cursor; again: the curve"),

        KeyBinding(keys: [.char("e"), .char("i")], action: .editPrompt, scope: .sampling, help: "edit the prompt (Enter: done)"),
        KeyBinding(keys: [.char("g")], action: .sample, scope: .sampling, help: "sample N continuations (live adapter)"),
        KeyBinding(keys: [.char("b")], action: .toggleBase, scope: .sampling, help: "side by side with the base (adapter off)"),
        KeyBinding(keys: [.char("c")], action: .toggleChat, scope: .sampling, help: "chat template / raw text"),
        KeyBinding(keys: [.char("t")], action: .temperatureUp, scope: .sampling, help: "temperature +0.1"),
        KeyBinding(keys: [.char("T")], action: .temperatureDown, scope: .sampling, help: "temperature −0.1"),
        KeyBinding(keys: [.char("p")], action: .topPUp, scope: .sampling, help: "top-p +0.05"),
        KeyBinding(keys: [.char("P")], action: .topPDown, scope: .sampling, help: "top-p −0.05"),
        KeyBinding(keys: [.char("n")], action: .countUp, scope: .sampling, help: "one more sample per press"),
        KeyBinding(keys: [.char("N")], action: .countDown, scope: .sampling, help: "one fewer sample per press"),
        KeyBinding(keys: [.char("m")], action: .maxTokensUp, scope: .sampling, help: "max tokens ×2"),
        KeyBinding(keys: [.char("M")], action: .maxTokensDown, scope: .sampling, help: "max tokens ÷2"),
        KeyBinding(keys: [.char("r")], action: .newSeed, scope: .sampling, help: "next seed"),
        KeyBinding(keys: [.char("+"), .char("u")], action: .thumbsUp, scope: .sampling, help: "thumbs up the selected sample"),
        KeyBinding(keys: [.char("-"), .char("d")], action: .thumbsDown, scope: .sampling, help: "thumbs down the selected sample"),

        KeyBinding(keys: [.char("s")], action: .visionStart, scope: .vision, help: "start a trial grid with these settings"),
        KeyBinding(keys: [.char("x")], action: .visionCancel, scope: .vision, help: "stop the running grid after the current trial"),
        KeyBinding(keys: [.char(" ")], action: .visionToggle, scope: .vision, help: "toggle the method / shot count under the cursor"),
        KeyBinding(keys: [.char("v")], action: .visionView, scope: .vision, help: "view: chart / images / confusion matrix"),
        KeyBinding(keys: [.char("m")], action: .visionMethod, scope: .vision, help: "method shown in images and confusion"),
        KeyBinding(keys: [.char("]")], action: .visionShotsNext, scope: .vision, help: "more shots (images, confusion)"),
        KeyBinding(keys: [.char("[")], action: .visionShotsPrevious, scope: .vision, help: "fewer shots"),
        KeyBinding(keys: [.char("n")], action: .visionSeedNext, scope: .vision, help: "next seed's support set (images)"),
        KeyBinding(keys: [.char("N")], action: .visionSeedPrevious, scope: .vision, help: "previous seed"),
        KeyBinding(keys: [.char(",")], action: .visionOlderGrid, scope: .vision, help: "older stored grid"),
        KeyBinding(keys: [.char(".")], action: .visionNewerGrid, scope: .vision, help: "newer stored grid"),
    ]

    /// The action of `key` in `scope`: the pane's own bindings win over the global ones.
    public static func action(for key: Key, in scope: KeyScope) -> Action? {
        if let b = bindings.first(where: { $0.scope == scope && $0.keys.contains(key) }) { return b.action }
        return bindings.first { $0.scope == .global && $0.keys.contains(key) }?.action
    }

    /// Help lines for the overlay: "keys  description", grouped by scope.
    public static func helpLines(scopes: [KeyScope]) -> [(header: String?, keys: String, help: String)] {
        var out: [(String?, String, String)] = []
        for scope in scopes {
            out.append((scope.rawValue, "", ""))
            for b in bindings where b.scope == scope {
                out.append((nil, b.keys.map(\.description).joined(separator: " "), b.help))
            }
        }
        return out
    }
}
