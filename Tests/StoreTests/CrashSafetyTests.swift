import Foundation
import GRDB
import Testing
@testable import Store

/// An owner that is SIGKILLed while committing metrics leaves a workspace that opens, passes SQLite's integrity
/// check, holds only whole transactions, and whose run is marked interrupted.
@Suite struct CrashSafetyTests {
    /// A stand-in owner (Python, since Swift cannot fork): takes the lock, marks the run running, then commits
    /// 100 points per step, one transaction per step, as fast as it can, until killed (or 30 s pass).
    static let writer = """
        import fcntl, os, sqlite3, sys, time
        lock_path, db_path, ready_path, run = sys.argv[1:5]
        lock = open(lock_path, "a+")
        fcntl.flock(lock, fcntl.LOCK_EX)
        lock.seek(0); lock.truncate(); lock.write("%d\\n" % os.getpid()); lock.flush()
        db = sqlite3.connect(db_path, isolation_level=None, timeout=10)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("UPDATE runs SET status = 'running' WHERE id = ?", (run,))
        step, deadline = 0, time.time() + 30
        while time.time() < deadline:
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO metric_points (run_id, name, step, value, wall_time) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id, name, step) DO UPDATE SET value = excluded.value",
                [(run, "m/%03d" % i, step, float(step), time.time()) for i in range(100)])
            db.execute("UPDATE runs SET last_step = ? WHERE id = ?", (step, run))
            db.execute("COMMIT")
            if step == 0:
                open(ready_path, "w").close()
            step += 1
        """

    @Test(.enabled(if: Python.available, "needs python3"))
    func sigkillMidWriteLeavesAConsistentWorkspace() throws {
        let folder = TemporaryFolder("crash")
        defer { folder.remove() }
        do {
            let workspace = try Workspace.open(folder.url, mode: .write)
            try workspace.createRun(makeRun("r"))
            try workspace.close()
        }
        let ready = folder.url.appendingPathComponent("ready")
        let child = try Python.start(Self.writer, [
            folder.url.appendingPathComponent("workspace.lock").path,
            folder.url.appendingPathComponent("workspace.sqlite").path, ready.path, "r",
        ])
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        #expect(waitUntil { FileManager.default.fileExists(atPath: ready.path) })
        usleep(300_000)   // mid-stream: many commits done, one most likely in flight
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)

        let workspace = try Workspace.open(folder.url, mode: .write)
        #expect(!workspace.isReadOnly)
        let (integrity, counts) = try workspace.read { db in
            (try String.fetchOne(db, sql: "PRAGMA integrity_check"),
             try Row.fetchAll(db, sql: "SELECT step, COUNT(*) AS n FROM metric_points WHERE run_id = 'r' GROUP BY step ORDER BY step"))
        }
        #expect(integrity == "ok")
        let steps: [Int] = counts.map { $0["step"] }
        #expect(!steps.isEmpty)
        #expect(steps == Array(0..<steps.count))                         // no gap
        #expect(counts.allSatisfy { ($0["n"] as Int) == 100 })            // no half transaction
        let run = try #require(try workspace.run("r"))
        #expect(run.status == .interrupted)                              // marked on write-open
        #expect(run.lastStep == steps.count - 1)                         // same transactions as the points
        print("crash test: \(steps.count) whole steps survived the SIGKILL")

        // The resumed owner writes on as usual.
        try workspace.appendMetrics([MetricPoint(runID: "r", name: "m/000", step: steps.count, value: 1)])
        try workspace.close()
    }
}
