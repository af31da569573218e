import Foundation
import Testing
@testable import Tensor

/// Kernels against float64 reference loops. Tolerances are fp32 rounding over the row lengths used (≤ 1e-5 relative).
struct KernelTests {
    func randomArray(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = PhiloxRNG(seed: seed)
        return (0..<n).map { _ in rng.nextGaussian() * scale }
    }

    @Test(arguments: [1, 7, 8, 15, 16, 17, 33, 128, 1000])
    func dotMatchesFloat64(n: Int) {
        let a = randomArray(n, seed: 1), b = randomArray(n, seed: 2)
        let ref = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let got = Kernels.dot(a, b, n)
        #expect(abs(Double(got) - ref) <= 1e-5 * max(1, abs(ref)) * Double(n).squareRoot())
    }

    @Test func rmsNormMatchesFormula() {
        let n = 37
        let x = randomArray(n, seed: 3), w = randomArray(n, seed: 4)
        var y = [Float](repeating: 0, count: n)
        let rstd = Kernels.rmsNorm(x, w, &y, n, eps: 1e-6)
        let ms = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(n)
        let r = 1 / (ms + 1e-6).squareRoot()
        #expect(abs(Double(rstd) - r) < 1e-5 * r)
        for i in 0..<n { #expect(abs(Double(y[i]) - Double(x[i]) * r * Double(w[i])) < 1e-5) }
    }

    @Test func softmaxAndLogSumExp() {
        var x: [Float] = [1000, 1001, 999, -5, 0]   // large values: must not overflow
        let lse = Kernels.logSumExp(x, x.count)
        let ref = 1001 + log(exp(-1.0) + 1 + exp(-2.0) + exp(-1006.0) + exp(-1001.0))
        #expect(abs(Double(lse) - ref) < 1e-4)
        Kernels.softmax(&x, x.count)
        #expect(abs(x.reduce(0, +) - 1) < 1e-6)
        #expect(abs(Double(x[1]) - exp(1001 - ref)) < 1e-6)
        #expect(Kernels.logSumExp([-Float.infinity, -Float.infinity], 2) == -Float.infinity)
    }

    @Test func siluAndSwiGLU() {
        let g: [Float] = [-3, -0.5, 0, 0.5, 3], u: [Float] = [1, 2, 3, 4, 5]
        var out = [Float](repeating: 0, count: 5)
        Kernels.swiGLU(g, u, &out, 5)
        for i in 0..<5 {
            let ref = Double(g[i]) / (1 + exp(-Double(g[i]))) * Double(u[i])
            #expect(abs(Double(out[i]) - ref) < 1e-6)
        }
    }

    @Test func ropeRotatesHalves() {
        let d = 8
        var x = randomArray(d, seed: 5)
        let orig = x
        let cos: [Float] = (0..<4).map { Float(Foundation.cos(Double($0) * 0.3)) }
        let sin: [Float] = (0..<4).map { Float(Foundation.sin(Double($0) * 0.3)) }
        Kernels.rope(&x, cos: cos, sin: sin, headDim: d)
        for i in 0..<4 {
            #expect(abs(x[i] - (orig[i] * cos[i] - orig[i + 4] * sin[i])) < 1e-6)
            #expect(abs(x[i + 4] - (orig[i + 4] * cos[i] + orig[i] * sin[i])) < 1e-6)
        }
        // A rotation keeps the norm.
        #expect(abs(Kernels.dot(x, x, d) - Kernels.dot(orig, orig, d)) < 1e-5)
    }

    @Test func halfPrecisionConversions() {
        #expect(HalfPrecision.bf16ToFloat(0x3F80) == 1)
        #expect(HalfPrecision.floatToBF16(1) == 0x3F80)
        // Round to nearest even: 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7 → rounds to the even (1).
        #expect(HalfPrecision.floatToBF16(1 + 1 / 256) == 0x3F80)
        #expect(HalfPrecision.floatToBF16(1 + 3 / 256) == 0x3F82)
        #expect(HalfPrecision.f16ToFloat(0x3C00) == 1)
        #expect(HalfPrecision.f16ToFloat(0xC000) == -2)
        #expect(HalfPrecision.floatToBF16(.nan) & 0x7FC0 == 0x7FC0)
        for v: Float in [0.1, -3.25, 65504, 1e-3] {
            #expect(HalfPrecision.bf16ToFloat(HalfPrecision.floatToBF16(v)) == Float(bitPattern: (v.bitPattern &+ 0x7FFF &+ ((v.bitPattern >> 16) & 1)) & 0xFFFF0000))
        }
    }
}

struct RNGTests {
    @Test func sameSeedSameStream() {
        var a = PhiloxRNG(seed: 42), b = PhiloxRNG(seed: 42), c = PhiloxRNG(seed: 43)
        let xa = (0..<100).map { _ in a.nextUInt32() }, xb = (0..<100).map { _ in b.nextUInt32() }
        let xc = (0..<100).map { _ in c.nextUInt32() }
        #expect(xa == xb)
        #expect(xa != xc)
    }

    @Test func knownAnswerPhilox4x32() {
        // Random123's known-answer test for philox4x32-10: counter 0, key 0 → 6627e8d5 e169c58d bc57ac4c 9b00dbd8.
        let out = PhiloxRNG.block(key: 0, counter: 0)
        #expect(out == SIMD4(0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8))
    }

    @Test func streamsAreIndependentAndStateRoundTrips() throws {
        var s0 = PhiloxRNG(seed: 7, stream: 0), s1 = PhiloxRNG(seed: 7, stream: 1)
        #expect(s0.nextUInt32() != s1.nextUInt32())
        var r = PhiloxRNG(seed: 9)
        _ = (0..<5).map { _ in r.nextUInt32() }
        let saved = try JSONEncoder().encode(r)
        var restored = try JSONDecoder().decode(PhiloxRNG.self, from: saved)
        #expect((0..<20).map { _ in r.nextUInt32() } == (0..<20).map { _ in restored.nextUInt32() })
    }

