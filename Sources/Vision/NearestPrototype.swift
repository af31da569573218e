import Foundation

/// Nearest class prototype: the mean of each class's support vectors; a query goes to the closest prototype, by
/// squared Euclidean distance (raw pixels) or by cosine similarity of L2-normalised vectors (encoder features).
public struct NearestPrototype: Sendable {
    public enum Metric: Sendable { case euclidean, cosine }
    public let metric: Metric
    let dim: Int
    let prototypes: [[Float]]

    static func normalised(_ v: ArraySlice<Float>) -> [Float] {
        let n = max(v.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        return v.map { $0 / n }
    }

    /// `vectors` [count, dim] with one label each; every class in 0..<classes needs at least one vector.
    public init(vectors: [Float], labels: [Int], classes: Int, dim: Int, metric: Metric) {
        self.metric = metric; self.dim = dim
        var sums = [[Float]](repeating: [Float](repeating: 0, count: dim), count: classes)
        var counts = [Int](repeating: 0, count: classes)
        for (i, y) in labels.enumerated() {
            let v = vectors[(i * dim)..<((i + 1) * dim)]
            let x = metric == .cosine ? NearestPrototype.normalised(v) : Array(v)
            for j in 0..<dim { sums[y][j] += x[j] }
            counts[y] += 1
        }
        prototypes = zip(sums, counts).map { s, c in
            let mean = s.map { $0 / Float(max(c, 1)) }
            return metric == .cosine ? NearestPrototype.normalised(mean[...]) : mean
        }
    }

    /// The class of each query vector [count, dim] (ties → the lower class).
    public func classify(_ queries: [Float]) -> [Int] {
        let n = queries.count / dim
        return (0..<n).map { i in
            let q = queries[(i * dim)..<((i + 1) * dim)]
            let x = metric == .cosine ? NearestPrototype.normalised(q) : Array(q)
            var best = 0, bestScore = -Float.infinity
            for (c, p) in prototypes.enumerated() {
                var s: Float = 0
                switch metric {
                case .cosine: for j in 0..<dim { s += x[j] * p[j] }
                case .euclidean: for j in 0..<dim { let d = x[j] - p[j]; s -= d * d }
                }
                if s > bestScore { bestScore = s; best = c }
            }
            return best
        }
    }
}
