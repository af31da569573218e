import Foundation
import Terminal

/// One line of a chart: its points, sorted by x (a NaN y breaks the line).
public struct ChartSeries: Sendable {
    public var label: String
    public var points: [(x: Double, y: Double)]
    public var color: Color

    public init(label: String, points: [(x: Double, y: Double)], color: Color) {
        self.label = label; self.points = points; self.color = color
    }
}

/// What a series shows at the chart's cursor: its point nearest the cursor, raw and smoothed.
public struct Readout: Equatable, Sendable {
    public var label: String
    public var x: Double
    public var y: Double
    public var smoothed: Double
    public var color: Color

    public init(label: String, x: Double, y: Double, smoothed: Double, color: Color) {
        self.label = label; self.x = x; self.y = y; self.smoothed = smoothed; self.color = color
    }
}

/// A line chart of several series in braille dots (2×4 per cell), with axes, tick labels, a legend and a cursor.
public struct BrailleChart {
    public var series: [ChartSeries]
    /// log10 y axis; non-positive values are dropped and the axis says "log".
    public var logY = false
    /// Debiased EMA weight in 0..<1; when > 0 the raw line is drawn faint behind the smoothed one.
    public var smoothing = 0.0
    /// The x values shown (zoom); nil shows all data.
    public var xRange: ClosedRange<Double>? = nil
    /// The y values shown, in data units; nil fits the visible (smoothed) values, ignoring outliers.
    public var yRange: ClosedRange<Double>? = nil
    /// A vertical cursor: drawn as a column marker, and `draw` returns the read-outs there.
    public var cursorX: Double? = nil
    /// Formats x tick labels (steps, wall time, …).
    public var xLabel: (Double) -> String = { compactNumber($0) }
    /// false: ASCII stand-ins, one point per cell.
    public var unicode = true
    public var axisStyle: Style
    public var textStyle: Style
    public var background: Color

    public init(series: [ChartSeries], logY: Bool = false, smoothing: Double = 0, xRange: ClosedRange<Double>? = nil,
                yRange: ClosedRange<Double>? = nil, cursorX: Double? = nil,
                xLabel: @escaping (Double) -> String = { compactNumber($0) }, unicode: Bool = true,
                axisStyle: Style = .plain, textStyle: Style = .plain, background: Color = .default) {
        self.series = series; self.logY = logY; self.smoothing = smoothing; self.xRange = xRange
        self.yRange = yRange; self.cursorX = cursorX; self.xLabel = xLabel; self.unicode = unicode
        self.axisStyle = axisStyle; self.textStyle = textStyle; self.background = background
    }

    /// A series ready to draw: values in data units for read-outs, and in axis units (log10 when `logY`).
    private struct Prepared {
        var xs: [Double] = []
        var rawY: [Double] = []
        var smoothedY: [Double] = []
        var rawAxis: [Double] = []
        var mainAxis: [Double] = []
    }

