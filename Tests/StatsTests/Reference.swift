import Foundation

/// The reference values of Tests/Fixtures/stats/expected.json, written by make_expected.py from numpy and scipy.
struct Reference: Decodable {
    struct NormalQuantile: Decodable { let p: Double; let x: Double }
    struct TQuantile: Decodable { let p: Double; let df: Double; let t: Double; let t_mpmath: Double }
    struct Descriptive: Decodable { let xs: [Double]; let mean: Double; let std: Double; let sem: Double }
    struct TInterval: Decodable { let xs: [Double]; let confidence: Double; let low: Double; let high: Double }
    struct Wilson: Decodable { let successes: Int; let trials: Int; let confidence: Double; let low: Double; let high: Double }
    struct PassAtK: Decodable { let n: Int; let c: Int; let k: Int; let value: Double }
    struct MeanPassAtK: Decodable { let problems: [[Int]]; let k: Int; let value: Double }
    struct Bootstrap: Decodable {
        let xs: [Double]
        let confidence: Double
        let resamples: Int
        let runs: Int
        let low_mean: Double
        let low_sd: Double
        let high_mean: Double
        let high_sd: Double
    }

    struct BootstrapPort: Decodable {
        let xs: [Double]
        let confidence: Double
        let resamples: Int
        let seed: UInt64
        let low: Double
        let high: Double
    }

    let scipy: String
    let normal_quantiles: [NormalQuantile]
    let t_quantiles: [TQuantile]
    let descriptive: [Descriptive]
    let t_intervals: [TInterval]
    let wilson: [Wilson]
    let pass_at_k: [PassAtK]
    let mean_pass_at_k: [MeanPassAtK]
    let bootstrap: Bootstrap
    let bootstrap_port: BootstrapPort

    /// Located from this source file (no bundle resources): Tests/Fixtures/stats/expected.json.
    static let shared: Reference = {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" && dir.lastPathComponent != "Tests" { dir = dir.deletingLastPathComponent() }
        let url = dir.appendingPathComponent("Fixtures/stats/expected.json")
        do {
            return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot read \(url.path): \(error)")
        }
    }()
}

/// |got − want| relative to max(1, |want|): absolute near 0, relative for large values.
func scaledError(_ got: Double, _ want: Double) -> Double {
    if got == want { return 0 }  // also equal infinities
    return abs(got - want) / max(1, abs(want))
}
