import CSupport

/// Matrix-vector products for decoding: y[o] = W[o, :] · x. Hand-written because a BLAS call costs more than the
/// math at these sizes, and because each row's reduction order must not depend on which rows are computed together
/// (batch-invariant decoding): every row goes through the same accumulation sequence as `Kernels.dot`.
public enum GEMV {
    public typealias V8 = SIMD8<Float>

    /// y[o] = W[o,:]·x for o in `rows`.
    public static func apply(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        switch w.dtype {
        case .f32: kernel(F32Rows.self, w.base, w.cols, x, y, rows)
        case .bf16: kernel(BF16Rows.self, w.base, w.cols, x, y, rows)
        case .f16: kernel(F16Rows.self, w.base, w.cols, x, y, rows)
        }
    }

    /// y = W·x over all rows, split across the pool's threads.
    public static func apply(_ w: WeightMatrix, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, pool: ThreadPool) {
        let n = w.rows
        let t = pool.threadCount
        // Small matrices: one thread (dispatch costs more than the work).
        if t == 1 || n * w.cols < 16_384 {
            apply(w, x, y, rows: 0..<n)
            return
        }
        pool.run { i in
            let r = GEMV.split(n, part: i, of: t)
            if !r.isEmpty { GEMV.apply(w, x, y, rows: r) }
        }
    }

    /// Rows of part `i` of `t`, multiples of 4 except the last.
    @inline(__always)
    public static func split(_ n: Int, part i: Int, of t: Int) -> Range<Int> {
        let chunk = ((n + t - 1) / t + 3) & ~3
        let lo = min(n, i * chunk), hi = min(n, lo + chunk)
        return lo..<hi
    }

    @inline(__always)
    static func kernel<E: RowElements>(_: E.Type, _ base: UnsafeRawPointer, _ k: Int, _ x: UnsafePointer<Float>,
                                       _ y: UnsafeMutablePointer<Float>, _ rows: Range<Int>) {
        var o = rows.lowerBound
        let hi = rows.upperBound
        let rowBytes = k * E.byteSize
        // Rows are short (1–3 KB here): the hardware prefetcher barely trains on a 4-row block before it ends, so
        // fetch the block two ahead while computing this one.
        let ahead = 8 * rowBytes
        let end = base + hi * rowBytes
        while o + 4 <= hi {
            let r0 = base + o * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes
            var pf = r0 + ahead
            let pfEnd = min(pf + 4 * rowBytes, end)
            var a0 = V8(), a1 = V8(), a2 = V8(), a3 = V8()
            var b0 = V8(), b1 = V8(), b2 = V8(), b3 = V8()
            var i = 0
            while i + 16 <= k {
                if pf < pfEnd {
                    lathe_prefetch(pf); lathe_prefetch(pf + 64); lathe_prefetch(pf + 128); lathe_prefetch(pf + 192)
                    pf += 256
                }
                let x0 = Kernels.load8(x + i), x1 = Kernels.load8(x + i + 8)
                a0.addProduct(E.load8(r0, i), x0); b0.addProduct(E.load8(r0, i + 8), x1)
                a1.addProduct(E.load8(r1, i), x0); b1.addProduct(E.load8(r1, i + 8), x1)
                a2.addProduct(E.load8(r2, i), x0); b2.addProduct(E.load8(r2, i + 8), x1)
                a3.addProduct(E.load8(r3, i), x0); b3.addProduct(E.load8(r3, i + 8), x1)
                i += 16
            }
            if i + 8 <= k {
                let x0 = Kernels.load8(x + i)
                a0.addProduct(E.load8(r0, i), x0); a1.addProduct(E.load8(r1, i), x0)
                a2.addProduct(E.load8(r2, i), x0); a3.addProduct(E.load8(r3, i), x0)
                i += 8
            }
            var s0 = (a0 + b0).sum(), s1 = (a1 + b1).sum(), s2 = (a2 + b2).sum(), s3 = (a3 + b3).sum()
            while i < k {
                let xi = x[i]
                s0 += E.scalar(r0, i) * xi; s1 += E.scalar(r1, i) * xi
                s2 += E.scalar(r2, i) * xi; s3 += E.scalar(r3, i) * xi
                i += 1
            }
            y[o] = s0; y[o + 1] = s1; y[o + 2] = s2; y[o + 3] = s3
            o += 4
        }
        while o < hi {
            let r = base + o * rowBytes
            var a = V8(), b = V8()
            var i = 0
            while i + 16 <= k {
                a.addProduct(E.load8(r, i), Kernels.load8(x + i))
                b.addProduct(E.load8(r, i + 8), Kernels.load8(x + i + 8))
                i += 16
            }
            if i + 8 <= k { a.addProduct(E.load8(r, i), Kernels.load8(x + i)); i += 8 }
            var s = (a + b).sum()
            while i < k { s += E.scalar(r, i) * x[i]; i += 1 }
            y[o] = s
            o += 1
        }
    }
}

/// How a GEMV kernel reads 8 consecutive elements of a weight row as fp32.
protocol RowElements {
    static var byteSize: Int { get }
    static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float>
    static func scalar(_ row: UnsafeRawPointer, _ i: Int) -> Float
}

enum F32Rows: RowElements {
    static var byteSize: Int { 4 }
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        (row + i * 4).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) static func scalar(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        (row + i * 4).loadUnaligned(as: Float.self)
    }
}

enum BF16Rows: RowElements {
    static var byteSize: Int { 2 }
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        let h = (row + i * 2).loadUnaligned(as: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD8<Float>.self)
    }
    @inline(__always) static func scalar(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        HalfPrecision.bf16ToFloat((row + i * 2).loadUnaligned(as: UInt16.self))
    }
}

enum F16Rows: RowElements {
    static var byteSize: Int { 2 }
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        SIMD8<Float>((row + i * 2).loadUnaligned(as: SIMD8<Float16>.self))
    }
    @inline(__always) static func scalar(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        Float((row + i * 2).loadUnaligned(as: Float16.self))
    }
}
