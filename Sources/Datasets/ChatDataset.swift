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
        try self.init(data: try JSONLFile.read(url, source: name), source: name)
    }

    /// Parses the bytes of a JSONL file; `source` names it in errors.
    public init(data: Data, source: String) throws(DatasetError) {
        self.source = source
        if data.starts(with: [0x1F, 0x8B]) {
            throw DatasetError(
                source: source, "gzip-compressed: expected plain JSONL (decompress it first, e.g. gunzip)")
        }
        var examples: [ChatExample] = []
        try JSONLFile.forEachLine(data) { (line, n) throws(DatasetError) in
            examples.append(try ChatDataset.example(line, lineNumber: n, source: source))
        }
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
        let record = JSONLRecord(source: source, line: lineNumber, fields: top)
        guard let messages = try record.messages() else {
            throw fail("missing \"messages\": expected {\"messages\":[{\"role\":…,\"content\":…},…]}")
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
