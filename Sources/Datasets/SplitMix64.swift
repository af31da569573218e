/// SplitMix64 (Steele, Lea & Flood 2014; the generator Java's SplittableRandom and xoshiro's seeding use): a 64-bit
/// state advanced by a constant and mixed. Deterministic across runs, platforms and Swift versions, unlike anything
/// built on `Hasher` or `SystemRandomNumberGenerator`; its whole state is one `UInt64`, so it is checkpointed as is.
public struct SplitMix64: RandomNumberGenerator, Codable, Equatable, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The output function: a bijective 64-bit mixer.
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (rejection sampling, so unbiased; our own so the stream is fixed by this file
    /// rather than by the standard library's `random(in:using:)`).
    public mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let n = UInt64(bound)
        let threshold = (0 &- n) % n  // 2^64 mod n: values below it would favour small results
        while true {
            let r = next()
            if r >= threshold { return Int(r % n) }
        }
    }

    /// An independent generator for stream `k` of `seed` (one per epoch, one for the held-out split, …).
    public static func stream(seed: UInt64, _ k: UInt64) -> SplitMix64 {
        SplitMix64(seed: mix(seed ^ mix(k &+ 0x632B_E59B_D9B4_E019)))
    }
}

extension Array {
    /// Fisher–Yates with `SplitMix64.next(below:)`: the same order for the same generator state, always.
    public mutating func seededShuffle(using rng: inout SplitMix64) {
        guard count > 1 else { return }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = rng.next(below: i + 1)
            if i != j { swapAt(i, j) }
        }
    }
}
