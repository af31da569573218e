import Engine
import Foundation
import Tensor

/// Maps an image's patch vectors to language-model input vectors: each `merge`×`merge` block of neighbouring patches
/// is concatenated (as Qwen2-VL's patch merger does) and sent through a two-layer SiLU MLP to the LM's hidden size.
public final class ImageProjector: @unchecked Sendable {
    public let grid: Int, merge: Int, inDim: Int, hidden: Int, outDim: Int
    let w1: Parameter, b1: Parameter, w2: Parameter, b2: Parameter

    public var tokensPerImage: Int { (grid / merge) * (grid / merge) }
    var mergedDim: Int { merge * merge * inDim }

    /// Registers `projector.*` in `params`.
    public init(grid: Int, merge: Int, inDim: Int, hidden: Int, outDim: Int, params: ParameterSet, seed: UInt64) {
        precondition(grid % merge == 0, "projector: grid \(grid) is not a multiple of merge \(merge)")
        self.grid = grid; self.merge = merge; self.inDim = inDim; self.hidden = hidden; self.outDim = outDim
        var rng = PhiloxRNG(seed: seed, stream: 0x960)
        let m = merge * merge * inDim
        w1 = params.gaussian("projector.fc1.weight", [hidden, m], std: 1 / Float(m).squareRoot(), rng: &rng)
        b1 = params.add("projector.fc1.bias", [hidden])
        w2 = params.gaussian("projector.fc2.weight", [outDim, hidden], std: 1 / Float(hidden).squareRoot(), rng: &rng)
        b2 = params.add("projector.fc2.bias", [outDim])
    }

    public struct Cache { let images: Int; let merged: FloatBuffer; let pre: FloatBuffer; let act: FloatBuffer }

    /// Row of the merged block (token t of an image) that patch j feeds, and its slot within the block.
    func mergedPosition(patch j: Int) -> (token: Int, slot: Int) {
        let gy = j / grid, gx = j % grid, side = grid / merge
        return ((gy / merge) * side + gx / merge, (gy % merge) * merge + gx % merge)
    }

    /// patches [B·grid², inDim] → tokens [B·tokensPerImage, outDim].
    public func forward(_ patches: FloatBuffer, images b: Int) -> (FloatBuffer, Cache) {
        let t = tokensPerImage, n = b * t, p = grid * grid
        let merged = FloatBuffer(uninitialized: n * mergedDim)
        for img in 0..<b {
            for j in 0..<p {
                let (tok, slot) = mergedPosition(patch: j)
                (merged.pointer + (img * t + tok) * mergedDim + slot * inDim).update(from: patches.pointer + (img * p + j) * inDim, count: inDim)
            }
        }
        let pre = FloatBuffer(uninitialized: n * hidden), act = FloatBuffer(uninitialized: n * hidden)
        Dense.forward(merged.pointer, rows: n, w1, bias: b1, pre.pointer)
        for i in 0..<(n * hidden) { act[i] = Kernels.silu(pre[i]) }
        let out = FloatBuffer(uninitialized: n * outDim)
        Dense.forward(act.pointer, rows: n, w2, bias: b2, out.pointer)
        return (out, Cache(images: b, merged: merged, pre: pre, act: act))
    }

    /// Given d(loss)/d(tokens): accumulates the projector's gradients and returns d(loss)/d(patches) [B·grid², inDim].
    public func backward(_ dOut: UnsafePointer<Float>, _ c: Cache) -> FloatBuffer {
        let t = tokensPerImage, b = c.images, n = b * t, p = grid * grid
        let dAct = FloatBuffer(count: n * hidden)
        Dense.backward(dOut, rows: n, x: c.act.pointer, w2, bias: b2, dx: dAct.pointer)
        for i in 0..<(n * hidden) { dAct[i] *= Kernels.siluGrad(c.pre[i]) }
        let dMerged = FloatBuffer(count: n * mergedDim)
        Dense.backward(dAct.pointer, rows: n, x: c.merged.pointer, w1, bias: b1, dx: dMerged.pointer)
        let dPatches = FloatBuffer(uninitialized: b * p * inDim)
        for img in 0..<b {
            for j in 0..<p {
                let (tok, slot) = mergedPosition(patch: j)
                (dPatches.pointer + (img * p + j) * inDim).update(from: dMerged.pointer + (img * t + tok) * mergedDim + slot * inDim, count: inDim)
            }
        }
        return dPatches
    }

    public var forwardFLOPs: Double { Double(tokensPerImage) * 2 * Double(mergedDim * hidden + hidden * outDim) }
}
