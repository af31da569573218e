import Durability
import Foundation
import GRDB

extension Workspace {
    public static let configFileName = "config.toml"

    /// A run id (`RunRecord.makeID`) used neither in the database nor by a folder under `runs/`.
    public func newRunID(kind: String, date: Date = Date()) throws -> String {
        for _ in 0..<64 {
            let id = RunRecord.makeID(kind: kind, date: date)
            let taken = try read { db in try RunRecord.exists(db, key: id) }
            if !taken && !FileManager.default.fileExists(atPath: runDirectory(id).path) { return id }
        }
        throw StoreError(.database, databaseURL.path, "no free run id for kind \"\(kind)\" this minute")
    }

    /// Writes `runs/ID/config.toml` (the exact config text) atomically, then records the run.
    public func createRun(_ run: RunRecord) throws {
        try requireWritable()
        guard !run.id.isEmpty, !run.id.contains("/"), !run.id.hasPrefix(".") else {
            throw StoreError(.invalidValue, databaseURL.path, "run id \"\(run.id)\" is not a folder name")
        }
        if try self.run(run.id) != nil {
            throw StoreError(.invalidValue, databaseURL.path, "run \"\(run.id)\" already exists")
        }
        if let parent = run.parentRunID, try self.run(parent) == nil {
            throw StoreError(.notFound, databaseURL.path, "parent run \"\(parent)\" does not exist")
        }
        try AtomicFile.write(Data(run.configTOML.utf8),
                             to: runDirectory(run.id).appendingPathComponent(Self.configFileName))
        try write { db in try run.insert(db) }
    }

    public func run(_ id: String) throws -> RunRecord? {
        try read { db in try RunRecord.fetchOne(db, key: id) }
    }

    /// All runs, newest first.
    public func runs() throws -> [RunRecord] {
        try read { db in
            try RunRecord.order(RunRecord.CodingKeys.createdAt.desc, RunRecord.CodingKeys.id.desc).fetchAll(db)
        }
    }

    /// Applies `change` to the stored run and stamps `updatedAt`; returns the new record.
    @discardableResult
    public func updateRun(_ id: String, _ change: (inout RunRecord) throws -> Void) throws -> RunRecord {
        try write { db in
            guard var run = try RunRecord.fetchOne(db, key: id) else { throw runNotFound(id) }
            try change(&run)
            guard run.id == id else {
                throw StoreError(.invalidValue, databaseURL.path, "run \"\(id)\": the id cannot change")
            }
            run.updatedAt = Date()
            try run.update(db)
            return run
        }
    }

    @discardableResult
    public func setStatus(_ id: String, _ status: RunStatus, errorMessage: String? = nil) throws -> RunRecord {
        try updateRun(id) { run in
            run.status = status
            run.errorMessage = errorMessage
        }
    }

    /// Deletes the run's records (metrics, samples, checkpoints, eval results) and its folder.
    public func deleteRun(_ id: String) throws {
        let deleted = try write { db in try RunRecord.deleteOne(db, key: id) }
        guard deleted else { throw runNotFound(id) }
        try? FileManager.default.removeItem(at: runDirectory(id))
    }

    /// Runs left `running` or `paused` belong to a process that no longer holds the lock (it died, or it was
    /// killed): they become `interrupted`, resumable from their latest checkpoint. Returns their ids.
    @discardableResult
    public func markInterruptedRuns() throws -> [String] {
        try write { db in
            let ids = try String.fetchAll(
                db, sql: "SELECT id FROM runs WHERE status IN ('running', 'paused') ORDER BY id")
            try db.execute(
                sql: "UPDATE runs SET status = 'interrupted', updated_at = ? WHERE status IN ('running', 'paused')",
                arguments: [Date().timeIntervalSince1970])
            return ids
        }
    }

    func runNotFound(_ id: String) -> StoreError {
        StoreError(.notFound, databaseURL.path, "no run \"\(id)\"")
    }

    /// Fails unless every id names a recorded run (clearer than SQLite's foreign-key message).
    func requireRuns(_ ids: Set<String>, _ db: Database) throws {
        for id in ids.sorted() where try !RunRecord.exists(db, key: id) { throw runNotFound(id) }
    }
}
