import Foundation
import Testing
@testable import Store

/// Benchmark-like: prints times, asserts only correctness (target: reload < 1 s).
@Suite struct StorePerformanceTests {
    @Test func hundredThousandMetricPointsAndAThousandSamples() throws {
        let folder = TemporaryFolder("perf")
        defer { folder.remove() }
        let workspace = try Workspace.open(folder.url, mode: .write)
        try workspace.createRun(makeRun("r"))
        let names = (0..<10).map { "train/metric\($0)" }
        let points = names.flatMap { name in
            (0..<10_000).map { MetricPoint(runID: "r", name: name, step: $0, value: Double($0) * 0.5, wallTime: 1e9) }
        }
        let samples = (0..<1_000).map {
            SampleRecord(runID: "r", step: $0, prompt: "prompt \($0) " + String(repeating: "x", count: 100),
                         completion: "completion \($0) " + String(repeating: "y", count: 200), settingsJSON: "{\"t\":0}")
        }

        var clock = ContinuousClock.now
        try workspace.appendMetrics(points)
        try workspace.addSamples(samples)
        let insert = ContinuousClock.now - clock

        clock = ContinuousClock.now
        var reloaded = 0
        for name in names { reloaded += try workspace.metrics(run: "r", name: name).count }
        let reloadedSamples = try workspace.samples(run: "r")
        let reload = ContinuousClock.now - clock

        clock = ContinuousClock.now
        let all = try workspace.allMetrics(run: "r")
        let reloadAll = ContinuousClock.now - clock

        #expect(reloaded == 100_000 && all.count == 100_000)
        #expect(reloadedSamples.count == 1_000)
        #expect(all.last?.value == 9_999 * 0.5)
        print("store perf: insert 100000 points + 1000 samples \(insert); reload per curve + samples \(reload); "
              + "reload all points \(reloadAll)")
    }
}
