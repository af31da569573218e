import Foundation

/// An OpenAI chat JSONL file: one `{"messages":[{"role":"system|user|assistant","content":"…"}, …]}` object per line.
/// Blank lines are skipped and other top-level keys are ignored. The file is all or nothing: the first bad line
/// rejects it, so training never starts on part of a dataset.
public struct ChatDataset: Sendable {
    /// The file as the user named it (used in error messages and reports).
    public let source: String
    public let examples: [ChatExample]

    /// Reads `url`; `source` names it in errors (default: the path).
    public init(contentsOf url: URL, source: String? = nil) throws(DatasetError) {
        let name = source ?? url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw DatasetError(source: name, "file not found")
        }
        if isDirectory.boolValue { throw DatasetError(source: name, "is a directory, expected a .jsonl file") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError(source: name, "cannot read file: \(error.localizedDescription)")
        }
        try self.init(data: data, source: name)
    }

    /// Parses the bytes of a JSONL file; `source` names it in errors.
    public init(data: Data, source: String) throws(DatasetError) {
        self.source = source
        if data.starts(with: [0x1F, 0x8B]) {
            throw DatasetError(
                source: source, "gzip-compressed: expected plain JSONL (decompress it first, e.g. gunzip)")
        }
        var examples: [ChatExample] = []
        let result: Result<Void, DatasetError> = data.withUnsafeBytes { raw in
            let all = raw.bindMemory(to: UInt8.self)
            var start = 0
            var lineNumber = 0
            // A UTF-8 byte order mark is tolerated at the very start.
            if all.count >= 3 && all[0] == 0xEF && all[1] == 0xBB && all[2] == 0xBF { start = 3 }
            while start < all.count {
                lineNumber += 1
                var end = start
                while end < all.count && all[end] != 0x0A { end += 1 }
                let next = end + 1
                if end > start && all[end - 1] == 0x0D { end -= 1 }
                let line = UnsafeBufferPointer(rebasing: all[start..<end])
                start = next
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                do throws(DatasetError) {
                    examples.append(try ChatDataset.example(line, lineNumber: lineNumber, source: source))
                } catch {
                    return .failure(error)
                }
            }
            return .success(())
        }
        if case .failure(let error) = result { throw error }
        if examples.isEmpty {
            let what = data.isEmpty ? "empty file" : "no examples, only blank lines"
            throw DatasetError(source: source, "\(what): expected one {\"messages\":[…]} object per line")
        }
        self.examples = examples
    }

    /// One non-blank line as an example.
    static func example(
        _ line: UnsafeBufferPointer<UInt8>, lineNumber: Int, source: String
    ) throws(DatasetError) -> ChatExample {
        func fail(_ message: String) -> DatasetError { DatasetError(source: source, line: lineNumber, message) }
        guard String(validating: line, as: UTF8.self) != nil else { throw fail("invalid UTF-8") }
        let value: JSONValue
        do {
            value = try JSONLineParser.parse(line)
        } catch {
            throw fail(error.message)
        }
        guard case .object(let top) = value else {
            throw fail("expected a JSON object {\"messages\":[…]}, got \(value.kind)")
        }
        guard let messagesValue = top["messages"] else {
            throw fail("missing \"messages\": expected {\"messages\":[{\"role\":…,\"content\":…},…]}")
        }
        guard case .array(let list) = messagesValue else {
            throw fail("messages: expected an array, got \(messagesValue.kind)")
        }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(list.count)
        for (k, item) in list.enumerated() {
            guard case .object(let fields) = item else {
                throw fail("messages[\(k)]: expected an object with \"role\" and \"content\", got \(item.kind)")
            }
            guard let roleValue = fields["role"] else { throw fail("messages[\(k)]: missing \"role\"") }
            guard case .string(let roleName) = roleValue else {
                throw fail("messages[\(k)].role: expected a string, got \(roleValue.kind)")
            }
            guard let role = ChatRole(rawValue: roleName) else {
                throw fail(
                    "messages[\(k)].role: expected \"system\", \"user\" or \"assistant\", got \(quoted(roleName))")
            }
            guard let contentValue = fields["content"] else { throw fail("messages[\(k)]: missing \"content\"") }
            guard case .string(let content) = contentValue else {
                throw fail("messages[\(k)].content: expected a string, got \(contentValue.kind)")
            }
            messages.append(ChatMessage(role, content))
        }
        guard messages.contains(where: { $0.role == .assistant }) else {
            throw fail("no assistant message: expected at least one message with \"role\":\"assistant\" to learn from")
        }
        return ChatExample(messages: messages, line: lineNumber)
    }
}

/// `s` in double quotes, shortened to 40 characters, with control characters escaped, for error messages.
func quoted(_ s: String) -> String {
    var out = ""
    for (n, c) in s.unicodeScalars.enumerated() {
        if n == 40 {
            out += "…"
            break
        }
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        default:
            if c.value < 0x20 || c.value == 0x7F {
                out += "\\u{\(String(c.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(c)
            }
        }
    }
    return "\"\(out)\""
}
