import Engine
import Foundation
import Tensor

/// One trainable tensor: values and the gradient accumulated into (+=) until zeroed.
public final class Parameter: @unchecked Sendable {
    public let name: String
    public let shape: [Int]
    public let value: FloatBuffer
    public let grad: FloatBuffer
    public var count: Int { value.count }

    init(name: String, shape: [Int]) {
        self.name = name; self.shape = shape
        let n = shape.reduce(1, *)
        value = FloatBuffer(count: n); grad = FloatBuffer(count: n)
    }

    var pointer: UnsafeMutablePointer<Float> { value.pointer }
}

/// The named tensors of a small network, in creation order: the optimizer, checkpoints and tests iterate them.
public final class ParameterSet: @unchecked Sendable {
    public private(set) var all: [Parameter] = []
    private var index: [String: Parameter] = [:]

    public init() {}

    /// A new tensor filled by `fill` (index → value).
    func add(_ name: String, _ shape: [Int], fill: (Int) -> Float = { _ in 0 }) -> Parameter {
        precondition(index[name] == nil, "parameter \(name) defined twice")
        let p = Parameter(name: name, shape: shape)
        for i in 0..<p.count { p.value[i] = fill(i) }
        all.append(p); index[name] = p
        return p
    }

    /// N(0, std²) from `rng`.
    func gaussian(_ name: String, _ shape: [Int], std: Float, rng: inout PhiloxRNG) -> Parameter {
        let p = add(name, shape)
        for i in 0..<p.count { p.value[i] = rng.nextGaussian() * std }
        return p
    }

    public subscript(name: String) -> Parameter? { index[name] }

    public var parameterCount: Int { all.reduce(0) { $0 + $1.count } }

    public func zeroGrad() { for p in all { p.grad.zero() } }

    public var optimizedTensors: [OptimizedTensor] {
        all.map { OptimizedTensor(name: $0.name, value: $0.value.pointer, grad: $0.grad.pointer, count: $0.count) }
    }

    /// The tensors as safetensors entries named `prefix + name`.
    public func tensors(prefix: String = "") -> [SafeTensorsWriter.Tensor] {
        all.map { SafeTensorsWriter.Tensor(name: prefix + $0.name, shape: $0.shape, values: $0.value.array) }
    }

    /// Overwrites every tensor from `file` (names `prefix + name`, f32, same shapes); names the first that disagrees.
    public func load(from file: SafeTensorsFile, prefix: String = "") throws {
        let fileName = file.url.path
        for p in all {
            guard let e = file.entries[prefix + p.name] else { throw LatheError("\(fileName): tensor \(prefix + p.name) is missing") }
            guard e.dtype == "F32" else { throw LatheError("\(fileName): tensor \(e.name) is \(e.dtype), expected F32") }
            guard e.shape == p.shape else { throw LatheError("\(fileName): tensor \(e.name) has shape \(e.shape), expected \(p.shape)") }
            let src = file.pointer(e)
            for i in 0..<p.count { p.value[i] = src.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
            if let bad = (0..<p.count).first(where: { !p.value[$0].isFinite }) {
                throw LatheError("\(fileName): tensor \(e.name) value \(bad) is not finite")
            }
        }
    }
}
