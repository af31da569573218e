import Foundation
import GRDB

/// A grid of few-shot vision trials: its settings and test subset as JSON (Store knows no vision types), its status
/// and, once finished or stopped, the summary (accuracies with intervals) as JSON.
public struct TrialGridRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord, UnixTimeRecord {
    public static let databaseTableName = "trial_grids"
    public static let statuses = ["running", "done", "cancelled", "failed"]

    public var id: String
    public var data: String
    public var status: String
    public var settingsJSON: String
    public var classNamesJSON: String
    public var heldOutJSON: String
    public var testIndicesJSON: String
    public var summaryJSON: String?
    public var wallSeconds: Double
    public var createdAt: Date

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, data, status
        case settingsJSON = "settings_json", classNamesJSON = "class_names_json", heldOutJSON = "held_out_json"
        case testIndicesJSON = "test_indices_json", summaryJSON = "summary_json", wallSeconds = "wall_s"
        case createdAt = "created_at"
    }

    public init(id: String = UUID().uuidString, data: String, status: String = "running", settingsJSON: String,
                classNamesJSON: String, heldOutJSON: String, testIndicesJSON: String, summaryJSON: String? = nil,
                wallSeconds: Double = 0, createdAt: Date = Date()) {
        self.id = id; self.data = data; self.status = status; self.settingsJSON = settingsJSON
        self.classNamesJSON = classNamesJSON; self.heldOutJSON = heldOutJSON; self.testIndicesJSON = testIndicesJSON
        self.summaryJSON = summaryJSON; self.wallSeconds = wallSeconds; self.createdAt = createdAt
    }
}

/// One method's trial in a grid: accuracy on the test subset and the predicted class per test image (−1 = no class).
public struct TrialRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord, UnixTimeRecord {
    public static let databaseTableName = "trials"

    public var gridID: String
    public var method: String
    public var shots: Int
    public var seed: Int
    public var accuracy: Double
    public var predictionsJSON: String
    public var supportJSON: String
    public var seconds: Double
    public var createdAt: Date

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case method, shots, seed, accuracy, seconds
        case gridID = "grid_id", predictionsJSON = "predictions_json", supportJSON = "support_json", createdAt = "created_at"
    }

    public init(gridID: String, method: String, shots: Int, seed: Int, accuracy: Double, predictionsJSON: String,
                supportJSON: String, seconds: Double, createdAt: Date = Date()) {
        self.gridID = gridID; self.method = method; self.shots = shots; self.seed = seed; self.accuracy = accuracy
        self.predictionsJSON = predictionsJSON; self.supportJSON = supportJSON; self.seconds = seconds; self.createdAt = createdAt
    }
}
