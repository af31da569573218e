import Runs
import Terminal

public enum PaneID: Int, CaseIterable, Sendable, Codable {
    case config = 1, curves, sampling, vision

    public var title: String {
        switch self {
        case .config: return "Config"
        case .curves: return "Curves"
        case .sampling: return "Sampling"
        case .vision: return "Vision"
        }
    }

    var scope: KeyScope {
        switch self {
        case .config: return .config
        case .curves: return .curves
        case .sampling: return .sampling
        case .vision: return .vision
        }
    }
}

/// A pane separates *collect* (pull new data from the store and engine events) from *draw* (a pure function of its
/// state and the size it is given).
protocol Pane: AnyObject {
    /// Pulls new data; returns whether anything visible changed.
    func collect(_ app: Workbench) -> Bool
    func draw(_ p: Painter, _ app: Workbench)
    /// Performs a keymap action; false when the pane has no use for it.
    func perform(_ action: Action, _ app: Workbench) -> Bool
    /// While true, keys go to `edit` before the keymap (a text field has focus).
    var isEditing: Bool { get }
    func edit(_ key: Key, _ app: Workbench)
    /// Narrows the pane's list (the `/` filter).
    var filter: String { get set }
    func event(_ event: EngineEvent, _ app: Workbench)
}
