import Foundation

/// The settings stored with every sample (samples.settings_json): enough to reproduce it.
struct SampleSettings: Codable {
    var temperature: Double
    var topP: Double
    var maxTokens: Int
    var seed: UInt64
    var sampleIndex: Int
    var adapter: Bool
    var adapterVersion: Int?
    var chat: Bool

    enum CodingKeys: String, CodingKey {
        case temperature, seed, adapter, chat
        case topP = "top_p"
        case maxTokens = "max_tokens"
        case sampleIndex = "sample_index"
        case adapterVersion = "adapter_version"
    }

    var json: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: (try? e.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func parse(_ text: String) -> SampleSettings? { try? JSONDecoder().decode(SampleSettings.self, from: Data(text.utf8)) }
}

/// One sampled token's text and logprob (samples.tokens_json), for the per-token shading.
public struct TokenPiece: Codable, Equatable, Sendable {
    public var text: String
    public var logprob: Double

    static func json(_ pieces: [TokenPiece]) -> String {
        String(decoding: (try? JSONEncoder().encode(pieces)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func parse(_ text: String?) -> [TokenPiece] {
        guard let text else { return [] }
        return (try? JSONDecoder().decode([TokenPiece].self, from: Data(text.utf8))) ?? []
    }
}
