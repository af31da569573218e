import Foundation
import Tokenizer

/// Locates `Tests/Fixtures/tokenizers/` from this source file (no bundle resources).
enum Fixtures {
    static let tokenizersDirectory: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" && dir.lastPathComponent != "Tests" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("Fixtures").appendingPathComponent("tokenizers")
    }()

    /// The fixture tokenizers, one directory each.
    static let names = ["qwen", "gpt2", "gpt2-options", "bpe-unk", "bpe-byte-fallback"]
    /// Those with decode_expected.json and the full list of test strings.
    static let mainNames = ["qwen", "gpt2", "gpt2-options"]

    static func directory(_ name: String) -> URL { tokenizersDirectory.appendingPathComponent(name) }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var loaded: [String: Tokenizer] = [:]

    /// Each fixture tokenizer is loaded once and shared by the tests (it is immutable and thread-safe).
    static func tokenizer(_ name: String) throws -> Tokenizer {
        lock.lock()
        defer { lock.unlock() }
        if let t = loaded[name] { return t }
        let t = try Tokenizer(contentsOf: directory(name))
        loaded[name] = t
        return t
    }

    struct EncodeCase: Decodable {
        let text: String
        let ids: [Int]
        let decoded: String
        let decoded_skip_special: String
    }

    struct DecodeCase: Decodable {
        let ids: [Int]
        let decoded: String
        let decoded_skip_special: String
    }

    static func encodeCases(_ name: String) throws -> [EncodeCase] {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("expected.json"))
        return try JSONDecoder().decode([EncodeCase].self, from: data)
    }

    static func decodeCases(_ name: String) throws -> [DecodeCase] {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("decode_expected.json"))
        return try JSONDecoder().decode([DecodeCase].self, from: data)
    }

    /// The raw `tokenizer.json` of a fixture, as a mutable JSON object (for building bad inputs).
    static func json(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("tokenizer.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}

/// Swift-literal spelling of a string, so that whitespace and invisible characters show in failure messages.
func show(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if u.value < 0x20 || (u.value >= 0x7F && u.value <= 0xA0) || u.properties.isWhitespace && u != " "
                || u.properties.generalCategory == .format || u.properties.generalCategory == .nonspacingMark
            {
                out += "\\u{\(String(u.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}
