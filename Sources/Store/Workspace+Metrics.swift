import Foundation
import GRDB

extension Workspace {
    /// Writes `points` in one transaction. A point at an existing (run, name, step) replaces it, so a resumed run
    /// overwrites its old tail and its curves stay continuous.
    public func appendMetrics(_ points: [MetricPoint]) throws {
        guard !points.isEmpty else { return }
        try write { db in
            try requireRuns(Set(points.map(\.runID)), db)
            let statement = try db.cachedStatement(sql: """
                INSERT INTO metric_points (run_id, name, step, value, wall_time) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (run_id, name, step) DO UPDATE SET value = excluded.value, wall_time = excluded.wall_time
                """)
            for point in points {
                statement.setUncheckedArguments([
                    point.runID, point.name, point.step, point.value.isNaN ? nil : point.value, point.wallTime,
                ])
                try statement.execute()
            }
        }
    }

    /// Drops the points of `run` after `step` (resume from a checkpoint at `step` truncates the tail).
    public func deleteMetrics(run: String, afterStep step: Int) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM metric_points WHERE run_id = ? AND step > ?", arguments: [run, step])
        }
    }

    /// One curve ordered by step; `afterStep` fetches only what is new since the last look.
    public func metrics(run: String, name: String, afterStep: Int? = nil) throws -> [MetricPoint] {
        try read { db in
            try MetricPoint.fetchAll(db, sql: """
                SELECT \(MetricPoint.selection) FROM metric_points
                WHERE run_id = ? AND name = ? AND step > ? ORDER BY step
                """, arguments: [run, name, afterStep ?? Int.min])
        }
    }

    /// Every curve of a run, ordered by name then step.
    public func allMetrics(run: String) throws -> [MetricPoint] {
        try read { db in
            try MetricPoint.fetchAll(db, sql: """
                SELECT \(MetricPoint.selection) FROM metric_points WHERE run_id = ? ORDER BY name, step
                """, arguments: [run])
        }
    }

    public func metricNames(run: String) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT name FROM metric_points WHERE run_id = ? ORDER BY name",
                                arguments: [run])
        }
    }
}
