import ArgumentParser
import Datasets
import Engine
import Foundation
import Fuzzing
import Runs
import Server
import Store
import Tokenizer
import Workbench

struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fuzz",
        abstract: "Feed seeded mutations of valid inputs to every parser; each must parse or reject in one line naming the input.",
        discussion: """
        Mutations: truncation, bit flips, interesting numbers (huge, negative, overflowing), hostile length prefixes, \
        duplicated and deleted chunks, deep nesting, invalid UTF-8, NUL bytes. The corpus folder's inputs (ones that \
        once failed, as PARSER/NAME.bin) are replayed first. Exit status 1 when any input traps (the process dies and \
        --current keeps the input), takes over a second, or is rejected without naming the input.
        """)

    @Option(help: "Parser to fuzz (or all): \(FuzzCommand.parserNames.joined(separator: ", ")).") var parser = "all"
    @Option(help: "Mutated inputs per parser.") var inputs = 10_000
    @Option(help: "Seed of the mutations.") var seed: UInt64 = 1
    @Option(help: "Test fixtures folder (seed inputs of the tokenizer and PEFT parsers).") var fixtures = "Tests/Fixtures"
    @Option(help: "Corpus of inputs that once failed, replayed first (PARSER/*.bin).") var corpus: String?
    @Option(help: "Write each input here before parsing it, so a crash leaves it behind.") var current: String?
    @Flag(help: "Print one JSON object.") var json = false

    static let parserNames = ["safetensors", "config-json", "tokenizer-json", "adapter-config", "chat-jsonl", "run-config",
                              "theme", "openai-body", "qa-jsonl", "preference-jsonl"]

    func validate() throws {
        if parser != "all" && !Self.parserNames.contains(parser) {
            throw ValidationError("--parser \(parser): unknown (one of \(Self.parserNames.joined(separator: ", ")), all)")
        }
        if inputs < 0 { throw ValidationError("--inputs must be >= 0") }
    }

    func run() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-fuzz-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let targets = try FuzzTargets(fixtures: URL(fileURLWithPath: fixtures), scratch: scratch).all
            .filter { parser == "all" || $0.name == parser }
        var reports: [FuzzReport] = []
        for t in targets {
            let replay = corpus.map { loadCorpus(URL(fileURLWithPath: $0).appendingPathComponent(t.name)) } ?? []
            let r = FuzzHarness.run(t, count: inputs, seed: seed, corpus: replay, current: current.map { URL(fileURLWithPath: $0) })
            reports.append(r)
            if !json {
                stderrLine(String(format: "%@: %d inputs (%d corpus), %d parsed, %d rejected, slowest %.1f ms%@", r.parser, r.inputs,
                                  r.corpusReplayed, r.parsed, r.rejected, r.slowestMs, r.ok ? "" : ", \(r.problemCount) PROBLEMS"))
                for p in r.problems { stderrLine("  " + p) }
            }
        }
        if json {
            try printJSON(Output(seed: seed, inputs_per_parser: inputs, parsers: reports, peak_rss_mb: Self.peakResidentMB()))
        }
        if reports.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }

    /// This program's peak resident set (VmHWM): unlike getrusage's maxrss, which Linux carries over from the parent
    /// across fork and exec, it counts only what this process touched.
    static func peakResidentMB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kb / 1024
    }

    struct Output: Encodable { var seed: UInt64, inputs_per_parser: Int, parsers: [FuzzReport], peak_rss_mb: Double }

    func loadCorpus(_ dir: URL) -> [[UInt8]] {
        let files = ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
            .filter { $0.pathExtension == "bin" }.sorted { $0.path < $1.path }
        return files.compactMap { try? [UInt8](Data(contentsOf: $0)) }
    }
}

/// The parsers of Lathe's inputs, each with valid seed inputs. File parsers read from `scratch`.
struct FuzzTargets {
    let fixtures: URL
    let scratch: URL

    func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = scratch.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func read(_ path: String) throws -> [UInt8] {
        let url = fixtures.appendingPathComponent(path)
        guard let d = FileManager.default.contents(atPath: url.path) else {
            throw ValidationError("\(url.path): missing (give --fixtures the repository's Tests/Fixtures)")
        }
        return [UInt8](d)
    }

