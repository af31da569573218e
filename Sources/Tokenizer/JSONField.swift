import Foundation

/// A value from `JSONSerialization` together with the path that led to it, so that every complaint about it can name
/// the file and the field (`model.merges[12]`).
struct JSONField {
    let value: Any
    let path: String
    let source: String

    func invalid(_ problem: String) -> TokenizerError {
        .invalidField(source: source, field: path, problem: problem)
    }

    func unsupported(_ problem: String) -> TokenizerError {
        .unsupported(source: source, field: path, problem: problem)
    }

    var isNull: Bool { value is NSNull }

    /// JSON `true`/`false`. JSONSerialization hands back NSNumber for both numbers and booleans; only booleans have
    /// objCType "c".
    private var isBoolean: Bool {
        guard let n = value as? NSNumber else { return false }
        return String(cString: n.objCType) == "c"
    }

    func object() throws -> [String: Any] {
        guard let o = value as? [String: Any] else { throw invalid("expected an object, found \(kind)") }
        return o
    }

    func array() throws -> [Any] {
        guard let a = value as? [Any] else { throw invalid("expected an array, found \(kind)") }
        return a
    }

    func string() throws -> String {
        guard let s = value as? String else { throw invalid("expected a string, found \(kind)") }
        return s
    }

    func bool() throws -> Bool {
        guard isBoolean, let n = value as? NSNumber else { throw invalid("expected true or false, found \(kind)") }
        return n.boolValue
    }

    /// Token ids are dense array indices here; 2^24 is far above any real vocabulary.
    static let maxTokenIDValue = 1 << 24
    private var maxTokenID: Int { JSONField.maxTokenIDValue }

    /// A JSON integer in 0..<2^24 (token ids). `1.0`, `"1"`, `true` are refused, as serde refuses them.
    func tokenID() throws -> Int {
        guard !isBoolean, let n = value as? NSNumber else {
            throw invalid("expected a non-negative integer, found \(kind)")
        }
        let type = String(cString: n.objCType)
        guard type != "d", type != "f" else { throw invalid("expected a non-negative integer, found \(kind)") }
        let v = n.int64Value
        guard v >= 0, v < Int64(maxTokenID) else {
            throw invalid("expected a non-negative integer below \(maxTokenID), found \(n)")
        }
        return Int(v)
    }

    /// The id when `value` is a JSON integer in range, without building a field path; nil otherwise.
    @inline(__always)
    static func fastTokenID(_ value: Any) -> Int? {
        guard let n = value as? NSNumber else { return nil }
        let type = n.objCType.pointee
        // 'c' boolean, 'd' / 'f' floating point
        guard type != 0x63, type != 0x64, type != 0x66 else { return nil }
        let v = n.int64Value
        guard v >= 0, v < Int64(maxTokenIDValue) else { return nil }
        return Int(v)
    }

    /// `object[key]` as a field; nil when the key is absent.
    func field(_ key: String) throws -> JSONField? {
        let o = try object()
        guard let v = o[key] else { return nil }
        return JSONField(value: v, path: path.isEmpty ? key : "\(path).\(key)", source: source)
    }

    /// `object[key]`, which must be present (it may be null).
    func required(_ key: String) throws -> JSONField {
        guard let f = try field(key) else {
            let p = path.isEmpty ? key : "\(path).\(key)"
            throw TokenizerError.invalidField(source: source, field: p, problem: "missing")
        }
        return f
    }

    /// `object[key]`, treating absent and null alike as nil.
    func optional(_ key: String) throws -> JSONField? {
        guard let f = try field(key), !f.isNull else { return nil }
        return f
    }

    func optionalBool(_ key: String, default d: Bool) throws -> Bool {
        try optional(key)?.bool() ?? d
    }

    func elements() throws -> [JSONField] {
        try array().enumerated().map { JSONField(value: $0.element, path: "\(path)[\($0.offset)]", source: source) }
    }

    var kind: String {
        if value is NSNull { return "null" }
        if isBoolean { return (value as? NSNumber)?.boolValue == true ? "true" : "false" }
        if let n = value as? NSNumber { return "number \(n)" }
        if let s = value as? String {
            let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
            return "string \(quoted(shown))"
        }
        if value is [Any] { return "an array" }
        if value is [String: Any] { return "an object" }
        return "\(type(of: value))"
    }
}

/// `"text"` with quotes, backslashes and control characters escaped, cut at 60 characters, for error messages.
func quoted(_ s: String) -> String {
    var out = "\""
    for (n, u) in s.unicodeScalars.enumerated() {
        if n == 60 { out += "…"; break }
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 || u.value == 0x7F {
                out += String(format: "\\u%04x", u.value)
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
