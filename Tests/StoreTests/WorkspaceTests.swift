import Foundation
import GRDB
import Testing
@testable import Store

@Suite struct WorkspaceSchemaTests {
    @Test func firstOpenCreatesTheSchemaAndTheFolders() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let dir = folder.url.appendingPathComponent("workspaces/new")
        let workspace = try Workspace.open(dir, mode: .write)
        #expect(!workspace.isReadOnly)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("workspace.sqlite").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("workspace.lock").path))
        for sub in ["runs", "models", "datasets"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(sub).path))
        }
        let (tables, migrations, journal) = try workspace.read { db in
            (try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"),
             try WorkspaceSchema.migrator.appliedMigrations(db),
             try String.fetchOne(db, sql: "PRAGMA journal_mode"))
        }
        #expect(Array(migrations.prefix(2)) == ["v1", "v2"] && migrations.contains("vision-trials-v1"))
        #expect(journal == "wal")
        for table in ["runs", "metric_points", "samples", "checkpoints", "eval_results"] {
            #expect(tables.contains(table))
        }
        try workspace.close()
    }

    @Test func reopeningKeepsTheData() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        do {
            let workspace = try Workspace.open(folder.url, mode: .write)
            try workspace.createRun(makeRun("sft-1"))
            try workspace.appendMetrics([MetricPoint(runID: "sft-1", name: "train/loss", step: 1, value: 2.5)])
            try workspace.close()
        }
        let again = try Workspace.open(folder.url, mode: .write)
        #expect(try again.run("sft-1") == makeRun("sft-1"))
        #expect(try again.metrics(run: "sft-1", name: "train/loss").map(\.value) == [2.5])
        #expect(try again.read { db in try WorkspaceSchema.migrator.appliedMigrations(db) } == WorkspaceSchema.migrator.migrations)
        try again.close()
    }

    @Test func aDatabaseFromANewerLatheIsRefused() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        try Workspace.open(folder.url, mode: .write).close()
        let queue = try DatabaseQueue(path: folder.url.appendingPathComponent("workspace.sqlite").path)
        try queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')") }
        try queue.close()
        let error = #expect(throws: StoreError.self) { try Workspace.open(folder.url, mode: .write) }
        #expect(error?.kind == .schema)
        #expect(error?.description.contains("workspace.sqlite: written by a newer Lathe") == true)
    }

    @Test func readOnlyOpenOfAMissingWorkspaceSaysSo() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let error = #expect(throws: StoreError.self) {
            try Workspace.open(folder.url.appendingPathComponent("none"), mode: .readOnly)
        }
        #expect(error?.kind == .notFound)
        #expect(error?.description.contains("workspace.sqlite: no workspace database yet") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("none").path))
    }
}

@Suite struct WorkspaceRecordTests {
    @Test func runsAreCreatedFetchedUpdatedAndDeleted() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        let first = makeRun("sft-a", at: 1_700_000_000)
        var second = makeRun("sft-b", at: 1_700_000_100)
        second.parentRunID = "sft-a"
        second.parentCheckpoint = "step-000100"
        second.sgemmGflops = 94.5
        second.memReadGBs = 22.1
        second.gitCommit = "abc123"
        second.dataHash = SHA256.hexDigest("data")
        try workspace.createRun(first)
        try workspace.createRun(second)
        #expect(try workspace.runs().map(\.id) == ["sft-b", "sft-a"])
        #expect(try workspace.run("sft-b") == second)
        #expect(try workspace.run("nope") == nil)
        let config = workspace.runDirectory("sft-a").appendingPathComponent("config.toml")
        #expect(try String(contentsOf: config, encoding: .utf8) == first.configTOML)

        let updated = try workspace.updateRun("sft-a") { $0.lastStep = 42 }
        #expect(updated.lastStep == 42)
        #expect(updated.updatedAt > first.updatedAt)
        try workspace.setStatus("sft-a", .failed, errorMessage: "loss is NaN")
        #expect(try workspace.run("sft-a")?.status == .failed)
        #expect(try workspace.run("sft-a")?.errorMessage == "loss is NaN")

        #expect(throws: StoreError.self) { try workspace.createRun(first) }
        var orphan = makeRun("sft-c")
        orphan.parentRunID = "missing"
        #expect(throws: StoreError.self) { try workspace.createRun(orphan) }
        #expect(throws: StoreError.self) { try workspace.createRun(makeRun("../evil")) }
        #expect(throws: StoreError.self) { try workspace.updateRun("nope") { $0.lastStep = 1 } }
        #expect(throws: StoreError.self) { try workspace.updateRun("sft-a") { $0.id = "other" } }