    var all: [FuzzTarget] {
        get throws {
            let me = self
            let modelConfig = try Qwen3MoEConfig.load(fixtures.appendingPathComponent("models/moe-a/config.json"))
            let safetensors = try SafeTensorsWriter.encode([
                .init(name: "a.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
                .init(name: "b.bias", shape: [4], payload: .bf16([1, 2, 3, 4])),
                .init(name: "c", shape: [1, 1, 2], values: [7, 8]),
            ])
            let chat = #"""
                {"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]}
                {"messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}]}
                """#
            let toml = """
                name = "fuzz"
                kind = "rl"
                seed = 3
                [model]
                base = "models/base"
                [lora]
                rank = 8
                alpha = 16.0
                targets = ["q", "v"]
                rank_pattern = { q_proj = 4 }
                [optimizer]
                lr = 1e-4
                [training]
                steps = 10
                [rl]
                env = "qa"
                dataset = "qa.jsonl"
                [rl.reward_model]
                pairs = "p.jsonl"
                initial_steps = 2
                """
            let sft = "name = \"s\"\n[model]\nbase = \"b\"\n[data]\ntrain = \"t.jsonl\"\n[training]\nsteps = 5\nbatch_size = 2\n"
            let theme = "theme[main_bg]=\"#101010\"\ntheme[main_fg]=\"200 200 200\"\ntheme[hi_fg]=\"ansi:9\"\ntheme[title]=\"#ee\"\n"
            let qa = (0..<6).map { #"{"question":"Q\#($0)?","answer":"A\#($0)","aliases":["a\#($0)"]}"# }.joined(separator: "\n")
            let prefs = #"{"prompt":"Hi","chosen":"Hello!","rejected":"Go away."}"# + "\n"
                + #"{"messages":[{"role":"user","content":"2+2?"}],"chosen":"4","rejected":"5"}"#
            let body = #"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":8,"temperature":0.5,"stop":["x"],"n":2,"logprobs":true,"top_logprobs":2,"seed":3}"#
            let completion = #"{"model":"m","prompt":"Hello","max_tokens":4,"top_p":0.9,"stream":true,"stream_options":{"include_usage":true}}"#
            let tokenizerTemplate = try Tokenizer(json: Data(try read("models/tiny-chat/tokenizer.json")), source: "tiny-chat")
            let template = try ChatTemplate(tokenizer: tokenizerTemplate)
            let pefts = try read("lora/lora-a/adapter_model.safetensors")
            return [
                FuzzTarget(name: "safetensors", source: "model.safetensors", seeds: [[UInt8](safetensors)]) { b in
                    let f = try SafeTensorsFile(try me.file("model.safetensors", b))
                    for (_, e) in f.entries { _ = f.pointer(e) }
                },
                FuzzTarget(name: "config-json", source: "config.json",
                           seeds: [try read("models/moe-a/config.json"), try read("models/tiny-chat/config.json"),
                                   try read("models/moe-b/config.json")]) { b in
                    _ = try Qwen3MoEConfig.load(try me.file("config.json", b))
                },
                FuzzTarget(name: "tokenizer-json", source: "tokenizer.json",
                           seeds: [try read("tokenizers/bpe-unk/tokenizer.json"), try read("tokenizers/bpe-byte-fallback/tokenizer.json")]) { b in
                    let t = try Tokenizer(json: Data(b), source: "tokenizer.json")
                    _ = t.decode(t.encode("Hello, wörld! 123"), skipSpecialTokens: false)
                },
                FuzzTarget(name: "adapter-config", source: "adapter_config.json",
                           seeds: [try read("lora/lora-a/adapter_config.json"), try read("lora/lora-a-fused/adapter_config.json")]) { b in
                    let dir = me.scratch.appendingPathComponent("peft")
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    let weights = dir.appendingPathComponent("adapter_model.safetensors")
                    if !FileManager.default.fileExists(atPath: weights.path) { try Data(pefts).write(to: weights) }
                    try Data(b).write(to: dir.appendingPathComponent("adapter_config.json"))
                    _ = try PEFTAdapter.load(directory: dir, model: modelConfig)
                },
                FuzzTarget(name: "chat-jsonl", source: "train.jsonl", seeds: [Array(chat.utf8)]) { b in
                    _ = try ChatDataset(data: Data(b), source: "train.jsonl")
                },
                FuzzTarget(name: "run-config", source: "run.toml", seeds: [Array(toml.utf8), Array(sft.utf8)]) { b in
                    _ = try RunConfig.load(try me.file("run.toml", b))
                },
                FuzzTarget(name: "theme", source: "fuzz.theme", seeds: [Array(theme.utf8)]) { b in
                    let (_, warnings) = Theme.parse(String(decoding: b, as: UTF8.self), name: "fuzz", source: "fuzz.theme")
                    if let bad = warnings.first(where: { !$0.hasPrefix("fuzz.theme:") || $0.contains("\n") }) {
                        throw ValidationError("theme warning not naming fuzz.theme:LINE: \(bad)")
                    }
                },
                FuzzTarget(name: "openai-body", source: "", seeds: [Array(body.utf8), Array(completion.utf8)]) { b in
                    try OpenAIRequestCheck.parse(Data(b), chat: b.count % 2 == 0 ? true : String(decoding: b, as: UTF8.self).contains("messages"))
                },
                FuzzTarget(name: "qa-jsonl", source: "qa.jsonl", seeds: [Array(qa.utf8)]) { b in
                    _ = try QAEnvironment(contentsOf: try me.file("qa.jsonl", b), source: "qa.jsonl", seed: 0)
                },
                FuzzTarget(name: "preference-jsonl", source: "prefs.jsonl", seeds: [Array(prefs.utf8)]) { b in
                    _ = try PreferenceData.fromFile(try me.file("prefs.jsonl", b), source: "prefs.jsonl", template: template, holdOutEvery: 2)
                },
            ]
        }
    }
}