    /// Draws into `p`: y-axis labels (left gutter), the plot area, x-axis tick labels along the bottom row, and a
    /// legend line at the top (label in its colour; omitted for a single series).
    /// Returns the read-out at the cursor: for each series the point nearest `cursorX`.
    @discardableResult
    public func draw(_ p: Painter) -> [Readout] {
        let prepared = series.map(prepare)
        let readouts = cursorX.map { readout(at: $0, prepared) } ?? []
        guard p.width > 0, p.height > 0 else { return readouts }
        p.fill(Style(bg: background))
        let axis = onBackground(axisStyle), text = onBackground(textStyle)

        let xWindow = xRange.map(widened) ?? dataXRange(prepared)
        let yWindow = xWindow.flatMap { yAxisRange(prepared, xWindow: $0) }
        let framed = p.height >= 4 && p.width >= 8
        let top = framed && series.count > 1 && p.height >= 5 ? 1 : 0
        let plotRows = framed ? p.height - 2 - top : p.height

        var yTicks: [(value: Double, label: String)] = []
        if framed, let yWindow { yTicks = yAxisTicks(yWindow, maxCount: max(2, min(5, plotRows / 2))) }
        let gutter = framed
            ? min(max(yTicks.map { displayWidth($0.label) }.max() ?? 0, logY ? 3 : 0), p.width - 3) : 0
        let plotX = framed ? gutter + 1 : 0
        let plot = p.sub(Rect(x: plotX, y: top, width: p.width - plotX, height: plotRows))

        var raster = DotRaster(cols: plot.width, rows: plot.height, cellW: unicode ? 2 : 1, cellH: unicode ? 4 : 1)
        let xAxis = xWindow ?? 0...1, yAxis = yWindow ?? 0...1
        let dotW = Double(raster.dotWidth - 1), dotH = Double(raster.dotHeight - 1)
        let mapX: (Double) -> Double = { clampedCoordinate(($0 - xAxis.lowerBound) / (xAxis.upperBound - xAxis.lowerBound) * dotW) }
        let mapY: (Double) -> Double = { clampedCoordinate(dotH - ($0 - yAxis.lowerBound) / (yAxis.upperBound - yAxis.lowerBound) * dotH) }
        if yWindow != nil {
            var layers: [(style: Style, glyph: Unicode.Scalar)] = []
            if smoothing > 0 {
                for (s, prep) in zip(series, prepared) {
                    raster.trace(mapped(prep.xs, prep.rawAxis, mapX, mapY), layer: layers.count)
                    layers.append((faint(s.color), "."))
                }
            }
            for (s, prep) in zip(series, prepared) {
                raster.trace(mapped(prep.xs, prep.mainAxis, mapX, mapY), layer: layers.count)
                layers.append((Style(fg: s.color, bg: background), "*"))
            }
            paint(raster, layers: layers, into: plot)
        }

        if let cursorX, xWindow?.contains(cursorX) == true {
            let column = Int(mapX(cursorX).rounded()) / raster.cellW
            for row in 0..<raster.rows where column < raster.cols && raster.bits[row * raster.cols + column] == 0 {
                plot.set(column, row, Cell(unicode ? "│" : "|", style: axis))
            }
        }

        if framed {
            let axisRow = top + plotRows
            for row in top..<axisRow { p.set(gutter, row, Cell(unicode ? "│" : "|", style: axis)) }
            p.set(gutter, axisRow, Cell(unicode ? "└" : "+", style: axis))
            for column in plotX..<p.width { p.set(column, axisRow, Cell(unicode ? "─" : "-", style: axis)) }
            var lastLabelRow = -1
            for tick in yTicks {
                let row = top + Int(mapY(tick.value).rounded()) / raster.cellH
                guard row >= top, row < axisRow, row != lastLabelRow else { continue }
                lastLabelRow = row
                p.set(gutter, row, Cell(unicode ? "┤" : "+", style: axis))
                p.text(gutter - displayWidth(tick.label), row, tick.label, text)
            }
            if logY { p.text(gutter - 3, axisRow, "log", text) }
            if let xWindow {
                let ticks = niceTicks(xWindow, maxCount: max(2, min(6, plot.width / 10)))
                var labelEnd = -1
                for value in ticks.values {
                    let column = plotX + Int(mapX(value).rounded()) / raster.cellW
                    guard column >= plotX, column < p.width else { continue }
                    p.set(column, axisRow, Cell(unicode ? "┬" : "+", style: axis))
                    let label = xLabel(value), width = displayWidth(label)
                    let start = min(max(column - width / 2, 0), p.width - width)
                    guard start > labelEnd, start >= 0 else { continue }
                    p.text(start, p.height - 1, label, text)
                    labelEnd = start + width
                }
            }
            if top == 1 { drawLegend(p.sub(Rect(x: plotX, y: 0, width: p.width - plotX, height: 1))) }
        }

        if yWindow == nil {
            let message = truncated("no data", to: plot.width)
            plot.text((plot.width - displayWidth(message)) / 2, (plot.height - 1) / 2, message, text.with(dim: true))
        }
        return readouts
    }

    private func prepare(_ s: ChartSeries) -> Prepared {
        var out = Prepared()
        out.xs.reserveCapacity(s.points.count); out.rawY.reserveCapacity(s.points.count)
        for point in s.points where !(logY && point.y <= 0) {
            out.xs.append(point.x); out.rawY.append(point.y)
        }
        out.smoothedY = smoothing > 0 ? debiasedEMA(out.rawY, weight: smoothing) : out.rawY
        let toAxis: (Double) -> Double = logY ? { log10($0) } : { $0 }
        out.rawAxis = out.rawY.map(toAxis)
        out.mainAxis = smoothing > 0 ? out.smoothedY.map(toAxis) : out.rawAxis
        return out
    }

