import Foundation
import GRDB

/// A completion sampled during a run (eval prompts at every eval, probes from the sampling pane, …).
public struct SampleRecord: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeRecord {
    public static let databaseTableName = "samples"

    public var id: Int64?
    public var runID: String
    public var step: Int
    /// "eval", "probe", …: an open set.
    public var kind: String
    public var prompt: String
    public var completion: String
    /// The sampling settings as a JSON object (temperature, top_p, seed, …).
    public var settingsJSON: String
    /// The sampled tokens with their logprobs as JSON (`[{"text":…,"logprob":…}]`), when recorded.
    public var tokensJSON: String?
    public var createdAt: Date

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, step, kind, prompt, completion
        case runID = "run_id"
        case settingsJSON = "settings_json"
        case tokensJSON = "tokens_json"
        case createdAt = "created_at"
    }

    public init(id: Int64? = nil, runID: String, step: Int, kind: String = "eval", prompt: String, completion: String,
                settingsJSON: String = "{}", tokensJSON: String? = nil, createdAt: Date = Date()) {
        self.id = id
        self.runID = runID
        self.step = step
        self.kind = kind
        self.prompt = prompt
        self.completion = completion
        self.settingsJSON = settingsJSON
        self.tokensJSON = tokensJSON
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
