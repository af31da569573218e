import Foundation
import Store
import Testing

/// The workbench as people use it, through tmux, on a copy of the shipped default workspace: start a run, watch the
/// curve move, sample mid-run, rate, quit, reopen and find it all again; and a SIGKILL mid-run that reopens and resumes.
@Suite(.serialized, .enabled(if: TmuxSession.available, "needs tmux"))
struct WorkbenchEndToEndTests {
    static let repo: URL = LatheBinary.fixtures.deletingLastPathComponent().deletingLastPathComponent()

    /// A temp copy of workspaces/default (base model, datasets) with a shorter preset that sorts first.
    func copyDefaultWorkspace(steps: Int) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-e2e-\(UUID().uuidString.prefix(8))")
        let ws = root.appendingPathComponent("default")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let source = Self.repo.appendingPathComponent("workspaces/default")
        try FileManager.default.createDirectory(at: ws, withIntermediateDirectories: true)
        for item in ["models", "datasets", "configs"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(item), to: ws.appendingPathComponent(item))
        }
        let example = try String(contentsOf: ws.appendingPathComponent("configs/example-sft.toml"), encoding: .utf8)
        let short = example.replacingOccurrences(of: "steps = 150", with: "steps = \(steps)")
            .replacingOccurrences(of: "name = \"ahoy-format\"", with: "name = \"e2e\"")
            .replacingOccurrences(of: "every = 50", with: "every = 10")
            .replacingOccurrences(of: "batch_size = 8", with: "batch_size = 4")
            .replacingOccurrences(of: "warmup_steps = 10", with: "warmup_steps = 2")
        try Data(short.utf8).write(to: ws.appendingPathComponent("configs/a-e2e.toml"))
        return ws
    }

    func curl(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-s", "--max-time", "60"] + args
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    func open(_ ws: URL) throws -> TmuxSession {
        try TmuxSession(command: [LatheBinary.url.path, "open", ws.path, "--threads", "2"])
    }

    @Test func startWatchSampleRateQuitAndReopen() throws {
        let ws = try copyDefaultWorkspace(steps: 3000)
        defer { try? FileManager.default.removeItem(at: ws.deletingLastPathComponent()) }
        var t = try open(ws)
        defer { t.kill() }
        try t.wait(for: "Config: e2e — configs/a-e2e.toml")
        try t.send("s")
        try t.wait("the run to go live") { $0.contains("● sft-") }
        try t.send("2")
        // The cursor read-out under the chart: "RUN step N: value (ema value)".
        let readout = { (s: String) in s.split(separator: "\n").first { $0.contains("(ema") }.map(String.init)?.number(after: " step ") ?? 0 }
        let first = try t.wait("a curve read-out") { readout($0) > 0 }
        let step0 = readout(first)
        try t.wait("the curve to move past step \(step0)") { readout($0) > step0 }

        try t.send("3")
        try t.wait(for: "live, step")
        try t.send("g")
        let sampled = try t.wait("a sample from the live adapter") { s in
            s.contains("● sft-") && s.split(separator: "\n").contains { $0.contains("│step ") && $0.contains("seed 1 #0") }
                && !s.contains("sampling…")
        }
        #expect(sampled.contains("● sft-"), "the run was still live while sampling")
        try t.send("u")
        try t.wait(for: "thumbs up stored")

        // Serve the live run from the workbench and ask it over HTTP while it trains.
        try t.send(":", "serve 0", "Enter")
        let serving = try t.wait("the server to bind") { ($0.number(after: "serving :") ?? 0) > 0 }
        let port = serving.number(after: "serving :")!
        let runID = String(serving.components(separatedBy: "● ")[1].prefix { !$0.isWhitespace })
        let models = try curl(["http://127.0.0.1:\(port)/v1/models"])
        #expect(models.contains("\"\(runID)\""), "the live run is listed: \(models)")
        let chat = try curl(["-H", "content-type: application/json", "-d",
                             #"{"model":"\#(runID)","messages":[{"role":"user","content":"What is 2+2?"}],"max_tokens":8}"#,
                             "http://127.0.0.1:\(port)/v1/chat/completions"])
        #expect(chat.contains("\"chat.completion\""), "the live adapter answers: \(chat)")
        try t.send("q")
        try t.wait(for: "Quit?")
        try t.send("y")
        try t.wait("the process to exit", timeout: 30) { _ in t.isDead }
        t.kill()

        // The store has what the screen showed: a paused run with a checkpoint, its curve, the rated sample.
        let store = try Workspace.open(ws, mode: .readOnly)
        let run = try #require(try store.runs().first)
        #expect(run.status == .paused)
        let losses = try store.metrics(run: run.id, name: "train/loss")
        #expect(losses.map(\.step) == Array(1...losses.count), "no gap in the curve")
        #expect(try store.latestCheckpoint(run: run.id)?.step == run.lastStep)
        let probe = try #require(try store.samples(run: run.id, kind: "probe").first)
        #expect(probe.step > 0 && probe.step < 3000)
        #expect(try store.feedback(run: run.id) == [probe.id!: 1])
        try store.close()

        t = try open(ws)
        let reopened = try t.wait(for: "▲ up")
        #expect(reopened.contains("Adapter — \(run.id)"), "reopens on the sampling pane with the rated sample")
        try t.send("2")
        let curve = try t.wait("the saved curve") { readout($0) == losses.count }
        #expect(curve.contains("■ \(run.id)"))
        try t.send("q")
        try t.wait("exit", timeout: 30) { _ in t.isDead }
    }

    @Test func sigkillMidRunReopensAndResumes() throws {
        let ws = try copyDefaultWorkspace(steps: 60)
        defer { try? FileManager.default.removeItem(at: ws.deletingLastPathComponent()) }
        var t = try open(ws)
        defer { t.kill() }
        try t.wait(for: "Config: e2e")
        try t.send("s")
        try t.wait("step 25", timeout: 180) { ($0.number(after: "step ") ?? 0) >= 25 && $0.contains("● sft-") }
        kill(try t.pid(), SIGKILL)
        try t.wait("the process to die", timeout: 10) { _ in t.isDead }
        t.kill()

        t = try open(ws)
        let screen = try t.wait(for: "! sft-")
        #expect(screen.contains("interrupted at step"), "the killed run shows as interrupted")
        try t.send("h", "h", "p")
        try t.wait(for: "resuming")
        try t.wait("the resumed run to finish", timeout: 120) { $0.contains("completed") && !$0.contains("● sft-") }
        try t.send("q")
        try t.wait("exit", timeout: 30) { _ in t.isDead }
        t.kill()

        let store = try Workspace.open(ws, mode: .readOnly)
        let run = try #require(try store.runs().first)
        #expect(run.status == .completed)
        #expect(try store.metrics(run: run.id, name: "train/loss").map(\.step) == Array(1...60), "continuous curve after resume")
        try store.close()
    }

    /// An RL run with a reward model fed by thumbs: rate samples of the live adapter in the Sampling pane, see the
    /// labels counted as pending, then used by the reward model before the next policy step, and its curve move.
    @Test func rlRunTakesUpThumbsIntoItsRewardModel() throws {
        let ws = try copyDefaultWorkspace(steps: 10)
        defer { try? FileManager.default.removeItem(at: ws.deletingLastPathComponent()) }
        let prefs = (0..<10).map { #"{"prompt":"What is \#($0)+1?","chosen":"It is \#($0 + 1).","rejected":"I do not know."}"# }
        try Data(prefs.joined(separator: "\n").utf8).write(to: ws.appendingPathComponent("datasets/e2e-prefs.jsonl"))
        try FileManager.default.removeItem(at: ws.appendingPathComponent("configs/a-e2e.toml"))
        try Data("""
            name = "e2e-rl"
            kind = "rl"
            seed = 2
            [model]
            base = "models/lathe-base"
            [lora]
            rank = 4
            alpha = 8.0
            [optimizer]
            lr = 3e-4
            [training]
            steps = 3000
            [eval]
            every = 0
            [checkpoint]
            every = 25
            [rl]
            env = "arithmetic"
            group_size = 2
            prompts_per_step = 2
            max_tokens = 12
            eval_prompts = 0
            [rl.reward_model]
            rank = 4
            alpha = 8.0
            pairs = "datasets/e2e-prefs.jsonl"
            initial_steps = 2
            steps_per_update = 2
            batch_pairs = 4
            weight = 0.5
            """.utf8).write(to: ws.appendingPathComponent("configs/a-e2e-rl.toml"))
        let t = try open(ws)
        defer { t.kill() }
        try t.wait(for: "Config: e2e-rl — configs/a-e2e-rl.toml")
        try t.send("s")
        try t.wait("the RL run to go live") { $0.contains("● rl-") }
        try t.send("3")
        try t.wait(for: "reward model: 0 labels used · 0 pending")
        // Two samples of one prompt from the live adapter: thumbs up the first, down the second.
        try t.send("n", "g")
        try t.wait("two samples") { s in
            s.split(separator: "\n").contains { $0.contains("seed 1 #1") } && s.split(separator: "\n").contains { $0.contains("seed 1 #0") }
                && !s.contains("sampling…")
        }
        try t.send("u")
        try t.wait(for: "thumbs up stored")
        try t.send("j", "d")
        try t.wait(for: "thumbs down stored")
        try t.wait("the reward model to take both labels up", timeout: 120) { $0.contains("reward model: 2 labels used · 0 pending") }
        // The reward model's label curve: 0 before the ratings, 2 after.
        try t.send("2", "/")
        try t.send("reward_model/labels", "Enter", "m")
        try t.wait("the labels curve at 2") { s in
            s.split(separator: "\n").contains { $0.contains("(ema") && $0.contains(": 2 ") }
        }
        try t.send("q")
        try t.wait(for: "Quit?")
        try t.send("y")
        try t.wait("the process to exit", timeout: 30) { _ in t.isDead }
        let store = try Workspace.open(ws, mode: .readOnly)
        let run = try #require(try store.runs().first)
        let labels = try store.metrics(run: run.id, name: "reward_model/labels").map(\.value)
        #expect(labels.first == 0 && labels.last == 2, "labels curve \(labels)")
        #expect(try !store.metrics(run: run.id, name: "reward_model/pair_accuracy").isEmpty)
        try store.close()
    }

    /// The disk fills up while a run trains (every write fails from some point while a marker file exists): the
    /// status line says so, the run stops with its last checkpoint intact; once space returns, `p` resumes it.
    @Test func aFullDiskIsShownAndTheRunResumesWhenSpaceReturns() throws {
        let ws = try copyDefaultWorkspace(steps: 40)
        defer { try? FileManager.default.removeItem(at: ws.deletingLastPathComponent()) }
        // Every write fails while the marker exists; it appears once the run is live and past its first checkpoint.
        let marker = ws.appendingPathComponent("disk-is-full")
        let t = try TmuxSession(command: ["/usr/bin/env", "LATHE_FAIL_WRITES=1", "LATHE_FAIL_WRITES_WHILE=\(marker.path)",
                                          LatheBinary.url.path, "open", ws.path, "--threads", "2"])
        defer { t.kill() }
        try t.wait(for: "Config: e2e — configs/a-e2e.toml")
        try t.send("s")
        try t.wait("the run past step 12") { $0.contains("● sft-") && ($0.number(after: "step ") ?? 0) >= 12 }
        try Data().write(to: marker)
        let failed = try t.wait("the disk-full error", timeout: 120) { $0.contains("No space left on device") }
        #expect(!failed.contains("● sft-"), "the run stopped")
        try FileManager.default.removeItem(at: marker)
        try t.send("h", "h", "p")
        try t.wait(for: "resuming")
        try t.wait("the resumed run to finish", timeout: 120) { $0.contains("completed") && !$0.contains("● sft-") }
        try t.send("q")
        try t.wait("exit", timeout: 30) { _ in t.isDead }
        let store = try Workspace.open(ws, mode: .readOnly)
        let run = try #require(try store.runs().first)
        #expect(run.status == .completed)
        #expect(try store.metrics(run: run.id, name: "train/loss").map(\.step) == Array(1...40))
        try store.close()
    }

    @Test func withoutATerminalOrWithAnUnknownTERMItSaysSoInOneLine() throws {
        let missing = try LatheBinary.run(["open", "/tmp/lathe-no-such-workspace"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "lathe: /tmp/lathe-no-such-workspace: no such workspace folder (mkdir it first to start an empty workspace)\n")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/lathe-no-such-workspace"))

        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-e2e-empty-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let piped = try LatheBinary.run(["open", empty.path])
        #expect(piped.status == 1)
        #expect(piped.stderr == "lathe: the workbench needs a terminal (stdin/stdout is not a tty); the headless verbs (`lathe --help`) work without one\n")

        // The shell keeps the terminal open after lathe exits: tmux can drop the output of a pane that dies at once.
        let t = try TmuxSession(command: ["/bin/sh", "-c", "TERM=no-such-terminal '\(LatheBinary.url.path)' open '\(empty.path)'; sleep 60"])
        defer { t.kill() }
        let screen = try t.wait("the error") { $0.contains("lathe: TERM=") }
        #expect(screen.contains("lathe: TERM=no-such-terminal: unknown terminal type (no terminfo entry); try TERM=xterm-256color"))
        #expect(!FileManager.default.fileExists(atPath: empty.appendingPathComponent("workspace.sqlite").path),
                "nothing was created before the error")
    }
}
