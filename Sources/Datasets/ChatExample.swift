/// Who speaks a message. The Qwen template renders any role name; these are the ones a training file may use.
public enum ChatRole: String, Codable, Sendable, CaseIterable {
    case system, user, assistant
}

public struct ChatMessage: Equatable, Codable, Sendable {
    public var role: ChatRole
    public var content: String

    public init(_ role: ChatRole, _ content: String) {
        self.role = role
        self.content = content
    }
}

/// One conversation of a chat dataset: at least one assistant message, whose content (and closing `<|im_end|>`) is
/// what training learns.
public struct ChatExample: Equatable, Sendable {
    public var messages: [ChatMessage]
    /// 1-based line of the JSONL file it came from (0 when built in code).
    public var line: Int

    public init(messages: [ChatMessage], line: Int = 0) {
        self.messages = messages
        self.line = line
    }
}
