import Engine
import Foundation
import Tensor

/// Shape of the ViT-style patch encoder.
public struct PatchEncoderConfig: Codable, Equatable, Sendable {
    public var imageSize = 28
    public var patchSize = 7
    public var dim = 128
    public var heads = 4
    public var layers = 4
    public var mlpHidden = 256
    public var eps: Float = 1e-6

    public init() {}
    public init(imageSize: Int, patchSize: Int, dim: Int, heads: Int, layers: Int, mlpHidden: Int) {
        self.imageSize = imageSize; self.patchSize = patchSize; self.dim = dim; self.heads = heads
        self.layers = layers; self.mlpHidden = mlpHidden
    }

    public var grid: Int { imageSize / patchSize }           // patches per side
    public var patches: Int { grid * grid }
    public var patchDim: Int { patchSize * patchSize }
    public var headDim: Int { dim / heads }

    public func validate() throws {
        guard imageSize > 0, patchSize > 0, imageSize % patchSize == 0 else {
            throw LatheError("encoder: image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
        guard dim > 0, heads > 0, dim % heads == 0 else { throw LatheError("encoder: dim \(dim) is not a multiple of heads \(heads)") }
        guard layers > 0, mlpHidden > 0 else { throw LatheError("encoder: layers and mlp_hidden must be positive") }
    }

    /// Multiply-adds ×2 of one image's forward pass: the matmuls plus attention scores and mixing.
    public var forwardFLOPs: Double {
        let p = Double(patches), d = Double(dim), f = Double(mlpHidden)
        let perLayer = p * 2 * (4 * d * d + 3 * d * f) + 2 * 2 * p * p * d
        return p * 2 * Double(patchDim) * d + Double(layers) * perLayer
    }
}

/// Patches of a grayscale image → linear patch embedding + learned position embedding → pre-norm transformer blocks
/// (bidirectional multi-head attention, SwiGLU MLP, RMSNorm) → a final RMSNorm. Output: one vector per patch.
public final class PatchEncoder: @unchecked Sendable {
    public let config: PatchEncoderConfig
    let patchEmbed: Parameter, patchBias: Parameter, position: Parameter
    struct Block { let norm1, q, k, v, o, norm2, gate, up, down: Parameter }
    let blocks: [Block]
    let finalNorm: Parameter

    /// Registers its tensors in `params` as `encoder.*`, initialised from `seed` (GPT-2 style: N(0, 0.02²), output
    /// projections scaled by 1/√(2·layers)).
    public init(config: PatchEncoderConfig, params: ParameterSet, seed: UInt64) {
        self.config = config
        var rng = PhiloxRNG(seed: seed, stream: 0xE1C0)
        let d = config.dim, f = config.mlpHidden
        let std: Float = 0.02, outStd = 0.02 / Float(2 * config.layers).squareRoot()
        patchEmbed = params.gaussian("encoder.patch_embed.weight", [d, config.patchDim], std: 1 / Float(config.patchDim).squareRoot(), rng: &rng)
        patchBias = params.add("encoder.patch_embed.bias", [d])
        position = params.gaussian("encoder.position", [config.patches, d], std: std, rng: &rng)
        var bs: [Block] = []
        for l in 0..<config.layers {
            let p = "encoder.blocks.\(l)."
            bs.append(Block(norm1: params.add(p + "norm1.weight", [d]) { _ in 1 },
                            q: params.gaussian(p + "attn.q.weight", [d, d], std: std, rng: &rng),
                            k: params.gaussian(p + "attn.k.weight", [d, d], std: std, rng: &rng),
                            v: params.gaussian(p + "attn.v.weight", [d, d], std: std, rng: &rng),
                            o: params.gaussian(p + "attn.o.weight", [d, d], std: outStd, rng: &rng),
                            norm2: params.add(p + "norm2.weight", [d]) { _ in 1 },
                            gate: params.gaussian(p + "mlp.gate.weight", [f, d], std: std, rng: &rng),
                            up: params.gaussian(p + "mlp.up.weight", [f, d], std: std, rng: &rng),
                            down: params.gaussian(p + "mlp.down.weight", [d, f], std: outStd, rng: &rng)))
        }
        blocks = bs
        finalNorm = params.add("encoder.norm.weight", [d]) { _ in 1 }
    }

    struct BlockCache {
        let xIn: FloatBuffer, rstd1: [Float], xn1: FloatBuffer
        let q: FloatBuffer, k: FloatBuffer, v: FloatBuffer
        let probs: FloatBuffer          // [B, heads, P, P]
        let att: FloatBuffer
        let h: FloatBuffer, rstd2: [Float], xn2: FloatBuffer
        let g: FloatBuffer, u: FloatBuffer, act: FloatBuffer
    }

    public struct Cache {
        let images: Int
        let patches: FloatBuffer        // [B·P, patchDim]
        let blocks: [BlockCache]
        let x: FloatBuffer              // [B·P, D] before the final norm
        let rstd: [Float]
    }

    /// Cuts images [B, size²] (values in [0, 1]) into patches [B·P, patchDim], row-major patch order.
    func patchify(_ images: UnsafePointer<Float>, count b: Int) -> FloatBuffer {
        let c = config, s = c.imageSize, ps = c.patchSize
        let out = FloatBuffer(uninitialized: b * c.patches * c.patchDim)
        for img in 0..<b {
            for gy in 0..<c.grid {
                for gx in 0..<c.grid {
                    let dst = out.pointer + ((img * c.patches) + gy * c.grid + gx) * c.patchDim
                    for py in 0..<ps {
                        (dst + py * ps).update(from: images + img * s * s + (gy * ps + py) * s + gx * ps, count: ps)
                    }
                }
            }
        }
        return out
    }

    /// out [B·P, D]: the final normed patch vectors of `count` images.
    public func forward(_ images: UnsafePointer<Float>, count b: Int) -> (FloatBuffer, Cache) {
        let c = config, d = c.dim, p = c.patches, n = b * p, f = c.mlpHidden
        let patches = patchify(images, count: b)
        let x = FloatBuffer(uninitialized: n * d)
        Dense.forward(patches.pointer, rows: n, patchEmbed, bias: patchBias, x.pointer)
        for img in 0..<b { for j in 0..<p { Kernels.axpy(1, position.pointer + j * d, x.pointer + (img * p + j) * d, d) } }
        var caches: [BlockCache] = []
        for blk in blocks {
            let xIn = FloatBuffer(uninitialized: n * d); xIn.pointer.update(from: x.pointer, count: n * d)
            let (xn1, rstd1) = normRows(x, blk.norm1, rows: n)
            let q = FloatBuffer(uninitialized: n * d), k = FloatBuffer(uninitialized: n * d), v = FloatBuffer(uninitialized: n * d)
            Dense.forward(xn1.pointer, rows: n, blk.q, q.pointer)
            Dense.forward(xn1.pointer, rows: n, blk.k, k.pointer)
            Dense.forward(xn1.pointer, rows: n, blk.v, v.pointer)
            let probs = FloatBuffer(uninitialized: b * c.heads * p * p)
            let att = FloatBuffer(uninitialized: n * d)
            attentionForward(q: q, k: k, v: v, probs: probs, att: att, images: b)
            Dense.forward(att.pointer, rows: n, blk.o, x.pointer, accumulate: true)       // x += o(att)
            let h = FloatBuffer(uninitialized: n * d); h.pointer.update(from: x.pointer, count: n * d)
            let (xn2, rstd2) = normRows(x, blk.norm2, rows: n)
            let g = FloatBuffer(uninitialized: n * f), u = FloatBuffer(uninitialized: n * f), act = FloatBuffer(uninitialized: n * f)
            Dense.forward(xn2.pointer, rows: n, blk.gate, g.pointer)
            Dense.forward(xn2.pointer, rows: n, blk.up, u.pointer)
            Kernels.swiGLU(g.pointer, u.pointer, act.pointer, n * f)
            Dense.forward(act.pointer, rows: n, blk.down, x.pointer, accumulate: true)    // x += down(silu(g)·u)
            caches.append(BlockCache(xIn: xIn, rstd1: rstd1, xn1: xn1, q: q, k: k, v: v, probs: probs, att: att,
                                     h: h, rstd2: rstd2, xn2: xn2, g: g, u: u, act: act))
        }
        let (out, rstd) = normRows(x, finalNorm, rows: n)
        return (out, Cache(images: b, patches: patches, blocks: caches, x: x, rstd: rstd))
    }

    /// RMSNorm of every row of x [n, dim] with `weight`: the normed rows and each row's rstd (the backward needs it).
    func normRows(_ x: FloatBuffer, _ weight: Parameter, rows n: Int) -> (FloatBuffer, [Float]) {
        let d = config.dim
        let y = FloatBuffer(uninitialized: n * d)
        var rstd = [Float](repeating: 0, count: n)
        for r in 0..<n { rstd[r] = Kernels.rmsNorm(x.pointer + r * d, weight.pointer, y.pointer + r * d, d, eps: config.eps) }
        return (y, rstd)
    }

    /// Per image and head: P = softmax(q·kᵀ/√d) over all patches, att = P·v.
    func attentionForward(q: FloatBuffer, k: FloatBuffer, v: FloatBuffer, probs: FloatBuffer, att: FloatBuffer, images b: Int) {
        let c = config, d = c.dim, p = c.patches, dh = c.headDim
        let scale = 1 / Float(dh).squareRoot()
        for img in 0..<b {
            for hd in 0..<c.heads {
                let s = probs.pointer + (img * c.heads + hd) * p * p
                let off = img * p * d + hd * dh
                BLAS.sgemm(transB: true, m: p, n: p, k: dh, alpha: scale, a: q.pointer + off, lda: d, b: k.pointer + off, ldb: d,
                           c: s, ldc: p)
                for i in 0..<p { Kernels.softmax(s + i * p, p) }
                BLAS.sgemm(m: p, n: dh, k: p, a: s, lda: p, b: v.pointer + off, ldb: d, c: att.pointer + off, ldc: d)
            }
        }
    }

    /// Given d(loss)/d(out) [B·P, D]: accumulates every parameter gradient (input images get none).
    public func backward(_ dOut: FloatBuffer, _ cache: Cache) {
        let c = config, d = c.dim, p = c.patches, b = cache.images, n = b * p, f = c.mlpHidden
        let dx = FloatBuffer(uninitialized: n * d)
        for r in 0..<n {
            Kernels.rmsNormBackward(dOut.pointer + r * d, x: cache.x.pointer + r * d, weight: finalNorm.pointer, rstd: cache.rstd[r],
                                    d, dx: dx.pointer + r * d, accumulate: false, dWeight: finalNorm.grad.pointer)
        }
        for (l, blk) in blocks.enumerated().reversed() {
            let bc = cache.blocks[l]
            // MLP: x = h + down(swiGLU(gate(xn2), up(xn2))).
            let dAct = FloatBuffer(count: n * f)
            Dense.backward(dx.pointer, rows: n, x: bc.act.pointer, blk.down, dx: dAct.pointer)
            let dG = FloatBuffer(uninitialized: n * f), dU = FloatBuffer(uninitialized: n * f)
            Kernels.swiGLUBackward(dAct.pointer, gate: bc.g.pointer, up: bc.u.pointer, dGate: dG.pointer, dUp: dU.pointer, n * f)
            let dxn2 = FloatBuffer(count: n * d)
            Dense.backward(dG.pointer, rows: n, x: bc.xn2.pointer, blk.gate, dx: dxn2.pointer)
            Dense.backward(dU.pointer, rows: n, x: bc.xn2.pointer, blk.up, dx: dxn2.pointer)
            for r in 0..<n {
                Kernels.rmsNormBackward(dxn2.pointer + r * d, x: bc.h.pointer + r * d, weight: blk.norm2.pointer, rstd: bc.rstd2[r],
                                        d, dx: dx.pointer + r * d, accumulate: true, dWeight: blk.norm2.grad.pointer)
            }
            // Attention: h = xIn + o(att(xn1)).
            let dAtt = FloatBuffer(count: n * d)
            Dense.backward(dx.pointer, rows: n, x: bc.att.pointer, blk.o, dx: dAtt.pointer)
            let dq = FloatBuffer(count: n * d), dk = FloatBuffer(count: n * d), dv = FloatBuffer(count: n * d)
            attentionBackward(dAtt: dAtt, cache: bc, dq: dq, dk: dk, dv: dv, images: b)
            let dxn1 = FloatBuffer(count: n * d)
            Dense.backward(dq.pointer, rows: n, x: bc.xn1.pointer, blk.q, dx: dxn1.pointer)
            Dense.backward(dk.pointer, rows: n, x: bc.xn1.pointer, blk.k, dx: dxn1.pointer)
            Dense.backward(dv.pointer, rows: n, x: bc.xn1.pointer, blk.v, dx: dxn1.pointer)
            for r in 0..<n {
                Kernels.rmsNormBackward(dxn1.pointer + r * d, x: bc.xIn.pointer + r * d, weight: blk.norm1.pointer, rstd: bc.rstd1[r],
                                        d, dx: dx.pointer + r * d, accumulate: true, dWeight: blk.norm1.grad.pointer)
            }
        }
        // x0 = patches·Wpᵀ + bp + position.
        for img in 0..<b { for j in 0..<p { Kernels.axpy(1, dx.pointer + (img * p + j) * d, position.grad.pointer + j * d, d) } }
        Dense.backward(dx.pointer, rows: n, x: cache.patches.pointer, patchEmbed, bias: patchBias, dx: nil)
    }

    func attentionBackward(dAtt: FloatBuffer, cache bc: BlockCache, dq: FloatBuffer, dk: FloatBuffer, dv: FloatBuffer, images b: Int) {
        let c = config, d = c.dim, p = c.patches, dh = c.headDim
        let scale = 1 / Float(dh).squareRoot()
        let dP = FloatBuffer(uninitialized: p * p)
        for img in 0..<b {
            for hd in 0..<c.heads {
                let pr = bc.probs.pointer + (img * c.heads + hd) * p * p
                let off = img * p * d + hd * dh
                // dV += Pᵀ·dO ; dP = dO·Vᵀ
                BLAS.sgemm(transA: true, m: p, n: dh, k: p, a: pr, lda: p, b: dAtt.pointer + off, ldb: d, beta: 1,
                           c: dv.pointer + off, ldc: d)
                BLAS.sgemm(transB: true, m: p, n: p, k: dh, a: dAtt.pointer + off, lda: d, b: bc.v.pointer + off, ldb: d,
                           c: dP.pointer, ldc: p)
                // dS = P ⊙ (dP − rowsum(dP ⊙ P))
                for i in 0..<p {
                    let prow = pr + i * p, drow = dP.pointer + i * p
                    let s = Kernels.dot(prow, drow, p)
                    for j in 0..<p { drow[j] = prow[j] * (drow[j] - s) }
                }
                // dQ = scale·dS·K ; dK += scale·dSᵀ·Q
                BLAS.sgemm(m: p, n: dh, k: p, alpha: scale, a: dP.pointer, lda: p, b: bc.k.pointer + off, ldb: d, beta: 1,
                           c: dq.pointer + off, ldc: d)
                BLAS.sgemm(transA: true, m: p, n: dh, k: p, alpha: scale, a: dP.pointer, lda: p, b: bc.q.pointer + off, ldb: d,
                           beta: 1, c: dk.pointer + off, ldc: d)
            }
        }
    }
}
