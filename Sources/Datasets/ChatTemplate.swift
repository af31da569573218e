import Tokenizer

/// The Qwen chat format (Qwen2.5's template without tools and without a default system prompt):
/// `<|im_start|>{role}\n{content}<|im_end|>\n` per message, and `<|im_start|>assistant\n` as the generation prompt.
///
/// Token ids are built segment by segment: `<|im_start|>` and `<|im_end|>` are always their special ids, the role
/// header (`user\n`) and each content are encoded separately. So the loss mask is exact — weight 1 on every token of
/// an assistant content and on its `<|im_end|>` (the model learns to stop), 0 on the rest — and the ids are those
/// `apply_chat_template(tokenize=True)` gives, except where a content starts with a line break: HF's pre-tokenizer
/// then joins the header's `\n` with it (`\n\n` as one token), while here they stay apart, as they are at inference
/// when the prompt ends with `assistant\n` and the answer is generated after it.
public struct ChatTemplate: Sendable {
    /// The template for `chat_template` in `tokenizer_config.json`; `transformers.apply_chat_template` renders with it
    /// exactly the text `render` does (checked by Tests/Fixtures/chat/check_chat_template.py).
    public static let jinja = #"""
        {%- for message in messages %}
            {{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\n' }}
        {%- endif %}
        """#

    public static let startToken = "<|im_start|>"
    public static let endToken = "<|im_end|>"

    /// A piece of the rendered text: a special token or plain text, and whether its tokens carry loss.
    public struct Segment: Equatable, Sendable {
        public enum Kind: Equatable, Sendable { case text, special }
        public var text: String
        public var kind: Kind
        public var trained: Bool
    }

    /// The rendering as segments, in order.
    public static func segments(_ messages: [ChatMessage], addGenerationPrompt: Bool = false) -> [Segment] {
        var out: [Segment] = []
        out.reserveCapacity(messages.count * 5 + 2)
        for m in messages {
            let trained = m.role == .assistant
            out.append(Segment(text: startToken, kind: .special, trained: false))
            out.append(Segment(text: m.role.rawValue + "\n", kind: .text, trained: false))
            if !m.content.isEmpty { out.append(Segment(text: m.content, kind: .text, trained: trained)) }
            out.append(Segment(text: endToken, kind: .special, trained: trained))
            out.append(Segment(text: "\n", kind: .text, trained: false))
        }
        if addGenerationPrompt {
            out.append(Segment(text: startToken, kind: .special, trained: false))
            out.append(Segment(text: ChatRole.assistant.rawValue + "\n", kind: .text, trained: false))
        }
        return out
    }

    /// The rendered text, as the Jinja template renders it.
    public static func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = false) -> String {
        segments(messages, addGenerationPrompt: addGenerationPrompt).map(\.text).joined()
    }

    public let tokenizer: Tokenizer
    public let startID: Int
    public let endID: Int
    /// Encodings of the fixed text segments (role headers, the line break after `<|im_end|>`).
    private let fixed: [String: [Int]]

    /// Fails if `tokenizer` lacks the special tokens `<|im_start|>` or `<|im_end|>`; `source` names it in the error.
    public init(tokenizer: Tokenizer, source: String = "tokenizer") throws(DatasetError) {
        var ids: [Int] = []
        for name in [Self.startToken, Self.endToken] {
            guard let id = tokenizer.specialTokens[name] else {
                throw DatasetError(source: source, "no special token \(name): the Qwen chat template needs "
                    + "\(Self.startToken) and \(Self.endToken) as special tokens")
            }
            ids.append(id)
        }
        self.tokenizer = tokenizer
        startID = ids[0]
        endID = ids[1]
        var fixed: [String: [Int]] = ["\n": tokenizer.encode("\n")]
        for role in ChatRole.allCases { fixed[role.rawValue + "\n"] = tokenizer.encode(role.rawValue + "\n") }
        self.fixed = fixed
    }

    /// Token ids and target-side loss weights of `messages` (see the type's comment for the mask).
    public func encode(_ messages: [ChatMessage], addGenerationPrompt: Bool = false) -> TokenizedExample {
        var ids: [Int] = []
        var weights: [Float] = []
        for segment in Self.segments(messages, addGenerationPrompt: addGenerationPrompt) {
            let segmentIDs: [Int]
            switch segment.kind {
            case .special: segmentIDs = [segment.text == Self.startToken ? startID : endID]
            case .text: segmentIDs = fixed[segment.text] ?? tokenizer.encode(segment.text)
            }
            ids.append(contentsOf: segmentIDs)
            weights.append(contentsOf: repeatElement(segment.trained ? 1 : 0, count: segmentIDs.count))
        }
        return TokenizedExample(ids: ids, weights: weights)
    }

    public func encode(_ example: ChatExample) -> TokenizedExample { encode(example.messages) }
}
