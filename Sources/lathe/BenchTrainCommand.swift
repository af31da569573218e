import ArgumentParser
import Engine
import Runs
import Foundation
import Tensor

struct BenchTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train",
        abstract: "LoRA training step (q/k/v/o + experts, AdamW) on random weights: tokens/s, GFLOP/s, peak RSS.")

    @Option(help: "tiny or small.") var preset: String = "tiny"
    @Option(help: "Compute threads.") var threads = 1
    @Option(help: "Timed steps (after 2 warm-up steps).") var steps = 10
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard let p = BenchmarkPreset(rawValue: preset), p != .medium else { throw ValidationError("--preset must be tiny or small") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
    }

    struct Output: Encodable {
        var preset: String; var threads: Int; var weights = "f32"
        var machine: MachineProbe.Figures
        var train: TrainingBenchmark.Result
        var lathe_commit: String
    }

    func run() throws {
        let pool = Runtime.pool(threads: threads)
        // Training first: peak RSS must not include the bandwidth probe's 1 GB buffer.
        let result = try TrainingBenchmark(preset: BenchmarkPreset(rawValue: preset)!, steps: steps)
            .run(pool: pool) { stderrLine("[bench] \($0)") }
        stderrLine("[bench] measuring sgemm peak and memory read bandwidth")
        let machine = MachineProbe.measure(pool: pool)
        let out = Output(preset: preset, threads: threads, machine: machine, train: result, lathe_commit: BuildInfo.commit)
        if json { try printJSON(out); return }
        print(String(format: "preset %@, %d thread(s): %.0f tokens/s, %.1f GFLOP/s (sgemm peak %.1f), peak RSS %.0f MB",
                     preset, threads, result.tokensPerS, result.gflops, machine.sgemmGflops, result.peakRSSMB))
    }
}
