import Datasets
import Engine
import Foundation
import Store
import Tokenizer

/// Preference pairs for the reward model, as token sequences (the chat-templated prompt and reply, ending with
/// `<|im_end|>`), split into training and held-out pairs.
public struct PreferenceData: Sendable {
    public var train: [RewardModel.Pair] = []
    public var heldOut: [RewardModel.Pair] = []
    /// Ratings (or file lines) these pairs were built from.
    public var labels = 0

    public var count: Int { train.count + heldOut.count }

    /// The conversation as the template renders it, cut after the reply's closing `<|im_end|>` (the position the
    /// reward model scores).
    static func sequence(_ messages: [ChatMessage], reply: String, template: ChatTemplate) -> [Int] {
        var ids = template.encode(messages + [ChatMessage(.assistant, reply)]).ids
        if let last = ids.lastIndex(of: template.endID) { ids.removeSubrange((last + 1)...) }
        return ids
    }

    /// A JSONL file of `{"prompt": …, "chosen": …, "rejected": …}` (prompt may also be `messages`, a chat prefix).
    /// Every `holdOutEvery`-th line is held out.
    public static func fromFile(_ url: URL, source: String, template: ChatTemplate, holdOutEvery: Int) throws -> PreferenceData {
        let records = try JSONLFile.records(contentsOf: url, source: source,
                                            expected: "{\"prompt\": …, \"chosen\": …, \"rejected\": …}")
        var out = PreferenceData()
        for (i, r) in records.enumerated() {
            let prompt = try PromptsEnvironment.prompt(of: r)
            let chosen = try r.requiredString("chosen"), rejected = try r.requiredString("rejected")
            if chosen == rejected { throw r.error("chosen and rejected are the same text: nothing to learn") }
            let pair = RewardModel.Pair(chosen: sequence(prompt, reply: chosen, template: template),
                                        rejected: sequence(prompt, reply: rejected, template: template))
            if i % holdOutEvery == holdOutEvery - 1 { out.heldOut.append(pair) } else { out.train.append(pair) }
        }
        out.labels = records.count
        return out
    }

    /// Thumbs in the workspace as pairs: within one prompt, every thumbs-up sample beats every thumbs-down one; a
    /// rated sample whose prompt has no opposite rating is paired with the opposite ratings of other prompts (at most
    /// `crossLimit`), so a single rating already teaches something. A pair is held out by a hash of its two sample
    /// ids (one in `holdOutEvery`), so adding ratings never moves an old pair between the splits.
    public static func fromFeedback(_ rated: [RatedSample], template: ChatTemplate, tokenizer: Tokenizer, holdOutEvery: Int,
                                    crossLimit: Int = 4) -> PreferenceData {
        struct Item { var id: Int64; var seq: [Int]; var key: String; var up: Bool }
        var items: [Item] = []
        for r in rated {
            guard let id = r.sample.id else { continue }
            let chat = SampleSettings.parse(r.sample.settingsJSON)?.chat ?? true
            let seq = chat ? sequence([ChatMessage(.user, r.sample.prompt)], reply: r.sample.completion, template: template)
                           : tokenizer.encode(r.sample.prompt + r.sample.completion)
            guard seq.count >= 2 else { continue }
            items.append(Item(id: id, seq: seq, key: (chat ? "chat:" : "raw:") + r.sample.prompt, up: r.rating > 0))
        }
        var out = PreferenceData()
        out.labels = items.count
        func add(_ up: Item, _ down: Item) {
            let pair = RewardModel.Pair(chosen: up.seq, rejected: down.seq)
            var h = SplitMix64(seed: UInt64(bitPattern: up.id) &* 0x9E37_79B9 ^ UInt64(bitPattern: down.id))
            if h.next(below: holdOutEvery) == 0 { out.heldOut.append(pair) } else { out.train.append(pair) }
        }
        let ups = items.filter(\.up), downs = items.filter { !$0.up }
        var paired = Set<Int64>()
        for u in ups { for d in downs where d.key == u.key { add(u, d); paired.insert(u.id); paired.insert(d.id) } }
        for u in ups where !paired.contains(u.id) { for d in downs.filter({ $0.key != u.key }).prefix(crossLimit) { add(u, d) } }
        for d in downs where !paired.contains(d.id) {
            for u in ups.filter({ $0.key != d.key && paired.contains($0.id) }).prefix(crossLimit) { add(u, d) }
        }
        return out
    }

    public static func + (a: PreferenceData, b: PreferenceData) -> PreferenceData {
        PreferenceData(train: a.train + b.train, heldOut: a.heldOut + b.heldOut, labels: a.labels + b.labels)
    }
}
