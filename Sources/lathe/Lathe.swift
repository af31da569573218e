import ArgumentParser

struct Lathe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lathe",
        abstract: "A terminal workbench for LoRA experiments on Mixture-of-Experts language models.",
        discussion: """
        `lathe` opens the workbench on workspaces/default (`lathe open DIR` on another); the other verbs run headless.
        Every verb takes --help.
        """,
        subcommands: [OpenCommand.self, DemoCommand.self, TokenizeCommand.self, LogprobsCommand.self, SampleCommand.self, BenchCommand.self,
                      PretrainCommand.self, TrainCommand.self, ExportCommand.self, MergeCommand.self, DataCommand.self,
                      TokenizerCommand.self, ServeCommand.self, EvalCommand.self, FuzzCommand.self, VisionPretrainCommand.self,
                      VisionTrialCommand.self],
        defaultSubcommand: OpenCommand.self)
}

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Inspect training datasets.",
                                                    subcommands: [DataInspectCommand.self])
}
