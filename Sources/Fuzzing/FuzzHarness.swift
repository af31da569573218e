import Foundation

/// A parser under fuzz: valid example inputs to mutate, and a function that parses one input (throwing its error).
public struct FuzzTarget: Sendable {
    public let name: String
    /// The name the parser is given for its input (a file name); every rejection must mention it.
    public let source: String
    public let seeds: [[UInt8]]
    public let parse: @Sendable ([UInt8]) throws -> Void

    public init(name: String, source: String, seeds: [[UInt8]], parse: @escaping @Sendable ([UInt8]) throws -> Void) {
        self.name = name; self.source = source; self.seeds = seeds; self.parse = parse
    }
}

/// What a fuzz run of one target found.
public struct FuzzReport: Codable, Sendable {
    public var parser: String
    public var inputs = 0, parsed = 0, rejected = 0
    public var corpusReplayed = 0
    public var slowestMs = 0.0
    /// Rejections whose message is not one line naming the input, and inputs slower than the limit (first few).
    public var problems: [String] = []
    public var problemCount = 0

    public var ok: Bool { problemCount == 0 }
}

public enum FuzzHarness {
    /// Feeds the corpus (inputs that once failed), the seeds, then `count` mutations of the seeds to `target`.
    /// Before each parse, `current` (when given) receives the input, so a trap leaves it behind for the corpus.
    public static func run(_ target: FuzzTarget, count: Int, seed: UInt64, corpus: [[UInt8]] = [], current: URL? = nil,
                           limitSeconds: Double = 1) -> FuzzReport {
        var report = FuzzReport(parser: target.name)
        var mutator = Mutator(seed: seed ^ stableHash(target.name))
        func feed(_ bytes: [UInt8], _ label: String) {
            if let current { try? Data(bytes).write(to: current) }
            let t0 = DispatchTime.now().uptimeNanoseconds
            var failure: String?
            do { try target.parse(bytes); report.parsed += 1 } catch {
                report.rejected += 1
                let message = "\(error)"
                if message.contains("\n") || (!target.source.isEmpty && !message.contains(target.source)) || message.count > 600 {
                    failure = "\(label): rejection is not one line naming \(target.source): \(message.prefix(200))"
                }
            }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
            report.slowestMs = max(report.slowestMs, ms)
            if ms > limitSeconds * 1000 { failure = (failure.map { $0 + "; " } ?? "") + "\(label): took \(Int(ms)) ms" }
            report.inputs += 1
            if let failure {
                report.problemCount += 1
                if report.problems.count < 8 { report.problems.append(failure) }
            }
        }
        for (i, c) in corpus.enumerated() { feed(c, "corpus[\(i)]") }
        report.corpusReplayed = corpus.count
        for (i, s) in target.seeds.enumerated() { feed(s, "seed[\(i)]") }
        for i in 0..<count {
            let base = target.seeds[mutator.below(target.seeds.count)]
            let (bytes, kinds) = mutator.mutate(base)
            feed(bytes, "input \(i) (\(kinds.map(\.rawValue).joined(separator: "+")))")
        }
        return report
    }

    /// FNV-1a: a hash that is the same in every process (String.hashValue is randomised per run).
    static func stableHash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }
}
