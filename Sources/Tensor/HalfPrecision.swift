/// IEEE half and bfloat16 <-> Float conversion. bf16 -> f32 is exact (a 16-bit shift); f32 -> bf16 rounds to
/// nearest even, as PyTorch's `.to(torch.bfloat16)` does.
public enum HalfPrecision {
    @inline(__always)
    public static func bf16ToFloat(_ h: UInt16) -> Float { Float(bitPattern: UInt32(h) << 16) }

    @inline(__always)
    public static func floatToBF16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }

    @inline(__always)
    public static func f16ToFloat(_ h: UInt16) -> Float { Float(Float16(bitPattern: h)) }

    @inline(__always)
    public static func floatToF16(_ f: Float) -> UInt16 { Float16(f).bitPattern }

    public static func widenBF16(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = Float(bitPattern: UInt32(src[i]) << 16) }
    }

    public static func widenF16(_ src: UnsafePointer<UInt16>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dst[i] = Float(Float16(bitPattern: src[i])) }
    }
}
