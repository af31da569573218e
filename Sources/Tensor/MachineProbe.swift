import Foundation

/// Measures this machine's sgemm peak and memory read bandwidth, so benchmark ratios are read within one run.
public enum MachineProbe {
    public struct Figures: Codable, Sendable {
        public var sgemmGflops: Double
        public var memReadGBs: Double
        enum CodingKeys: String, CodingKey { case sgemmGflops = "sgemm_gflops", memReadGBs = "mem_read_gbs" }
        public init(sgemmGflops: Double, memReadGBs: Double) { self.sgemmGflops = sgemmGflops; self.memReadGBs = memReadGBs }
    }

    /// Best of `reps` 1024³ sgemms at the current OpenBLAS thread count.
    public static func sgemmPeak(size n: Int = 1024, reps: Int = 6) -> Double {
        let a = FloatBuffer(count: n * n), b = FloatBuffer(count: n * n), c = FloatBuffer(count: n * n)
        var rng = PhiloxRNG(seed: 1)
        for i in 0..<(n * n) { a[i] = rng.nextFloat() - 0.5; b[i] = rng.nextFloat() - 0.5 }
        var best = Double.infinity
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            BLAS.sgemm(m: n, n: n, k: n, a: a.pointer, lda: n, b: b.pointer, ldb: n, c: c.pointer, ldc: n)
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            best = min(best, dt)
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }

    /// Best of `reps` passes summing a buffer far larger than the L3 cache, split over the pool's threads.
    public static func memoryReadBandwidth(megabytes: Int = 1024, reps: Int = 4, pool: ThreadPool) -> Double {
        let count = megabytes * 1024 * 1024 / 4
        let buf = FloatBuffer(count: count)
        for i in stride(from: 0, to: count, by: 1024) { buf[i] = 1 }  // fault every page in
        let t = pool.threadCount
        let partial = FloatBuffer(count: t * 16)
        var best = Double.infinity
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            pool.run { part in
                let lo = (count / t) * part & ~63, hi = part == t - 1 ? count : (count / t) * (part + 1) & ~63
                var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
                let p = UnsafeRawPointer(buf.pointer)
                var i = lo
                while i + 64 <= hi {
                    a0 += (p + i * 4).load(as: SIMD16<Float>.self)
                    a1 += (p + i * 4 + 64).load(as: SIMD16<Float>.self)
                    a2 += (p + i * 4 + 128).load(as: SIMD16<Float>.self)
                    a3 += (p + i * 4 + 192).load(as: SIMD16<Float>.self)
                    i += 64
                }
                partial[part * 16] = (a0 + a1 + a2 + a3).sum()
            }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            best = min(best, dt)
        }
        return Double(count * 4) / best / 1e9
    }

    public static func measure(pool: ThreadPool) -> Figures {
        Figures(sgemmGflops: sgemmPeak(), memReadGBs: memoryReadBandwidth(pool: pool))
    }
}
