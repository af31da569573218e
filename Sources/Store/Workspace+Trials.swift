import Foundation
import GRDB

extension Workspace {
    /// Stores a new trial grid (normally with status `running`).
    public func addTrialGrid(_ grid: TrialGridRecord) throws {
        guard TrialGridRecord.statuses.contains(grid.status) else {
            throw StoreError(.invalidValue, databaseURL.path, "trial grid \(grid.id): status \"\(grid.status)\" is not one of \(TrialGridRecord.statuses.joined(separator: ", "))")
        }
        try write { db in try grid.insert(db) }
    }

    /// Sets a grid's status, summary and wall time.
    public func finishTrialGrid(_ id: String, status: String, summaryJSON: String?, wallSeconds: Double) throws {
        guard TrialGridRecord.statuses.contains(status) else {
            throw StoreError(.invalidValue, databaseURL.path, "trial grid \(id): status \"\(status)\" is not one of \(TrialGridRecord.statuses.joined(separator: ", "))")
        }
        try write { db in
            guard var g = try TrialGridRecord.fetchOne(db, key: id) else {
                throw StoreError(.notFound, databaseURL.path, "trial grid \(id) does not exist")
            }
            g.status = status; g.summaryJSON = summaryJSON; g.wallSeconds = wallSeconds
            try g.update(db)
        }
    }

    /// Stores one finished trial (replacing a previous one of the same method, shots and seed).
    public func addTrial(_ trial: TrialRecord) throws {
        guard trial.accuracy.isFinite else {
            throw StoreError(.invalidValue, databaseURL.path, "trial \(trial.method)/\(trial.shots)/\(trial.seed): accuracy is not finite")
        }
        try write { db in
            guard try TrialGridRecord.exists(db, key: trial.gridID) else {
                throw StoreError(.notFound, databaseURL.path, "trial grid \(trial.gridID) does not exist")
            }
            try trial.save(db)
        }
    }

    /// Every trial grid, newest first.
    public func trialGrids() throws -> [TrialGridRecord] {
        try read { db in try TrialGridRecord.order(TrialGridRecord.CodingKeys.createdAt.desc).fetchAll(db) }
    }

    /// A grid's trials ordered by shots, seed, method.
    public func trials(grid: String) throws -> [TrialRecord] {
        try read { db in
            try TrialRecord.filter(TrialRecord.CodingKeys.gridID == grid)
                .order(TrialRecord.CodingKeys.shots, TrialRecord.CodingKeys.seed, TrialRecord.CodingKeys.method).fetchAll(db)
        }
    }
}
