
import Store

/// What the engine thread tells the UI; the UI drains these every frame.
public enum EngineEvent: Sendable {
    case message(String, isError: Bool)
    case baseLoaded(path: String, summary: String)
    case runStarted(RunRecord)
    case step(runID: String, StepReport)
    case runPaused(runID: String)
    case runResumed(runID: String)
    /// The run left memory: completed, stopped (status paused, resumable), or failed with `error`.
    case runEnded(runID: String, status: RunStatus, error: String?)
    /// One streamed token of sample `sample` of request `request`.
    case token(request: Int, sample: Int, text: String, logprob: Float)
    /// A sample is complete; `record` is what the store kept (nil when no run was selected, so nothing was stored).
    case sampleFinished(request: Int, sample: Int, record: SampleRecord?, stopReason: String)
    case requestFailed(request: Int, error: String)
}

/// One press of the sample key: N continuations of a prompt from a run's adapter, or from the base model.
public struct SampleRequest: Sendable {
    public var id: Int
    /// The run whose adapter samples (the live one, or its latest checkpoint); nil with `useAdapter` false samples the
    /// base without storing.
    public var runID: String?
    public var useAdapter: Bool
    public var prompt: String
    /// Wrap the prompt in the chat template as one user turn (else: raw text continuation).
    public var chat: Bool
    public var count: Int
    public var maxTokens: Int
    public var temperature: Double
    public var topP: Double
    public var seed: UInt64

    public init(id: Int, runID: String?, useAdapter: Bool, prompt: String, chat: Bool, count: Int, maxTokens: Int,
                temperature: Double, topP: Double, seed: UInt64) {
        self.id = id; self.runID = runID; self.useAdapter = useAdapter; self.prompt = prompt; self.chat = chat
        self.count = count; self.maxTokens = maxTokens; self.temperature = temperature; self.topP = topP; self.seed = seed
    }
}