    private func readout(at x: Double, _ prepared: [Prepared]) -> [Readout] {
        zip(series, prepared).compactMap { s, prep in
            var best: Int?
            for i in prep.xs.indices where prep.xs[i].isFinite && prep.rawY[i].isFinite {
                if best == nil || abs(prep.xs[i] - x) < abs(prep.xs[best!] - x) { best = i }
            }
            return best.map { Readout(label: s.label, x: prep.xs[$0], y: prep.rawY[$0], smoothed: prep.smoothedY[$0],
                                      color: s.color) }
        }
    }

    /// All x values that have a finite y, across series.
    private func dataXRange(_ prepared: [Prepared]) -> ClosedRange<Double>? {
        var low = Double.infinity, high = -Double.infinity
        for prep in prepared {
            for i in prep.xs.indices where prep.xs[i].isFinite && prep.mainAxis[i].isFinite {
                low = min(low, prep.xs[i]); high = max(high, prep.xs[i])
            }
        }
        return low <= high ? widened(low...high) : nil
    }

    /// The y window in axis units; nil when nothing finite is visible.
    private func yAxisRange(_ prepared: [Prepared], xWindow: ClosedRange<Double>) -> ClosedRange<Double>? {
        var visible: [Double] = []
        for prep in prepared {
            for i in prep.xs.indices where xWindow.contains(prep.xs[i]) && prep.mainAxis[i].isFinite {
                visible.append(prep.mainAxis[i])
            }
        }
        guard !visible.isEmpty else { return nil }
        guard let yRange else { return robustRange(visible) }
        let fitted = robustRange(visible)!
        let low = logY ? (yRange.lowerBound > 0 ? log10(yRange.lowerBound) : fitted.lowerBound) : yRange.lowerBound
        let high = logY ? (yRange.upperBound > 0 ? log10(yRange.upperBound) : fitted.upperBound) : yRange.upperBound
        guard low.isFinite, high.isFinite else { return fitted }
        return widened(min(low, high)...max(low, high))
    }

    private func yAxisTicks(_ window: ClosedRange<Double>, maxCount: Int) -> [(value: Double, label: String)] {
        guard logY else {
            let ticks = niceTicks(window, maxCount: maxCount)
            return ticks.values.map { ($0, tickLabel($0, step: ticks.step)) }
        }
        let firstDecade = Int(ceil(window.lowerBound - 1e-9)), lastDecade = Int(floor(window.upperBound + 1e-9))
        if lastDecade - firstDecade >= 1 {
            let stride = (lastDecade - firstDecade + maxCount) / maxCount
            return Swift.stride(from: firstDecade, through: lastDecade, by: stride).map {
                (Double($0), compactNumber(pow(10, Double($0))))
            }
        }
        return niceTicks(window, maxCount: maxCount).values.map { ($0, compactNumber(pow(10, $0), significant: 2)) }
    }

    private func drawLegend(_ p: Painter) {
        var x = 0
        for s in series {
            x = p.text(x, 0, unicode ? "●" : "*", Style(fg: s.color, bg: background))
            x = p.text(x, 0, " " + s.label, Style(fg: s.color, bg: background)) + 2
        }
    }

    private func paint(_ raster: DotRaster, layers: [(style: Style, glyph: Unicode.Scalar)], into p: Painter) {
        for row in 0..<raster.rows {
            for column in 0..<raster.cols {
                let i = row * raster.cols + column
                guard raster.bits[i] != 0 else { continue }
                let layer = layers[raster.owner[i]]
                let scalar = unicode ? Unicode.Scalar(0x2800 + UInt32(raster.bits[i]))! : layer.glyph
                p.set(column, row, Cell(scalar, style: layer.style))
            }
        }
    }

    /// The raw line behind a smoothed one: mixed toward the background when both are RGB, else dim.
    private func faint(_ color: Color) -> Style {
        if case .rgb(let c) = color, case .rgb(let bg) = background {
            return Style(fg: .rgb(c.mixed(with: bg, 0.6)), bg: background)
        }
        return Style(fg: color, bg: background, dim: true)
    }

    private func onBackground(_ style: Style) -> Style { style.bg == .default ? style.with(bg: background) : style }

