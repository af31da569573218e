import Durability
import Foundation

/// Collects metric points from the training loop and commits them at most once a second, so a SIGKILL loses at
/// most about a second of curve while SQLite sees one transaction per second rather than one per point.
public final class MetricBuffer: @unchecked Sendable {
    public let workspace: Workspace
    /// Seconds between automatic flushes.
    public let interval: TimeInterval

    private let guardLock = NSLock()
    private var pending: [MetricPoint] = []
    private var lastFlush: Date

    public init(workspace: Workspace, interval: TimeInterval = 1.0, now: Date = Date()) {
        self.workspace = workspace
        self.interval = interval
        self.lastFlush = now
    }

    public var pendingCount: Int {
        guardLock.lock()
        defer { guardLock.unlock() }
        return pending.count
    }

    public func append(_ point: MetricPoint) {
        guardLock.lock()
        pending.append(point)
        guardLock.unlock()
    }

    public func append(run: String, name: String, step: Int, value: Double, wallTime: Date = Date()) {
        append(MetricPoint(runID: run, name: name, step: step, value: value, wallTime: wallTime.timeIntervalSince1970))
    }

    /// Flushes when `interval` has passed since the last flush; returns whether it did.
    @discardableResult
    public func flushIfDue(now: Date = Date()) throws -> Bool {
        guardLock.lock()
        let due = now.timeIntervalSince(lastFlush) >= interval
        guardLock.unlock()
        guard due else { return false }
        try flush(now: now)
        return true
    }

    /// Writes everything pending in one transaction. On failure the points stay pending for the next try.
    public func flush(now: Date = Date()) throws {
        guardLock.lock()
        defer { guardLock.unlock() }
        lastFlush = now
        guard !pending.isEmpty else { return }
        FaultInjection.crashPoint("metrics-commit")
        try workspace.appendMetrics(pending)
        FaultInjection.crashPoint("metrics-committed")
        pending.removeAll(keepingCapacity: true)
    }
}