        try workspace.appendMetrics([MetricPoint(runID: "sft-a", name: "train/loss", step: 1, value: 1)])
        try workspace.deleteRun("sft-a")
        #expect(try workspace.run("sft-a") == nil)
        #expect(try workspace.metrics(run: "sft-a", name: "train/loss").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: workspace.runDirectory("sft-a").path))
        #expect(try workspace.run("sft-b")?.parentRunID == nil)   // ON DELETE SET NULL
        #expect(throws: StoreError.self) { try workspace.deleteRun("sft-a") }
    }

    @Test func runIDsHaveTheDocumentedShapeAndAreUnique() throws {
        let date = Date(timeIntervalSince1970: 1_795_845_060)   // 2026-11-28 05:51 UTC
        #expect(RunRecord.makeID(kind: "sft", date: date, suffix: 0xa1b2) == "sft-20261128-0551-a1b2")
        #expect(RunRecord.makeID(kind: "pretrain", date: date, suffix: 0x0f) == "pretrain-20261128-0551-000f")
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        var ids = Set<String>()
        for _ in 0..<20 {
            let id = try workspace.newRunID(kind: "sft", date: date)
            try workspace.createRun(makeRun(id))
            ids.insert(id)
        }
        #expect(ids.count == 20)
        #expect(ids.allSatisfy { $0.hasPrefix("sft-20261128-0551-") && $0.count == 22 })
    }

    @Test func runRecordFromAConfigCarriesItsHashAndText() throws {
        let config = try RunConfig.parse(exampleSFT)
        let run = RunRecord(id: "sft-x", config: config, configText: exampleSFT)
        #expect(run.configTOML == exampleSFT)
        #expect(run.configHash == config.hash)
        #expect(run.baseModel == "models/lathe-base")
        #expect(run.seed == 7 && run.threads == 2 && run.kind == "sft" && run.name == "sft-example")
    }

    @Test func metricsUpsertTruncateAndReadInStepOrder() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        try workspace.createRun(makeRun("r"))
        let first = (1...10).reversed().map { MetricPoint(runID: "r", name: "train/loss", step: $0, value: Double($0), wallTime: 1) }
        try workspace.appendMetrics(first + [MetricPoint(runID: "r", name: "train/lr", step: 1, value: 1e-4, wallTime: 1)])
        #expect(try workspace.metrics(run: "r", name: "train/loss").map(\.step) == Array(1...10))
        #expect(try workspace.metricNames(run: "r") == ["train/loss", "train/lr"])

        // Resume from a checkpoint at step 6: the tail goes, then the new points overwrite and extend.
        try workspace.deleteMetrics(run: "r", afterStep: 6)
        #expect(try workspace.metrics(run: "r", name: "train/loss").map(\.step) == Array(1...6))
        let resumed = (5...8).map { MetricPoint(runID: "r", name: "train/loss", step: $0, value: 100 + Double($0), wallTime: 2) }
        try workspace.appendMetrics(resumed)
        let loss = try workspace.metrics(run: "r", name: "train/loss")
        #expect(loss.map(\.step) == Array(1...8))
        #expect(loss.map(\.value) == [1, 2, 3, 4, 105, 106, 107, 108])
        #expect(loss[4].wallTime == 2)
        #expect(try workspace.metrics(run: "r", name: "train/loss", afterStep: 6).map(\.step) == [7, 8])
        #expect(try workspace.allMetrics(run: "r").count == 9)

        // Within one batch the last point for a key wins.
        try workspace.appendMetrics([MetricPoint(runID: "r", name: "x", step: 1, value: 1, wallTime: 0),
                                     MetricPoint(runID: "r", name: "x", step: 1, value: 2, wallTime: 0)])
        #expect(try workspace.metrics(run: "r", name: "x").map(\.value) == [2])
    }

    @Test func nanAndInfinityMetricsSurvive() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        try workspace.createRun(makeRun("r"))
        try workspace.appendMetrics([
            MetricPoint(runID: "r", name: "train/loss", step: 1, value: .nan, wallTime: 1),
            MetricPoint(runID: "r", name: "train/loss", step: 2, value: .infinity, wallTime: 1),
            MetricPoint(runID: "r", name: "train/loss", step: 3, value: -.infinity, wallTime: 1),
        ])
        let values = try workspace.metrics(run: "r", name: "train/loss").map(\.value)
        #expect(values[0].isNaN)
        #expect(values[1] == .infinity && values[2] == -.infinity)
    }

    @Test func metricsForAnUnknownRunAreRefusedWholeTransaction() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        try workspace.createRun(makeRun("r"))
        let error = #expect(throws: StoreError.self) {
            try workspace.appendMetrics([MetricPoint(runID: "r", name: "a", step: 1, value: 1),
                                         MetricPoint(runID: "ghost", name: "a", step: 1, value: 1)])
        }
        #expect(error?.description.hasSuffix("workspace.sqlite: no run \"ghost\"") == true)
        #expect(try workspace.allMetrics(run: "r").isEmpty)
        #expect(throws: StoreError.self) { try workspace.addSample(SampleRecord(runID: "ghost", step: 0, prompt: "p", completion: "c")) }
        #expect(throws: StoreError.self) { try workspace.addEvalResult(EvalResult(runID: "ghost", step: 0, name: "a", value: 1)) }
    }

    @Test func samplesAndEvalResults() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        try workspace.createRun(makeRun("r"))
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        let a = try workspace.addSample(SampleRecord(runID: "r", step: 20, prompt: "What is 12+30?", completion: "42",
                                                     settingsJSON: "{\"temperature\":0}", createdAt: created))
        let b = try workspace.addSamples([
            SampleRecord(runID: "r", step: 10, kind: "probe", prompt: "p", completion: "c", createdAt: created),
            SampleRecord(runID: "r", step: 20, prompt: "second", completion: "ü\n✓", createdAt: created),
        ])
        #expect(a.id != nil && b.allSatisfy { $0.id != nil })
        #expect(try workspace.samples(run: "r").map(\.prompt) == ["p", "What is 12+30?", "second"])
        #expect(try workspace.samples(run: "r", kind: "eval").count == 2)
        #expect(try workspace.samples(run: "r")[1] == a)

        let result = try workspace.addEvalResult(EvalResult(runID: "r", step: 100, name: "arithmetic/accuracy", value: 0.41,
                                                            ciLow: 0.34, ciHigh: 0.48, n: 200, json: "{}", createdAt: created))
        try workspace.addEvalResult(EvalResult(runID: "r", step: 50, name: "eval/nll", value: .infinity, createdAt: created))
        #expect(try workspace.evalResults(run: "r").map(\.step) == [50, 100])
        #expect(try workspace.evalResults(run: "r", name: "arithmetic/accuracy") == [result])
        let nan = #expect(throws: StoreError.self) {
            try workspace.addEvalResult(EvalResult(runID: "r", step: 1, name: "bad", value: .nan))
        }
        #expect(nan?.description.contains("eval result \"bad\" at step 1 is NaN") == true)
    }

    @Test func checkpointsPointOnlyAtCompleteFolders() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        try workspace.createRun(makeRun("r"))
        for step in [100, 200] {
            try workspace.saveCheckpoint(run: "r", name: CheckpointRecord.scheduledName(step: step), step: step) { dir in
                try Data("weights \(step)".utf8).write(to: dir.appendingPathComponent("adapter_model.safetensors"))
            }
        }
        let sampler = try workspace.saveCheckpoint(run: "r", name: "step-000200", step: 200, kind: .sampler) { dir in
            try Data("w".utf8).write(to: dir.appendingPathComponent("adapter_model.safetensors"))
        }
        #expect(sampler.path == "runs/r/sampler/step-000200")
        #expect(try workspace.checkpoints(run: "r").map(\.name) == ["step-000100", "step-000200", "step-000200"])
        #expect(try workspace.checkpoints(run: "r", kind: .state).count == 2)
        let latest = try #require(try workspace.latestCheckpoint(run: "r"))
        #expect(latest.name == "step-000200" && latest.kind == .state && latest.path == "runs/r/checkpoints/step-000200")
        let file = workspace.resolve(latest.path).appendingPathComponent("adapter_model.safetensors")
        #expect(try String(contentsOf: file, encoding: .utf8) == "weights 200")

        // A fill that throws leaves neither a folder nor a record.
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try workspace.saveCheckpoint(run: "r", name: "step-000300", step: 300) { dir in
                try Data("half".utf8).write(to: dir.appendingPathComponent("adapter_model.safetensors"))
                throw Boom()
            }
        }
        #expect(try workspace.latestCheckpoint(run: "r")?.step == 200)
        #expect(folder.entries("runs/r/checkpoints") == ["step-000100", "step-000200"])

        // Saving under an existing name replaces folder and record.
        try workspace.saveCheckpoint(run: "r", name: "step-000100", step: 100) { dir in
            try Data("again".utf8).write(to: dir.appendingPathComponent("adapter_model.safetensors"))
        }
        let replaced = workspace.resolve("runs/r/checkpoints/step-000100/adapter_model.safetensors")
        #expect(try String(contentsOf: replaced, encoding: .utf8) == "again")
        #expect(folder.entries("runs/r/checkpoints") == ["step-000100", "step-000200"])

        // addCheckpoint refuses a folder that is not there.
        let missing = #expect(throws: StoreError.self) {
            try workspace.addCheckpoint(CheckpointRecord(runID: "r", name: "ghost", step: 1))
        }
        #expect(missing?.description.hasSuffix("runs/r/checkpoints/ghost: checkpoint folder does not exist") == true)
        #expect(throws: StoreError.self) { try workspace.saveCheckpoint(run: "r", name: "../x", step: 1) { _ in } }
        #expect(throws: StoreError.self) { try workspace.saveCheckpoint(run: "ghost", name: "a", step: 1) { _ in } }

        try workspace.deleteCheckpoint(run: "r", name: "step-000100")
        #expect(try workspace.checkpoints(run: "r", kind: .state).map(\.name) == ["step-000200"])
        #expect(folder.entries("runs/r/checkpoints") == ["step-000200"])
        #expect(throws: StoreError.self) { try workspace.deleteCheckpoint(run: "r", name: "step-000100") }
        #expect(CheckpointRecord.scheduledName(step: 7) == "step-000007")
        #expect(CheckpointRecord.step(fromName: "step-000123") == 123)
        #expect(CheckpointRecord.step(fromName: "my-name") == nil)
    }

    @Test func writeOpenMarksRunsOfADeadOwnerInterrupted() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        do {
            let workspace = try Workspace.open(folder.url, mode: .write)
            try workspace.createRun(makeRun("running", status: .running))
            try workspace.createRun(makeRun("paused", status: .paused))
            try workspace.createRun(makeRun("done", status: .completed))
            try workspace.close()
        }
        let reader = try Workspace.open(folder.url, mode: .readOnly)
        #expect(try reader.run("running")?.status == .running)   // a reader changes nothing
        try reader.close()
        let workspace = try Workspace.open(folder.url, mode: .write)
        #expect(try workspace.run("running")?.status == .interrupted)
        #expect(try workspace.run("paused")?.status == .interrupted)
        #expect(try workspace.run("done")?.status == .completed)
        #expect(try workspace.markInterruptedRuns().isEmpty)
    }

    @Test func runFoldersCopiedInAreIndexedOnOpen() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let runDir = folder.url.appendingPathComponent("runs/sft-20260101-0000-beef")
        try FileManager.default.createDirectory(at: runDir.appendingPathComponent("checkpoints/step-000010"),
                                                withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: runDir.appendingPathComponent("sampler/final"),
                                                withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: runDir.appendingPathComponent("checkpoints/.lathe-tmp-1-x-step-000020"),
                                                withIntermediateDirectories: true)
        try minimalSFT().write(to: runDir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        let broken = folder.url.appendingPathComponent("runs/pretrain-20260101-0000-dead")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try "name = ".write(to: broken.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)

        let workspace = try Workspace.open(folder.url, mode: .write)
        let run = try #require(try workspace.run("sft-20260101-0000-beef"))
        #expect(run.status == .completed)            // step 10 = training.steps
        #expect(run.lastStep == 10 && run.name == "t" && run.kind == "sft")
        #expect(run.configHash == (try RunConfig.parse(minimalSFT())).hash)
        #expect(try workspace.checkpoints(run: run.id).map(\.name) == ["final", "step-000010"])
        let other = try #require(try workspace.run("pretrain-20260101-0000-dead"))
        #expect(other.kind == "pretrain" && other.status == .interrupted && other.errorMessage != nil)
        #expect(try workspace.indexRunFolders().isEmpty)
    }
}
