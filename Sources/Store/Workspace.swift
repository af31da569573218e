import Durability
import Foundation
import GRDB

/// A workspace folder: `workspace.sqlite` (GRDB, WAL) as the single source of truth, `workspace.lock` held by the
/// one process that may write, and `runs/`, `models/`, `datasets/` beside them (design contracts 3 and 4).
public final class Workspace: @unchecked Sendable {
    public enum OpenMode: Sendable {
        /// Own the workspace; fails naming the holder's pid when another live process owns it.
        case write
        /// Own it if nobody does, else open it read-only.
        case writeIfFree
        /// Never take the lock; refuse every write.
        case readOnly
    }

    public static let databaseName = "workspace.sqlite"
    public static let lockName = "workspace.lock"
    public static let subfolders = ["runs", "models", "datasets"]

    public let directory: URL
    public let isReadOnly: Bool
    /// For a read-only workspace that another process owns: that owner's pid, as written in the lock file.
    public let ownerPID: Int32?

    let pool: DatabasePool
    private let state = NSLock()
    private var lock: WorkspaceLock?
    private var closed = false

    public var databaseURL: URL { directory.appendingPathComponent(Self.databaseName) }
    public var lockURL: URL { directory.appendingPathComponent(Self.lockName) }
    public var runsDirectory: URL { directory.appendingPathComponent("runs") }
    public var modelsDirectory: URL { directory.appendingPathComponent("models") }
    public var datasetsDirectory: URL { directory.appendingPathComponent("datasets") }

    private init(directory: URL, pool: DatabasePool, lock: WorkspaceLock?, ownerPID: Int32?) {
        self.directory = directory
        self.pool = pool
        self.lock = lock
        self.isReadOnly = lock == nil
        self.ownerPID = ownerPID
    }

    deinit { try? close() }

    /// Opens (creating it on first write-open) the workspace at `dir`. A write-open migrates the schema, marks
    /// runs a dead owner left running as interrupted, and indexes run folders copied in from elsewhere.
    public static func open(_ dir: URL, mode: OpenMode = .writeIfFree) throws -> Workspace {
        let dir = dir.standardizedFileURL
        let lockURL = dir.appendingPathComponent(lockName)
        var acquired: WorkspaceLock?
        var ownerPID: Int32?
        if mode != .readOnly {
            try AtomicFile.makeFolder(dir)
            switch try WorkspaceLock.acquire(lockURL) {
            case .acquired(let lock):
                acquired = lock
            case .heldByOther(let pid):
                if mode == .write {
                    let holder = pid.map { "pid \($0)" } ?? "another process"
                    throw StoreError(
                        .locked, lockURL.path,
                        "held by \(holder), which owns this workspace; open it read-only or stop that process")
                }
                ownerPID = pid
            }
        } else if let pid = WorkspaceLock.holderPID(lockURL), WorkspaceLock.isHeld(lockURL) {
            ownerPID = pid
        }

        if let lock = acquired {
            do {
                for folder in subfolders { try AtomicFile.makeFolder(dir.appendingPathComponent(folder)) }
                let pool = try openDatabase(dir.appendingPathComponent(databaseName), readOnly: false)
                let workspace = Workspace(directory: dir, pool: pool, lock: lock, ownerPID: nil)
                try workspace.markInterruptedRuns()
                try workspace.indexRunFolders()
                return workspace
            } catch {
                lock.release()
                throw error
            }
        }
        let pool = try openDatabase(dir.appendingPathComponent(databaseName), readOnly: true)
        return Workspace(directory: dir, pool: pool, lock: nil, ownerPID: ownerPID)
    }

    /// Releases the lock and the database. Further calls fail; closing twice is harmless.
    public func close() throws {
        state.lock()
        defer { state.unlock() }
        guard !closed else { return }
        closed = true
        defer {
            lock?.release()
            lock = nil
        }
        do { try pool.close() } catch { throw databaseError(error) }
    }

    public func runDirectory(_ id: String) -> URL { runsDirectory.appendingPathComponent(id) }

    /// Absolute location of a path stored relative to the workspace (checkpoint paths are stored that way).
    public func resolve(_ relativePath: String) -> URL {
        relativePath.hasPrefix("/")
            ? URL(fileURLWithPath: relativePath) : directory.appendingPathComponent(relativePath)
    }

    // MARK: - Database access

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw databaseError(error) }
    }

    /// One transaction; a read-only workspace refuses before touching SQLite.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try requireWritable()
        if FaultInjection.databaseWriteFails() {
            throw StoreError(.io, databaseURL.path, "database write failed (No space left on device)")
        }
        do { return try pool.write(body) } catch { throw databaseError(error) }
    }

    func requireWritable() throws {
        guard isReadOnly else { return }
        let owner = ownerPID.map { " (owned by pid \($0))" } ?? ""
        throw StoreError(.readOnly, directory.path,
                         "workspace is open read-only\(owner); only the owning process can change it")
    }

    func databaseError(_ error: Error) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        if let dbError = error as? DatabaseError {
            return StoreError(.database, databaseURL.path, dbError.message ?? "\(dbError.resultCode)")
        }
        return StoreError(.database, databaseURL.path, "\(error)")
    }

    // MARK: - Opening

    private static func openDatabase(_ url: URL, readOnly: Bool) throws -> DatabasePool {
        if readOnly && !FileManager.default.fileExists(atPath: url.path) {
            throw StoreError(.notFound, url.path,
                             "no workspace database yet (opening the workspace for writing creates it)")
        }
        var config = Configuration()
        config.readonly = readOnly
        config.busyMode = .timeout(10)
        config.label = "workspace"
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: url.path, configuration: config)
        } catch {
            throw StoreError(.database, url.path, "cannot open (\(describe(error)))")
        }
        let migrator = WorkspaceSchema.migrator
        do {
            let (superseded, complete) = try pool.read { db in
                (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
            }
            if superseded {
                throw StoreError(.schema, url.path,
                                 "written by a newer Lathe (unknown schema migrations); upgrade Lathe")
            }
            if !complete {
                if readOnly {
                    throw StoreError(
                        .schema, url.path,
                        "schema is older than this Lathe; open the workspace for writing once to upgrade it")
                }
                try migrator.migrate(pool)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, url.path, "cannot migrate (\(describe(error)))")
        }
        return pool
    }

    private static func describe(_ error: Error) -> String {
        (error as? DatabaseError)?.message ?? "\(error)"
    }
}
