import Datasets
import Engine
import Foundation
import Tokenizer

/// A chat turn with an image: `<|im_start|>user\n{question}\n<image tokens><|im_end|>\n<|im_start|>assistant\n`
/// followed by the answer and `<|im_end|>`. The image slots hold a placeholder id that the injected vectors replace.
public struct ImagePrompt: Sendable {
    public let template: ChatTemplate
    public let imageTokens: Int
    let placeholder: Int

    public static let trialQuestion = "What is the name of the subject in this photo?"
    public static let answerPrefix = "The subject in this photo is: "

    public init(tokenizer: Tokenizer, imageTokens: Int) throws {
        template = try ChatTemplate(tokenizer: tokenizer)
        self.imageTokens = imageTokens
        placeholder = tokenizer.specialTokens["<|endoftext|>"] ?? 0
    }

    /// Tokens up to and including `assistant\n`, and where the image slots are.
    public func prompt(question: String) -> (ids: [Int], imagePositions: [Int]) {
        let tok = template.tokenizer
        var ids = [template.startID] + tok.encode("user\n") + tok.encode(question + "\n")
        let first = ids.count
        ids += [Int](repeating: placeholder, count: imageTokens)
        ids += [template.endID] + tok.encode("\n") + [template.startID] + tok.encode("assistant\n")
        return (ids, Array(first ..< first + imageTokens))
    }

    /// The answer's tokens, ending with `<|im_end|>`.
    public func answer(_ text: String) -> [Int] { template.tokenizer.encode(text) + [template.endID] }

    /// A next-token Datum over prompt + answer, scored (weight `weight` each) on the answer and its `<|im_end|>`, with
    /// the image vectors [imageTokens·hidden] injected at the image slots.
    public func datum(question: String, answer text: String, image: [Float], weight: Float) -> Datum {
        let (p, positions) = prompt(question: question)
        let a = answer(text)
        let ids = p + a
        var d = Datum(sequence: ids, weight: 0)
        for i in (p.count - 1)..<(ids.count - 1) { d.weights[i] = weight }
        d.injected = InjectedEmbeddings(positions: positions, values: image)
        return d
    }
}
