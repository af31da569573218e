import Foundation
import GRDB

public enum RunStatus: String, Codable, CaseIterable, Sendable, DatabaseValueConvertible {
    case created, running, paused, completed, interrupted, failed
}

/// One training run: the exact config it used, where it came from, and how far it got.
public struct RunRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord, UnixTimeRecord {
    public static let databaseTableName = "runs"

    /// `KIND-YYYYMMDD-HHMM-hhhh` (UTC, four random hex digits), e.g. `sft-20261128-0551-a1b2`.
    public var id: String
    public var name: String
    /// "sft", "pretrain", "rl", …: an open set, so the store needs no change when a kind arrives.
    public var kind: String
    public var status: RunStatus
    /// The config file's exact text.
    public var configTOML: String
    /// Hex SHA-256 of the canonical config (`RunConfig.hash`).
    public var configHash: String
    /// Hex SHA-256 of the training data.
    public var dataHash: String?
    public var baseModel: String?
    public var seed: Int
    public var threads: Int?
    public var gitCommit: String?
    /// Machine figures measured in the same process, so throughput is read against them.
    public var sgemmGflops: Double?
    public var memReadGBs: Double?
    /// A fork's origin: the run and checkpoint name it started from.
    public var parentRunID: String?
    public var parentCheckpoint: String?
    public var lastStep: Int
    public var createdAt: Date
    public var updatedAt: Date
    public var errorMessage: String?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case id, name, kind, status, seed, threads
        case configTOML = "config_toml"
        case configHash = "config_hash"
        case dataHash = "data_hash"
        case baseModel = "base_model"
        case gitCommit = "git_commit"
        case sgemmGflops = "sgemm_gflops"
        case memReadGBs = "mem_read_gbs"
        case parentRunID = "parent_run_id"
        case parentCheckpoint = "parent_checkpoint"
        case lastStep = "last_step"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case errorMessage = "error_message"
    }

    public init(
        id: String, name: String, kind: String, status: RunStatus = .created, configTOML: String, configHash: String,
        dataHash: String? = nil, baseModel: String? = nil, seed: Int = 0, threads: Int? = nil,
        gitCommit: String? = nil, sgemmGflops: Double? = nil, memReadGBs: Double? = nil, parentRunID: String? = nil,
        parentCheckpoint: String? = nil, lastStep: Int = 0, createdAt: Date = Date(), updatedAt: Date? = nil,
        errorMessage: String? = nil
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.status = status
        self.configTOML = configTOML
        self.configHash = configHash
        self.dataHash = dataHash
        self.baseModel = baseModel
        self.seed = seed
        self.threads = threads
        self.gitCommit = gitCommit
        self.sgemmGflops = sgemmGflops
        self.memReadGBs = memReadGBs
        self.parentRunID = parentRunID
        self.parentCheckpoint = parentCheckpoint
        self.lastStep = lastStep
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.errorMessage = errorMessage
    }

    /// A fresh id `KIND-YYYYMMDD-HHMM-hhhh`; the workspace retries on the rare clash.
    public static func makeID(kind: String, date: Date = Date(),
                              suffix: UInt16 = UInt16.random(in: 0...UInt16.max)) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let text = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let hex = String(suffix, radix: 16)
        let safeKind = kind.isEmpty ? "run" : kind
        return "\(safeKind)-\(pad(c.year, 4))\(pad(c.month, 2))\(pad(c.day, 2))-\(pad(c.hour, 2))\(pad(c.minute, 2))-"
            + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
