import Datasets
import Engine
import Foundation
import Store
import Testing
import Tokenizer
@testable import Runs

/// Thumbs become Bradley–Terry pairs: within a prompt first, across prompts for ratings without an opposite.
struct PreferenceDataTests {
    let tokenizer = try! Tokenizer(contentsOf: repoRoot.appendingPathComponent("Tests/Fixtures/models/tiny-chat/tokenizer.json"))
    var template: ChatTemplate { try! ChatTemplate(tokenizer: tokenizer) }

    func rated(_ id: Int64, _ prompt: String, _ reply: String, _ rating: Int) -> RatedSample {
        RatedSample(sample: SampleRecord(id: id, runID: "r", step: 0, kind: "probe", prompt: prompt, completion: reply,
                                         settingsJSON: #"{"chat":true}"#), rating: rating, ratedAt: Date())
    }

    @Test func withinPromptPairsThenCrossPromptPairs() {
        let t = template
        let items = [rated(1, "A", "good", 1), rated(2, "A", "bad", -1), rated(3, "A", "fine", 1), rated(4, "B", "meh", -1)]
        let data = PreferenceData.fromFeedback(items, template: t, tokenizer: tokenizer, holdOutEvery: 1_000_000)
        #expect(data.labels == 4)
        // A: (1 > 2), (3 > 2); B's lone thumbs-down is paired with A's thumbs-ups: (1 > 4), (3 > 4).
        #expect(data.count == 4)
        let seq = { (p: String, r: String) in PreferenceData.sequence([ChatMessage(.user, p)], reply: r, template: t) }
        let all = data.train + data.heldOut
        #expect(all.contains(RewardModel.Pair(chosen: seq("A", "good"), rejected: seq("A", "bad"))))
        #expect(all.contains(RewardModel.Pair(chosen: seq("A", "fine"), rejected: seq("B", "meh"))))
        #expect(seq("A", "good").last == tokenizer.specialTokens["<|im_end|>"])
    }

    @Test func aPairStaysOnItsSideOfTheSplitAsRatingsArrive() {
        let t = template
        var items: [RatedSample] = []
        for i in 0..<40 { items.append(rated(Int64(2 * i), "P\(i)", "yes \(i)", 1)); items.append(rated(Int64(2 * i + 1), "P\(i)", "no \(i)", -1)) }
        let small = PreferenceData.fromFeedback(Array(items.prefix(40)), template: t, tokenizer: tokenizer, holdOutEvery: 4)
        let large = PreferenceData.fromFeedback(items, template: t, tokenizer: tokenizer, holdOutEvery: 4)
        #expect(!small.heldOut.isEmpty && !small.train.isEmpty)
        for p in small.heldOut { #expect(large.heldOut.contains(p)) }
        for p in small.train { #expect(large.train.contains(p)) }
    }
}
