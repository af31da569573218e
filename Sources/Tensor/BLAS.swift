import CBLAS

/// Row-major single-precision GEMM through OpenBLAS: C = alpha·op(A)·op(B) + beta·C.
public enum BLAS {
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            else if beta != 1 { for i in 0..<m { Kernels.scale(c + i * ldc, beta, n) } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// Y[M, out] (+)= X[M, in] · Wᵀ for a row-major weight W[out, in], whatever its storage precision.
    /// Half-precision weights are widened into `scratch` first (lossless), then one GEMM runs.
    public static func matmulWeightT(_ x: UnsafePointer<Float>, rows m: Int, _ w: WeightMatrix,
                                     _ y: UnsafeMutablePointer<Float>, accumulate: Bool = false, ldy: Int? = nil) {
        let ld = ldy ?? w.rows
        switch w.dtype {
        case .f32:
            sgemm(transB: true, m: m, n: w.rows, k: w.cols, a: x, lda: w.cols, b: w.floatPointer, ldb: w.cols,
                  beta: accumulate ? 1 : 0, c: y, ldc: ld)
        case .bf16, .f16:
            let wide = WidenScratch.buffer(count: w.rows * w.cols)
            w.widen(into: wide)
            sgemm(transB: true, m: m, n: w.rows, k: w.cols, a: x, lda: w.cols, b: wide, ldb: w.cols,
                  beta: accumulate ? 1 : 0, c: y, ldc: ld)
        }
    }

    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
}

/// Per-thread scratch for widening half-precision weights before a GEMM.
enum WidenScratch {
    nonisolated(unsafe) static var storage: FloatBuffer?

    static func buffer(count: Int) -> UnsafeMutablePointer<Float> {
        // GEMMs run on the engine thread only; one growing buffer suffices.
        if let s = storage, s.count >= count { return s.pointer }
        let s = FloatBuffer(count: count)
        storage = s
        return s.pointer
    }
}

extension BLAS {
    /// X[M, in] (+)= Y[M, out] · W for a row-major weight W[out, in] (the input gradient of a linear layer).
    public static func matmulWeight(_ y: UnsafePointer<Float>, rows m: Int, _ w: WeightMatrix,
                                    _ x: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        switch w.dtype {
        case .f32:
            sgemm(m: m, n: w.cols, k: w.rows, a: y, lda: w.rows, b: w.floatPointer, ldb: w.cols,
                  beta: accumulate ? 1 : 0, c: x, ldc: w.cols)
        case .bf16, .f16:
            let wide = WidenScratch.buffer(count: w.rows * w.cols)
            w.widen(into: wide)
            sgemm(m: m, n: w.cols, k: w.rows, a: y, lda: w.rows, b: wide, ldb: w.cols,
                  beta: accumulate ? 1 : 0, c: x, ldc: w.cols)
        }
    }
}
