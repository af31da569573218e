import Foundation
import Durability
import Testing
@testable import Store

@Suite struct AtomicFileTests {
    struct Interrupted: Error {}

    @Test func writeReplacesTheFileAndLeavesNoTemporary() throws {
        let folder = TemporaryFolder("atomic")
        defer { folder.remove() }
        let url = folder.url.appendingPathComponent("sub/dir/config.toml")
        try AtomicFile.write(Data("one".utf8), to: url)
        try AtomicFile.write(Data("two".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "two")
        #expect(folder.entries("sub/dir") == ["config.toml"])
    }

    @Test func aWriterThatThrowsMidWayLeavesTheOldFileAndNoPartialOne() throws {
        let folder = TemporaryFolder("atomic")
        defer { folder.remove() }
        let url = folder.url.appendingPathComponent("state.bin")
        try AtomicFile.write(Data("complete".utf8), to: url)
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: url) { handle in
                try handle.write(contentsOf: Data(repeating: 7, count: 1 << 16))
                throw Interrupted()
            }
        }
        #expect(try String(contentsOf: url, encoding: .utf8) == "complete")
        #expect(folder.entries() == ["state.bin"])

        let fresh = folder.url.appendingPathComponent("never.bin")
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: fresh) { handle in
                try handle.write(contentsOf: Data("half".utf8))
                throw Interrupted()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: fresh.path))
        #expect(folder.entries() == ["state.bin"])
    }

    @Test func directoriesAppearWholeOrNotAtAll() throws {
        let folder = TemporaryFolder("atomic")
        defer { folder.remove() }
        let target = folder.url.appendingPathComponent("checkpoints/step-000100")
        try AtomicFile.writeDirectory(at: target) { dir in
            try Data("a".utf8).write(to: dir.appendingPathComponent("adapter_model.safetensors"))
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("optimizer"), withIntermediateDirectories: false)
            try Data("b".utf8).write(to: dir.appendingPathComponent("optimizer/state.bin"))
        }
        #expect(folder.entries("checkpoints") == ["step-000100"])
        #expect(folder.entries("checkpoints/step-000100") == ["adapter_model.safetensors", "optimizer"])

        let failed = folder.url.appendingPathComponent("checkpoints/step-000200")
        #expect(throws: Interrupted.self) {
            try AtomicFile.writeDirectory(at: failed) { dir in
                try Data("half".utf8).write(to: dir.appendingPathComponent("adapter_model.safetensors"))
                throw Interrupted()
            }
        }
        #expect(folder.entries("checkpoints") == ["step-000100"])

        // Replacing an existing folder swaps it whole; the old content is gone, nothing is left over.
        try AtomicFile.writeDirectory(at: target) { dir in
            try Data("new".utf8).write(to: dir.appendingPathComponent("weights"))
        }
        #expect(folder.entries("checkpoints") == ["step-000100"])
        #expect(folder.entries("checkpoints/step-000100") == ["weights"])
        // A replace that fails keeps the old folder.
        #expect(throws: Interrupted.self) {
            try AtomicFile.writeDirectory(at: target) { _ in throw Interrupted() }
        }
        #expect(folder.entries("checkpoints/step-000100") == ["weights"])
        #expect(folder.entries("checkpoints") == ["step-000100"])
    }

    @Test func ioErrorsNameThePath() throws {
        let folder = TemporaryFolder("atomic")
        defer { folder.remove() }
        let blocker = folder.url.appendingPathComponent("file")
        try Data().write(to: blocker)
        let error = #expect(throws: FileError.self) {
            try AtomicFile.write(Data("x".utf8), to: blocker.appendingPathComponent("inside.txt"))
        }
        #expect(error?.description.hasPrefix(blocker.path + ": cannot create the folder") == true)
    }
}
