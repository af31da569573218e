import Foundation
import Terminal

/// A matrix of values as coloured cells (rows × columns, e.g. layers × experts), with row and column labels; each
/// cell shows its value when it is wide enough. `color` maps a value to the cell's background.
struct Heatmap {
    var values: [[Double]]
    var rowLabels: [String]
    var columnLabels: [String]
    var color: (Double) -> Color
    var format: (Double) -> String
    var textStyle: Style
    var valueFG: Color

    /// Draws from the top-left of `p`; returns the height used.
    @discardableResult
    func draw(_ p: Painter) -> Int {
        guard let columns = values.first?.count, columns > 0 else { return 0 }
        let labelWidth = (rowLabels.map { displayWidth($0) }.max() ?? 0) + 1
        let cellWidth = max(1, min(6, (p.width - labelWidth) / columns))
        let rowHeight = values.count * 2 + 1 <= p.height - 1 ? 2 : 1
        for (c, label) in columnLabels.enumerated() where c < columns {
            p.text(labelWidth + c * cellWidth, 0, truncated(label, to: cellWidth), textStyle)
        }
        for (r, row) in values.enumerated() {
            let y = 1 + r * rowHeight
            guard y < p.height else { break }
            p.text(0, y, r < rowLabels.count ? rowLabels[r] : "", textStyle)
            for (c, v) in row.enumerated() {
                let bg = color(v)
                let shown = cellWidth >= 4 ? format(v) : ""
                let text = shown.padding(toLength: cellWidth - 1, withPad: " ", startingAt: 0) + " "
                for line in 0..<rowHeight where y + line < p.height {
                    p.text(labelWidth + c * cellWidth, y + line, line == 0 ? text : String(repeating: " ", count: cellWidth),
                           Style(fg: valueFG, bg: bg))
                }
            }
        }
        return 1 + values.count * rowHeight
    }
}
