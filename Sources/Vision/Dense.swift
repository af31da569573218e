import Engine
import Tensor

/// Fully connected layers over row blocks with a weight W [out, in] (and optional bias b [out]) held in a Parameter.
enum Dense {
    /// y[n, out] (+)= x[n, in]·Wᵀ (+ b)
    static func forward(_ x: UnsafePointer<Float>, rows n: Int, _ w: Parameter, bias: Parameter? = nil,
                        _ y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        let out = w.shape[0], inp = w.shape[1]
        BLAS.sgemm(transB: true, m: n, n: out, k: inp, a: x, lda: inp, b: w.pointer, ldb: inp,
                   beta: accumulate ? 1 : 0, c: y, ldc: out)
        if let bias { for r in 0..<n { Kernels.axpy(1, bias.pointer, y + r * out, out) } }
    }

    /// dW += dyᵀ·x, db += Σᵣ dy, and (when given) dx[n, in] += dy·W.
    static func backward(_ dy: UnsafePointer<Float>, rows n: Int, x: UnsafePointer<Float>, _ w: Parameter,
                         bias: Parameter? = nil, dx: UnsafeMutablePointer<Float>?) {
        let out = w.shape[0], inp = w.shape[1]
        BLAS.sgemm(transA: true, m: out, n: inp, k: n, a: dy, lda: out, b: x, ldb: inp, beta: 1, c: w.grad.pointer, ldc: inp)
        if let bias { for r in 0..<n { Kernels.axpy(1, dy + r * out, bias.grad.pointer, out) } }
        if let dx { BLAS.sgemm(m: n, n: inp, k: out, a: dy, lda: out, b: w.pointer, ldb: inp, beta: 1, c: dx, ldc: inp) }
    }
}
