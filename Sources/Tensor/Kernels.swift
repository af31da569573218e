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
        var mv = V8(repeating: -.infinity)
        var i = 0
        while i + 8 <= n { let v = load8(x + i); mv.replace(with: v, where: v .> mv); i += 8 }
        var m = mv.max()
        while i < n { if x[i] > m { m = x[i] }; i += 1 }
        return m
    }

    /// log Σ exp(x[i]), stable.
    public static func logSumExp(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        let m = maxValue(x, n)
        if m == -.infinity { return m }
        return m + logf(sumExp(x, n, minus: m))
    }

    /// In-place softmax over one row.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, _ n: Int) {
        let m = maxValue(x, n)
        let s = expInto(x, x, n, minus: m)
        scale(x, 1 / s, n)
    }

    @inline(__always)
    public static func silu(_ x: Float) -> Float { x / (1 + expf(-x)) }

    /// out[i] = silu(gate[i]) · up[i]   (SwiGLU)
    public static func swiGLU(_ gate: UnsafePointer<Float>, _ up: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
        let one = V8(repeating: 1)
        var i = 0
        while i + 8 <= n {
            let g = load8(gate + i)
            store8(g / (one + exp8(-g)) * load8(up + i), out + i)
            i += 8
        }
        while i < n { out[i] = silu(gate[i]) * up[i]; i += 1 }
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
        let v = V8(repeating: s)
        var i = 0
        while i + 8 <= n { store8(load8(x + i) * v, x + i); i += 8 }
        while i < n { x[i] *= s; i += 1 }
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

extension Kernels {
    /// e^x for 8 lanes: Cody–Waite range reduction x = k·ln2 + r, a degree-6 polynomial for e^r on |r| ≤ ln2/2
    /// (relative error < 2e-7 over the float range), 2^k by exponent bits. Inputs below −87.3 give 0, above 88.7 +inf.
    @inline(__always)
    public static func exp8(_ x: V8) -> V8 {
        let hi = V8(repeating: 88.7228), lo = V8(repeating: -87.3365)
        let xc = x.replacing(with: hi, where: x .> hi).replacing(with: lo, where: x .< lo)
        // k = round(x / ln2) with the 1.5·2²³ trick (SIMD .rounded compiles to scalar code here).
        let magic = V8(repeating: 12_582_912)
        let t = xc * V8(repeating: 1.442_695_04) + magic
        let k = t - magic
        // k as an integer straight from t's mantissa bits (SIMD Float→Int conversion compiles to scalar code here).
        let kInt = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        var r = xc - k * V8(repeating: 0.693_359_375)
        r = r - k * V8(repeating: -2.121_944_4e-4)
        var p = V8(repeating: 1.987_569_1e-4)
        p = p * r + V8(repeating: 1.398_199_9e-3)
        p = p * r + V8(repeating: 8.333_452e-3)
        p = p * r + V8(repeating: 4.166_579_6e-2)
        p = p * r + V8(repeating: 1.666_666_5e-1)
        p = p * r + V8(repeating: 0.5)
        p = p * r * r + r + V8(repeating: 1)
        let bits = (kInt &+ 127) &<< 23
        var out = p * unsafeBitCast(bits, to: V8.self)
        out.replace(with: V8(repeating: 0), where: x .< lo)
        out.replace(with: V8(repeating: .infinity), where: x .> hi)
        return out
    }

    /// SwiGLU backward: given dOut, gate g and up u: dG = dOut·u·silu′(g), dU = dOut·silu(g).
    public static func swiGLUBackward(_ dOut: UnsafePointer<Float>, gate g: UnsafePointer<Float>, up u: UnsafePointer<Float>,
                                      dGate: UnsafeMutablePointer<Float>, dUp: UnsafeMutablePointer<Float>, _ n: Int) {
        let one = V8(repeating: 1)
        var i = 0
        while i + 8 <= n {
            let gv = load8(g + i), d = load8(dOut + i)
            let sig = one / (one + exp8(-gv))
            store8(d * gv * sig, dUp + i)
            store8(d * load8(u + i) * sig * (one + gv * (one - sig)), dGate + i)
            i += 8
        }
        while i < n {
            let gi = g[i]
            dUp[i] = dOut[i] * silu(gi)
            dGate[i] = dOut[i] * u[i] * siluGrad(gi)
            i += 1
        }
    }

    /// Σ exp(x[i] − m) for one row, vectorised.
    @inline(__always)
    public static func sumExp(_ x: UnsafePointer<Float>, _ n: Int, minus m: Float) -> Float {
        let mv = V8(repeating: m)
        var acc = V8()
        var i = 0
        while i + 8 <= n { acc += exp8(load8(x + i) - mv); i += 8 }
        var s = acc.sum()
        while i < n { s += expf(x[i] - m); i += 1 }
        return s
    }

    /// out[i] = exp(x[i] − m), vectorised; returns the sum.
    @inline(__always)
    public static func expInto(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int, minus m: Float,
                               scale: Float = 1) -> Float {
        let mv = V8(repeating: m), sv = V8(repeating: scale)
        var acc = V8()
        var i = 0
        while i + 8 <= n {
            let e = exp8(load8(x + i) - mv)
            acc += e
            store8(e * sv, out + i)
            i += 8
        }
        var s = acc.sum()
        while i < n { let e = expf(x[i] - m); s += e; out[i] = e * scale; i += 1 }
        return s
    }
}
