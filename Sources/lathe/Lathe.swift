import ArgumentParser

struct Lathe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lathe",
        abstract: "A terminal workbench for LoRA experiments on Mixture-of-Experts language models.",
        discussion: """
        Until the workbench lands, `lathe` runs the engine demo (`lathe demo`). Every verb takes --help.
        """,
        subcommands: [DemoCommand.self, TokenizeCommand.self, LogprobsCommand.self, SampleCommand.self, BenchCommand.self,
                      PretrainCommand.self, TrainCommand.self, ExportCommand.self, MergeCommand.self, DataCommand.self,
                      TokenizerCommand.self],
        defaultSubcommand: DemoCommand.self)
}

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Inspect training datasets.",
                                                    subcommands: [DataInspectCommand.self])
}
