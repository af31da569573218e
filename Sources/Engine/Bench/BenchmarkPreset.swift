/// The benchmark presets of DESIGN.md, matched by the peers (`llamacpp-live`, `hf-live`).
public enum BenchmarkPreset: String, CaseIterable, Sendable {
    case tiny, small, medium

    public var config: Qwen3MoEConfig {
        switch self {
        case .tiny:
            return Qwen3MoEConfig(vocabSize: 2048, hiddenSize: 128, intermediateSize: 256, moeIntermediateSize: 256,
                                  numHiddenLayers: 4, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 32,
                                  numExperts: 8, numExpertsPerTok: 2)
        case .small:
            return Qwen3MoEConfig(vocabSize: 8192, hiddenSize: 256, intermediateSize: 512, moeIntermediateSize: 512,
                                  numHiddenLayers: 6, numAttentionHeads: 8, numKeyValueHeads: 4, headDim: 32,
                                  numExperts: 16, numExpertsPerTok: 2)
        case .medium:
            return Qwen3MoEConfig(vocabSize: 32000, hiddenSize: 512, intermediateSize: 768, moeIntermediateSize: 768,
                                  numHiddenLayers: 8, numAttentionHeads: 8, numKeyValueHeads: 4, headDim: 64,
                                  numExperts: 32, numExpertsPerTok: 4)
        }
    }
}
