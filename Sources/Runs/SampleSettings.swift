import Foundation

/// The settings stored with every sample (samples.settings_json): enough to reproduce it.
public struct SampleSettings: Codable, Sendable {
    public var temperature: Double
    public var topP: Double
    public var maxTokens: Int
    public var seed: UInt64
    public var sampleIndex: Int
    public var adapter: Bool
    public var adapterVersion: Int?
    public var chat: Bool

    public init(temperature: Double, topP: Double, maxTokens: Int, seed: UInt64, sampleIndex: Int, adapter: Bool,
                adapterVersion: Int?, chat: Bool) {
        self.temperature = temperature; self.topP = topP; self.maxTokens = maxTokens; self.seed = seed
        self.sampleIndex = sampleIndex; self.adapter = adapter; self.adapterVersion = adapterVersion; self.chat = chat
    }

    enum CodingKeys: String, CodingKey {
        case temperature, seed, adapter, chat
        case topP = "top_p"
        case maxTokens = "max_tokens"
        case sampleIndex = "sample_index"
        case adapterVersion = "adapter_version"
    }

    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: (try? e.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    public static func parse(_ text: String) -> SampleSettings? { try? JSONDecoder().decode(SampleSettings.self, from: Data(text.utf8)) }
}

/// One sampled token's text and logprob (samples.tokens_json), for the per-token shading.
public struct TokenPiece: Codable, Equatable, Sendable {
    public var text: String
    public var logprob: Double

    public init(text: String, logprob: Double) { self.text = text; self.logprob = logprob }

    public static func json(_ pieces: [TokenPiece]) -> String {
        String(decoding: (try? JSONEncoder().encode(pieces)) ?? Data("[]".utf8), as: UTF8.self)
    }

    public static func parse(_ text: String?) -> [TokenPiece] {
        guard let text else { return [] }
        return (try? JSONDecoder().decode([TokenPiece].self, from: Data(text.utf8))) ?? []
    }
}
