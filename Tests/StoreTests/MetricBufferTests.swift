import Foundation
import Testing
@testable import Store

@Suite struct MetricBufferTests {
    @Test func flushesAtMostOncePerInterval() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        try workspace.createRun(makeRun("r"))
        let start = Date(timeIntervalSince1970: 1_000)
        let buffer = MetricBuffer(workspace: workspace, now: start)
        buffer.append(run: "r", name: "train/loss", step: 1, value: 2)
        #expect(try !buffer.flushIfDue(now: start.addingTimeInterval(0.5)))
        #expect(buffer.pendingCount == 1)
        #expect(try workspace.allMetrics(run: "r").isEmpty)
        #expect(try buffer.flushIfDue(now: start.addingTimeInterval(1.0)))
        #expect(buffer.pendingCount == 0)
        #expect(try workspace.metrics(run: "r", name: "train/loss").map(\.value) == [2])

        buffer.append(run: "r", name: "train/loss", step: 2, value: 1.5)
        #expect(try !buffer.flushIfDue(now: start.addingTimeInterval(1.9)))
        try buffer.flush()   // end of run
        #expect(try workspace.metrics(run: "r", name: "train/loss").map(\.step) == [1, 2])
    }

    @Test func aFailedFlushKeepsThePoints() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        let buffer = MetricBuffer(workspace: workspace)
        buffer.append(run: "not-yet", name: "a", step: 1, value: 1)
        #expect(throws: StoreError.self) { try buffer.flush() }
        #expect(buffer.pendingCount == 1)
        try workspace.createRun(makeRun("not-yet"))
        try buffer.flush()
        #expect(buffer.pendingCount == 0)
    }
}

@Suite struct MetricExportTests {
    @Test func exportsCSVAndJSONL() throws {
        let folder = TemporaryFolder()
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        try workspace.createRun(makeRun("r"))
        try workspace.appendMetrics([
            MetricPoint(runID: "r", name: "train/loss", step: 2, value: 1.25, wallTime: 10.5),
            MetricPoint(runID: "r", name: "train/loss", step: 1, value: .nan, wallTime: 10),
            MetricPoint(runID: "r", name: "odd,\"name\"", step: 1, value: 3, wallTime: 11),
            MetricPoint(runID: "r", name: "train/lr", step: 1, value: 1e-4, wallTime: 10),
        ])
        let csv = folder.url.appendingPathComponent("out/metrics.csv")
        try workspace.exportMetrics(run: "r", format: .csv, to: csv)
        #expect(try String(contentsOf: csv, encoding: .utf8) == """
            name,step,value,wall_time
            "odd,""name\"\"",1,3.0,11.0
            train/loss,1,nan,10.0
            train/loss,2,1.25,10.5
            train/lr,1,0.0001,10.0

            """)
        let jsonl = folder.url.appendingPathComponent("out/loss.jsonl")
        try workspace.exportMetrics(run: "r", names: ["train/loss"], format: .jsonl, to: jsonl)
        let lines = try String(contentsOf: jsonl, encoding: .utf8).split(separator: "\n")
        #expect(lines == [
            #"{"name":"train/loss","step":1,"value":null,"wall_time":10.0}"#,
            #"{"name":"train/loss","step":2,"value":1.25,"wall_time":10.5}"#,
        ])
        for line in lines { _ = try JSONSerialization.jsonObject(with: Data(line.utf8)) }
        #expect(throws: StoreError.self) { try workspace.exportMetrics(run: "ghost", format: .csv, to: csv) }
    }
}
