import Foundation
import Tensor

/// y = W·h + b on a hidden state h [inputs]: the scalar head of a reward model (outputs 1) or a chunk scorer.
/// Gradients accumulate (+=) until the optimizer zeroes them.
public final class LinearHead: @unchecked Sendable {
    public let inputs: Int, outputs: Int
    public let weight: FloatBuffer          // [outputs, inputs]
    public let bias: FloatBuffer            // [outputs]
    public let gradWeight: FloatBuffer, gradBias: FloatBuffer

    /// Weights N(0, std²) from a seeded stream (std 0 = zeros), bias zero.
    public init(inputs: Int, outputs: Int, seed: UInt64, std: Float = 0.02) {
        self.inputs = inputs; self.outputs = outputs
        weight = FloatBuffer(count: outputs * inputs); bias = FloatBuffer(count: outputs)
        gradWeight = FloatBuffer(count: outputs * inputs); gradBias = FloatBuffer(count: outputs)
        var rng = PhiloxRNG(seed: seed, stream: 0x4EAD)
        for i in 0..<weight.count { weight[i] = rng.nextGaussian() * std }
    }

    public func apply(_ x: UnsafePointer<Float>) -> [Float] {
        (0..<outputs).map { o in Kernels.dot(weight.pointer + o * inputs, x, inputs) + bias[o] }
    }

    /// Given dy [outputs] at input x: dW += dy·xᵀ, db += dy, dx += Wᵀ·dy.
    public func backward(_ dy: [Float], x: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        for o in 0..<outputs where dy[o] != 0 {
            Kernels.axpy(dy[o], x, gradWeight.pointer + o * inputs, inputs)
            gradBias[o] += dy[o]
            Kernels.axpy(dy[o], weight.pointer + o * inputs, dx, inputs)
        }
    }

    public func zeroGrad() { gradWeight.zero(); gradBias.zero() }

    public var optimizedTensors: [OptimizedTensor] {
        [OptimizedTensor(name: "head.weight", value: weight.pointer, grad: gradWeight.pointer, count: weight.count),
         OptimizedTensor(name: "head.bias", value: bias.pointer, grad: gradBias.pointer, count: bias.count)]
    }
}
