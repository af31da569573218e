import Datasets
import Foundation

/// A parsed `/v1/completions` or `/v1/chat/completions` body. Every field of OpenAI's documented request schema is
/// known: the ones Lathe implements are read, the ones that cannot change a text completion here are accepted and
/// ignored, the ones asking for what Lathe does not do (tools, audio, logit bias, penalties…) are refused when set;
/// any other field is a 400, as OpenAI answers (docs/OPENAI.md lists them).
struct OpenAIRequest {
    enum Kind { case chat, completion }

    var kind: Kind
    var model: String
    var messages: [ChatMessage] = []
    var prompt: String = ""
    var maxTokens: Int?
    var temperature: Double = 1
    var topP: Double = 1
    var n = 1
    var stop: [String] = []
    var seed: UInt64?
    var stream = false
    var includeUsage = false
    var logprobs = false
    var topLogprobs = 0
    var echo = false

    static let implementedChat: Set<String> = ["model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p",
                                               "n", "stop", "seed", "stream", "stream_options", "logprobs", "top_logprobs"]
    static let ignoredChat: Set<String> = ["metadata", "store", "user", "service_tier", "safety_identifier", "prompt_cache_key",
                                           "parallel_tool_calls", "reasoning_effort", "verbosity", "modalities",
                                           "prompt_cache_retention"]
    static let refusedUnlessDefaultChat: Set<String> = ["tools", "tool_choice", "functions", "function_call", "response_format",
                                                        "logit_bias", "audio", "prediction", "web_search_options",
                                                        "frequency_penalty", "presence_penalty"]
    static let implementedCompletion: Set<String> = ["model", "prompt", "max_tokens", "temperature", "top_p", "n", "stop", "seed",
                                                     "stream", "stream_options", "logprobs", "echo"]
    static let ignoredCompletion: Set<String> = ["user"]
    static let refusedUnlessDefaultCompletion: Set<String> = ["best_of", "frequency_penalty", "presence_penalty", "logit_bias", "suffix"]

