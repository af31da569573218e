import Durability
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The owner's lock on `workspace.lock`: `flock(LOCK_EX | LOCK_NB)` held on an open descriptor for the life of
/// this object. The kernel drops it when the process dies (even by SIGKILL), so a stale lock file never blocks;
/// the pid written inside only names the holder in messages.
final class WorkspaceLock {
    enum Outcome {
        case acquired(WorkspaceLock)
        case heldByOther(pid: Int32?)
    }

    let url: URL
    private var fd: Int32

    private init(url: URL, fd: Int32) {
        self.url = url
        self.fd = fd
    }

    deinit { release() }

    static func acquire(_ url: URL) throws -> Outcome {
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtomicFile.ioError(url, "cannot open the lock file", errno) }
        // A few quick retries: a read-only opener's probe (`isHeld`) holds a shared lock for microseconds.
        var attempt = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EAGAIN else {
                close(fd)
                throw AtomicFile.ioError(url, "flock failed", code)
            }
            attempt += 1
            guard attempt < 5 else {
                close(fd)
                return .heldByOther(pid: holderPID(url))
            }
            usleep(10_000)
        }
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        _ = fsync(fd)
        return .acquired(WorkspaceLock(url: url, fd: fd))
    }

    /// The pid the current (or last) holder wrote into the lock file, if it parses.
    static func holderPID(_ url: URL) -> Int32? {
        guard let data = FileManager.default.contents(atPath: url.path),
              let text = String(data: data, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether some process holds the lock (probed without keeping it).
    static func isHeld(_ url: URL) -> Bool {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) == 0 else { return true }
        flock(fd, LOCK_UN)
        return false
    }

    /// Closing the descriptor drops the flock; the pid stays in the file and is harmless.
    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }
}
