/// Storage precision of model weights. Compute is always fp32; half-precision weights are widened in the kernels.
public enum WeightDType: String, Sendable, Codable, CaseIterable {
    case f32, bf16, f16

    public var byteSize: Int { self == .f32 ? 4 : 2 }
}

/// A read-only row-major matrix W[rows, cols] (PyTorch's Linear layout [out, in]) in f32, bf16 or f16.
/// A view: slices share the owner's storage (e.g. the gate and up halves of a fused expert tensor).
public struct WeightMatrix: @unchecked Sendable {
    public let rows: Int
    public let cols: Int
    public let dtype: WeightDType
    public let base: UnsafeRawPointer
    public let owner: AnyObject

    public init(rows: Int, cols: Int, dtype: WeightDType, base: UnsafeRawPointer, owner: AnyObject) {
        self.rows = rows; self.cols = cols; self.dtype = dtype; self.base = base; self.owner = owner
    }

    /// A new f32 matrix copied from `values` (row-major).
    public init(rows: Int, cols: Int, values: UnsafePointer<Float>) {
        let buf = FloatBuffer(count: rows * cols)
        buf.pointer.update(from: values, count: rows * cols)
        self.init(rows: rows, cols: cols, dtype: .f32, base: UnsafeRawPointer(buf.pointer), owner: buf)
    }

    public var floatPointer: UnsafePointer<Float> {
        precondition(dtype == .f32, "floatPointer on a \(dtype) matrix")
        return base.assumingMemoryBound(to: Float.self)
    }

    public var halfPointer: UnsafePointer<UInt16> {
        precondition(dtype != .f32, "halfPointer on an f32 matrix")
        return base.assumingMemoryBound(to: UInt16.self)
    }

    public var byteCount: Int { rows * cols * dtype.byteSize }

    /// Rows [r.lowerBound, r.upperBound) as a view.
    public func rows(_ r: Range<Int>) -> WeightMatrix {
        precondition(r.lowerBound >= 0 && r.upperBound <= rows)
        return WeightMatrix(rows: r.count, cols: cols, dtype: dtype, base: base + r.lowerBound * cols * dtype.byteSize,
                            owner: owner)
    }

    /// Element (r, c) as Float.
    public func value(_ r: Int, _ c: Int) -> Float {
        let i = r * cols + c
        switch dtype {
        case .f32: return floatPointer[i]
        case .bf16: return HalfPrecision.bf16ToFloat(halfPointer[i])
        case .f16: return HalfPrecision.f16ToFloat(halfPointer[i])
        }
    }

    /// Widens the whole matrix into `dst` (rows·cols floats).
    public func widen(into dst: UnsafeMutablePointer<Float>) {
        switch dtype {
        case .f32: dst.update(from: floatPointer, count: rows * cols)
        case .bf16: HalfPrecision.widenBF16(halfPointer, dst, count: rows * cols)
        case .f16: HalfPrecision.widenF16(halfPointer, dst, count: rows * cols)
        }
    }

    /// The matrix in `target` precision (a copy unless it already is).
    public func converted(to target: WeightDType) -> WeightMatrix {
        if target == dtype { return self }
        let n = rows * cols
        let wide = FloatBuffer(count: n)
        widen(into: wide.pointer)
        if target == .f32 {
            return WeightMatrix(rows: rows, cols: cols, dtype: .f32, base: UnsafeRawPointer(wide.pointer), owner: wide)
        }
        let out = ByteBuffer(byteCount: n * 2)
        let p = out.pointer.assumingMemoryBound(to: UInt16.self)
        for i in 0..<n {
            p[i] = target == .bf16 ? HalfPrecision.floatToBF16(wide.pointer[i]) : HalfPrecision.floatToF16(wide.pointer[i])
        }
        return WeightMatrix(rows: rows, cols: cols, dtype: target, base: UnsafeRawPointer(out.pointer), owner: out)
    }

    public func toArray() -> [Float] {
        var a = [Float](repeating: 0, count: rows * cols)
        a.withUnsafeMutableBufferPointer { widen(into: $0.baseAddress!) }
        return a
    }
}
