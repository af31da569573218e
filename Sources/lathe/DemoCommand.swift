import ArgumentParser
import Engine
import Foundation
import Tensor

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo",
        abstract: "End-to-end engine demo on the tiny preset (random weights): a sample with logprobs, then the benchmark.")

    @Option(help: "Timed repetitions per benchmark figure.") var reps = 3
    @Flag(help: "Skip the benchmark table.") var noBench = false

    func run() throws {
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
}
