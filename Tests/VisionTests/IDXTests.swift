import Foundation
import Testing
@testable import Vision
import Engine
import Datasets

/// IDX files written here byte by byte: each malformed case must fail with a one-line error naming the file.
struct IDXTests {
    static func idx(dims: [Int], type: UInt8 = 0x08, payload: [UInt8]? = nil) -> Data {
        var d = IDXArray.encoded(dims: dims, bytes: payload ?? (0..<dims.reduce(1, *)).map { UInt8($0 % 251) })
        d[2] = type
        return d
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func error(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test func parsesPlainImages() throws {
        let a = try IDXArray(parsing: IDXTests.idx(dims: [3, 2, 4]), name: "x")
        #expect(a.dims == [3, 2, 4])
        #expect(a.bytes.count == 24)
        #expect(a.bytes[5] == 5)
    }

    @Test func readsGzipLikePlain() throws {
        let dir = try IDXTests.tempDir()
        let plain = dir.appendingPathComponent("a-idx3-ubyte")
        try IDXTests.idx(dims: [5, 3, 3]).write(to: plain)
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gz.arguments = ["-k", plain.path]
        try gz.run(); gz.waitUntilExit()
        let a = try IDXArray(contentsOf: plain)
        let b = try IDXArray(contentsOf: URL(fileURLWithPath: plain.path + ".gz"))
        #expect(a.dims == b.dims && a.bytes == b.bytes)
    }

    @Test func rejectsMalformedFiles() throws {
        #expect(error { _ = try IDXArray(parsing: Data([0, 0]), name: "f.idx") }.contains("f.idx: 2 bytes is too short"))
        #expect(error { _ = try IDXArray(parsing: Data([1, 2, 8, 1, 0, 0, 0, 0]), name: "f.idx") }.contains("f.idx: bad magic number 01 02 08 01"))
        #expect(error { _ = try IDXArray(parsing: IDXTests.idx(dims: [2], type: 0x0D, payload: []), name: "f") }.contains("float (0xd) is not supported"))
        #expect(error { _ = try IDXArray(parsing: Data([0, 0, 8, 3, 0, 0, 0, 1]), name: "f") }.contains("too short for the header of 3 dimensions"))
        // A header claiming 2³²−1 images must fail before any allocation of that size.
        #expect(error { _ = try IDXArray(parsing: IDXTests.idx(dims: [Int(UInt32.max), 28, 28], payload: [1, 2, 3]), name: "f") }
            .contains("need more values than the file's"))
        #expect(error { _ = try IDXArray(parsing: IDXTests.idx(dims: [4, 2, 2], payload: [UInt8](repeating: 0, count: 10)), name: "f") }
            .contains("short file: dimensions [4, 2, 2] need 16 bytes of data, the file has 10"))
        #expect(error { _ = try IDXArray(parsing: IDXTests.idx(dims: [1, 2], payload: [1, 2, 3]), name: "f") }.contains("1 bytes of trailing data"))
    }

    @Test func rejectsCorruptGzip() throws {
        let dir = try IDXTests.tempDir()
        let url = dir.appendingPathComponent("bad.gz")
        try Data([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4]).write(to: url)
        let message = error { _ = try IDXArray(contentsOf: url) }
        #expect(message.hasPrefix(url.path + ": "))
        #expect(message.contains("gzip"))
    }

    /// A data folder of 6 training and 4 test images of 2×2 pixels with `classes.txt`.
    static func folder(classes: String = "a\nb\nc\n", trainLabels: [UInt8] = [0, 1, 2, 0, 1, 2], testCount: Int = 4,
                       trainDims: [Int] = [6, 2, 2]) throws -> URL {
        let dir = try tempDir()
        try idx(dims: trainDims).write(to: dir.appendingPathComponent("train-images-idx3-ubyte"))
        try idx(dims: [trainLabels.count], payload: trainLabels).write(to: dir.appendingPathComponent("train-labels-idx1-ubyte"))
        try idx(dims: [testCount, 2, 2]).write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try idx(dims: [4], payload: [0, 1, 2, 1]).write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        try classes.write(to: dir.appendingPathComponent("classes.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func loadsAFolder() throws {
        let data = try VisionData(directory: try IDXTests.folder())
        #expect(data.classNames == ["a", "b", "c"])
        #expect(data.train.count == 6 && data.test.count == 4 && data.train.rows == 2)
        #expect(data.train.image(1) == [4, 5, 6, 7].map { Float($0) / 255 })
    }

    @Test func folderErrorsNameTheFile() throws {
        let bad = try IDXTests.folder(trainLabels: [0, 1, 5, 0, 1, 2])
        #expect(error { _ = try VisionData(directory: bad) }.contains("train-labels-idx1-ubyte: label 5 of image 2 is outside the 3 classes of classes.txt"))
        let mismatch = try IDXTests.folder(testCount: 3)
        #expect(error { _ = try VisionData(directory: mismatch) }.contains("t10k-labels-idx1-ubyte: 4 labels for the 3 images"))
        let flat = try IDXTests.folder(trainDims: [6, 4])
        #expect(error { _ = try VisionData(directory: flat) }.contains("images must have 3 dimensions [count, rows, cols], the header gives [6, 4]"))
        let dup = try IDXTests.folder(classes: "a\nb\na\n")
        #expect(error { _ = try VisionData(directory: dup) }.contains("classes.txt:3: class name \"a\" repeats line 1"))
        let dir = try IDXTests.folder()
        try FileManager.default.removeItem(at: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        #expect(error { _ = try VisionData(directory: dir) }.contains("t10k-images-idx3-ubyte: missing"))
        #expect(error { _ = try VisionData(directory: URL(fileURLWithPath: "/nonexistent-lathe")) }.contains("/nonexistent-lathe: no such data folder"))
    }

    /// Until the fuzz harness exists: 2 000 seeded mutations (byte flips, truncations, header rewrites) of a valid
    /// file either parse with consistent sizes or fail with a LatheError naming the file — never a crash.
    @Test func mutatedFilesNeverCrash() {
        let valid = IDXTests.idx(dims: [4, 5, 6])
        var rng = SplitMix64(seed: 3)
        for i in 0..<2000 {
            var d = [UInt8](valid)
            switch i % 3 {
            case 0: for _ in 0..<3 { d[Int(rng.next() % UInt64(d.count))] = UInt8(rng.next() & 255) }
            case 1: d = Array(d.prefix(Int(rng.next() % UInt64(d.count))))
            default: for k in 0..<min(16, d.count) where rng.next() % 4 == 0 { d[k] = UInt8(rng.next() & 255) }
            }
            do {
                let a = try IDXArray(parsing: Data(d), name: "m.idx")
                #expect(a.bytes.count == a.dims.reduce(1, *))
            } catch let e as LatheError {
                #expect(e.message.hasPrefix("m.idx: "))
            } catch { Issue.record("unexpected error \(error)") }
        }
    }
}
