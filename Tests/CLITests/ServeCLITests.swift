import Foundation
import Store
import Testing

/// `lathe train --serve` under the real `openai` Python client (Tests/ServerTests/openai_client_check.py, in the venv
/// `make test` creates): models, chat, streaming, logprobs, seeds, every error status, the live adapter changing as
/// it trains, a checkpoint's logprobs against `lathe logprobs`, and 64 concurrent streams.
@Suite(.serialized) struct ServeCLITests {
    static let repo = LatheBinary.fixtures.deletingLastPathComponent().deletingLastPathComponent()
    static let python = repo.appendingPathComponent("build/venv-openai/bin/python")

    /// Reads a child's stderr lines as they come.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
        func wait(_ timeout: TimeInterval, for match: (String) -> Bool) -> String? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let l = all.first(where: match) { return l }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return nil
        }
    }

    @Test func openAIClientAgainstATrainingRun() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python.path) else {
            Issue.record("\(Self.python.path) is missing: `make test` creates it (python3 -m venv + pip install openai)")
            return
        }
        let (ws, config) = try TrainCLITests().makeWorkspace(steps: 100_000, checkpointEvery: 25)
        defer { try? FileManager.default.removeItem(at: ws) }
        let train = Process()
        train.executableURL = LatheBinary.url
        train.arguments = ["train", "--workspace", ws.path, "--config", config.path, "--serve", "0"]
        let err = Pipe()
        train.standardError = err
        train.standardOutput = FileHandle.nullDevice
        let lines = Lines()
        let reader = Thread {
            var buffer = Data()
            while true {
                let chunk = err.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    lines.append(String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...nl)
                }
            }
        }
        try train.run()
        reader.start()
        defer { if train.isRunning { train.terminate() } }
        guard let serving = lines.wait(120, for: { $0.contains("[serve]") && $0.contains("http://") }),
              let started = lines.wait(120, for: { $0.contains(" started; served as model ") }) else {
            Issue.record("train --serve did not come up: \(lines.all)"); return
        }
        let url = "http://" + serving.components(separatedBy: "http://")[1].split(separator: " ")[0]
        let run = String(started.components(separatedBy: "] ")[1].split(separator: " ")[0])

        let check = Process()
        check.executableURL = Self.python
        check.arguments = [Self.repo.appendingPathComponent("Tests/ServerTests/openai_client_check.py").path,
                           "--base-url", url, "--base-model", "base", "--run", run, "--lathe", LatheBinary.url.path,
                           "--workspace", ws.path, "--load", "64"]
        let out = Pipe(), checkErr = Pipe()
        check.standardOutput = out
        check.standardError = checkErr
        try check.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = checkErr.fileHandleForReading.readDataToEndOfFile()
        check.waitUntilExit()
        let report = String(decoding: outData, as: UTF8.self)
        print("openai client check: \(report)")
        #expect(check.terminationStatus == 0, "\(String(decoding: errData, as: UTF8.self))")

        // SIGINT stops the run between steps with a checkpoint, and the server with it.
        kill(train.processIdentifier, SIGINT)
        train.waitUntilExit()
        #expect(train.terminationStatus == 0, "\(lines.all.suffix(5))")
        let store = try Workspace.open(ws, mode: .readOnly)
        #expect(try store.run(run)?.status == .paused)
        try store.close()
    }

    @Test func beyondLoopbackNeedsAKeyAndBadFlagsAreOneLine() throws {
        let (ws, _) = try TrainCLITests().makeWorkspace()
        defer { try? FileManager.default.removeItem(at: ws) }
        let open = try LatheBinary.run(["serve", "--workspace", ws.path, "--host", "0.0.0.0", "--port", "0"])
        #expect(open.status == 1)
        #expect(open.stderr == "lathe: --host 0.0.0.0: serving beyond loopback needs --api-key\n")
        let missing = try LatheBinary.run(["serve", "--workspace", ws.path + "-nope"])
        #expect(missing.status == 1 && missing.stderr == "lathe: --workspace \(ws.path)-nope: no such folder\n")
        let adapter = try LatheBinary.run(["serve", "--workspace", ws.path, "--adapter", "/tmp"])
        #expect(adapter.status == 1 && adapter.stderr == "lathe: --adapter /tmp: no adapter_config.json there\n")
    }
}
