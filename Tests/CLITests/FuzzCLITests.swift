import Foundation
import Testing

/// Every parser of Lathe's inputs under `lathe fuzz`: 10 000 seeded mutations each (and the corpus of inputs that
/// once failed), in a child process so a trap is seen as a dead process with the input left behind. Each input must
/// parse or be rejected in one line naming the input, within a second; the process stays small (no allocation sized
/// by an unchecked length).
@Suite struct FuzzCLITests {
    static let parsers = ["safetensors", "config-json", "tokenizer-json", "adapter-config", "chat-jsonl", "run-config",
                          "theme", "openai-body", "qa-jsonl", "preference-jsonl"]
    static let corpus = LatheBinary.fixtures.deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

    @Test(arguments: parsers)
    func parserSurvivesTenThousandMutations(_ parser: String) throws {
        let current = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-fuzz-\(parser)-\(UUID().uuidString.prefix(6)).bin")
        defer { try? FileManager.default.removeItem(at: current) }
        let r = try LatheBinary.run(["fuzz", "--parser", parser, "--inputs", "10000", "--seed", "1", "--fixtures",
                                     LatheBinary.fixtures.path, "--corpus", Self.corpus.path, "--current", current.path, "--json"])
        let last = (try? Data(contentsOf: current)).map { String(decoding: $0.prefix(200), as: UTF8.self) } ?? ""
        try #require(r.status == 0 || r.status == 1, "\(parser): the fuzz process died (status \(r.status)) on an input starting \(last.debugDescription); stderr: \(r.stderr.suffix(400))")
        let out = try LatheBinary.json(r)
        let report = try #require((out["parsers"] as? [[String: Any]])?.first)
        let problems = report["problems"] as? [String] ?? []
        #expect(report["problemCount"] as? Int == 0, "\(parser): \(problems.joined(separator: "\n"))")
        #expect(report["inputs"] as? Int ?? 0 >= 10_000)
        #expect((out["peak_rss_mb"] as? Double ?? 1e9) < 512, "\(parser): peak RSS \(out["peak_rss_mb"] ?? "?") MB")
        print("fuzz \(parser): \(report["inputs"]!) inputs, \(report["parsed"]!) parsed, \(report["rejected"]!) rejected, slowest \(report["slowestMs"]!) ms, peak RSS \(out["peak_rss_mb"]!) MB")
    }
}
