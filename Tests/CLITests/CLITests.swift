import Foundation
import Testing

/// The headless CLI contract of DESIGN.md, checked through the real binary.
struct CLITests {
    func model(_ name: String) -> String { LatheBinary.fixtures.appendingPathComponent("models/\(name)").path }

    /// `lathe logprobs --json` against transformers' reference for every fixture sequence (≤ 1e-4).
    @Test(arguments: ["moe-a", "moe-b", "moe-a-fused", "moe-a-bf16"])
    func logprobsMatchesTransformers(name: String) throws {
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model(name))
            .appendingPathComponent("expected.json"))) as! [String: Any]
        let sequences = expected["sequences"] as! [[String: Any]]
        var args = ["logprobs", "--model", model(name), "--json", "--threads", "1"]
        for s in sequences { args += ["--ids", (s["ids"] as! [Int]).map(String.init).joined(separator: ",")] }
        let r = try LatheBinary.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        let got = (try LatheBinary.json(r))["sequences"] as! [[String: Any]]
        #expect(got.count == sequences.count)
        var worst = 0.0
        for (g, e) in zip(got, sequences) {
            #expect(g["ids"] as! [Int] == e["ids"] as! [Int])
            for key in ["logprobs", "final_logits"] {
                let a = g[key] as! [Double], b = e[key] as! [Double]
                #expect(a.count == b.count)
                worst = max(worst, zip(a, b).map { abs($0 - $1) }.max() ?? 0)
            }
        }
        print("lathe logprobs \(name): max |Δ| vs transformers = \(worst)")
        #expect(worst <= 1e-4)
    }

    @Test func sampleJSONShapeAndSeededDeterminism() throws {
        let args = ["sample", "--model", model("moe-a"), "--ids", "1,2,3", "--max-tokens", "6", "--temperature", "0.8",
                    "--seed", "11", "--n", "2", "--top-logprobs", "2", "--json"]
        let a = try LatheBinary.run(args), b = try LatheBinary.run(args)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stdout == b.stdout)
        let samples = (try LatheBinary.json(a))["samples"] as! [[String: Any]]
        #expect(samples.count == 2)
        for s in samples {
            #expect((s["ids"] as! [Int]).count == 6)
            #expect((s["logprobs"] as! [Double]).count == 6)
            #expect((s["sampling_logprobs"] as! [Double]).count == 6)
            let top = s["top_logprobs"] as! [[[Double]]]
            #expect(top.count == 6 && top.allSatisfy { $0.count == 2 && $0[0].count == 2 })
            #expect(s["stop_reason"] as? String == "length")
        }
    }

    /// Bad input: one line on stderr naming the file/field, non-zero exit, nothing on stdout.
    @Test func errorsAreOneLineAndNonZero() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("{\"model_type\": \"llama\"}".utf8).write(to: dir.appendingPathComponent("config.json"))
        let cases: [([String], String)] = [
            (["logprobs", "--model", dir.path, "--ids", "1,2"],
             "lathe: \(dir.path)/config.json: model_type \"llama\" is not supported (expected \"qwen3_moe\")"),
            (["logprobs", "--model", model("moe-a"), "--ids", "1,x,3"], "lathe: --ids: entry 2 \"x\" is not a non-negative integer"),
            (["logprobs", "--model", model("moe-a"), "--ids", "1,999"],
             "lathe: token id 999 at position 1 is outside the vocabulary (0..<256)"),
            (["sample", "--model", model("moe-a"), "--prompt", "hi"],
             "lathe: --prompt: \(model("moe-a")) has no tokenizer.json; pass --ids instead"),
            (["sample", "--model", model("moe-a"), "--ids", "1", "--top-p", "1.5"], "lathe: top_p: must be in (0, 1] (got 1.5)"),
            (["tokenize", "--tokenizer", dir.path, "--text", "hi"], "lathe: \(dir.path)/tokenizer.json: file not found"),
        ]
        for (args, message) in cases {
            let r = try LatheBinary.run(args)
            #expect(r.status != 0, "\(args)")
            #expect(r.stdout.isEmpty, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix(message), "\(args): \(r.stderr)")
        }
    }

    @Test func everyVerbHasHelp() throws {
        for verb in [["demo"], ["tokenize"], ["logprobs"], ["sample"], ["bench", "generate"]] {
            let r = try LatheBinary.run(verb + ["--help"])
            #expect(r.status == 0)
            #expect(r.stdout.contains("USAGE"), "\(verb)")
        }
    }
}
