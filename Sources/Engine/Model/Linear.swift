import Foundation
import Tensor

/// y = x·Wᵀ + scale·(x·Aᵀ)·Bᵀ for rows of x; the LoRA part only when an enabled adapter targets this layer.
/// Forward records x·Aᵀ (`xa`, [n, r]); backward accumulates dA, dB (and dW for full training) and returns dx.
enum Linear {
    /// y[n, out] = x[n, in]·Wᵀ (+ LoRA). `xa` receives x·Aᵀ when a LoRA module is given.
    static func forward(_ x: UnsafePointer<Float>, rows n: Int, _ w: WeightMatrix, lora: LoRAModule?,
                        _ y: UnsafeMutablePointer<Float>, xa: FloatBuffer? = nil, accumulate: Bool = false, ldy: Int? = nil) {
        BLAS.matmulWeightT(x, rows: n, w, y, accumulate: accumulate, ldy: ldy)
        guard let lora else { return }
        let r = lora.rank
        let xaBuf = xa ?? FloatBuffer(count: n * r)
        // xa[n, r] = x · Aᵀ ; y += scale · xa · Bᵀ
        BLAS.sgemm(transB: true, m: n, n: r, k: lora.inDim, a: x, lda: lora.inDim, b: lora.a.pointer, ldb: lora.inDim,
                   c: xaBuf.pointer, ldc: r)
        BLAS.sgemm(transB: true, m: n, n: lora.outDim, k: r, alpha: lora.scale, a: xaBuf.pointer, lda: r,
                   b: lora.b.pointer, ldb: r, beta: 1, c: y, ldc: ldy ?? lora.outDim)
    }

    /// Given dy [n, out]: dx [n, in] += dy·W (+ scale·(dy·B)·A); dB += scale·dyᵀ·xa; dA += scale·(dy·B)ᵀ·x;
    /// dW [out, in] += dyᵀ·x when `dW` is given.
    static func backward(_ dy: UnsafePointer<Float>, rows n: Int, x: UnsafePointer<Float>, _ w: WeightMatrix,
                         lora: LoRAModule?, xa: FloatBuffer?, dx: UnsafeMutablePointer<Float>?,
                         dW: UnsafeMutablePointer<Float>? = nil) {
        if let dx { BLAS.matmulWeight(dy, rows: n, w, dx, accumulate: true) }
        if let dW {
            BLAS.sgemm(transA: true, m: w.rows, n: w.cols, k: n, a: dy, lda: w.rows, b: x, ldb: w.cols, beta: 1,
                       c: dW, ldc: w.cols)
        }
        guard let lora, let xa else { return }
        let r = lora.rank
        // dB[out, r] += scale · dyᵀ[out, n] · xa[n, r]
        BLAS.sgemm(transA: true, m: lora.outDim, n: r, k: n, alpha: lora.scale, a: dy, lda: lora.outDim,
                   b: xa.pointer, ldb: r, beta: 1, c: lora.gradB.pointer, ldc: r)
        // dyB[n, r] = dy · B
        let dyB = FloatBuffer(count: n * r)
        BLAS.sgemm(m: n, n: r, k: lora.outDim, a: dy, lda: lora.outDim, b: lora.b.pointer, ldb: r, c: dyB.pointer, ldc: r)
        // dA[r, in] += scale · dyBᵀ · x
        BLAS.sgemm(transA: true, m: r, n: lora.inDim, k: n, alpha: lora.scale, a: dyB.pointer, lda: r, b: x,
                   ldb: lora.inDim, beta: 1, c: lora.gradA.pointer, ldc: lora.inDim)
        // dx += scale · dyB · A
        if let dx {
            BLAS.sgemm(m: n, n: lora.inDim, k: r, alpha: lora.scale, a: dyB.pointer, lda: r, b: lora.a.pointer,
                       ldb: lora.inDim, beta: 1, c: dx, ldc: lora.inDim)
        }
    }
}
