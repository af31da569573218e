import Foundation
import GRDB

/// One value of one curve at one step; (run, name, step) is the key, so a resumed run overwrites its tail.
public struct MetricPoint: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "metric_points"

    public var runID: String
    /// `group/name`, e.g. `train/loss` (design contract 10).
    public var name: String
    public var step: Int
    /// NaN is stored as NULL (SQLite has no NaN) and comes back as NaN.
    public var value: Double
    /// Seconds since 1970.
    public var wallTime: Double

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case name, step, value
        case runID = "run_id"
        case wallTime = "wall_time"
    }

    public init(runID: String, name: String, step: Int, value: Double,
                wallTime: Double = Date().timeIntervalSince1970) {
        self.runID = runID
        self.name = name
        self.step = step
        self.value = value
        self.wallTime = wallTime
    }

    /// Decoding by column index, without Codable, keeps a 100k-point reload fast.
    public init(row: Row) {
        runID = row[0]
        name = row[1]
        step = row[2]
        value = (row[3] as Double?) ?? .nan
        wallTime = row[4]
    }

    /// Columns in the order `init(row:)` reads them.
    static let selection = "run_id, name, step, value, wall_time"

    public func encode(to container: inout PersistenceContainer) {
        container[CodingKeys.runID] = runID
        container[CodingKeys.name] = name
        container[CodingKeys.step] = step
        container[CodingKeys.value] = value.isNaN ? nil : value
        container[CodingKeys.wallTime] = wallTime
    }

    /// Equal values, with NaN equal to NaN (a diverged loss is still the same point).
    public static func == (lhs: MetricPoint, rhs: MetricPoint) -> Bool {
        lhs.runID == rhs.runID && lhs.name == rhs.name && lhs.step == rhs.step && lhs.wallTime == rhs.wallTime
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN))
    }
}
