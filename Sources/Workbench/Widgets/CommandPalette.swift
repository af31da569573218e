import Foundation
import Store

/// The `:` commands: typed with arguments, completed by prefix, listed with their help.
enum CommandPalette {
    struct Command {
        let name: String
        let usage: String
        let help: String
    }

    static let commands: [Command] = [
        Command(name: "start", usage: "start", help: "start a run with the form's config"),
        Command(name: "pause", usage: "pause", help: "pause the live run (checkpoint)"),
        Command(name: "resume", usage: "resume [RUN]", help: "resume the live run, or a stopped one from its checkpoint"),
        Command(name: "stop", usage: "stop", help: "stop the live run (checkpoint, resumable)"),
        Command(name: "fork", usage: "fork [CHECKPOINT]", help: "new run from a checkpoint of the selected run"),
        Command(name: "export", usage: "export csv|jsonl [PATH]", help: "write the selected run's metrics"),
        Command(name: "save-as", usage: "save-as DIR", help: "copy this workspace (runs, metrics, samples) to DIR"),
        Command(name: "open", usage: "open DIR", help: "switch to the workspace in DIR"),
        Command(name: "serve", usage: "serve [PORT]", help: "serve OpenAI-style (live run, base, checkpoints); again: stop"),
        Command(name: "theme", usage: "theme NAME", help: "default, light, tty, or any themes/NAME.theme"),
        Command(name: "help", usage: "help", help: "list the keys"),
        Command(name: "quit", usage: "quit", help: "leave (asks first while a run is live)"),
    ]

    static func matches(_ text: String) -> [Command] {
        let word = text.split(separator: " ").first.map(String.init) ?? ""
        return commands.filter { word.isEmpty || $0.name.hasPrefix(word) }
    }

    static func run(_ line: String, _ app: Workbench) {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let name = parts.first else { return }
        let args = Array(parts.dropFirst())
        switch name {
        case "start": app.configPane.start(app)
        case "pause": app.configPane.pauseOrResume(app, wantPause: true)
        case "resume":
            if let id = args.first { app.select(run: id) }
            app.configPane.pauseOrResume(app, wantPause: false)
        case "stop": app.configPane.stopLive(app)
        case "fork": app.configPane.fork(app, checkpoint: args.first)
        case "export":
            guard let format = args.first.flatMap(MetricExportFormat.init(rawValue:)) else {
                app.say("export: give csv or jsonl, e.g. :export csv", error: true); return
            }
            app.curvesPane.export(app, format: format, path: args.count > 1 ? args[1] : nil)
        case "save-as":
            guard let dir = args.first else { app.say("save-as: give a new folder, e.g. :save-as workspaces/copy", error: true); return }
            let url = URL(fileURLWithPath: dir, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
            do {
                try app.workspace.saveCopy(to: url)
                app.say("saved a copy of this workspace to \(url.path) (:open \(dir) switches to it)")
            } catch { app.say("save-as: \(error)", error: true) }
        case "open":
            guard let dir = args.first else { app.say("open: give a workspace folder", error: true); return }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isFolder), isFolder.boolValue else {
                app.say("open: \(dir): no such workspace folder", error: true); return
            }
            app.restartWith = ["open", dir]
            app.perform(.quit)
        case "theme":
            guard let t = args.first else { app.say("theme: give a name (default, light, tty)", error: true); return }
            if app.loadTheme(t) { app.say("theme \(t)") }
        case "serve":
            guard let port = args.first.map({ Int($0) }) ?? 8000, (0...65535).contains(port) else {
                app.say("serve: PORT must be a number from 0 (any free port) to 65535", error: true); return
            }
            app.toggleServing(port: port)
        case "help": app.overlay = .help(scroll: 0)
        case "quit", "q": app.perform(.quit)
        default: app.say(":\(name): unknown command (: lists them)", error: true)
        }
    }
}
