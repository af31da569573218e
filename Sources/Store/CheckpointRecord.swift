import Foundation
import GRDB

public enum CheckpointKind: String, Codable, CaseIterable, Sendable, DatabaseValueConvertible {
    /// Weights with optimizer state: `runs/RUN/checkpoints/NAME/` (Tinker's `weights/NAME`).
    case state
    /// Weights only: `runs/RUN/sampler/NAME/` (Tinker's `sampler_weights/NAME`).
    case sampler

    /// The folder of the run directory that holds checkpoints of this kind.
    public var folderName: String { self == .state ? "checkpoints" : "sampler" }
}

/// A complete checkpoint folder. Key (run, kind, name): a state and a sampler checkpoint may share a name, as
/// Tinker's `weights/NAME` and `sampler_weights/NAME` do.
public struct CheckpointRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord, UnixTimeRecord {
    public static let databaseTableName = "checkpoints"

    public var runID: String
    /// `step-000100` for scheduled checkpoints, or a name given through the API.
    public var name: String
    public var step: Int
    public var kind: CheckpointKind
    /// Relative to the workspace folder, e.g. `runs/RUN/checkpoints/step-000100`.
    public var path: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case name, step, kind, path
        case runID = "run_id"
        case createdAt = "created_at"
    }

    public init(runID: String, name: String, step: Int, kind: CheckpointKind = .state, path: String? = nil,
                createdAt: Date = Date()) {
        self.runID = runID
        self.name = name
        self.step = step
        self.kind = kind
        self.path = path ?? Self.relativePath(runID: runID, kind: kind, name: name)
        self.createdAt = createdAt
    }

    /// `step-000100`: six digits keep scheduled names sorted by step.
    public static func scheduledName(step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The step in a scheduled name (`step-000100` → 100), nil for other names.
    public static func step(fromName name: String) -> Int? {
        guard name.hasPrefix("step-") else { return nil }
        return Int(name.dropFirst(5))
    }

    public static func relativePath(runID: String, kind: CheckpointKind, name: String) -> String {
        "runs/\(runID)/\(kind.folderName)/\(name)"
    }
}
