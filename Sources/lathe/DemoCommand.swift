import ArgumentParser
import Datasets
import Engine
import Runs
import Foundation
import Tensor

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo",
        abstract: "End-to-end engine demo on the tiny preset (random weights): a sample with logprobs, then the benchmark.")

    @Option(help: "Timed repetitions per benchmark figure.") var reps = 3
    @Flag(help: "Skip the benchmark table.") var noBench = false

    @Option(help: "A base model to sample from first (default: the shipped one, when present).")
    var model = "workspaces/default/models/lathe-base"

    func run() throws {
        if FileManager.default.fileExists(atPath: model + "/config.json") { try sampleShippedModel() }
        print("""
        Lathe engine demo: Qwen3-MoE, tiny preset (4 layers, 8 experts top-2, hidden 128, vocab 2048).
        The weights are RANDOM (std 0.02), so the tokens mean nothing; the sampler, KV cache and kernels are the real ones.

        """)
        let pool = Runtime.pool(threads: min(2, Runtime.defaultThreads))
        let model = Qwen3MoEModel.random(config: BenchmarkPreset.tiny.config, seed: 0)
        let prompt = [11, 402, 1017, 5, 77, 1999, 640, 3]
        let params = SamplingParams(maxTokens: 12, temperature: 0.8, seed: 7, topLogprobs: 3)
        let sample = try Generator(model: model, pool: pool).generate(prompt: prompt, params: params)[0]
        print("prompt ids \(prompt), temperature 0.8, seed 7:")
        print("  step     id   logprob  sampling_lp   top-3 (id: logprob)")
        for (i, id) in sample.ids.enumerated() {
            let top = sample.topLogprobs[i].map { "\($0.id): \(String(format: "%.3f", $0.logprob))" }.joined(separator: "  ")
            print(String(format: "  %4d  %5d  %8.4f  %11.4f   ", i, id, sample.logprobs[i], sample.samplingLogprobs[i]) + top)
        }
        // The same numbers from one full forward pass (no KV cache): the decode path must agree.
        let full = try model.logprobs(prompt + sample.ids).logprobs.suffix(sample.ids.count)
        let diff = zip(full, sample.logprobs).map { abs($0 - $1) }.max() ?? 0
        print(String(format: "\nKV-cache decode vs full forward: max |Δ logprob| = %.2e over %d tokens", diff, sample.ids.count))
        print("(uniform over 2048 tokens would be %.3f per token: random weights stay close to it)\n"
              .replacingOccurrences(of: "%.3f", with: String(format: "%.3f", -log(2048.0))))
        guard !noBench else { return }
        print("Generation benchmark, tiny preset, medians of \(reps) (lathe bench generate --preset tiny --threads N --json):")
        print("  threads  weights  gen tok/s  decode tok/s  prefill-256 tok/s  weights GB/s  | sgemm GFLOP/s  read GB/s")
        for threads in Array(Set([1, min(2, Runtime.defaultThreads)])).sorted() {
            for precision in WeightPrecision.allCases {
                let out = try BenchGenerateCommand.measure(preset: .tiny, threads: threads, precision: precision,
                                                           reps: reps, verbose: false)
                let g = out.generate
                let label = precision.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                print(String(format: "  %7d  ", threads) + label + String(format: "  %9.0f  %12.0f  %17.0f  %12.1f  | %13.1f  %9.1f", g.tokensPerS, g.decodeTokensPerS, g.prefill256TokensPerS,
                                                      g.weightsGBs, out.machine.sgemmGflops, out.machine.memReadGBs))
            }
        }
        print("\nPeers on this machine: ../shared/peers/llamacpp-live --preset tiny --threads N (see README).")
    }

    /// A real sample: the base model Lathe pretrained (docs/BASE_MODEL.md), chat-formatted prompts, greedy.
    func sampleShippedModel() throws {
        let pool = Runtime.pool(threads: min(2, Runtime.defaultThreads))
        let session = try Session(baseDirectory: URL(fileURLWithPath: model), pool: pool)
        guard let tok = session.tokenizer else { return }
        let template = try wrap { try ChatTemplate(tokenizer: tok) }
        let c = session.base.config
        print("Shipped base model \(model): \(c.numHiddenLayers) layers, \(c.numExperts) experts top-\(c.numExpertsPerTok), vocab \(c.vocabSize) (pretrained by `lathe pretrain`).\n")
        var stops = Set(c.eosTokenId)
        if let e = tok.specialTokens["<|im_end|>"] { stops.insert(e) }
        for prompt in ["What is 23+45?", "Tell me about a sneaker.", "What is the capital of France?"] {
            let ids = template.encode([ChatMessage(.user, prompt)], addGenerationPrompt: true).ids
            let out = try session.sample(prompt: ids, params: SamplingParams(maxTokens: 40, temperature: 0, stopTokens: stops))[0]
            let mean = out.logprobs.isEmpty ? 0 : out.logprobs.reduce(0, +) / Float(out.logprobs.count)
            print("  user: \(prompt)\n  assistant: \((out.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines))")
            print(String(format: "  (%d tokens, mean logprob %.3f, %@)\n", out.ids.count, mean, out.stopReason.rawValue))
        }
        let text = "ROMEO.\nBut soft, what light through yonder window breaks?"
        let lp = try session.computeLogprobs(tok.encode(text))
        print(String(format: "  log-likelihood of a Shakespeare line: %.3f nats/token over %d tokens\n", -lp.reduce(0, +) / Float(lp.count), lp.count))
    }
}
