import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench",
        abstract: "Benchmarks on DESIGN.md's presets; each run also measures the machine (sgemm peak, read bandwidth).",
        subcommands: [BenchGenerateCommand.self, BenchTrainCommand.self, BenchTUICommand.self, BenchWorkspaceCommand.self])
}
