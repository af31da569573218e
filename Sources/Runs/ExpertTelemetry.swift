import Engine
import Foundation

/// MoE telemetry of one RL step, from the routing of every scored row: per layer the expert load (fraction of routed
/// slots per expert), its imbalance (coefficient of variation across experts), the router's entropy, and the drift of
/// the routing from the base model's on the same tokens (mean KL(policy router ‖ base router) and the fraction of
/// tokens whose top-k set changed).
struct ExpertTelemetry {
    /// Per chunk of datums, per sparse layer: the policy's and the reference's routing of the same rows.
    let policy: [[RouterRecord]], reference: [[RouterRecord]]
    /// The model-layer index of each sparse layer (metric names use it).
    let layers: [Int]

    var metrics: [(String, Double)] {
        guard let first = policy.first, !first.isEmpty else { return [] }
        var out: [(String, Double)] = []
        var cvs: [Double] = [], entropies: [Double] = [], drifts: [Double] = [], changed: [Double] = []
        for s in first.indices {
            let e = first[s].experts
            var counts = [Double](repeating: 0, count: e)
            var rows = 0, slots = 0
            var entropy = 0.0, klSum = 0.0, changedSum = 0.0
            for (c, chunk) in policy.enumerated() {
                let rec = chunk[s], n = rec.chosen.count
                for choice in rec.chosen { for x in choice { counts[x] += 1; slots += 1 } }
                entropy += rec.meanEntropy * Double(n)
                let d = rec.drift(from: reference[c][s])
                klSum += d.kl * Double(n); changedSum += d.changed * Double(n)
                rows += n
            }
            let layer = s < layers.count ? layers[s] : s
            let fractions = counts.map { $0 / Double(max(1, slots)) }
            for (x, f) in fractions.enumerated() { out.append(("router/load/\(layer)/\(x)", f)) }
            let m = fractions.reduce(0, +) / Double(e)
            let cv = m > 0 ? (fractions.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(e)).squareRoot() / m : 0
            let r = Double(max(1, rows))
            out.append(("router/load_cv/\(layer)", cv))
            out.append(("router/entropy/\(layer)", entropy / r))
            out.append(("router/drift_kl/\(layer)", klSum / r))
            out.append(("router/drift_topk/\(layer)", changedSum / r))
            cvs.append(cv); entropies.append(entropy / r); drifts.append(klSum / r); changed.append(changedSum / r)
        }
        func avg(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
        out += [("router/load_cv", avg(cvs)), ("router/entropy", avg(entropies)), ("router/drift_kl", avg(drifts)),
                ("router/drift_topk", avg(changed))]
        return out
    }
}
