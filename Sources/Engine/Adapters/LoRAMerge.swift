import Foundation
import Tensor

extension LoRAAdapter {
    /// W ← W + scale·B·A for every module, in place, on a writable fp32 model (see `Qwen3MoEModel.parameters`).
    public func merge(into model: Qwen3MoEModel) throws {
        let params = Dictionary(uniqueKeysWithValues: try model.parameters().map { ($0.0, ($0.1, $0.2)) })
        for m in modules {
            let name = m.path + ".weight"
            guard let (w, count) = params[name], count == m.outDim * m.inDim else {
                throw LatheError("merge: the model has no \(m.outDim)×\(m.inDim) weight \(name)")
            }
            BLAS.sgemm(m: m.outDim, n: m.inDim, k: m.rank, alpha: m.scale, a: m.b.pointer, lda: m.rank,
                       b: m.a.pointer, ldb: m.inDim, beta: 1, c: w, ldc: m.inDim)
        }
        if model.config.tieWordEmbeddings, lmHead != nil {
            throw LatheError("merge: an lm_head LoRA cannot be merged into tied embeddings")
        }
    }
}
