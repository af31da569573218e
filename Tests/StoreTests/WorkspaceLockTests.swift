import Foundation
import Testing
@testable import Store

@Suite struct WorkspaceLockTests {
    @Test func aSecondWriterInTheSameProcessIsRefusedOrDemotedByMode() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let owner = try Workspace.open(folder.url, mode: .write)
        try owner.createRun(makeRun("r"))

        let error = #expect(throws: StoreError.self) { try Workspace.open(folder.url, mode: .write) }
        #expect(error?.kind == .locked)
        #expect(error?.description == "\(folder.url.path)/workspace.lock: held by pid \(getpid()), which owns this "
                + "workspace; open it read-only or stop that process")

        let reader = try Workspace.open(folder.url)   // .writeIfFree
        #expect(reader.isReadOnly)
        #expect(reader.ownerPID == getpid())
        #expect(try reader.run("r") != nil)

        // The reader sees what the owner commits later (WAL).
        try owner.appendMetrics([MetricPoint(runID: "r", name: "train/loss", step: 1, value: 3)])
        #expect(try reader.metrics(run: "r", name: "train/loss").map(\.value) == [3])

        let refused = #expect(throws: StoreError.self) { try reader.createRun(makeRun("s")) }
        #expect(refused?.kind == .readOnly)
        #expect(refused?.description == "\(folder.url.path): workspace is open read-only (owned by pid \(getpid())); "
                + "only the owning process can change it")
        #expect(throws: StoreError.self) { try reader.appendMetrics([MetricPoint(runID: "r", name: "a", step: 1, value: 1)]) }
        #expect(throws: StoreError.self) { try reader.setStatus("r", .failed) }
        #expect(throws: StoreError.self) { try reader.saveCheckpoint(run: "r", name: "a", step: 1) { _ in } }
        #expect(throws: StoreError.self) { try reader.addSample(SampleRecord(runID: "r", step: 1, prompt: "p", completion: "c")) }
        #expect(throws: StoreError.self) { try reader.deleteMetrics(run: "r", afterStep: 0) }
        #expect(throws: StoreError.self) { try reader.markInterruptedRuns() }

        let explicit = try Workspace.open(folder.url, mode: .readOnly)
        #expect(explicit.isReadOnly)
        try explicit.close()

        try owner.close()
        try owner.close()   // harmless
        let next = try Workspace.open(folder.url, mode: .write)
        #expect(!next.isReadOnly)
        try next.close()
        try reader.close()
    }

    @Test func aReadOnlyOpenNeverTakesTheLock() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        try Workspace.open(folder.url, mode: .write).close()
        let reader = try Workspace.open(folder.url, mode: .readOnly)
        #expect(reader.ownerPID == nil)
        let writer = try Workspace.open(folder.url, mode: .write)
        #expect(!writer.isReadOnly)
        try writer.close()
        try reader.close()
    }

    @Test func deinitReleasesTheLock() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        do { _ = try Workspace.open(folder.url, mode: .write) }
        let again = try Workspace.open(folder.url, mode: .write)
        #expect(!again.isReadOnly)
    }

    /// Holds the lock as an owner would: flock, then its pid inside.
    static let lockHolder = """
        import fcntl, os, sys, time
        f = open(sys.argv[1], "a+")
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0); f.truncate(); f.write("%d\\n" % os.getpid()); f.flush()
        open(sys.argv[2], "w").close()
        time.sleep(60)
        """

    @Test(.enabled(if: Python.available, "needs python3"))
    func aKilledOwnerFreesTheLock() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        try Workspace.open(folder.url, mode: .write).close()
        let ready = folder.url.appendingPathComponent("ready")
        let child = try Python.start(Self.lockHolder, [folder.url.appendingPathComponent("workspace.lock").path, ready.path])
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        #expect(waitUntil { FileManager.default.fileExists(atPath: ready.path) })

        let error = #expect(throws: StoreError.self) { try Workspace.open(folder.url, mode: .write) }
        #expect(error?.description.contains("held by pid \(child.processIdentifier),") == true)
        let reader = try Workspace.open(folder.url, mode: .writeIfFree)
        #expect(reader.isReadOnly && reader.ownerPID == child.processIdentifier)
        try reader.close()

        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)
        // The stale pid is still in the file; the kernel dropped the flock with the process.
        let owner = try Workspace.open(folder.url, mode: .write)
        #expect(!owner.isReadOnly)
        let pid = try String(contentsOf: owner.lockURL, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(pid == "\(getpid())")
        try owner.close()
    }
}
