import Foundation

/// A JSONL file read whole: one JSON object per non-blank line, each handed over with its 1-based line number.
/// Every rejection is a `DatasetError` naming the file and the line.
public enum JSONLFile {
    /// The bytes of `url`, or an error naming `source` (missing file, a directory, unreadable, gzip'd).
    public static func read(_ url: URL, source: String) throws(DatasetError) -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw DatasetError(source: source, "file not found")
        }
        if isDirectory.boolValue { throw DatasetError(source: source, "is a directory, expected a .jsonl file") }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DatasetError(source: source, "cannot read file: \(error.localizedDescription)")
        }
        if data.starts(with: [0x1F, 0x8B]) {
            throw DatasetError(source: source, "gzip-compressed: expected plain JSONL (decompress it first, e.g. gunzip)")
        }
        return data
    }

    /// Calls `body` with every non-blank line (CR/LF stripped, a leading UTF-8 BOM tolerated) and its line number;
    /// stops at the first error.
    static func forEachLine(_ data: Data,
                            _ body: (UnsafeBufferPointer<UInt8>, Int) throws(DatasetError) -> Void) throws(DatasetError) {
        let result: Result<Void, DatasetError> = data.withUnsafeBytes { raw in
            let all = raw.bindMemory(to: UInt8.self)
            var start = 0
            var lineNumber = 0
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
                do throws(DatasetError) { try body(line, lineNumber) } catch { return .failure(error) }
            }
            return .success(())
        }
        if case .failure(let error) = result { throw error }
    }

    /// Every line as an object record; `expected` describes a line's shape in messages (e.g. `{"prompt": …}`).
    public static func records(contentsOf url: URL, source: String? = nil, expected: String) throws(DatasetError) -> [JSONLRecord] {
        let name = source ?? url.path
        return try records(data: try read(url, source: name), source: name, expected: expected)
    }

    public static func records(data: Data, source: String, expected: String) throws(DatasetError) -> [JSONLRecord] {
        var out: [JSONLRecord] = []
        try forEachLine(data) { (line, n) throws(DatasetError) in
            func fail(_ m: String) -> DatasetError { DatasetError(source: source, line: n, m) }
            guard String(validating: line, as: UTF8.self) != nil else { throw fail("invalid UTF-8") }
            let value: JSONValue
            do throws(JSONLineParser.Failure) { value = try JSONLineParser.parse(line) } catch { throw fail(error.message) }
            guard case .object(let fields) = value else { throw fail("expected a JSON object \(expected), got \(value.kind)") }
            out.append(JSONLRecord(source: source, line: n, fields: fields))
        }
        if out.isEmpty {
            throw DatasetError(source: source, "\(data.isEmpty ? "empty file" : "no records, only blank lines"): expected one \(expected) object per line")
        }
        return out
    }
}

/// One object line of a JSONL file, with typed field access whose errors name the file, the line and the field.
public struct JSONLRecord: Sendable {
    public let source: String
    public let line: Int
    let fields: [String: JSONValue]

    public var keys: [String] { fields.keys.sorted() }

    public func error(_ message: String) -> DatasetError { DatasetError(source: source, line: line, message) }

    public func string(_ key: String) throws(DatasetError) -> String? {
        guard let v = fields[key] else { return nil }
        guard case .string(let s) = v else { throw error("\(key): expected a string, got \(v.kind)") }
        return s
    }

    public func requiredString(_ key: String, nonEmpty: Bool = true) throws(DatasetError) -> String {
        guard let s = try string(key) else { throw error("missing \"\(key)\"") }
        if nonEmpty && s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { throw error("\(key): must not be empty") }
        return s
    }

    public func stringArray(_ key: String) throws(DatasetError) -> [String]? {
        guard let v = fields[key] else { return nil }
        guard case .array(let items) = v else { throw error("\(key): expected an array of strings, got \(v.kind)") }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw error("\(key)[\(i)]: expected a string, got \(item.kind)") }
            out.append(s)
        }
        return out
    }

    /// `messages` as chat messages ({"role","content"} objects), or nil when the key is absent.
    public func messages(_ key: String = "messages") throws(DatasetError) -> [ChatMessage]? {
        guard let v = fields[key] else { return nil }
        guard case .array(let list) = v else { throw error("\(key): expected an array, got \(v.kind)") }
        var messages: [ChatMessage] = []
        messages.reserveCapacity(list.count)
        for (k, item) in list.enumerated() {
            guard case .object(let f) = item else {
                throw error("\(key)[\(k)]: expected an object with \"role\" and \"content\", got \(item.kind)")
            }
            guard let roleValue = f["role"] else { throw error("\(key)[\(k)]: missing \"role\"") }
            guard case .string(let roleName) = roleValue else {
                throw error("\(key)[\(k)].role: expected a string, got \(roleValue.kind)")
            }
            guard let role = ChatRole(rawValue: roleName) else {
                throw error("\(key)[\(k)].role: expected \"system\", \"user\" or \"assistant\", got \(quoted(roleName))")
            }
            guard let contentValue = f["content"] else { throw error("\(key)[\(k)]: missing \"content\"") }
            guard case .string(let content) = contentValue else {
                throw error("\(key)[\(k)].content: expected a string, got \(contentValue.kind)")
            }
            messages.append(ChatMessage(role, content))
        }
        return messages
    }
}
