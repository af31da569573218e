import ArgumentParser
import Engine
import Foundation
import Runs
import Server
import Store

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve",
        abstract: "OpenAI-compatible server for the base model, the workspace's runs and checkpoints, and adapter folders.",
        discussion: """
        Models: the base (by its folder name), each run fine-tuning it (`RUN`: its latest checkpoint, picked up as new \
        ones land while another process trains) and each checkpoint (`RUN/step-000100`). The workspace is opened \
        read-only. Binds to loopback unless --api-key is given. To serve a run's live adapter while it trains, use \
        `lathe train --serve PORT` or the workbench's serve key (Ctrl-S).
        """)

    @Option(help: "Workspace directory.") var workspace = "workspaces/default"
    @Option(name: .customLong("run"), help: "Only this run (and the base).") var runID: String?
    @Option(help: "A PEFT adapter folder to serve as well (named after the folder).") var adapter: [String] = []
    @Option(help: "Base model: a folder, or a name under the workspace's models/ (default: the run's base, else the only model).")
    var model: String?
    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one).") var port = 8000
    @Option(help: "Require `Authorization: Bearer KEY` on every request (needed beyond loopback).") var apiKey: String?
    @Option(help: "Largest max_tokens a request may ask for.") var maxTokensLimit = 1024
    @Option(help: "Requests queued or generating at once; more get 429.") var maxQueue = 128
    @Option(help: "Engine threads.") var threads = ProcessInfo.processInfo.activeProcessorCount

    func run() throws {
        let dir = URL(fileURLWithPath: workspace)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw LatheError("--workspace \(workspace): no such folder")
        }
        // A workspace nobody opened yet has no database: create it (a write-open, released at once), then read.
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent(Workspace.databaseName).path) {
            try wrap { try Workspace.open(dir, mode: .writeIfFree).close() }
        }
        let ws = try wrap { try Workspace.open(dir, mode: .readOnly) }
        let base = try ServeCommand.baseDirectory(model: model, run: runID, workspace: ws)
        var adapters: [String: URL] = [:]
        for path in adapter {
            let url = URL(fileURLWithPath: path).standardizedFileURL
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("adapter_config.json").path) else {
                throw LatheError("--adapter \(path): no adapter_config.json there")
            }
            adapters[url.lastPathComponent] = url
        }
        let engine = EngineHost(workspace: ws, threads: threads)
        var options = OpenAIServer.Options()
        options.host = host; options.port = port; options.apiKey = apiKey
        options.maxTokensLimit = maxTokensLimit; options.maxQueue = maxQueue
        let server = try OpenAIServer(engine: engine, baseDirectory: base, workspace: ws, runFilter: runID, adapters: adapters,
                                      options: options, fingerprint: "lathe-" + BuildInfo.commit)
        engine.preload(base: base)
        try ServeCommand.serve(server, host: host, what: "base \(base.lastPathComponent)")
        engine.shutdown()
    }

    /// Runs the server until SIGINT/SIGTERM; prints the address once bound.
    static func serve(_ server: OpenAIServer, host: String, what: String) throws {
        try start(server, host: host, what: what, handleSignals: true).wait()
    }

    static func start(_ server: OpenAIServer, host: String, what: String, handleSignals: Bool) -> ServerHandle {
        ServerHandle.start(server, handleSignals: handleSignals) { port in
            stderrLine("[serve] \(what) on http://\(host):\(port)/v1 (GET /v1/models lists the models)")
        }
    }

    static func baseDirectory(model: String?, run: String?, workspace ws: Workspace) throws -> URL {
        if let model {
            let direct = URL(fileURLWithPath: model)
            if FileManager.default.fileExists(atPath: direct.appendingPathComponent("config.json").path) { return direct.standardizedFileURL }
            let named = ws.modelsDirectory.appendingPathComponent(model)
            if FileManager.default.fileExists(atPath: named.appendingPathComponent("config.json").path) { return named.standardizedFileURL }
            throw LatheError("--model \(model): neither a model folder nor a name under \(ws.modelsDirectory.path)")
        }
        if let run {
            guard let record = try ws.run(run) else { throw LatheError("--run \(run): not in \(ws.directory.path)") }
            let config = try wrap { try RunConfig.parse(record.configTOML, source: "runs/\(run)/config.toml") }
            guard let base = config.model.base else { throw LatheError("runs/\(run)/config.toml: model.base: missing") }
            return ws.resolve(base).standardizedFileURL
        }
        let models = ((try? FileManager.default.contentsOfDirectory(atPath: ws.modelsDirectory.path)) ?? [])
            .filter { FileManager.default.fileExists(atPath: ws.modelsDirectory.appendingPathComponent("\($0)/config.json").path) }.sorted()
        guard models.count == 1 else {
            throw LatheError(models.isEmpty ? "\(ws.modelsDirectory.path): no model; give --model DIR"
                                            : "several models in \(ws.modelsDirectory.path) (\(models.joined(separator: ", "))); choose one with --model NAME")
        }
        return ws.modelsDirectory.appendingPathComponent(models[0]).standardizedFileURL
    }
}
