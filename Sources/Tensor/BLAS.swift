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
            WidenScratch.withBuffer(count: w.rows * w.cols) { wide in
                w.widen(into: wide)
                sgemm(transB: true, m: m, n: w.rows, k: w.cols, a: x, lda: w.cols, b: wide, ldb: w.cols,
                      beta: accumulate ? 1 : 0, c: y, ldc: ld)
            }
        }
    }

    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
}

/// Scratch for widening half-precision weights before a GEMM: one buffer per call (several threads may run GEMMs at
/// once — tests do, servers will — and malloc keeps freed blocks, so this costs no page faults after the first).
enum WidenScratch {
    static func withBuffer<R>(count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        let b = FloatBuffer(uninitialized: count)
        return withExtendedLifetime(b) { body(b.pointer) }
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
            WidenScratch.withBuffer(count: w.rows * w.cols) { wide in
                w.widen(into: wide)
                sgemm(m: m, n: w.cols, k: w.rows, a: y, lda: w.rows, b: wide, ldb: w.cols,
                      beta: accumulate ? 1 : 0, c: x, ldc: w.cols)
            }
        }
    }
}
