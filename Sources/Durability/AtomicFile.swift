import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file-system failure, one line: the path and what the system refused.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String
    public let message: String
    public init(_ path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { "\(path): \(message)" }
}

/// Files and folders that appear complete or not at all: written under a temporary name in the same folder,
/// fsynced, renamed into place, and the folder fsynced so the rename itself survives a crash. Every write passes the
/// fault-injection sites (`FaultInjection`), so tests can fail or kill it at any of them.
public enum AtomicFile {
    /// Temporary names start with this, so a scan of a folder can skip leftovers of a crash.
    public static let temporaryPrefix = ".lathe-tmp-"

    /// Replaces `url` with `data` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { handle in try handle.write(contentsOf: data) }
    }

    /// Replaces `url` with what `fill` writes into the handle; if `fill` throws, `url` keeps its old content and
    /// no temporary file is left behind.
    public static func write(to url: URL, _ fill: (FileHandle) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        try FaultInjection.write(url)
        try makeFolder(folder)
        let temporary = temporaryURL(for: url)
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ioError(url, "cannot create a temporary file", errno) }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: false)
        do {
            try fill(handle)
            FaultInjection.crashPoint("file-written")
            guard fsync(fd) == 0 else { throw ioError(url, "fsync failed", errno) }
        } catch {
            close(fd)
            unlink(temporary.path)
            throw error
        }
        close(fd)
        guard rename(temporary.path, url.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw ioError(url, "rename into place failed", code)
        }
        try syncFolder(folder)
    }

    /// Creates the folder `url` by filling a temporary folder beside it and renaming it into place. Every file
    /// `fill` leaves is fsynced first. An existing folder at `url` is replaced (atomically where the kernel can
    /// exchange two names). If `fill` throws, nothing appears at `url` and the temporary folder is removed.
    public static func writeDirectory(at url: URL, _ fill: (URL) throws -> Void) throws {
        let parent = url.deletingLastPathComponent()
        try FaultInjection.write(url)
        try makeFolder(parent)
        let temporary = temporaryURL(for: url)
        do {
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw FileError(url.path, "cannot create a temporary folder (\(error.localizedDescription))")
        }
        do {
            try fill(temporary)
            try syncTree(temporary)
            FaultInjection.crashPoint("folder-filled")
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        if FileManager.default.fileExists(atPath: url.path) {
            try replaceFolder(url, with: temporary)
        } else if rename(temporary.path, url.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw ioError(url, "rename into place failed", code)
        }
        try syncFolder(parent)
    }

    // MARK: - Helpers

    public static func temporaryURL(for url: URL) -> URL {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return url.deletingLastPathComponent()
            .appendingPathComponent("\(temporaryPrefix)\(getpid())-\(suffix)-\(url.lastPathComponent)")
    }

    public static func makeFolder(_ folder: URL) throws {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FileError(folder.path, "cannot create the folder (\(error.localizedDescription))")
        }
    }

    /// fsync of a folder makes the names created or renamed in it durable.
    public static func syncFolder(_ folder: URL) throws {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(folder, "cannot open the folder to fsync it", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError(folder, "fsync of the folder failed", errno) }
    }

    private static func syncFile(_ file: URL) throws {
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(file, "cannot open to fsync", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError(file, "fsync failed", errno) }
    }

    private static func syncTree(_ folder: URL) throws {
        let entries = (try? FileManager.default.contentsOfDirectory(
            at: folder, includingPropertiesForKeys: [.isDirectoryKey, .isSymbolicLinkKey])) ?? []
        for entry in entries {
            let values = try? entry.resourceValues(forKeys: [.isDirectoryKey, .isSymbolicLinkKey])
            if values?.isSymbolicLink == true { continue }
            if values?.isDirectory == true { try syncTree(entry) } else { try syncFile(entry) }
        }
        try syncFolder(folder)
    }

    private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32)
        -> Int32

    /// glibc's renameat2 is not visible to Swift's Glibc module; look it up at run time.
    private static let renameat2: RenameAt2? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
        #else
        return nil
        #endif
    }()

    private static func replaceFolder(_ url: URL, with temporary: URL) throws {
        let renameExchange: UInt32 = 1 << 1
        if let exchange = renameat2, exchange(AT_FDCWD, temporary.path, AT_FDCWD, url.path, renameExchange) == 0 {
            try? FileManager.default.removeItem(at: temporary)   // now holds the old folder
            return
        }
        // No atomic exchange: move the old folder aside, then the new one in; a crash between leaves only
        // temporary names, which scans skip.
        let old = temporaryURL(for: url)
        guard rename(url.path, old.path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw ioError(url, "cannot move the old folder aside", code)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let code = errno
            _ = rename(old.path, url.path)
            try? FileManager.default.removeItem(at: temporary)
            throw ioError(url, "rename into place failed", code)
        }
        try? FileManager.default.removeItem(at: old)
    }

    public static func ioError(_ url: URL, _ what: String, _ code: Int32) -> FileError {
        FileError(url.path, "\(what) (\(String(cString: strerror(code))))")
    }
}
