import Foundation
import Stats

/// Mean accuracy over seeds with a 95 % percentile-bootstrap interval, per method and shot count; seen/unseen splits
/// by class name; and paired differences between methods on the same support sets.
public struct TrialSummary: Codable, Equatable, Sendable {
    public struct Result: Codable, Equatable, Sendable {
        public var method: String
        public var shots: Int
        public var nSeeds: Int
        public var accuracy: Double
        public var ci95: [Double]
        public var accuracySeen: Double?
        public var accuracyUnseen: Double?
        public var ci95Seen: [Double]?
        public var ci95Unseen: [Double]?
        enum CodingKeys: String, CodingKey {
            case method, shots, accuracy, ci95
            case nSeeds = "n_seeds", accuracySeen = "accuracy_seen", accuracyUnseen = "accuracy_unseen"
            case ci95Seen = "ci95_seen", ci95Unseen = "ci95_unseen"
        }
    }

    public struct Paired: Codable, Equatable, Sendable {
        public var shots: Int
        public var a: String
        public var b: String
        public var nSeeds: Int
        public var diff: Double
        public var ci95: [Double]
        public var diffSeen: Double?
        public var ci95Seen: [Double]?
        public var diffUnseen: Double?
        public var ci95Unseen: [Double]?
        enum CodingKeys: String, CodingKey {
            case shots, a, b, diff, ci95
            case nSeeds = "n_seeds", diffSeen = "diff_seen", ci95Seen = "ci95_seen", diffUnseen = "diff_unseen", ci95Unseen = "ci95_unseen"
        }
    }

    public var results: [Result]
    public var paired: [Paired]

    public static let bootstrapSeed: UInt64 = 7
    public static let resamples = 10_000

    /// Accuracy per outcome (all test images, seen classes, unseen classes).
    static func accuracies(_ o: TrialOutcome, labels: [Int], heldOut: Set<Int>) -> (Double, Double?, Double?) {
        let all = o.accuracy(labels: labels)
        guard !heldOut.isEmpty else { return (all, nil, nil) }
        return (all, o.accuracy(labels: labels) { !heldOut.contains($0) }, o.accuracy(labels: labels) { heldOut.contains($0) })
    }

    static func interval(_ xs: [Double]) throws -> [Double] {
        let ci = try bootstrapCI(xs, resamples: resamples, seed: bootstrapSeed)
        return [ci.low, ci.high]
    }

    public init(outcomes: [TrialOutcome], labels: [Int], heldOut: Set<Int>, methods: [TrialMethod], shots: [Int]) throws {
        var results: [Result] = [], paired: [Paired] = []
        func of(_ m: TrialMethod, _ s: Int) -> [TrialOutcome] {
            outcomes.filter { $0.method == m && $0.shots == s }.sorted { $0.seed < $1.seed }
        }
        for s in shots {
            for m in methods {
                let os = of(m, s)
                guard !os.isEmpty else { continue }
                let acc = os.map { TrialSummary.accuracies($0, labels: labels, heldOut: heldOut) }
                let all = acc.map(\.0)
                var r = Result(method: m.rawValue, shots: s, nSeeds: os.count, accuracy: try mean(all), ci95: try TrialSummary.interval(all))
                if !heldOut.isEmpty {
                    let seen = acc.map { $0.1! }, unseen = acc.map { $0.2! }
                    r.accuracySeen = try mean(seen); r.accuracyUnseen = try mean(unseen)
                    r.ci95Seen = try TrialSummary.interval(seen); r.ci95Unseen = try TrialSummary.interval(unseen)
                }
                results.append(r)
            }
            let pairs: [(TrialMethod, TrialMethod)] = [(.vlm, .encoder), (.vlm, .pixels), (.encoder, .pixels)]
            for (a, b) in pairs where methods.contains(a) && methods.contains(b) {
                let oa = of(a, s), ob = of(b, s)
                let seeds = Set(oa.map(\.seed)).intersection(ob.map(\.seed)).sorted()
                guard !seeds.isEmpty else { continue }
                let xa = seeds.map { sd in TrialSummary.accuracies(oa.first { $0.seed == sd }!, labels: labels, heldOut: heldOut) }
                let xb = seeds.map { sd in TrialSummary.accuracies(ob.first { $0.seed == sd }!, labels: labels, heldOut: heldOut) }
                let d = try pairedDifferenceCI(xa.map(\.0), xb.map(\.0), resamples: TrialSummary.resamples, seed: TrialSummary.bootstrapSeed)
                var p = Paired(shots: s, a: a.rawValue, b: b.rawValue, nSeeds: seeds.count, diff: d.meanDifference,
                               ci95: [d.interval.low, d.interval.high])
                if !heldOut.isEmpty {
                    let ds = try pairedDifferenceCI(xa.map { $0.1! }, xb.map { $0.1! }, resamples: TrialSummary.resamples, seed: TrialSummary.bootstrapSeed)
                    let du = try pairedDifferenceCI(xa.map { $0.2! }, xb.map { $0.2! }, resamples: TrialSummary.resamples, seed: TrialSummary.bootstrapSeed)
                    p.diffSeen = ds.meanDifference; p.ci95Seen = [ds.interval.low, ds.interval.high]
                    p.diffUnseen = du.meanDifference; p.ci95Unseen = [du.interval.low, du.interval.high]
                }
                paired.append(p)
            }
        }
        self.results = results; self.paired = paired
    }

    /// Confusion counts [true class][predicted class], the last column for answers that name no class.
    public static func confusion(_ outcomes: [TrialOutcome], labels: [Int], classes: Int) -> [[Int]] {
        var m = [[Int]](repeating: [Int](repeating: 0, count: classes + 1), count: classes)
        for o in outcomes { for (p, y) in zip(o.predictions, labels) { m[y][p < 0 ? classes : p] += 1 } }
        return m
    }
}
