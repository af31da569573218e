import CSupport
import Foundation

/// Keeps freed activation buffers in the malloc heap instead of returning them to the kernel: a training step
/// allocates and frees the same few hundred MB every step, and fresh pages cost a fault and a clear each time.
public enum AllocatorTuning {
    nonisolated(unsafe) private static var done = false
    public static func keepFreedMemory() {
        guard !done else { return }
        done = true
        lathe_keep_freed_memory()
    }
}

/// A 64-byte aligned, fixed-size, zero-initialised buffer of `Float`, owned by the instance.
/// Activations, scratch and KV caches live here so hot loops work on raw pointers without exclusivity checks.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count must be non-negative")
        self.count = count
        let bytes = max(64, (count * MemoryLayout<Float>.stride + 63) & ~63)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// A buffer whose contents are garbage until written: for outputs a kernel overwrites completely (GEMMs with
    /// beta 0, norms, copies), skipping a memset of every activation every training step.
    public init(uninitialized count: Int) {
        precondition(count >= 0, "FloatBuffer count must be non-negative")
        self.count = count
        let bytes = max(64, (count * MemoryLayout<Float>.stride + 63) & ~63)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public func zero() { pointer.update(repeating: 0, count: count) }
}

/// A 64-byte aligned raw byte buffer (weights kept as stored: bf16/f16).
public final class ByteBuffer: @unchecked Sendable {
    public let byteCount: Int
    public let pointer: UnsafeMutableRawPointer

    public init(byteCount: Int) {
        self.byteCount = byteCount
        let bytes = max(64, (byteCount + 63) & ~63)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    deinit { pointer.deallocate() }
}
