import Durability
import ArgumentParser
import Engine
import Foundation
import Tokenizer

struct TokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenizer", abstract: "Byte-level BPE tokenizers.",
                                                    subcommands: [TokenizerTrainCommand.self])
}

struct TokenizerTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train",
        abstract: "Train a Qwen-style byte-level BPE (NFC, Qwen split regex, ByteLevel) and write tokenizer.json.",
        discussion: "Input: JSONL files with a \"text\" field per line, or plain text files (one document per line).")

    @Argument(help: "Corpus files (.jsonl with {\"text\": …} per line, or plain text).") var files: [String]
    @Option(name: .customLong("vocab-size"), help: "Vocabulary size including the 3 special tokens.") var vocabSize = 4096
    @Option(name: .customLong("min-frequency")) var minFrequency = 2
    @Option(help: "Output directory (tokenizer.json and tokenizer_config.json are written there).") var out: String

    func run() throws {
        var texts: [String] = []
        var bytes = 0
        for path in files {
            guard let data = FileManager.default.contents(atPath: path) else { throw LatheError("\(path): cannot read") }
            bytes += data.count
            let jsonl = path.hasSuffix(".jsonl")
            var lineNo = 0
            if !jsonl {   // the trainer windows large texts itself; blank lines stay (they make "\n\n" tokens)
                texts.append(String(decoding: data, as: UTF8.self))
                continue
            }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                lineNo += 1
                if jsonl {
                    guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                          let text = obj["text"] as? String else {
                        throw LatheError("\(path):\(lineNo): expected a JSON object with a string field \"text\"")
                    }
                    texts.append(text)
                }
            }
        }
        stderrLine("[tokenizer] \(texts.count) documents, \(bytes / 1_000_000) MB; training vocab \(vocabSize)")
        let start = Date()
        var lastReport = Date()
        let trained: TrainedBPE
        do {
            trained = try BPETrainer(vocabSize: vocabSize, minFrequency: minFrequency).train(texts) { p in
                if Date().timeIntervalSince(lastReport) > 2 {
                    lastReport = Date()
                    if p.phase == .merging { stderrLine("[tokenizer] merges \(p.merges)/\(p.mergesWanted)") }
                }
                return .proceed
            }
        } catch { throw LatheError("\(error)") }
        let dir = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try AtomicFile.write(Data(trained.tokenizerJSON().utf8), to: dir.appendingPathComponent("tokenizer.json"))
        stderrLine(String(format: "[tokenizer] wrote %@/tokenizer.json (vocab %d, %d merges) in %.1f s", dir.path,
                          trained.vocabSize, trained.merges.count, Date().timeIntervalSince(start)))
    }
}
