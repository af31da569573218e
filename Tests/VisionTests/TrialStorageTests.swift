import Foundation
import Testing
@testable import Store

/// Trial grids and trials survive a close and reopen of the workspace, byte for byte.
struct TrialStorageTests {
    @Test func roundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-trials-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let grid = TrialGridRecord(id: "g1", data: "/data", settingsJSON: #"{"seeds":2}"#, classNamesJSON: #"["a","b"]"#,
                                   heldOutJSON: "[1]", testIndicesJSON: "[4,9]", createdAt: Date(timeIntervalSince1970: 1_700_000_000))
        let trial = TrialRecord(gridID: "g1", method: "vlm", shots: 4, seed: 1, accuracy: 0.5, predictionsJSON: "[0,-1]",
                                supportJSON: "[7,8]", seconds: 1.25, createdAt: Date(timeIntervalSince1970: 1_700_000_001))
        do {
            let ws = try Workspace.open(dir, mode: .write)
            try ws.addTrialGrid(grid)
            try ws.addTrial(trial)
            var again = trial; again.accuracy = 1; again.predictionsJSON = "[0,1]"
            try ws.addTrial(again)                        // same (method, shots, seed) replaces
            try ws.finishTrialGrid("g1", status: "done", summaryJSON: #"{"results":[]}"#, wallSeconds: 3.5)
            #expect(throws: StoreError.self) { try ws.addTrial(TrialRecord(gridID: "nope", method: "vlm", shots: 1, seed: 0, accuracy: 0, predictionsJSON: "[]", supportJSON: "[]", seconds: 0)) }
            #expect(throws: StoreError.self) { try ws.finishTrialGrid("g1", status: "exploded", summaryJSON: nil, wallSeconds: 0) }
            try ws.close()
        }
        let ws = try Workspace.open(dir, mode: .readOnly)
        let grids = try ws.trialGrids()
        #expect(grids.count == 1)
        var expected = grid; expected.status = "done"; expected.summaryJSON = #"{"results":[]}"#; expected.wallSeconds = 3.5
        #expect(grids.first == expected)
        let trials = try ws.trials(grid: "g1")
        #expect(trials.count == 1)
        #expect(trials.first?.accuracy == 1 && trials.first?.predictionsJSON == "[0,1]")
        try ws.close()
    }
}
