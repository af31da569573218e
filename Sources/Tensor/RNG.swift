import Foundation

/// Philox4x32-10: a counter-based generator (Salmon et al., 2011). The stream is a pure function of (key, counter),
/// so a generator can be split, skipped ahead and saved as two integers, and runs are reproducible on any thread.
public struct PhiloxRNG: Sendable, RandomNumberGenerator, Equatable, Codable {
    public private(set) var key: UInt64
    public private(set) var counter: UInt64
    private var buffer: SIMD4<UInt32> = .zero
    private var bufferIndex: Int = 4

    public init(seed: UInt64, stream: UInt64 = 0) {
        // Mix the stream into the key so (seed, stream) pairs give unrelated sequences.
        key = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15)
        counter = 0
    }

    /// The generator for a named sub-stream: independent of this one and of other sub-streams.
    public func split(_ stream: UInt64) -> PhiloxRNG {
        PhiloxRNG(seed: key &+ 0xD1B5_4A32_D192_ED03, stream: stream &+ 1)
    }

    static func block(key: UInt64, counter: UInt64) -> SIMD4<UInt32> {
        var c0 = UInt32(truncatingIfNeeded: counter), c1 = UInt32(truncatingIfNeeded: counter >> 32)
        var c2: UInt32 = 0, c3: UInt32 = 0
        var k0 = UInt32(truncatingIfNeeded: key), k1 = UInt32(truncatingIfNeeded: key >> 32)
        for _ in 0..<10 {
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let n0 = UInt32(truncatingIfNeeded: p1 >> 32) ^ c1 ^ k0
            let n1 = UInt32(truncatingIfNeeded: p1)
            let n2 = UInt32(truncatingIfNeeded: p0 >> 32) ^ c3 ^ k1
            let n3 = UInt32(truncatingIfNeeded: p0)
            c0 = n0; c1 = n1; c2 = n2; c3 = n3
            k0 = k0 &+ 0x9E37_79B9
            k1 = k1 &+ 0xBB67_AE85
        }
        return SIMD4(c0, c1, c2, c3)
    }

    public mutating func nextUInt32() -> UInt32 {
        if bufferIndex == 4 {
            buffer = PhiloxRNG.block(key: key, counter: counter)
            counter &+= 1
            bufferIndex = 0
        }
        defer { bufferIndex += 1 }
        return buffer[bufferIndex]
    }

    public mutating func next() -> UInt64 {
        UInt64(nextUInt32()) << 32 | UInt64(nextUInt32())
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func nextFloat() -> Float { Float(nextUInt32() >> 8) * (1.0 / 16_777_216.0) }

    /// Uniform in [0, 1) with 53 bits of precision.
    public mutating func nextDouble() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// Standard normal via Box-Muller.
    public mutating func nextGaussian() -> Float {
        let u1 = max(nextDouble(), 1e-300), u2 = nextDouble()
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    enum CodingKeys: String, CodingKey { case key, counter, bufferIndex }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(UInt64.self, forKey: .key)
        counter = try c.decode(UInt64.self, forKey: .counter)
        bufferIndex = try c.decode(Int.self, forKey: .bufferIndex)
        guard (0...4).contains(bufferIndex) else {
            throw DecodingError.dataCorruptedError(forKey: .bufferIndex, in: c, debugDescription: "must be 0...4")
        }
        if bufferIndex < 4, counter > 0 { buffer = PhiloxRNG.block(key: key, counter: counter &- 1) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(counter, forKey: .counter)
        try c.encode(bufferIndex, forKey: .bufferIndex)
    }
}