    private func mapped(_ xs: [Double], _ ys: [Double], _ mapX: (Double) -> Double,
                        _ mapY: (Double) -> Double) -> [(x: Double, y: Double)?] {
        zip(xs, ys).map { x, y in x.isFinite && y.isFinite ? (mapX(x), mapY(y)) : nil }
    }
}

/// A degenerate range (one x, or all-equal values) opened up so it can be mapped onto the axis.
private func widened(_ r: ClosedRange<Double>) -> ClosedRange<Double> {
    guard r.upperBound - r.lowerBound <= abs(r.upperBound) * 1e-12 else { return r }
    let half = r.lowerBound == 0 ? 1 : abs(r.lowerBound) * 0.1
    return (r.lowerBound - half)...(r.upperBound + half)
}

/// Far-off points are kept far off but finite, so clipping arithmetic cannot overflow or trap on Int conversion.
private func clampedCoordinate(_ v: Double) -> Double { min(max(v, -1e9), 1e9) }

/// Tick values at a 1-2-5 step, at most `maxCount` of them inside `range`.
func niceTicks(_ range: ClosedRange<Double>, maxCount: Int) -> (values: [Double], step: Double) {
    let span = range.upperBound - range.lowerBound
    guard span > 0, span.isFinite else { return ([range.lowerBound], 1) }
    let base = floor(log10(span / Double(max(maxCount, 1))))
    var step = pow(10, base + 2)
    search: for exponent in stride(from: base - 1, through: base + 2, by: 1) {
        for mantissa in [1.0, 2.0, 5.0] {
            let candidate = mantissa * pow(10, exponent)
            let count = floor(range.upperBound / candidate + 1e-9) - ceil(range.lowerBound / candidate - 1e-9) + 1
            if count <= Double(max(maxCount, 1)) { step = candidate; break search }
        }
    }
    let first = ceil(range.lowerBound / step - 1e-9), last = floor(range.upperBound / step + 1e-9)
    guard first <= last else { return ([], step) }
    return (stride(from: first, through: last, by: 1).map { $0 * step }, step)
}

/// A tick label with just enough digits to tell it from its neighbours `step` away.
func tickLabel(_ value: Double, step: Double) -> String {
    if abs(value) < step * 1e-6 { return "0" }
    let digits = Int(floor(log10(abs(value)) + 1e-9)) - Int(floor(log10(step) + 1e-9)) + 1
    return compactNumber(value, significant: min(max(digits, 1), 6))
}

