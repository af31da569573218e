import Engine
import Foundation
import Runs

/// OpenAI response objects for one request: the whole answer, or its stream of chunks.
final class ResponseBuilder: @unchecked Sendable {
    let id: String
    let kind: OpenAIRequest.Kind
    let model: String
    let created: Int
    let fingerprint: String
    let request: OpenAIRequest
    private var started: Set<Int> = []
    private var textOffset: [Int: Int] = [:]

    init(id: String, kind: OpenAIRequest.Kind, model: String, created: Int, fingerprint: String, request: OpenAIRequest) {
        self.id = id; self.kind = kind; self.model = model; self.created = created; self.fingerprint = fingerprint
        self.request = request
    }

    private var object: String { kind == .chat ? "chat.completion" : "text_completion" }

    private func envelope(_ choices: [[String: Any]], chunk: Bool) -> [String: Any] {
        ["id": id, "object": chunk ? (kind == .chat ? "chat.completion.chunk" : "text_completion") : object, "created": created,
         "model": model, "system_fingerprint": fingerprint, "choices": choices]
    }

    private func usage(_ o: GenerationOutcome) -> [String: Any] {
        let completion = o.completions.reduce(0) { $0 + $1.ids.count }
        return ["prompt_tokens": o.promptTokens, "completion_tokens": completion, "total_tokens": o.promptTokens + completion]
    }

    private func finishReason(_ r: StopReason) -> String { r == .stop ? "stop" : "length" }

    private func chatLogprob(_ text: String, _ logprob: Double, _ top: [(String, Float)]) -> [String: Any] {
        ["token": text, "logprob": logprob, "bytes": Array(text.utf8).map(Int.init),
         "top_logprobs": top.prefix(request.topLogprobs).map { ["token": $0.0, "logprob": Double($0.1), "bytes": Array($0.0.utf8).map(Int.init)] as [String: Any] }]
    }

    /// The whole answer (non-streaming).
    func final(_ o: GenerationOutcome) -> [String: Any] {
        var choices: [[String: Any]] = []
        for (i, c) in o.completions.enumerated() {
            var choice: [String: Any] = ["index": i, "finish_reason": finishReason(c.stopReason)]
            switch kind {
            case .chat:
                choice["message"] = ["role": "assistant", "content": c.text, "refusal": NSNull()] as [String: Any]
                choice["logprobs"] = request.logprobs
                    ? ["content": zip(c.pieces, c.topLogprobs + Array(repeating: [], count: max(0, c.pieces.count - c.topLogprobs.count)))
                        .map { chatLogprob($0.0.text, $0.0.logprob, $0.1.map { ($0.text, $0.logprob) }) }, "refusal": NSNull()] as [String: Any]
                    : NSNull()
            case .completion:
                choice["text"] = c.text
                if request.logprobs {
                    var lp = completionLogprobs(c.pieces, c.topLogprobs.map { $0.map { ($0.text, $0.logprob) } }, offset: 0)
                    // Lathe's addition: the sampled ids, so a client can re-score them exactly (`lathe logprobs`).
                    lp["token_ids"] = c.ids
                    choice["logprobs"] = lp
                } else {
                    choice["logprobs"] = NSNull()
                }
            }
            choices.append(choice)
        }
        var out = envelope(choices, chunk: false)
        out["usage"] = usage(o)
        return out
    }

    private func completionLogprobs(_ pieces: [TokenPiece], _ top: [[(String, Float)]], offset: Int) -> [String: Any] {
        var offsets: [Int] = []
        var at = offset
        for p in pieces { offsets.append(at); at += p.text.utf16.count }
        let tops: Any = request.topLogprobs > 0
            ? top.map { alternatives -> [String: Double] in
                var d: [String: Double] = [:]
                for a in alternatives.prefix(request.topLogprobs) where d[a.0] == nil { d[a.0] = Double(a.1) }
                return d
            } as Any
            : NSNull()
        return ["tokens": pieces.map(\.text), "token_logprobs": pieces.map(\.logprob), "top_logprobs": tops, "text_offset": offsets]
    }

    /// The chunks (JSON text) an event becomes in a stream.
    func chunks(for event: GenerationStream.Event) -> [String] {
        switch event {
        case .token(let i, let piece, let top):
            var out: [[String: Any]] = []
            if kind == .chat && !started.contains(i) {
                started.insert(i)
                out.append(envelope([["index": i, "delta": ["role": "assistant", "content": ""], "logprobs": NSNull(), "finish_reason": NSNull()]], chunk: true))
            }
            var choice: [String: Any] = ["index": i, "finish_reason": NSNull()]
            let topPairs = top.map { ($0.text, $0.logprob) }
            switch kind {
            case .chat:
                choice["delta"] = ["content": piece.text]
                choice["logprobs"] = request.logprobs ? ["content": [chatLogprob(piece.text, piece.logprob, topPairs)], "refusal": NSNull()] as [String: Any] : NSNull()
            case .completion:
                choice["text"] = piece.text
                let offset = textOffset[i, default: 0]
                choice["logprobs"] = request.logprobs ? completionLogprobs([piece], [topPairs], offset: offset) : NSNull()
                textOffset[i] = offset + piece.text.utf16.count
            }
            out.append(envelope([choice], chunk: true))
            return out.map(Self.text)
        case .done(.success(let o)):
            var out: [[String: Any]] = []
            for (i, c) in o.completions.enumerated() {
                if kind == .chat && !started.contains(i) {
                    started.insert(i)
                    out.append(envelope([["index": i, "delta": ["role": "assistant", "content": ""], "logprobs": NSNull(), "finish_reason": NSNull()]], chunk: true))
                }
                var choice: [String: Any] = ["index": i, "logprobs": NSNull(), "finish_reason": finishReason(c.stopReason)]
                if kind == .chat { choice["delta"] = [String: Any]() } else { choice["text"] = "" }
                out.append(envelope([choice], chunk: true))
            }
            if request.includeUsage {
                var last = envelope([], chunk: true)
                last["usage"] = usage(o)
                out.append(last)
            }
            return out.map(Self.text)
        case .done(.failure(let e)):
            let message = (e as? LatheError)?.message ?? "\(e)"
            return [Self.text(OpenAIError(400, message, code: "generation_failed").json)]
        }
    }

    static func text(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