    /// Parses and checks a body; errors name the field (`param`) as OpenAI does.
    static func parse(_ data: Data, kind: Kind, maxTokensLimit: Int) throws -> OpenAIRequest {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw OpenAIError.badRequest("We could not parse the JSON body of your request: \(describe(error))", code: "invalid_json")
        }
        guard let body = object as? [String: Any] else {
            throw OpenAIError.badRequest("The request body must be a JSON object", code: "invalid_json")
        }
        let implemented = kind == .chat ? implementedChat : implementedCompletion
        let ignored = kind == .chat ? ignoredChat : ignoredCompletion
        let refused = kind == .chat ? refusedUnlessDefaultChat : refusedUnlessDefaultCompletion
        for key in body.keys.sorted() where !implemented.contains(key) && !ignored.contains(key) {
            if refused.contains(key) {
                if isDefault(key, body[key]!) { continue }
                throw OpenAIError.badRequest("'\(key.prefix(64))' is not supported by this server (Lathe generates text only; see docs/OPENAI.md)",
                                             param: key, code: "unsupported_parameter")
            }
            let shown = key.count > 64 ? String(key.prefix(64)) + "…" : key
            throw OpenAIError.badRequest("Unrecognized request argument supplied: \(shown)", param: shown, code: "unknown_parameter")
        }
        var r = OpenAIRequest(kind: kind, model: try string(body, "model", required: true)!)
        switch kind {
        case .chat:
            guard let list = body["messages"] as? [Any], !list.isEmpty else {
                throw OpenAIError.badRequest("'messages' must be a non-empty array", param: "messages")
            }
            r.messages = try list.enumerated().map { try message($1, index: $0) }
        case .completion:
            guard let p = body["prompt"] else { throw OpenAIError.badRequest("Missing required parameter: 'prompt'", param: "prompt") }
            if let s = p as? String { r.prompt = s }
            else if let a = p as? [Any], a.count == 1, let s = a[0] as? String { r.prompt = s }
            else { throw OpenAIError.badRequest("'prompt' must be a string (or an array of one string)", param: "prompt") }
        }
        let maxKey = body["max_completion_tokens"] != nil ? "max_completion_tokens" : "max_tokens"
        if let m = try int(body, maxKey) {
            guard m >= 1 else { throw OpenAIError.badRequest("'\(maxKey)' must be at least 1", param: maxKey) }
            guard m <= maxTokensLimit else {
                throw OpenAIError.badRequest("'\(maxKey)' is \(m); this server allows at most \(maxTokensLimit)", param: maxKey)
            }
            r.maxTokens = m
        }
        if let t = try number(body, "temperature") {
            guard (0...2).contains(t) else { throw OpenAIError.badRequest("'temperature' must be between 0 and 2", param: "temperature") }
            r.temperature = t
        }
        if let p = try number(body, "top_p") {
            guard p > 0 && p <= 1 else { throw OpenAIError.badRequest("'top_p' must be in (0, 1]", param: "top_p") }
            r.topP = p
        }
        if let n = try int(body, "n") {
            guard (1...16).contains(n) else { throw OpenAIError.badRequest("'n' must be between 1 and 16", param: "n") }
            r.n = n
        }
        if let s = body["stop"], !(s is NSNull) {
            if let one = s as? String { r.stop = [one] }
            else if let many = s as? [Any], many.count <= 4, many.allSatisfy({ $0 is String }) { r.stop = many as! [String] }
            else { throw OpenAIError.badRequest("'stop' must be a string or an array of up to 4 strings", param: "stop") }
            if r.stop.contains("") { throw OpenAIError.badRequest("'stop' strings must not be empty", param: "stop") }
        }
        if let s = try int(body, "seed") { r.seed = UInt64(bitPattern: Int64(s)) }
        r.stream = try bool(body, "stream") ?? false
        if let options = body["stream_options"], !(options is NSNull) {
            guard let o = options as? [String: Any] else { throw OpenAIError.badRequest("'stream_options' must be an object", param: "stream_options") }
            guard r.stream else { throw OpenAIError.badRequest("'stream_options' is only allowed when 'stream' is true", param: "stream_options") }
            r.includeUsage = (o["include_usage"] as? Bool) ?? false
        }
        switch kind {
        case .chat:
            r.logprobs = try bool(body, "logprobs") ?? false
            if let k = try int(body, "top_logprobs") {
                guard (0...20).contains(k) else { throw OpenAIError.badRequest("'top_logprobs' must be between 0 and 20", param: "top_logprobs") }
                guard r.logprobs else { throw OpenAIError.badRequest("'top_logprobs' needs 'logprobs': true", param: "top_logprobs") }
                r.topLogprobs = k
            }
        case .completion:
            if let k = try int(body, "logprobs") {
                guard (0...5).contains(k) else { throw OpenAIError.badRequest("'logprobs' must be between 0 and 5", param: "logprobs") }
                r.logprobs = true
                r.topLogprobs = k
            }
            r.echo = try bool(body, "echo") ?? false
            if r.echo { throw OpenAIError.badRequest("'echo' is not supported by this server", param: "echo", code: "unsupported_parameter") }
        }
        return r
    }

    private static func isDefault(_ key: String, _ value: Any) -> Bool {
        if value is NSNull { return true }
        switch key {
        case "frequency_penalty", "presence_penalty": return (value as? NSNumber)?.doubleValue == 0
        case "best_of": return (value as? NSNumber)?.intValue == 1
        case "tools", "functions": return (value as? [Any])?.isEmpty == true
        case "tool_choice", "function_call": return (value as? String) == "none"
        case "logit_bias": return (value as? [String: Any])?.isEmpty == true
        case "response_format": return ((value as? [String: Any])?["type"] as? String) == "text"
        case "suffix": return (value as? String)?.isEmpty == true
        default: return false
        }
    }

    private static func message(_ value: Any, index: Int) throws -> ChatMessage {
        let param = "messages[\(index)]"
        guard let m = value as? [String: Any] else { throw OpenAIError.badRequest("\(param) must be an object", param: param) }
        guard let roleName = m["role"] as? String else { throw OpenAIError.badRequest("\(param).role is missing", param: "\(param).role") }
        let role: ChatRole
        switch roleName {
        case "system", "developer": role = .system
        case "user": role = .user
        case "assistant": role = .assistant
        default:
            throw OpenAIError.badRequest("\(param).role '\(roleName.prefix(40))' is not one of system, developer, user, assistant", param: "\(param).role")
        }
        for key in m.keys where !["role", "content", "name"].contains(key) {
            let shown = key.count > 64 ? String(key.prefix(64)) + "…" : key
            throw OpenAIError.badRequest("\(param).\(shown) is not supported (text messages only)", param: "\(param).\(shown)")
        }
        if let text = m["content"] as? String { return ChatMessage(role, text) }
        if let parts = m["content"] as? [Any] {
            var text = ""
            for (i, part) in parts.enumerated() {
                guard let p = part as? [String: Any], p["type"] as? String == "text", let t = p["text"] as? String else {
                    throw OpenAIError.badRequest("\(param).content[\(i)]: only {\"type\":\"text\"} parts are supported", param: "\(param).content")
                }
                text += t
            }
            return ChatMessage(role, text)
        }
        throw OpenAIError.badRequest("\(param).content must be a string or an array of text parts", param: "\(param).content")
    }

    private static func string(_ body: [String: Any], _ key: String, required: Bool = false) throws -> String? {
        guard let v = body[key], !(v is NSNull) else {
            if required { throw OpenAIError.badRequest("Missing required parameter: '\(key)'", param: key) }
            return nil
        }
        guard let s = v as? String else { throw OpenAIError.badRequest("'\(key)' must be a string", param: key) }
        return s
    }

    /// JSONSerialization gives booleans as NSNumbers of type 'c' (and `1 as Any is Bool` holds), so ask the type.
    private static func isBool(_ v: Any) -> Bool { (v as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false }

    private static func number(_ body: [String: Any], _ key: String) throws -> Double? {
        guard let v = body[key], !(v is NSNull) else { return nil }
        guard let n = v as? NSNumber, !isBool(v), n.doubleValue.isFinite else { throw OpenAIError.badRequest("'\(key)' must be a number", param: key) }
        return n.doubleValue
    }

    private static func int(_ body: [String: Any], _ key: String) throws -> Int? {
        guard let d = try number(body, key) else { return nil }
        guard d == d.rounded(), abs(d) < 9e15 else { throw OpenAIError.badRequest("'\(key)' must be an integer", param: key) }
        return Int(d)
    }

    private static func bool(_ body: [String: Any], _ key: String) throws -> Bool? {
        guard let v = body[key], !(v is NSNull) else { return nil }
        guard isBool(v), let b = v as? Bool else { throw OpenAIError.badRequest("'\(key)' must be a boolean", param: key) }
        return b
    }

    private static func describe(_ error: Error) -> String {
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
        return text.split(separator: "\n").first.map(String.init) ?? text
    }
}

/// Request-body checking on its own, for the fuzz harness: parses a /v1/completions (or chat) body as the server does.
public enum OpenAIRequestCheck {
    public static func parse(_ body: Data, chat: Bool, maxTokensLimit: Int = 1024) throws {
        _ = try OpenAIRequest.parse(body, kind: chat ? .chat : .completion, maxTokensLimit: maxTokensLimit)
    }
}
