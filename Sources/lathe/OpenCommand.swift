import ArgumentParser
import Engine
import Foundation
import Store
import Terminal
import Runs
import Workbench

struct OpenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open",
        abstract: "Open the workbench (the TUI) on a workspace: configure and start runs, watch curves, sample mid-run.",
        discussion: """
        `lathe` alone opens workspaces/default. Another process already owning the workspace makes it open read-only.
        Ctrl-C, SIGTERM and SIGHUP quit like q: a live run is checkpointed and left resumable.
        """)

    @Argument(help: "Workspace directory.") var workspace = "workspaces/default"
    @Option(help: "Theme name (themes/NAME.theme): default, light, tty.") var theme: String?
    @Option(help: "Engine threads (default: all cores).") var threads: Int?

    func run() throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: workspace, isDirectory: &isFolder), isFolder.boolValue else {
            throw LatheError("\(workspace): no such workspace folder (mkdir it first to start an empty workspace)")
        }
        let driver: CursesDriver
        do { driver = try CursesDriver() } catch let e as TerminalError { throw LatheError(e.description) }
        InterruptFlag.installForWorkbench()
        var dir = workspace
        var restart: [String]? = nil
        repeat {
            let ws: Workspace
            do { ws = try Workspace.open(URL(fileURLWithPath: dir), mode: .writeIfFree) } catch {
                driver.shutdown()
                throw LatheError("\(error)")
            }
            let host = ws.isReadOnly ? nil : EngineHost(workspace: ws, threads: threads ?? Runtime.defaultThreads)
            let app = Workbench(driver: driver, workspace: ws, host: host, themeDirectories: Self.themeDirectories(),
                                themeOverride: theme)
            app.externalQuit = { InterruptFlag.raised != 0 }
            restart = app.run()
            try? ws.close()
            if let r = restart, r.count == 2 { dir = r[1] }
        } while restart != nil
        driver.shutdown()
    }

    /// `$LATHE_THEMES`, ./themes, and themes/ beside the checkout the binary was built in.
    static func themeDirectories() -> [URL] {
        var dirs: [URL] = []
        if let env = ProcessInfo.processInfo.environment["LATHE_THEMES"] { dirs.append(URL(fileURLWithPath: env)) }
        dirs.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("themes"))
        var exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            exe = exe.deletingLastPathComponent()
            dirs.append(exe.appendingPathComponent("themes"))
        }
        return dirs
    }
}

extension InterruptFlag {
    /// In the workbench Ctrl-C arrives as a key (raw mode); these come from `kill` or a closed terminal.
    static func installForWorkbench() {
        signal(SIGINT) { _ in InterruptFlag.raised = 1 }
        signal(SIGTERM) { _ in InterruptFlag.raised = 1 }
        signal(SIGHUP) { _ in InterruptFlag.raised = 1 }
        unblock([SIGINT, SIGTERM, SIGHUP])
    }
}
