import ArgumentParser
import Datasets
import Engine
import Foundation
import Tokenizer

struct DataInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect",
        abstract: "Show how a chat JSONL dataset is rendered, tokenized and weighted for training.",
        discussion: """
        FILE holds one {"messages":[{"role":"system|user|assistant","content":"…"},…]} object per line. The first \
        examples are shown in the chat template with a table of their tokens; loss-carrying tokens (each assistant \
        reply and its <|im_end|>) are green on a terminal, marked * otherwise or when NO_COLOR is set. The summary \
        covers the whole file.
        """)

    static let defaultTokenizer = "workspaces/default/models/lathe-base"

    @Argument(help: "An OpenAI chat JSONL file.") var file: String
    @Option(help: "A tokenizer.json, or a directory holding one (default: \(defaultTokenizer)).") var tokenizer: String?
    @Option(name: [.customShort("n"), .customLong("n")], help: "How many examples to show.") var n = 3
    @Option(help: "Truncate examples to this many tokens, as training does.") var maxLength: Int?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if n < 0 { throw ValidationError("--n must not be negative, got \(n)") }
        if let maxLength, maxLength <= 0 { throw ValidationError("--max-length must be positive, got \(maxLength)") }
    }

    func run() throws {
        let tokenizerPath = tokenizer ?? Self.defaultTokenizer
        let tok: Tokenizer
        do {
            tok = try Tokenizer(contentsOf: URL(fileURLWithPath: tokenizerPath))
        } catch {
            let hint = tokenizer == nil ? " (the default workspace's base model; pass --tokenizer PATH)" : ""
            throw LatheError("\(error)\(hint)")
        }
        let inspector: DataInspector
        do {
            let template = try ChatTemplate(tokenizer: tok, source: tokenizerPath)
            let dataset = try ChatDataset(contentsOf: URL(fileURLWithPath: file), source: file)
            inspector = DataInspector(dataset: dataset, template: template, count: n, maxLength: maxLength)
        } catch {
            throw LatheError("\(error)")
        }
        if json {
            FileHandle.standardOutput.write(Data(inspector.json().utf8))
        } else {
            let colour = DataInspector.usesColour(environment: ProcessInfo.processInfo.environment,
                                                  isTerminal: isatty(STDOUT_FILENO) == 1)
            FileHandle.standardOutput.write(Data(inspector.text(colour: colour).utf8))
        }
    }
}
