import Foundation
import Testing
import Vision

/// `lathe vision-trial` as a user runs it: DESIGN's JSON shape, one-line flag and data errors, and the shipped
/// VLM on a few Fashion-MNIST images (when Debian's package is installed, as `make deps` does).
struct VisionCLITests {
    static let repo: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent()
    }()
    static let workspace = repo.appendingPathComponent("workspaces/default").path

    /// 60 train and 12 test 28×28 images of 3 classes.
    static func dataFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-vision-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        func idx(_ dims: [Int], _ payload: [UInt8]) -> Data { IDXArray.encoded(dims: dims, bytes: payload) }
        func images(_ n: Int) -> [UInt8] {
            var out: [UInt8] = []
            for i in 0..<n { for k in 0..<784 { out.append(k / 280 == i % 3 ? UInt8(100 + (k * 7 + i) % 150) : 0) } }
            return out
        }
        try idx([60, 28, 28], images(60)).write(to: dir.appendingPathComponent("train-images-idx3-ubyte"))
        try idx([60], (0..<60).map { UInt8($0 % 3) }).write(to: dir.appendingPathComponent("train-labels-idx1-ubyte"))
        try idx([12, 28, 28], images(12)).write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try idx([12], (0..<12).map { UInt8($0 % 3) }).write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        try "top\nbottom\nmiddle\n".write(to: dir.appendingPathComponent("classes.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    @Test func jsonShapeOnAnotherFolder() throws {
        let data = try VisionCLITests.dataFolder()
        defer { try? FileManager.default.removeItem(at: data) }
        let r = try LatheBinary.run(["vision-trial", "--data", data.path, "--workspace", VisionCLITests.workspace, "--methods", "encoder,pixels",
                                     "--shots", "1,2", "--seeds", "3", "--test-size", "9", "--threads", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let j = try LatheBinary.json(r)
        #expect(j["data"] as? String == data.path && j["n_test"] as? Int == 9)
        let results = j["results"] as? [[String: Any]] ?? []
        #expect(results.count == 4)
        for res in results {
            #expect(["encoder", "pixels"].contains(res["method"] as? String ?? ""))
            #expect(res["n_seeds"] as? Int == 3 && (res["ci95"] as? [Double])?.count == 2 && res["accuracy"] is Double)
        }
        let paired = j["paired"] as? [[String: Any]] ?? []
        #expect(paired.count == 2 && paired.allSatisfy { $0["a"] as? String == "encoder" && $0["b"] as? String == "pixels" && $0["diff"] is Double })
        #expect(r.stderr.contains("ETA"))
    }

    @Test func badFlagsAndDataAreOneLineErrors() throws {
        let cases: [([String], String)] = [
            (["--methods", "vlm,clip"], "unknown method \"clip\""),
            (["--shots", "0"], "shots: 0 is outside"),
            (["--preset", "huge"], "--preset: expected quick or full"),
            (["--data", "/nonexistent-lathe-data"], "/nonexistent-lathe-data: no such data folder"),
        ]
        for (args, message) in cases {
            let r = try LatheBinary.run(["vision-trial", "--workspace", VisionCLITests.workspace] + args)
            #expect(r.status != 0)
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count <= 2, "\(args): \(r.stderr)")
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")))
    func shippedVLMOnFashionMNIST() throws {
        let r = try LatheBinary.run(["vision-trial", "--workspace", VisionCLITests.workspace, "--methods", "vlm", "--shots", "1",
                                     "--seeds", "1", "--test-size", "20", "--vlm-steps", "2", "--threads", "1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let res = (try LatheBinary.json(r)["results"] as? [[String: Any]])?.first ?? [:]
        #expect(res["method"] as? String == "vlm" && res["accuracy_seen"] is Double && res["accuracy_unseen"] is Double)
        #expect((try LatheBinary.json(r)["held_out_classes"] as? [String]) == ["Pullover", "Sneaker", "Bag"])
    }

    /// Two processes, same seeds: the same answers (a trial is a function of its seed, not of the process).
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")))
    func sameSeedsSameResultsAcrossProcesses() throws {
        let args = ["vision-trial", "--workspace", VisionCLITests.workspace, "--methods", "vlm,encoder", "--shots", "1", "--seeds", "2",
                    "--test-size", "30", "--vlm-steps", "3", "--threads", "1", "--json"]
        let a = try LatheBinary.run(args), b = try LatheBinary.run(args)
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)")
        let ra = try LatheBinary.json(a)["results"] as? [[String: Any]] ?? [], rb = try LatheBinary.json(b)["results"] as? [[String: Any]] ?? []
        #expect(ra.count == 2 && ra.map { $0["accuracy"] as? Double } == rb.map { $0["accuracy"] as? Double })
        #expect(ra.map { $0["ci95"] as? [Double] } == rb.map { $0["ci95"] as? [Double] })
    }

    /// Ctrl-C after the first finished trial: the command reports what finished (`interrupted: true`) and exits 130.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")))
    func interruptReportsFinishedTrials() throws {
        let p = Process()
        p.executableURL = LatheBinary.url
        p.arguments = ["vision-trial", "--workspace", VisionCLITests.workspace, "--methods", "vlm,pixels", "--shots", "1",
                       "--seeds", "20", "--test-size", "20", "--vlm-steps", "2", "--threads", "1", "--json"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        var stderr = Data()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, !String(decoding: stderr, as: UTF8.self).contains("[vision-trial] 1/") {
            stderr.append(err.fileHandleForReading.availableData)
        }
        kill(p.processIdentifier, SIGINT)
        let rest = err.fileHandleForReading.readDataToEndOfFile()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 130, "\(String(decoding: stderr + rest, as: UTF8.self))")
        let j = try JSONSerialization.jsonObject(with: stdout) as? [String: Any] ?? [:]
        #expect(j["interrupted"] as? Bool == true)
        let trials = j["trials"] as? Int ?? 0
        #expect(trials >= 1 && trials < 40)
    }
}
