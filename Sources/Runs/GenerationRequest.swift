import Datasets
import Engine
import Foundation

/// Whose weights generate: the base (adapter off), a run (its live adapter in this process, else its latest
/// checkpoint), one checkpoint of a run, or a PEFT adapter folder.
public enum GenerationTarget: Sendable, Equatable {
    case base
    case run(String)
    case checkpoint(run: String, name: String)
    case adapterDirectory(URL)
}

public enum PromptInput: Sendable {
    /// Raw text, tokenized as is (no BOS is added).
    case text(String)
    /// Messages rendered with the model's chat template, ending with the assistant's turn opened.
    case chat([ChatMessage])
    case ids([Int])
}

public struct GenerationRequest: Sendable {
    public var target: GenerationTarget
    public var prompt: PromptInput
    public var maxTokens: Int
    public var temperature: Double
    public var topP: Double
    public var seed: UInt64
    public var count: Int
    public var stop: [String]
    public var topLogprobs: Int
    /// Stop at the model's end-of-sequence tokens (and `<|im_end|>`).
    public var stopAtEOS: Bool
    /// For the base target: the run whose current step the outcome reports.
    public var stepOfRun: String?
    /// Lower `maxTokens` to what the context window leaves after the prompt, instead of failing.
    public var clampToContext = false

    public init(target: GenerationTarget, prompt: PromptInput, maxTokens: Int, temperature: Double = 1, topP: Double = 1,
                seed: UInt64 = 0, count: Int = 1, stop: [String] = [], topLogprobs: Int = 0, stopAtEOS: Bool = true,
                stepOfRun: String? = nil, clampToContext: Bool = false) {
        self.target = target; self.prompt = prompt; self.maxTokens = maxTokens; self.temperature = temperature
        self.topP = topP; self.seed = seed; self.count = count; self.stop = stop; self.topLogprobs = topLogprobs
        self.stopAtEOS = stopAtEOS; self.stepOfRun = stepOfRun; self.clampToContext = clampToContext
    }
}

/// One completion: ids, text (stop strings cut), the streamed pieces with their logprobs, and top alternatives.
public struct GeneratedText: Sendable {
    public var ids: [Int]
    public var text: String
    public var pieces: [TokenPiece]
    public var stopReason: StopReason
    public var topLogprobs: [[(text: String, logprob: Float)]]
}

public struct GenerationOutcome: Sendable {
    public var completions: [GeneratedText] = []
    public var promptTokens: Int
    /// The run's step whose weights generated (nil for the base or a folder adapter).
    public var step: Int?
    public var adapterVersion: Int?
}
