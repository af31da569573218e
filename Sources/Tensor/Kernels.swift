import Foundation

/// Vector kernels on raw pointers. Each works on one row; callers loop over rows. Reduction order depends only on
/// the row length, never on how many rows are processed together (batch-invariant decoding relies on it).
public enum Kernels {
    public typealias V8 = SIMD8<Float>

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> V8 {
        UnsafeRawPointer(p).loadUnaligned(as: V8.self)
    }

    @inline(__always)
    static func store8(_ v: V8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
    }

    /// Σ a[i]·b[i]
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = V8(), acc1 = V8()
        var i = 0
        while i + 16 <= n {
            acc0.addProduct(load8(a + i), load8(b + i))
            acc1.addProduct(load8(a + i + 8), load8(b + i + 8))
            i += 16
        }
        if i + 8 <= n { acc0.addProduct(load8(a + i), load8(b + i)); i += 8 }
        var s = (acc0 + acc1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// y[i] += alpha·x[i]
    @inline(__always)
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let a = V8(repeating: alpha)
        var i = 0
        while i + 8 <= n { store8(load8(y + i).addingProduct(a, load8(x + i)), y + i); i += 8 }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    /// y = x · rsqrt(mean(x²) + eps) · weight, for one row of length n. Returns rstd (the backward needs it).
    @discardableResult
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               _ n: Int, eps: Float) -> Float {
        let ss = dot(x, x, n)
        let rstd = 1 / (ss / Float(n) + eps).squareRoot()
        let r = V8(repeating: rstd)
        var i = 0
        while i + 8 <= n { store8(load8(x + i) * r * load8(weight + i), y + i); i += 8 }
        while i < n { y[i] = x[i] * rstd * weight[i]; i += 1 }
        return rstd
    }

    @inline(__always)
    public static func maxValue(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = -Float.infinity
        for i in 0..<n where x[i] > m { m = x[i] }
        return m
    }

    /// log Σ exp(x[i]), stable.
    public static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        let m = maxValue(x, n)
        if m == -.infinity { return m }
        var s: Float = 0
        for i in 0..<n { s += expf(x[i] - m) }
        return m + logf(s)
    }

    /// In-place softmax over one row.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        let m = maxValue(x, n)
        var s: Float = 0
        for i in 0..<n { let e = expf(x[i] - m); x[i] = e; s += e }
        let inv = 1 / s
        for i in 0..<n { x[i] *= inv }
    }

    @inline(__always)
    public static func silu(_ x: Float) -> Float { x / (1 + expf(-x)) }

    /// out[i] = silu(gate[i]) · up[i]   (SwiGLU)
    public static func swiGLU(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { out[i] = silu(gate[i]) * up[i] }
    }

    /// Rotary embedding in the "rotate half" layout (transformers' Qwen3): for one head of dimension d,
    /// x'[i] = x[i]·cos[i] − x[i+d/2]·sin[i], x'[i+d/2] = x[i+d/2]·cos[i] + x[i]·sin[i], i < d/2.
    @inline(__always)
    public static func rope(_ x: UnsafeMutablePointer<Float>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, headDim d: Int) {
        let h = d / 2
        for i in 0..<h {
            let a = x[i], b = x[i + h]
            x[i] = a * cos[i] - b * sin[i]
            x[i + h] = b * cos[i] + a * sin[i]
        }
    }

    public static func scale(_ x: UnsafeMutablePointer<Float>, _ s: Float, _ n: Int) {
        for i in 0..<n { x[i] *= s }
    }

    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 8 <= n { store8(load8(a + i) + load8(b + i), out + i); i += 8 }
        while i < n { out[i] = a[i] + b[i]; i += 1 }
    }
}

extension Kernels {
    /// Backward of y = x·rstd·w for one row: dx (+)= rstd·(dy⊙w) − x·rstd³·Σ(dy⊙w⊙x)/n; dWeight += dy⊙x·rstd.
    public static func rmsNormBackward(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                       rstd: Float, _ n: Int, dx: UnsafeMutablePointer<Float>, accumulate: Bool,
                                       dWeight: UnsafeMutablePointer<Float>?) {
        var s: Float = 0
        for i in 0..<n { s += dy[i] * weight[i] * x[i] }
        let c = rstd * rstd * rstd * s / Float(n)
        // dWeight first: dx may alias dy (in-place backward of the per-head q/k norms).
        if let dWeight { for i in 0..<n { dWeight[i] += dy[i] * x[i] * rstd } }
        if accumulate { for i in 0..<n { dx[i] += rstd * dy[i] * weight[i] - x[i] * c } }
        else { for i in 0..<n { dx[i] = rstd * dy[i] * weight[i] - x[i] * c } }
    }

    /// Backward of `rope` (the transpose of a rotation is the rotation by −angle), in place on the gradient.
    @inline(__always)
    public static func ropeBackward(_ dy: UnsafeMutablePointer<Float>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
                                    headDim d: Int) {
        let h = d / 2
        for i in 0..<h {
            let a = dy[i], b = dy[i + h]
            dy[i] = a * cos[i] + b * sin[i]
            dy[i + h] = b * cos[i] - a * sin[i]
        }
    }

    /// d silu(g)/dg = σ(g)·(1 + g·(1 − σ(g)))
    @inline(__always)
    public static func siluGrad(_ g: Float) -> Float {
        let s = 1 / (1 + expf(-g))
        return s * (1 + g * (1 - s))
    }
}
