import ArgumentParser
import Datasets
import Engine
import Runs
import Foundation
import Tokenizer

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sample",
        abstract: "Sample continuations with per-token logprobs (untempered) and sampling logprobs.")

    @OptionGroup var options: ModelOptions
    @Option(help: "Prompt text (needs the model directory's tokenizer.json).") var prompt: String?
    @Flag(help: "Wrap --prompt as a user turn in the chat template, ending with the assistant header.") var chat = false
    @Option(help: "Prompt as comma-separated token ids.") var ids: String?
    @Option(name: .customLong("max-tokens"), help: "Tokens to generate at most.") var maxTokens = 64
    @Option(help: "0 = greedy.") var temperature: Float = 1
    @Option(name: .customLong("top-p")) var topP: Float = 1
    @Option(name: .customLong("top-k"), help: "0 = off.") var topK = 0
    @Option(help: "Stop string (repeatable); the text ends before it.") var stop: [String] = []
    @Option(name: .customLong("stop-id"), help: "Stop token id (repeatable); eos ids of config.json always stop.")
    var stopIDs: [Int] = []
    @Option(help: "Samples to draw.") var n = 1
    @Option(name: .customLong("top-logprobs"), help: "Also report the K most likely tokens at each step.") var topLogprobs = 0
    @Option(help: "Seed: the same seed gives the same tokens.") var seed: UInt64 = 0
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if (prompt == nil) == (ids == nil) { throw ValidationError("give exactly one of --prompt or --ids") }
        if chat && prompt == nil { throw ValidationError("--chat needs --prompt") }
        if n < 1 { throw ValidationError("--n must be at least 1") }
    }

    struct Sample: Encodable {
        var ids: [Int]; var text: String; var logprobs: [Float]; var sampling_logprobs: [Float]
        var top_logprobs: [[[Double]]]; var stop_reason: String
    }
    struct Output: Encodable { var samples: [Sample] }

    func run() throws {
        let pool = Runtime.pool(threads: options.threads)
        let model = try options.load()
        let adapter = try options.loadAdapter(for: model)
        let tokenizer = try options.tokenizer()
        let promptIDs: [Int]
        if let prompt {
            guard let tokenizer else {
                throw LatheError("--prompt: \(options.model) has no tokenizer.json; pass --ids instead")
            }
            if chat {
                let template = try wrap { try ChatTemplate(tokenizer: tokenizer) }
                promptIDs = template.encode([ChatMessage(.user, prompt)], addGenerationPrompt: true).ids
            } else {
                promptIDs = tokenizer.encode(prompt)
            }
        } else {
            promptIDs = try parseIDs(ids!, flag: "--ids")
        }
        var stops = Set(stopIDs).union(model.config.eosTokenId)
        if let tokenizer {
            for special in ["<|im_end|>", "<|endoftext|>"] { if let id = tokenizer.specialTokens[special] { stops.insert(id) } }
        }
        let params = SamplingParams(maxTokens: maxTokens, temperature: temperature, topK: topK, topP: topP, seed: seed,
                                    stopTokens: stops, stopStrings: stop, topLogprobs: topLogprobs)
        let generator = Generator(model: model, pool: pool, tokenizer: tokenizer)
        let completions = try generator.generate(prompt: promptIDs, params: params, count: n, adapter: adapter)
        var out = Output(samples: [])
        for c in completions {
            let top: [[[Double]]] = c.topLogprobs.map { step in step.map { [Double($0.id), Double($0.logprob)] } }
            out.samples.append(Sample(ids: c.ids, text: c.text ?? "", logprobs: c.logprobs,
                                      sampling_logprobs: c.samplingLogprobs, top_logprobs: top,
                                      stop_reason: c.stopReason.rawValue))
        }
        if json { try printJSON(out); return }
        for (i, s) in out.samples.enumerated() {
            print("sample \(i) (\(s.stop_reason), \(s.ids.count) tokens, logprob \(String(format: "%.3f", s.logprobs.reduce(0, +)))):")
            if tokenizer != nil { print(s.text) } else { print(s.ids.map(String.init).joined(separator: " ")) }
        }
    }
}
