import Engine
import Foundation
import Tensor

/// The shapes of a vision tower: patch encoder + projector to `outDim` (the LM's hidden size).
public struct VisionTowerConfig: Codable, Equatable, Sendable {
    public var encoder = PatchEncoderConfig()
    public var merge = 2
    public var projectorHidden = 256
    public var outDim = 256

    public init() {}
    public init(encoder: PatchEncoderConfig, merge: Int, projectorHidden: Int, outDim: Int) {
        self.encoder = encoder; self.merge = merge; self.projectorHidden = projectorHidden; self.outDim = outDim
    }

    public func validate() throws {
        try encoder.validate()
        guard merge > 0, encoder.grid % merge == 0 else {
            throw LatheError("projector: merge \(merge) does not divide the \(encoder.grid)×\(encoder.grid) patch grid")
        }
        guard projectorHidden > 0, outDim > 0 else { throw LatheError("projector: hidden and out_dim must be positive") }
    }

    enum CodingKeys: String, CodingKey { case encoder, merge, projectorHidden = "projector_hidden", outDim = "out_dim" }
}

/// Patch encoder followed by the projector: images → `tokensPerImage` vectors of `outDim` each. The VLM injects them
/// into the language model as image tokens; the self-supervised encoder uses the same network with a contrastive head.
public final class VisionTower: @unchecked Sendable {
    public let config: VisionTowerConfig
    public let params = ParameterSet()
    public let encoder: PatchEncoder
    public let projector: ImageProjector

    public var tokensPerImage: Int { projector.tokensPerImage }
    public var imagePixels: Int { config.encoder.imageSize * config.encoder.imageSize }

    public init(config: VisionTowerConfig, seed: UInt64) throws {
        try config.validate()
        self.config = config
        encoder = PatchEncoder(config: config.encoder, params: params, seed: seed)
        projector = ImageProjector(grid: config.encoder.grid, merge: config.merge, inDim: config.encoder.dim,
                                   hidden: config.projectorHidden, outDim: config.outDim, params: params, seed: seed)
    }

    public struct Cache { let encoder: PatchEncoder.Cache; let projector: ImageProjector.Cache; let patchOut: FloatBuffer }

    /// images [B, pixels] in [0, 1] → tokens [B·tokensPerImage, outDim].
    public func forward(_ images: [Float]) -> (FloatBuffer, Cache) {
        precondition(images.count % imagePixels == 0, "VisionTower: \(images.count) values is not a whole number of images")
        let b = images.count / imagePixels
        let (patchOut, ec) = images.withUnsafeBufferPointer { encoder.forward($0.baseAddress!, count: b) }
        let (tokens, pc) = projector.forward(patchOut, images: b)
        return (tokens, Cache(encoder: ec, projector: pc, patchOut: patchOut))
    }

    /// Accumulates the gradients of encoder and projector given d(loss)/d(tokens).
    public func backward(_ dTokens: UnsafePointer<Float>, _ cache: Cache) {
        let dPatches = projector.backward(dTokens, cache.projector)
        encoder.backward(dPatches, cache.encoder)
    }

    /// Forward without caches kept, in chunks of `batch` images: tokens [count·tokensPerImage·outDim].
    public func tokens(_ images: [Float], batch: Int = 256) -> [Float] {
        // A named buffer copied whole: a pointer into a temporary's buffer would outlive the buffer.
        chunked(images, batch: batch) { chunk, _ in let (t, _) = forward(chunk); return t.array }
    }

    /// Mean of the encoder's final patch vectors per image [count, dim]: the representation a probe reads.
    public func pooledFeatures(_ images: [Float], batch: Int = 256) -> [Float] {
        let d = config.encoder.dim, p = config.encoder.patches
        return chunked(images, batch: batch) { chunk, b in
            let (out, _) = chunk.withUnsafeBufferPointer { encoder.forward($0.baseAddress!, count: b) }
            var f = [Float](repeating: 0, count: b * d)
            for img in 0..<b { for j in 0..<p { for i in 0..<d { f[img * d + i] += out[(img * p + j) * d + i] / Float(p) } } }
            return f
        }
    }

    func chunked(_ images: [Float], batch: Int, _ body: ([Float], Int) -> [Float]) -> [Float] {
        let n = images.count / imagePixels
        var out: [Float] = []
        var start = 0
        while start < n {
            let b = min(batch, n - start)
            out.append(contentsOf: body(Array(images[(start * imagePixels)..<((start + b) * imagePixels)]), b))
            start += b
        }
        return out
    }

    /// Forward FLOPs for one image (encoder + projector).
    public var forwardFLOPs: Double { config.encoder.forwardFLOPs + projector.forwardFLOPs }
}
