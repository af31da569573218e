@preconcurrency import CNCurses
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The terminal people use: ncursesw in raw mode (Ctrl-C and Ctrl-Z arrive as keys), wide characters, colour pairs
/// allocated on demand, and only changed cells sent each frame.
public final class CursesDriver: TerminalDriver {
    public private(set) var width: Int
    public private(set) var height: Int
    public let capabilities: Capabilities
    private let screenHandle: OpaquePointer
    private var previous: [Cell] = []
    private var pairs: [PairKey: Int32] = [:]
    private var isShutDown = false

    private struct PairKey: Hashable { var fg: Int, bg: Int }

    /// Opens the terminal. Throws (never exits, as `initscr` would) when stdin/stdout is not a terminal or TERM is
    /// unset or unknown.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard isatty(STDIN_FILENO) != 0, isatty(STDOUT_FILENO) != 0 else {
            throw TerminalError("the workbench needs a terminal (stdin/stdout is not a tty); the headless verbs (`lathe --help`) work without one")
        }
        guard let term = environment["TERM"], !term.isEmpty else {
            throw TerminalError("TERM is not set: set it to your terminal's type (e.g. TERM=xterm-256color) to open the workbench")
        }
        setlocale(LC_ALL, "")
        guard let handle = term.withCString({ lathe_newterm($0) }) else {
            throw TerminalError("TERM=\(term): unknown terminal type (no terminfo entry); try TERM=xterm-256color")
        }
        screenHandle = handle
        set_term(handle)
        raw()
        noecho()
        nonl()
        keypad(lathe_stdscr(), true)
        set_escdelay(25)
        curs_set(0)
        var colors = 0
        if has_colors() {
            start_color()
            use_default_colors()
            colors = Int(lathe_colors())
        }
        capabilities = Capabilities.detect(environment: environment, terminalColors: colors,
                                           codeset: String(cString: lathe_codeset()))
        width = Int(lathe_cols()); height = Int(lathe_lines())
    }

    public func readKey(timeoutMs: Int) -> Key? {
        wtimeout(lathe_stdscr(), Int32(timeoutMs))
        var ch: wint_t = 0
        let r = wget_wch(lathe_stdscr(), &ch)
        if r == ERR { return nil }
        if r == KEY_CODE_YES {
            let code = Int32(ch)
            switch code {
            case lathe_key_resize():
                width = Int(lathe_cols()); height = Int(lathe_lines())
                previous = []
                return .resize
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_BACKSPACE: return .backspace
            case KEY_DC: return .delete
            case KEY_BTAB: return .backTab
            case KEY_ENTER: return .enter
            default:
                for n in 1...12 where code == lathe_key_f(Int32(n)) { return .function(n) }
                return nil
            }
        }
        guard let scalar = Unicode.Scalar(UInt32(ch)) else { return nil }
        return Key.fromCharacter(scalar)
    }

    public func present(_ screen: Screen) {
        let full = previous.count != screen.cells.count
        for y in 0..<min(screen.height, height) {
            for x in 0..<min(screen.width, width) {
                let i = y * screen.width + x
                let cell = screen.cells[i]
                if !full && previous[i] == cell { continue }
                if cell.continuation { continue }
                put(cell, x: x, y: y)
            }
        }
        previous = screen.cells
        refresh()
    }

    private func put(_ cell: Cell, x: Int, y: Int) {
        var attrs: attr_t = 0
        let style = cell.style
        if style.bold { attrs |= lathe_a_bold() }
        if style.dim { attrs |= lathe_a_dim() }
        if style.underline { attrs |= lathe_a_underline() }
        if style.reverse || (capabilities.colors == .monochrome && style.bg != .default) { attrs |= lathe_a_reverse() }
        let pair = pairNumber(style)
        var wch: [wchar_t] = [wchar_t(bitPattern: cell.scalar.value), 0]
        if !capabilities.unicode && cell.scalar.value > 0x7E { wch[0] = wchar_t(UInt8(ascii: "?")) }
        _ = lathe_put_cell(Int32(y), Int32(x), &wch, attrs, pair)
    }

    private func pairNumber(_ style: Style) -> Int32 {
        let fg = ColorReduction.index(style.fg, depth: capabilities.colors) ?? -1
        let bg = ColorReduction.index(style.bg, depth: capabilities.colors) ?? -1
        if fg == -1 && bg == -1 { return 0 }
        let key = PairKey(fg: fg, bg: bg)
        if let p = pairs[key] { return p }
        if pairs.count + 1 >= Int(lathe_color_pairs()) { pairs = [:]; previous = [] }
        let p = Int32(pairs.count + 1)
        init_extended_pair(p, Int32(fg), Int32(bg))
        pairs[key] = p
        return p
    }

    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        curs_set(1)
        endwin()
        delscreen(screenHandle)
    }

    deinit { shutdown() }
}
