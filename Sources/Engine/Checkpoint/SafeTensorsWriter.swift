import Durability
import Foundation
import Tensor

/// Writes fp32 (or bf16) tensors as one `.safetensors` file: 8-byte header length, JSON header padded with spaces to
/// a multiple of 8, then the data in the order given.
public enum SafeTensorsWriter {
    public enum Payload {
        case f32([Float])
        case bf16([UInt16])
        var byteCount: Int {
            switch self { case .f32(let v): return v.count * 4; case .bf16(let v): return v.count * 2 }
        }
        var dtype: String { switch self { case .f32: return "F32"; case .bf16: return "BF16" } }
    }

    public struct Tensor { public var name: String; public var shape: [Int]; public var payload: Payload
        public init(name: String, shape: [Int], payload: Payload) { self.name = name; self.shape = shape; self.payload = payload }
        public init(name: String, shape: [Int], values: [Float]) { self.init(name: name, shape: shape, payload: .f32(values)) }
    }

    public static func encode(_ tensors: [Tensor], metadata: [String: String] = ["format": "pt"]) throws -> Data {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for t in tensors {
            precondition(t.shape.reduce(1, *) * (t.payload.byteCount / max(1, t.shape.reduce(1, *))) == t.payload.byteCount)
            header[t.name] = ["dtype": t.payload.dtype, "shape": t.shape, "data_offsets": [offset, offset + t.payload.byteCount]]
            offset += t.payload.byteCount
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var n = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(json)
        for t in tensors {
            switch t.payload {
            case .f32(let v): v.withUnsafeBytes { out.append(contentsOf: $0) }
            case .bf16(let v): v.withUnsafeBytes { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// Encodes and writes atomically (temp file, fsync, rename).
    public static func write(_ tensors: [Tensor], to url: URL, metadata: [String: String] = ["format": "pt"]) throws {
        try AtomicFile.write(try encode(tensors, metadata: metadata), to: url)
    }
}
