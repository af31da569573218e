import Engine
import Foundation
import Hummingbird
import Logging
import NIOCore
import Runs
import Store

/// An OpenAI-compatible HTTP server over an `EngineHost`: `/v1/models`, `/v1/completions`, `/v1/chat/completions`
/// (with server-sent-event streaming), `/health`. Generation runs on the engine worker at interactive priority, so
/// while a run trains, requests are served between optimizer steps from the live adapter.
public final class OpenAIServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8000
        public var apiKey: String?
        /// The largest `max_tokens` a request may ask for.
        public var maxTokensLimit = 1024
        /// `max_tokens` when a request gives none (lowered to what the context window leaves).
        public var defaultMaxTokens = 256
        /// Requests queued or generating at once; more get 429.
        public var maxQueue = 128
        public var bodyLimit = 1 << 20
        public init() {}
    }

    let engine: EngineHost
    let catalog: ModelCatalog
    let options: Options
    let fingerprint: String
    private let queue = QueueGauge()

    /// `runFilter` limits the listed runs to one; `adapters` adds PEFT folders by name.
    public init(engine: EngineHost, baseDirectory: URL, workspace: Workspace?, runFilter: String? = nil,
                adapters: [String: URL] = [:], options: Options, fingerprint: String) throws {
        let loopback = ["127.0.0.1", "localhost", "::1"].contains(options.host)
        if !loopback && (options.apiKey ?? "").isEmpty {
            throw LatheError("--host \(options.host): serving beyond loopback needs --api-key")
        }
        self.engine = engine
        self.catalog = ModelCatalog(baseName: baseDirectory.lastPathComponent, baseDirectory: baseDirectory,
                                    workspace: workspace, runFilter: runFilter, adapters: adapters)
        self.options = options
        self.fingerprint = fingerprint
    }

    /// Serves until the task is cancelled (or SIGINT/SIGTERM when `handleSignals`); `onRunning` gets the bound port.
    public func run(handleSignals: Bool, onRunning: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        router.get("/health") { [self] request, _ in
            if let denied = authorize(request) { return denied }
            return json(200, ["status": "ok", "model": catalog.baseName, "queue": queue.count, "cancelled": queue.cancelled,
                              "live_run": engine.liveRunID as Any? ?? NSNull()])
        }
        router.get("/v1/models") { [self] request, _ in
            if let denied = authorize(request) { return denied }
            let data = catalog.entries(liveRunID: engine.liveRunID).map(modelObject)
            return json(200, ["object": "list", "data": data])
        }
        router.get("/v1/models/**") { [self] request, context in
            if let denied = authorize(request) { return denied }
            let id = context.parameters.getCatchAll().joined(separator: "/")
            guard let entry = catalog.entries(liveRunID: engine.liveRunID).first(where: { $0.id == id }) else {
                return error(OpenAIError(404, "The model '\(id)' does not exist", param: "model", code: "model_not_found"))
            }
            return json(200, modelObject(entry))
        }
        router.post("/v1/completions") { [self] request, _ in await complete(request, kind: .completion) }
        router.post("/v1/chat/completions") { [self] request, _ in await complete(request, kind: .chat) }
        var logger = Logger(label: "lathe-serve")
        logger.logLevel = .warning
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "lathe"),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        if handleSignals { try await app.runService() } else { try await app.run() }
    }

    private func modelObject(_ e: ModelCatalog.Entry) -> [String: Any] {
        ["id": e.id, "object": "model", "created": e.created, "owned_by": "lathe"]
    }

    // MARK: auth and errors

    private func authorize(_ request: Request) -> Response? {
        guard let key = options.apiKey, !key.isEmpty else { return nil }
        let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
        if constantTimeEqual(given, key) { return nil }
        return error(OpenAIError(401, given.isEmpty ? "You didn't provide an API key (Authorization: Bearer KEY)." : "Incorrect API key provided.",
                                 code: "invalid_api_key"))
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }

    private func json(_ status: Int, _ object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private func error(_ e: OpenAIError) -> Response { json(e.status, e.json) }

    // MARK: completions

    private func complete(_ request: Request, kind: OpenAIRequest.Kind) async -> Response {
        if let denied = authorize(request) { return denied }
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: options.bodyLimit) } catch {
            return self.error(OpenAIError(413, "Request body larger than \(options.bodyLimit) bytes", code: "request_too_large"))
        }
        let parsed: OpenAIRequest
        do { parsed = try OpenAIRequest.parse(Data(body.readableBytesView), kind: kind, maxTokensLimit: options.maxTokensLimit) }
        catch let e as OpenAIError { return self.error(e) }
        catch { return self.error(.badRequest("\(error)")) }
        guard let target = catalog.resolve(parsed.model, liveRunID: engine.liveRunID) else {
            return self.error(OpenAIError(404, "The model '\(parsed.model)' does not exist (GET /v1/models lists them)",
                                          param: "model", code: "model_not_found"))
        }
        guard queue.enter(limit: options.maxQueue) else {
            return self.error(OpenAIError(429, "The server is busy: \(options.maxQueue) requests are already queued; retry shortly",
                                          type: "requests", code: "rate_limit_exceeded"))
        }
        let generation = GenerationRequest(
            target: target, prompt: kind == .chat ? .chat(parsed.messages) : .text(parsed.prompt),
            maxTokens: parsed.maxTokens ?? options.defaultMaxTokens, temperature: parsed.temperature, topP: parsed.topP,
            seed: parsed.seed ?? UInt64.random(in: 0...UInt64.max), count: parsed.n, stop: parsed.stop,
            topLogprobs: parsed.topLogprobs, clampToContext: parsed.maxTokens == nil)
        let stream = GenerationStream(engine: engine, request: generation, base: catalog.baseDirectory) { [queue] in queue.leave() }
        let id = (kind == .chat ? "chatcmpl-" : "cmpl-") + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(24)
        let response = ResponseBuilder(id: String(id), kind: kind, model: parsed.model, created: Int(Date().timeIntervalSince1970),
                                       fingerprint: fingerprint, request: parsed)
        if parsed.stream {
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                            body: ResponseBody { writer in
                                do {
                                    for await event in stream.events {
                                        for chunk in response.chunks(for: event) {
                                            try await writer.write(ByteBuffer(string: "data: " + chunk + "\n\n"))
                                        }
                                    }
                                    try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                                    try await writer.finish(nil)
                                } catch {
                                    // The client went away: stop generating for it.
                                    stream.cancel()
                                    self.queue.countCancelled()
                                    throw error
                                }
                            })
        }
        let outcome: Result<GenerationOutcome, Error> = await withTaskCancellationHandler {
            await stream.result()
        } onCancel: { stream.cancel() }
        switch outcome {
        case .success(let o): return json(200, response.final(o))
        case .failure(let e):
            let message = (e as? LatheError)?.message ?? "\(e)"
            return self.error(OpenAIError(400, message, code: "generation_failed"))
        }
    }
}

/// Requests queued or generating.
final class QueueGauge: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    var count: Int { lock.lock(); defer { lock.unlock() }; return value }
    func enter(limit: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard value < limit else { return false }
        value += 1
        return true
    }
    func leave() { lock.lock(); value -= 1; lock.unlock() }
    /// Streams whose client went away before the end (their generation is stopped).
    private var cancelledCount = 0
    var cancelled: Int { lock.lock(); defer { lock.unlock() }; return cancelledCount }
    func countCancelled() { lock.lock(); cancelledCount += 1; lock.unlock() }
}
