import Foundation

/// What the workbench remembers between sessions (stored as JSON in the workspace's ui_state table).
struct UIState: Codable, Equatable {
    var pane: PaneID = .config
    var theme: String?
    var selectedRun: String?
    var metric: String = "train/loss"
    var overlayRuns: [String] = []
    var smoothing: Double = 0.6
    var logY = false
    var xAxis: String = "step"
    /// Optional so that states saved before it existed still decode.
    var showExpertLoad: Bool?
    var prompt: String = ""
    var chat = true
    var showBase = true
    var temperature: Double = 0.8
    var topP: Double = 0.95
    var count = 1
    var maxTokens = 48
    var seed: UInt64 = 1

    static let key = "workbench"

    var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data("{}".utf8), as: UTF8.self) }

    static func parse(_ text: String?) -> UIState? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(UIState.self, from: Data(text.utf8))
    }
}
