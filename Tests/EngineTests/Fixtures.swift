import Foundation
@testable import Engine

/// Locates `Tests/Fixtures` from this source file, so tests need no bundle resources.
enum Fixtures {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures")
    }()

    static func model(_ name: String) -> URL { root.appendingPathComponent("models/\(name)") }

    struct Expected: Decodable {
        struct Sequence: Decodable { var ids: [Int]; var logprobs: [Double]; var final_logits: [Double] }
        struct Internals: Decodable {
            var sequence: Int
            var hidden_states: [[Double]]
            var router_logits: [[Double]]
            var attention_probs_layer0: [Double]
        }
        var sequences: [Sequence]
        var internals: Internals
    }

    static func expected(_ name: String) throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: model(name).appendingPathComponent("expected.json")))
    }

    /// A scratch directory holding a copy of a fixture model, for tests that damage files.
    static func copy(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-test-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: model(name), to: dir)
        return dir
    }
}

func maxAbsDiff(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    return zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
}
