import Foundation
import Runs

/// One request's generation as an async sequence of events, fed from the engine thread; cancelling stops the
/// generation at its next token.
final class GenerationStream: @unchecked Sendable {
    enum Event: Sendable {
        case token(sample: Int, piece: TokenPiece, top: [TopToken])
        case done(Result<GenerationOutcome, Error>)
    }

    struct TopToken: Sendable { var text: String; var logprob: Float }

    let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation
    private let lock = NSLock()
    private var cancelled = false

    /// Alternatives of the token being sampled, set just before its piece arrives (engine thread only).
    private final class TopBox: @unchecked Sendable { var bySample: [Int: [TopToken]] = [:] }

    init(engine: EngineHost, request: GenerationRequest, base: URL, onEnd: @escaping @Sendable () -> Void) {
        (events, continuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .unbounded)
        let top = TopBox()
        let continuation = continuation
        engine.generate(request, base: base, onToken: { [self] i, piece in
            continuation.yield(.token(sample: i, piece: piece, top: top.bySample[i] ?? []))
            return !isCancelled
        }, topTokens: { i, list in
            top.bySample[i] = list.map { TopToken(text: $0.text, logprob: $0.logprob) }
        }, done: { result in
            continuation.yield(.done(result))
            continuation.finish()
            onEnd()
        })
    }

    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }

    func cancel() { lock.lock(); cancelled = true; lock.unlock() }

    /// Waits for the end, ignoring streamed tokens.
    func result() async -> Result<GenerationOutcome, Error> {
        for await event in events { if case .done(let r) = event { return r } }
        return .failure(CancellationError())
    }
}
