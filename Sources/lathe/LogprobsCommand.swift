import ArgumentParser
import Engine
import Foundation

struct LogprobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logprobs",
        abstract: "Per-position log-probabilities of token sequences: logprobs[i] = log p(ids[i+1] | ids[0...i]).")

    @OptionGroup var options: ModelOptions
    @Option(name: .customLong("ids"), help: "Comma-separated token ids (repeat for several sequences). No BOS is added.")
    var sequences: [String] = []
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if sequences.isEmpty { throw ValidationError("give at least one --ids sequence") }
    }

    struct Sequence: Encodable { var ids: [Int]; var logprobs: [Float]; var final_logits: [Float] }
    struct Output: Encodable { var sequences: [Sequence] }

    func run() throws {
        let parsed = try sequences.map { try parseIDs($0, flag: "--ids") }
        _ = Runtime.pool(threads: options.threads)
        let model = try options.load()
        let adapter = try options.loadAdapter(for: model)
        var out = Output(sequences: [])
        for ids in parsed {
            guard !ids.isEmpty else { throw LatheError("--ids: a sequence needs at least one id") }
            if ids.count > model.config.maxPositionEmbeddings {
                throw LatheError("--ids: \(ids.count) ids exceed max_position_embeddings \(model.config.maxPositionEmbeddings)")
            }
            let r = try model.logprobs(ids, adapter: adapter)
            out.sequences.append(Sequence(ids: ids, logprobs: r.logprobs, final_logits: r.finalLogits))
        }
        if json { try printJSON(out); return }
        for (n, s) in out.sequences.enumerated() {
            print("sequence \(n): \(s.ids.count) ids, total logprob \(String(format: "%.4f", s.logprobs.reduce(0, +)))")
            for (i, lp) in s.logprobs.enumerated() { print(String(format: "  %4d  id %6d  logprob %.6f", i + 1, s.ids[i + 1], lp)) }
        }
    }
}
