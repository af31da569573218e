import Foundation
import GRDB

extension Workspace {
    /// A saved UI value (JSON text) by key, e.g. "workbench" → open pane, chart settings, prompt.
    public func uiState(_ key: String) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT value FROM ui_state WHERE key = ?", arguments: [key]) }
    }

    public func setUIState(_ key: String, _ value: String) throws {
        try requireWritable()
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO ui_state (key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }

    /// Saves the workspace under `destination` (which must not exist): a consistent copy of the database through
    /// SQLite's backup API plus the run, model and dataset folders. The copy is a separate workspace.
    public func saveCopy(to destination: URL) throws {
        let dest = destination.standardizedFileURL
        guard !FileManager.default.fileExists(atPath: dest.path) else {
            throw StoreError(.invalidValue, dest.path, "already exists; save-as needs a new folder")
        }
        let staging = dest.deletingLastPathComponent().appendingPathComponent(".\(dest.lastPathComponent).partial")
        try? FileManager.default.removeItem(at: staging)
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
            let items = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            let skipped: Set<String> = [Self.lockName, Self.databaseName, Self.databaseName + "-wal", Self.databaseName + "-shm"]
            for item in items where !skipped.contains(item) {
                try FileManager.default.copyItem(at: directory.appendingPathComponent(item),
                                                 to: staging.appendingPathComponent(item))
            }
            let copy = try DatabaseQueue(path: staging.appendingPathComponent(Self.databaseName).path)
            try pool.backup(to: copy)
            try copy.close()
            try FileManager.default.moveItem(at: staging, to: dest)
        } catch let e as StoreError {
            try? FileManager.default.removeItem(at: staging)
            throw e
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw StoreError(.io, dest.path, "save-as failed: \(error.localizedDescription)")
        }
    }
}
