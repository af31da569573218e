import ArgumentParser
import Engine
import Runs
import Foundation
import Tensor

struct BenchGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate",
        abstract: "Greedy generation (32-token prompt + 128 new tokens, batch 1) and 256-token prefill, random weights.")

    @Option(help: "tiny, small or medium.") var preset: String = "tiny"
    @Option(help: "Compute threads.") var threads = 1
    @Option(help: "Weights in memory: f32 or bf16.") var weights = "f32"
    @Option(help: "Timed repetitions (medians are reported).") var reps = 5
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard BenchmarkPreset(rawValue: preset) != nil else { throw ValidationError("--preset must be tiny, small or medium") }
        guard WeightPrecision(rawValue: weights) != nil else { throw ValidationError("--weights must be f32 or bf16") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
    }

    struct Output: Encodable {
        var preset: String; var threads: Int; var weights: String
        var machine: MachineProbe.Figures
        var generate: GenerationBenchmark.Result
        var lathe_commit: String
    }

    func run() throws {
        let out = try BenchGenerateCommand.measure(preset: BenchmarkPreset(rawValue: preset)!, threads: threads,
                                                   precision: WeightPrecision(rawValue: weights)!, reps: reps,
                                                   verbose: true)
        if json { try printJSON(out); return }
        let g = out.generate
        print("""
        preset \(out.preset), \(out.threads) thread(s), \(out.weights) weights
        machine: sgemm \(String(format: "%.1f", out.machine.sgemmGflops)) GFLOP/s, read \(String(format: "%.1f", out.machine.memReadGBs)) GB/s
        generate (32 + 128): \(String(format: "%.1f", g.tokensPerS)) tok/s, decode \(String(format: "%.1f", g.decodeTokensPerS)) tok/s, \(String(format: "%.2f", g.weightsGBs)) GB/s of weights
        prefill 256: \(String(format: "%.0f", g.prefill256TokensPerS)) tok/s
        """)
    }

    static func measure(preset: BenchmarkPreset, threads: Int, precision: WeightPrecision, reps: Int,
                        verbose: Bool) throws -> Output {
        let pool = Runtime.pool(threads: threads)
        let say: (String) -> Void = { if verbose { stderrLine("[bench] \($0)") } }
        say("measuring sgemm peak and memory read bandwidth")
        let machine = MachineProbe.measure(pool: pool)
        let bench = GenerationBenchmark(preset: preset, threads: threads, precision: precision, repetitions: reps)
        let result = try bench.run(pool: pool, progress: say)
        return Output(preset: preset.rawValue, threads: threads, weights: precision.rawValue, machine: machine,
                      generate: result, lathe_commit: BuildInfo.commit)
    }
}