/// A short number for axes and read-outs: 2.31, 0.012, 1.2e-5, 12k, 3.5M.
public func compactNumber(_ value: Double, significant: Int = 3) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    if value == 0 { return "0" }
    let digits = min(max(significant, 1), 15)
    let scale = pow(10, floor(log10(abs(value))) - Double(digits - 1))
    let rounded = (value / scale).rounded() * scale
    let magnitude = abs(rounded)
    let exponent = Int(floor(log10(magnitude) + 1e-12))
    if magnitude < 1e-3 || magnitude >= 1e15 {
        let mantissa = rounded / pow(10, Double(exponent))
        return withoutTrailingZeros(String(format: "%.\(digits - 1)f", mantissa)) + "e\(exponent)"
    }
    if magnitude >= 1000 {
        let units: [(size: Double, suffix: String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        let unit = units.first { magnitude >= $0.size * (1 - 1e-12) }!
        let scaled = rounded / unit.size
        let decimals = max(0, digits - 1 - Int(floor(log10(abs(scaled)) + 1e-12)))
        return withoutTrailingZeros(String(format: "%.\(decimals)f", scaled)) + unit.suffix
    }
    return withoutTrailingZeros(String(format: "%.\(max(0, digits - 1 - exponent))f", rounded))
}

private func withoutTrailingZeros(_ s: String) -> String {
    guard s.contains(".") else { return s }
    var t = Substring(s)
    while t.hasSuffix("0") { t.removeLast() }
    if t.hasSuffix(".") { t.removeLast() }
    return String(t)
}

/// Dots on a grid of cells (2×4 braille dots per cell, or 1×1 for ASCII); each cell remembers the layer that drew
/// into it last, which decides its colour.
struct DotRaster {
    let cols: Int, rows: Int, cellW: Int, cellH: Int
    var bits: [UInt8]
    var owner: [Int]
    var dotWidth: Int { cols * cellW }
    var dotHeight: Int { rows * cellH }

    /// Braille bit of the dot at (column, row) inside a cell: dots 1,2,3,7 down the left, 4,5,6,8 down the right.
    private static let brailleBits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    init(cols: Int, rows: Int, cellW: Int, cellH: Int) {
        self.cols = max(cols, 0); self.rows = max(rows, 0); self.cellW = cellW; self.cellH = cellH
        bits = Array(repeating: 0, count: self.cols * self.rows)
        owner = Array(repeating: -1, count: self.cols * self.rows)
    }

    mutating func dot(_ x: Int, _ y: Int, layer: Int) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let i = (y / cellH) * cols + x / cellW
        bits[i] |= cellW == 2 && cellH == 4 ? Self.brailleBits[x % 2][y % 4] : 1
        owner[i] = layer
    }

    /// Draws a polyline in dot coordinates (nil breaks it). Points are binned per dot column first (a vertical
    /// min–max span each), so the cost is linear in points whatever their density.
    mutating func trace(_ points: [(x: Double, y: Double)?], layer: Int) {
        guard dotWidth > 0, dotHeight > 0 else { return }
        var previous: (x: Double, y: Double)?
        var bin: Bin?
        for point in points {
            guard let point else {
                if let b = bin { emit(b, after: previous, layer: layer) }
                bin = nil; previous = nil
                continue
            }
            let column = Int(min(max(point.x.rounded(), -1), Double(dotWidth)))
            if var b = bin, b.column == column {
                b.last = point; b.low = min(b.low, point.y); b.high = max(b.high, point.y)
                bin = b
                continue
            }
            if let b = bin { emit(b, after: previous, layer: layer); previous = b.last }
            bin = Bin(column: column, first: point, last: point, low: point.y, high: point.y)
        }
        if let b = bin { emit(b, after: previous, layer: layer) }
    }

    /// The points of one dot column (column −1 / dotWidth collect everything left / right of the plot).
    private struct Bin {
        var column: Int
        var first: (x: Double, y: Double), last: (x: Double, y: Double)
        var low: Double, high: Double
    }

    private mutating func emit(_ b: Bin, after previous: (x: Double, y: Double)?, layer: Int) {
        if let previous { segment(previous, b.first, layer: layer) }
        guard b.column >= 0, b.column < dotWidth else { return }
        let low = max(b.low.rounded(), 0), high = min(b.high.rounded(), Double(dotHeight - 1))
        guard low <= high else { return }
        for y in Int(low)...Int(high) { dot(b.column, y, layer: layer) }
    }

    /// Bresenham between two dot positions, clipped to the plot first (Liang–Barsky) so off-plot spikes cost nothing.
    mutating func segment(_ a: (x: Double, y: Double), _ b: (x: Double, y: Double), layer: Int) {
        var t0 = 0.0, t1 = 1.0
        let dx = b.x - a.x, dy = b.y - a.y
        let edges = [(-dx, a.x + 0.5), (dx, Double(dotWidth) - 0.5 - a.x),
                     (-dy, a.y + 0.5), (dy, Double(dotHeight) - 0.5 - a.y)]
        for (p, q) in edges {
            if p == 0 {
                if q < 0 { return }
            } else if p < 0 {
                t0 = max(t0, q / p)
            } else {
                t1 = min(t1, q / p)
            }
            if t0 > t1 { return }
        }
        func inside(_ v: Double, _ limit: Int) -> Int { Int(min(max(v.rounded(), 0), Double(limit - 1))) }
        var x0 = inside(a.x + t0 * dx, dotWidth), y0 = inside(a.y + t0 * dy, dotHeight)
        let x1 = inside(a.x + t1 * dx, dotWidth), y1 = inside(a.y + t1 * dy, dotHeight)
        let stepX = x0 < x1 ? 1 : -1, stepY = y0 < y1 ? 1 : -1
        let distX = abs(x1 - x0), distY = -abs(y1 - y0)
        var error = distX + distY
        while true {
            dot(x0, y0, layer: layer)
            if x0 == x1 && y0 == y1 { return }
            let doubled = 2 * error
            if doubled >= distY { error += distY; x0 += stepX }
            if doubled <= distX { error += distX; y0 += stepY }
        }
    }
}
