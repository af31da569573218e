import Engine
import Datasets
import Foundation

/// DESIGN's vision splits: pretraining uses train images 0–49 999, support sets come from train 50 000–59 999, and
/// the test subset is a fixed, class-balanced, seeded draw of t10k. Other data folders keep the same 5 : 1 cut.
public struct VisionSplits: Sendable {
    public let pretraining: Range<Int>
    public let supportPool: Range<Int>
    public let test: [Int]                  // t10k indices, class-balanced
    public static let testSeed: UInt64 = 20_260_607

    public init(data: VisionData, testSize: Int = 1000) throws {
        let n = data.train.count
        let cut = n == 60_000 ? 50_000 : n * 5 / 6
        pretraining = 0..<cut
        supportPool = cut..<n
        let classes = data.classNames.count
        let perClass = testSize / classes
        guard perClass >= 1 else { throw LatheError("test subset: \(testSize) images is fewer than one per class (\(classes) classes)") }
        var rng = SplitMix64(seed: VisionSplits.testSeed)
        var picked: [Int] = []
        for c in 0..<classes {
            var pool = (0..<data.test.count).filter { data.test.labels[$0] == c }
            guard pool.count >= perClass else {
                throw LatheError("\(data.directory.path): class \(c) (\(data.classNames[c])) has \(pool.count) test images, the class-balanced subset needs \(perClass)")
            }
            for i in 0..<perClass { pool.swapAt(i, i + rng.next(below: pool.count - i)) }
            picked += pool[0..<perClass]
        }
        test = picked.sorted()
    }

    /// `shots` support images per class from the support pool, drawn by `seed` (the same for every method).
    public static func support(_ data: VisionData, pool: Range<Int>, shots: Int, seed: UInt64) throws -> [Int] {
        var rng = SplitMix64.stream(seed: seed, UInt64(shots))
        var out: [Int] = []
        for c in 0..<data.classNames.count {
            var candidates = pool.filter { data.train.labels[$0] == c }
            guard candidates.count >= shots else {
                throw LatheError("\(data.directory.path): class \(c) (\(data.classNames[c])) has \(candidates.count) support-pool images, \(shots) shots need more")
            }
            for i in 0..<shots { candidates.swapAt(i, i + rng.next(below: candidates.count - i)) }
            out += candidates[0..<shots]
        }
        return out
    }
}
