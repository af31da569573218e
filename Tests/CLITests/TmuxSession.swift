import Foundation

/// A terminal for end-to-end tests: the real binary inside tmux (private socket), keys in, screen text out, waits
/// with deadlines instead of fixed sleeps.
final class TmuxSession {
    let socket: String
    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    init(width: Int = 120, height: Int = 40, command: [String]) throws {
        socket = "lathetest-\(UUID().uuidString.prefix(8))"
        let shellCommand = "exec " + command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        // remain-on-exit comes from the config, so a process that exits at once still leaves its screen to read.
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("\(socket).conf")
        try Data("set -g remain-on-exit on\n".utf8).write(to: config)
        defer { try? FileManager.default.removeItem(at: config) }
        try tmux(["-f", config.path, "new-session", "-d", "-x", "\(width)", "-y", "\(height)",
                  "-e", "LANG=C.UTF-8", "-e", "TERM=xterm-256color", shellCommand], captureOutput: false)
    }

    /// Runs tmux through popen (a shell reaps it; Foundation's Process hung waiting on the client that daemonises the
    /// server). Output is returned; the server started by `new-session` gets /dev/null as stdout.
    @discardableResult
    func tmux(_ args: [String], captureOutput: Bool = true) throws -> String {
        let quoted = (["/usr/bin/tmux", "-L", socket] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let command = quoted.joined(separator: " ") + (captureOutput ? " 2>/dev/null" : " >/dev/null 2>&1 </dev/null")
        guard let pipe = popen(command, "r") else { throw TmuxTimeout(description: "popen failed: \(command)") }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            output.append(contentsOf: buffer[0..<n])
        }
        pclose(pipe)
        return String(decoding: output, as: UTF8.self)
    }

    func send(_ keys: String...) throws { try tmux(["send-keys"] + keys) }

    func screen() -> String { (try? tmux(["capture-pane", "-p"])) ?? "" }

    /// The pid of the process in the pane (the lathe binary: the command is exec'd).
    func pid() throws -> Int32 {
        Int32(try tmux(["list-panes", "-F", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    var isDead: Bool { ((try? tmux(["list-panes", "-F", "#{pane_dead}"])) ?? "1").contains("1") }

    /// Waits until the screen satisfies `condition`; returns the screen, or throws with the last screen.
    @discardableResult
    func wait(_ what: String, timeout: TimeInterval = 60, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = screen()
            if condition(last) { return last }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TmuxTimeout(description: "timed out waiting for \(what); screen:\n\(last)")
    }

    @discardableResult
    func wait(for text: String, timeout: TimeInterval = 60) throws -> String { try wait("\"\(text)\"", timeout: timeout) { $0.contains(text) } }

    func kill() { _ = try? tmux(["kill-server"]) }
}

struct TmuxTimeout: Error, CustomStringConvertible { let description: String }

extension String {
    /// The number after `prefix` in the first line containing it ("step 12/40" → 12 for prefix "step ").
    func number(after prefix: String) -> Int? {
        guard let r = range(of: prefix) else { return nil }
        return Int(self[r.upperBound...].prefix { $0.isNumber })
    }
}
