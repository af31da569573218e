import Foundation
import Terminal

/// Accuracy against shots (log₂ x axis) for several series: a marker at each mean and a vertical bar over its 95 %
/// interval, series side by side within each shot count so their bars do not hide each other.
struct IntervalChart {
    struct Point { var shots: Int; var mean: Double; var low: Double; var high: Double }
    struct Series { var name: String; var marker: Unicode.Scalar; var style: Style; var points: [Point] }

    var series: [Series]
    var shots: [Int]

    func draw(_ p: Painter, axis: Style, label: Style, unicode: Bool) {
        guard p.width >= 20, p.height >= 6, !shots.isEmpty else { return }
        let all = series.flatMap(\.points)
        var lo = (all.map(\.low).min() ?? 0), hi = (all.map(\.high).max() ?? 1)
        lo = max(0, floor(lo * 10) / 10); hi = min(1, ceil(hi * 10) / 10)
        if hi - lo < 0.1 { hi = min(1, lo + 0.1); lo = max(0, hi - 0.1) }
        let left = 5, plotH = p.height - 2, plotW = p.width - left - 1
        func row(_ v: Double) -> Int { plotH - 1 - Int(((v - lo) / (hi - lo) * Double(plotH - 1)).rounded()) }
        let bar: Unicode.Scalar = unicode ? "│" : "|", tick: Unicode.Scalar = unicode ? "─" : "-"
        for i in 0...2 {
            let v = lo + (hi - lo) * Double(i) / 2
            p.text(0, row(v), String(format: "%3.0f%%", 100 * v), label)
        }
        for y in 0..<plotH { p.set(left - 1, y, Cell(unicode ? "┤" : "|", style: axis)) }
        for x in left..<(left + plotW) { p.set(x, plotH, Cell(tick, style: axis)) }
        let slot = max(1, plotW / shots.count)
        for (k, s) in shots.enumerated() {
            let center = left + k * slot + slot / 2
            let text = "\(s)"
            p.text(center - text.count / 2, plotH + 1, text, label)
            for (j, ser) in series.enumerated() {
                guard let pt = ser.points.first(where: { $0.shots == s }) else { continue }
                let x = center + j - series.count / 2
                for y in row(pt.high)...row(pt.low) { p.set(x, y, Cell(bar, style: ser.style)) }
                p.set(x, row(pt.mean), Cell(ser.marker, style: ser.style.with(bold: true)))
            }
        }
        p.text(p.width - 6, plotH + 1, "shots", label)
    }
}