    @Test func uniformAndGaussianMoments() {
        var r = PhiloxRNG(seed: 11)
        let n = 200_000
        var sum = 0.0, sq = 0.0, umin = 1.0, umax = 0.0
        for _ in 0..<n {
            let g = Double(r.nextGaussian()); sum += g; sq += g * g
            let u = r.nextDouble(); umin = min(umin, u); umax = max(umax, u)
        }
        #expect(abs(sum / Double(n)) < 0.01)          // 4.5 standard errors
        #expect(abs(sq / Double(n) - 1) < 0.015)
        #expect(umin >= 0 && umax < 1)
    }
}

struct GEMVTests {
    func matrix(_ rows: Int, _ cols: Int, seed: UInt64) -> (WeightMatrix, [Float]) {
        var rng = PhiloxRNG(seed: seed)
        let v = (0..<(rows * cols)).map { _ in rng.nextGaussian() }
        return (v.withUnsafeBufferPointer { WeightMatrix(rows: rows, cols: cols, values: $0.baseAddress!) }, v)
    }

    @Test(arguments: [(1, 1), (3, 5), (4, 16), (9, 24), (37, 130), (128, 128)])
    func allPrecisionsMatchWidenedReference(shape: (Int, Int)) {
        let (rows, cols) = shape
        let (w32, _) = matrix(rows, cols, seed: UInt64(rows * 1000 + cols))
        var rng = PhiloxRNG(seed: 99)
        let x = (0..<cols).map { _ in rng.nextGaussian() }
        for dtype in WeightDType.allCases {
            let w = w32.converted(to: dtype)
            let wide = w.toArray()
            var y = [Float](repeating: 0, count: rows)
            GEMV.apply(w, x, &y, rows: 0..<rows)
            for r in 0..<rows {
                var ref = 0.0
                for c in 0..<cols { ref += Double(wide[r * cols + c]) * Double(x[c]) }
                #expect(abs(Double(y[r]) - ref) < 1e-4 * Double(cols).squareRoot(), "dtype \(dtype) row \(r)")
            }
        }
    }

    /// Batch-invariance at the kernel level: a row's result is bitwise the same whatever range it is computed in.
    @Test func rowResultIndependentOfSplit() {
        let (w, _) = matrix(23, 40, seed: 5)
        var rng = PhiloxRNG(seed: 6)
        let x = (0..<40).map { _ in rng.nextGaussian() }
        var whole = [Float](repeating: 0, count: 23), pieces = [Float](repeating: 0, count: 23)
        GEMV.apply(w, x, &whole, rows: 0..<23)
        for r in [0..<3, 3..<4, 4..<11, 11..<23] { GEMV.apply(w, x, &pieces, rows: r) }
        #expect(whole == pieces)
        let pool = ThreadPool(threads: 2)
        let (big, _) = matrix(301, 96, seed: 8)
        var x2 = [Float](repeating: 0, count: 96)
        for i in 0..<96 { x2[i] = Float(i % 7) - 3 }
        var serial = [Float](repeating: 0, count: 301), parallel = [Float](repeating: 0, count: 301)
        GEMV.apply(big, x2, &serial, rows: 0..<301)
        parallel.withUnsafeMutableBufferPointer { p in GEMV.apply(big, x2, p.baseAddress!, pool: pool) }
        #expect(serial == parallel)
        pool.shutdown()
    }

    @Test func sgemmWrapperMatchesLoops() {
        let (w, wv) = matrix(6, 5, seed: 1)
        var rng = PhiloxRNG(seed: 2)
        let x = (0..<15).map { _ in rng.nextGaussian() }   // [3, 5]
        var y = [Float](repeating: 1, count: 18)            // [3, 6]
        BLAS.matmulWeightT(x, rows: 3, w, &y, accumulate: true)
        for r in 0..<3 { for o in 0..<6 {
            var ref = 1.0
            for c in 0..<5 { ref += Double(x[r * 5 + c]) * Double(wv[o * 5 + c]) }
            #expect(abs(Double(y[r * 6 + o]) - ref) < 1e-5)
        } }
        // bf16 weights are widened losslessly before the GEMM.
        let wb = w.converted(to: .bf16)
        var yb = [Float](repeating: 0, count: 18)
        BLAS.matmulWeightT(x, rows: 3, wb, &yb)
        let wide = wb.toArray()
        for r in 0..<3 { for o in 0..<6 {
            var ref = 0.0
            for c in 0..<5 { ref += Double(x[r * 5 + c]) * Double(wide[o * 5 + c]) }
            #expect(abs(Double(yb[r * 6 + o]) - ref) < 1e-5)
        } }
    }
}

struct ThreadPoolTests {
    @Test func everyItemRunsExactlyOnce() {
        for threads in [1, 2, 3] {
            let pool = ThreadPool(threads: threads)
            for n in [0, 1, 5, 100] {
                let counts = FloatBuffer(count: max(n, 1))
                pool.parallelFor(n) { i in counts[i] += 1 }
                #expect((0..<n).allSatisfy { counts[$0] == 1 }, "threads \(threads) n \(n)")
            }
            // Many quick dispatches in a row (the decode pattern), then a pause long enough for workers to sleep.
            let hits = FloatBuffer(count: threads)
            for _ in 0..<2000 { pool.run { i in hits[i] += 1 } }
            usleep(20_000)
            pool.run { i in hits[i] += 1 }
            #expect((0..<threads).allSatisfy { hits[$0] == 2001 })
            pool.shutdown()
        }
    }
}
