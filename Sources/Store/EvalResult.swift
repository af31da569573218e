import Foundation
import GRDB

/// One evaluation figure of a run at a step (accuracy, held-out NLL, pass@k, …) with its confidence interval.
public struct EvalResult: Codable, Equatable, Sendable, FetchableRecord, MutablePersistableRecord, UnixTimeRecord {
    public static let databaseTableName = "eval_results"

    public var id: Int64?
    public var runID: String
    public var step: Int
    /// e.g. `arithmetic/accuracy`.
    public var name: String
    public var value: Double
    public var ciLow: Double?
    public var ciHigh: Double?
    public var n: Int?
    /// The evaluator's whole JSON output, for what the columns leave out.
    public var json: String?
    public var createdAt: Date

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, step, name, value, n, json
        case runID = "run_id"
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
        case createdAt = "created_at"
    }

    public init(id: Int64? = nil, runID: String, step: Int, name: String, value: Double, ciLow: Double? = nil,
                ciHigh: Double? = nil, n: Int? = nil, json: String? = nil, createdAt: Date = Date()) {
        self.id = id
        self.runID = runID
        self.step = step
        self.name = name
        self.value = value
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.n = n
        self.json = json
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
