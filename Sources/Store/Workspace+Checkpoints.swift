import Durability
import Foundation
import GRDB

extension Workspace {
    /// Writes a checkpoint folder atomically (`fill` receives a temporary folder to write into) and then records
    /// it, so the database only ever points at complete folders. Saving under an existing name replaces it.
    @discardableResult
    public func saveCheckpoint(run: String, name: String, step: Int, kind: CheckpointKind = .state,
                               _ fill: (URL) throws -> Void) throws -> CheckpointRecord {
        try requireWritable()
        try requireCheckpointName(name)
        guard try self.run(run) != nil else { throw runNotFound(run) }
        let record = CheckpointRecord(runID: run, name: name, step: step, kind: kind)
        try AtomicFile.writeDirectory(at: resolve(record.path), fill)
        FaultInjection.crashPoint("checkpoint-renamed")
        try write { db in try record.insert(db, onConflict: .replace) }
        FaultInjection.crashPoint("checkpoint-recorded")
        return record
    }

    /// Records a checkpoint folder that is already complete on disk (replacing a record of the same name).
    public func addCheckpoint(_ checkpoint: CheckpointRecord) throws {
        try requireWritable()
        try requireCheckpointName(checkpoint.name)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolve(checkpoint.path).path, isDirectory: &isFolder),
              isFolder.boolValue
        else {
            throw StoreError(.notFound, resolve(checkpoint.path).path, "checkpoint folder does not exist")
        }
        try write { db in
            try requireRuns([checkpoint.runID], db)
            try checkpoint.insert(db, onConflict: .replace)
        }
    }

    /// A run's checkpoints ordered by step (then name).
    public func checkpoints(run: String, kind: CheckpointKind? = nil) throws -> [CheckpointRecord] {
        try read { db in
            var request = CheckpointRecord.filter(CheckpointRecord.CodingKeys.runID == run)
            if let kind { request = request.filter(CheckpointRecord.CodingKeys.kind == kind) }
            return try request.order(CheckpointRecord.CodingKeys.step, CheckpointRecord.CodingKeys.name).fetchAll(db)
        }
    }

    public func checkpoint(run: String, name: String, kind: CheckpointKind = .state) throws -> CheckpointRecord? {
        try read { db in
            try CheckpointRecord
                .filter(CheckpointRecord.CodingKeys.runID == run && CheckpointRecord.CodingKeys.kind == kind
                    && CheckpointRecord.CodingKeys.name == name)
                .fetchOne(db)
        }
    }

    /// The checkpoint with the highest step (the newest among equal steps): where a resume starts.
    public func latestCheckpoint(run: String, kind: CheckpointKind = .state) throws -> CheckpointRecord? {
        try read { db in
            try CheckpointRecord
                .filter(CheckpointRecord.CodingKeys.runID == run && CheckpointRecord.CodingKeys.kind == kind)
                .order(CheckpointRecord.CodingKeys.step.desc, CheckpointRecord.CodingKeys.createdAt.desc)
                .fetchOne(db)
        }
    }

    /// Forgets a checkpoint, then removes its folder (pruning by `checkpoint.keep`).
    public func deleteCheckpoint(run: String, name: String, kind: CheckpointKind = .state) throws {
        guard let record = try checkpoint(run: run, name: name, kind: kind) else {
            throw StoreError(.notFound, databaseURL.path,
                             "run \"\(run)\" has no \(kind.rawValue) checkpoint \"\(name)\"")
        }
        _ = try write { db in try record.delete(db) }
        try? FileManager.default.removeItem(at: resolve(record.path))
    }

    private func requireCheckpointName(_ name: String) throws {
        guard !name.isEmpty, !name.contains("/"), !name.hasPrefix("."), name != ".." else {
            throw StoreError(.invalidValue, databaseURL.path, "checkpoint name \"\(name)\" is not a folder name")
        }
    }
}
