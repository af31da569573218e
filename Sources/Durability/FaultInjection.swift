import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Faults on demand, for the crash and disk-full tests (a no-op unless the environment asks):
/// - `LATHE_CRASH_AT="site:n,…"`: the process SIGKILLs itself the n-th time it reaches `site` (an optimizer step,
///   a metric commit, a checkpoint's files written, renamed, recorded…).
/// - `LATHE_FAIL_WRITES="n"`: from the n-th file or folder write on, every write fails as a full disk would
///   (ENOSPC), for as long as the file named by `LATHE_FAIL_WRITES_WHILE` exists (default: for good).
public enum FaultInjection {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var counts: [String: Int] = [:]
    nonisolated(unsafe) private static var writes = 0

    private static let crashes: [String: Int] = {
        guard let spec = ProcessInfo.processInfo.environment["LATHE_CRASH_AT"] else { return [:] }
        var out: [String: Int] = [:]
        for part in spec.split(separator: ",") {
            let kv = part.split(separator: ":")
            if kv.count == 2, let n = Int(kv[1]) { out[String(kv[0])] = n }
        }
        return out
    }()

    private static let failFrom: Int? = ProcessInfo.processInfo.environment["LATHE_FAIL_WRITES"].flatMap { Int($0) }
    private static let failWhile: String? = ProcessInfo.processInfo.environment["LATHE_FAIL_WRITES_WHILE"]

    /// Kills the process (SIGKILL: no cleanup, as a crash or the OOM killer would) the configured time `site` is reached.
    public static func crashPoint(_ site: String) {
        guard !crashes.isEmpty, let n = crashes[site] else { return }
        lock.lock()
        counts[site, default: 0] += 1
        let reached = counts[site]!
        lock.unlock()
        if reached == n { kill(getpid(), SIGKILL) }
    }

    /// Throws ENOSPC for `url` once the configured number of writes is reached (while the marker file exists).
    public static func write(_ url: URL) throws {
        guard let from = failFrom else { return }
        lock.lock()
        writes += 1
        let n = writes
        lock.unlock()
        guard n >= from else { return }
        if let marker = failWhile, !FileManager.default.fileExists(atPath: marker) { return }
        throw AtomicFile.ioError(url, "write failed", ENOSPC)
    }

    /// Whether a database write should fail as a full disk would (the same counter and marker as files).
    public static func databaseWriteFails() -> Bool {
        guard failFrom != nil else { return false }
        do { try write(URL(fileURLWithPath: "workspace.sqlite")); return false } catch { return true }
    }
}
