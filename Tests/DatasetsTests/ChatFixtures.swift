import Datasets
import Foundation
import Testing
import Tokenizer

/// Locates `Tests/Fixtures/` from this source file (no bundle resources) and loads the Qwen fixture tokenizer once.
enum ChatFixtures {
    static let fixtures: URL = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" && dir.lastPathComponent != "Tests" { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("Fixtures")
    }()

    /// `Tests/Fixtures/chat/`.
    static let directory = fixtures.appendingPathComponent("chat")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static let qwenTokenizerURL = fixtures.appendingPathComponent("tokenizers/qwen/tokenizer.json")

    private static let lock = NSLock()
    nonisolated(unsafe) private static var cached: ChatTemplate?

    /// The chat template over the Qwen fixture tokenizer (ids: `<|endoftext|>` 1000, `<|im_start|>` 1001,
    /// `<|im_end|>` 1002).
    static func template() throws -> ChatTemplate {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return cached }
        let t = try ChatTemplate(tokenizer: try Tokenizer(contentsOf: qwenTokenizerURL))
        cached = t
        return t
    }

    /// Whether goldens are rewritten instead of compared: `LATHE_UPDATE_GOLDENS=1 swift test`.
    static var updatingGoldens: Bool { ProcessInfo.processInfo.environment["LATHE_UPDATE_GOLDENS"] == "1" }

    /// Compares `actual` with the committed golden `name` in Tests/Fixtures/chat/ (or rewrites it, see above).
    static func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let file = url(name)
        if updatingGoldens {
            do {
                try Data(actual.utf8).write(to: file, options: .atomic)
            } catch {
                Issue.record("cannot write \(file.path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            Issue.record("golden \(name) is missing: run with LATHE_UPDATE_GOLDENS=1 to create it",
                         sourceLocation: sourceLocation)
            return
        }
        let expected = String(decoding: data, as: UTF8.self)
        if actual == expected { return }
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let k = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
        Issue.record("""
            \(name) differs from the golden at line \(k + 1) \
            (LATHE_UPDATE_GOLDENS=1 rewrites it if the change is intended)
              expected: \(k < e.count ? String(e[k]) : "<end of file>")
              actual:   \(k < a.count ? String(a[k]) : "<end of file>")
            """, sourceLocation: sourceLocation)
    }
}
