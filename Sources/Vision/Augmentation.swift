import Engine
import Foundation
import Tensor

/// Random views of a grayscale image for contrastive learning (SimCLR's recipe cut down to 28×28 grayscale): a random
/// resized crop (area 50–100 %, aspect 3/4–4/3, bilinear), a horizontal flip half the time, contrast scaling
/// 0.6–1.4, and Gaussian pixel noise σ 0.05, clamped to [0, 1].
public enum Augmentation {
    public static func view(_ image: ArraySlice<Float>, side s: Int, rng: inout PhiloxRNG) -> [Float] {
        let src = Array(image)
        let area = 0.5 + 0.5 * rng.nextFloat()
        let aspect = expf(logf(0.75) + (logf(4.0 / 3) - logf(0.75)) * rng.nextFloat())
        let cw = min(Float(s), Float(s) * (area * aspect).squareRoot())
        let ch = min(Float(s), Float(s) * (area / aspect).squareRoot())
        let x0 = rng.nextFloat() * (Float(s) - cw), y0 = rng.nextFloat() * (Float(s) - ch)
        let flip = rng.nextFloat() < 0.5
        let contrast = 0.6 + 0.8 * rng.nextFloat()
        var out = [Float](repeating: 0, count: s * s)
        for y in 0..<s {
            for x in 0..<s {
                let u = flip ? Float(s - 1 - x) : Float(x)
                let sx = x0 + (u + 0.5) * cw / Float(s) - 0.5, sy = y0 + (Float(y) + 0.5) * ch / Float(s) - 0.5
                let v = bilinear(src, side: s, x: sx, y: sy) * contrast + 0.05 * rng.nextGaussian()
                out[y * s + x] = min(1, max(0, v))
            }
        }
        return out
    }

    static func bilinear(_ img: [Float], side s: Int, x: Float, y: Float) -> Float {
        let xf = floorf(x), yf = floorf(y)
        let ix = Int(xf), iy = Int(yf)
        let fx = x - xf, fy = y - yf
        func at(_ a: Int, _ b: Int) -> Float { (0..<s).contains(a) && (0..<s).contains(b) ? img[b * s + a] : 0 }
        return (1 - fy) * ((1 - fx) * at(ix, iy) + fx * at(ix + 1, iy)) + fy * ((1 - fx) * at(ix, iy + 1) + fx * at(ix + 1, iy + 1))
    }
}
