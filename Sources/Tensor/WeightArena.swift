import Foundation

/// One contiguous allocation holding many weight matrices, 64-byte aligned each, advised to use transparent huge
/// pages: decoding streams hundreds of MB per token, and with 4 KB pages the TLB misses cost a fifth of the bandwidth.
public final class WeightArena: @unchecked Sendable {
    public let byteCount: Int
    let base: UnsafeMutableRawPointer
    private var used = 0

    static let hugePage = 2 << 20

    public init(byteCount: Int) {
        self.byteCount = max(byteCount, 64)
        let rounded = (self.byteCount + WeightArena.hugePage - 1) / WeightArena.hugePage * WeightArena.hugePage
        base = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: WeightArena.hugePage)
        _ = madvise(base, rounded, 14 /* MADV_HUGEPAGE */)
    }

    deinit { base.deallocate() }

    /// Bytes a matrix takes in an arena, padding included.
    public static func footprint(_ m: WeightMatrix) -> Int { (m.byteCount + 63) & ~63 }

    /// A copy of `m` (same precision) placed in the arena.
    public func store(_ m: WeightMatrix) -> WeightMatrix {
        let size = WeightArena.footprint(m)
        precondition(used + size <= byteCount, "WeightArena overflow")
        let dst = base + used
        used += size
        dst.copyMemory(from: m.base, byteCount: m.byteCount)
        return WeightMatrix(rows: m.rows, cols: m.cols, dtype: m.dtype, base: UnsafeRawPointer(dst), owner: self)
    }
}
