import Engine
import Foundation

/// A server running in the background on Swift concurrency's threads: `stop()` shuts it down and waits, `wait()`
/// waits for it to end (SIGINT/SIGTERM when it handles signals). The bound port is known once it listens.
public final class ServerHandle: @unchecked Sendable {
    private var task: Task<Void, Never>?
    private let lock = NSLock()
    private var failure: Error?
    private var boundPort: Int?
    private let done = DispatchSemaphore(value: 0)

    public static func start(_ server: OpenAIServer, handleSignals: Bool,
                             onRunning: @escaping @Sendable (Int) -> Void = { _ in }) -> ServerHandle {
        let handle = ServerHandle()
        handle.task = Task {
            do {
                try await server.run(handleSignals: handleSignals) { port in
                    handle.bound(port)
                    onRunning(port)
                }
            } catch is CancellationError {
            } catch {
                handle.record(error)
            }
            handle.done.signal()
        }
        return handle
    }

    private func bound(_ port: Int) { lock.withLock { boundPort = port } }
    private func record(_ error: Error) { lock.withLock { failure = error } }

    /// The port it listens on (nil until bound, or when binding failed).
    public var port: Int? { lock.lock(); defer { lock.unlock() }; return boundPort }

    /// Why it stopped, if it failed (e.g. the port is taken).
    public var error: Error? { lock.lock(); defer { lock.unlock() }; return failure }

    public func wait() throws {
        done.wait()
        done.signal()
        if let e = error { throw LatheError("serve: \(e)") }
    }

    public func stop() {
        task?.cancel()
        try? wait()
    }
}
