import ArgumentParser
import Engine
import Foundation
import Tokenizer

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize",
        abstract: "Encode text to token ids (or decode ids) with a Hugging Face tokenizer.json.")

    @Option(help: "A tokenizer.json, or a directory holding one.") var tokenizer: String
    @Option(help: "Text to encode.") var text: String?
    @Option(help: "Comma-separated ids to decode.") var decode: String?
    @Flag(help: "Skip special tokens when decoding.") var skipSpecial = false
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if (text == nil) == (decode == nil) { throw ValidationError("give exactly one of --text or --decode") }
    }

    struct Output: Encodable { var ids: [Int]; var tokens: [String]; var decoded: String }

    func run() throws {
        let tok: Tokenizer
        do { tok = try Tokenizer(contentsOf: URL(fileURLWithPath: tokenizer)) } catch { throw LatheError("\(error)") }
        let ids: [Int]
        if let text { ids = tok.encode(text) } else {
            ids = try parseIDs(decode!, flag: "--decode")
            if let bad = ids.first(where: { $0 >= tok.vocabSize }) {
                throw LatheError("--decode: id \(bad) is outside the vocabulary (0..<\(tok.vocabSize))")
            }
        }
        let out = Output(ids: ids, tokens: ids.map { tok.token(forID: $0) ?? "" },
                         decoded: tok.decode(ids, skipSpecialTokens: skipSpecial))
        if json { try printJSON(out); return }
        for (id, t) in zip(out.ids, out.tokens) { print(String(format: "%8d  ", id) + t.debugDescription) }
        print("decoded: \(out.decoded.debugDescription)")
    }
}
