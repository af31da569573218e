import Foundation
import Terminal
import Testing
@testable import Workbench

private let red = Color.rgb(RGB(255, 0, 0)), blue = Color.rgb(RGB(0, 0, 255)), ink = Color.rgb(RGB(0, 0, 0))

private func render(_ chart: BrailleChart, width: Int, height: Int) -> (text: String, screen: Screen, readouts: [Readout]) {
    let screen = Screen(width: width, height: height)
    let readouts = chart.draw(Painter(screen))
    return (screen.text(), screen, readouts)
}

private func series(_ label: String, _ color: Color, _ xs: ClosedRange<Int>, _ f: (Double) -> Double) -> ChartSeries {
    ChartSeries(label: label, points: xs.map { (Double($0), f(Double($0))) }, color: color)
}

private let identity = series("y", red, 0...10) { $0 }
private let square = series("sq", blue, 0...10) { $0 * $0 / 10 }

@Suite struct BrailleChartTests {
    @Test func straightLine() {
        #expect(render(BrailleChart(series: [identity]), width: 40, height: 12).text == GOLDEN_LINE)
    }

    @Test func twoSeriesHaveALegendInTheirColours() {
        let out = render(BrailleChart(series: [identity, square]), width: 40, height: 12)
        #expect(out.text == GOLDEN_TWO)
        #expect(out.screen[3, 0].style.fg == red && out.screen[8, 0].style.fg == blue)
    }

    @Test func logAxisDropsNonPositiveValues() {
        let decay = series("loss", red, 0...50) { pow(10, -$0 / 10) }
        var withBad = decay
        withBad.points.insert((x: 25.5, y: 0), at: 26)
        withBad.points.insert((x: 25.7, y: -3), at: 27)
        let out = render(BrailleChart(series: [decay], logY: true), width: 40, height: 12).text
        #expect(out == GOLDEN_LOG)
        #expect(render(BrailleChart(series: [withBad], logY: true), width: 40, height: 12).text == out)
    }

    @Test func smoothingDrawsTheRawLineFaintBehind() {
        let noisy = series("noisy", red, 0...39) { $0 / 10 + (Int($0) % 2 == 0 ? 0.6 : -0.6) }
        var chart = BrailleChart(series: [noisy], smoothing: 0.9, background: ink)
        let out = render(chart, width: 40, height: 12)
        #expect(out.text == GOLDEN_SMOOTH)
        let styles = Set(out.screen.cells.filter { $0.scalar.value >= 0x2800 }.map(\.style.fg))
        #expect(styles == [red, .rgb(RGB(255, 0, 0).mixed(with: RGB(0, 0, 0), 0.6))])
        chart.cursorX = 2
        let readout = try! #require(render(chart, width: 40, height: 12).readouts.first)
        let expected = debiasedEMA(noisy.points.map(\.y), weight: 0.9)[2]
        #expect(readout.y == 0.8 && abs(readout.smoothed - expected) < 1e-12)
        // By hand: y = 0.6, −0.5, 0.8 give s = 0.06, 0.004, 0.0836, over 1 − 0.9³ = 0.271.
        #expect(abs(readout.smoothed - 0.0836 / 0.271) < 1e-9)
    }

    @Test func asciiFallback() {
        #expect(render(BrailleChart(series: [identity, square], unicode: false), width: 40, height: 12).text
                == GOLDEN_ASCII)
    }

    @Test func nanBreaksTheLine() {
        var gap = identity
        gap.points[5].y = .nan
        #expect(render(BrailleChart(series: [gap]), width: 40, height: 12).text == GOLDEN_GAP)
    }

    @Test func zoomShowsOnlyTheRangeAndFitsY() {
        let chart = BrailleChart(series: [identity], xRange: 2...4, xLabel: { "\(Int($0))s" })
        #expect(render(chart, width: 40, height: 12).text == GOLDEN_ZOOM)
    }

    @Test func cursorMarksAColumnAndReadsOutNearestPoints() {
        let out = render(BrailleChart(series: [identity, square], cursorX: 6.2), width: 40, height: 12)
        #expect(out.text == GOLDEN_CURSOR)
        #expect(out.readouts == [Readout(label: "y", x: 6, y: 6, smoothed: 6, color: red),
                                 Readout(label: "sq", x: 6, y: 3.6, smoothed: 3.6, color: blue)])
    }

    @Test func emptyChartDrawsAxesAndSaysSo() {
        let empty = ChartSeries(label: "none", points: [], color: red)
        let allNaN = ChartSeries(label: "nan", points: [(0, .nan), (1, .nan)], color: red)
        #expect(render(BrailleChart(series: []), width: 30, height: 8).text == GOLDEN_EMPTY)
        #expect(render(BrailleChart(series: [empty]), width: 30, height: 8).text == GOLDEN_EMPTY)
        #expect(render(BrailleChart(series: [allNaN], cursorX: 0), width: 30, height: 8).readouts.isEmpty)
    }

    @Test func tinyChartsDoNotCrash() {
        for (w, h) in [(0, 0), (1, 1), (2, 2), (1, 12), (40, 1), (2, 40), (8, 4), (3, 5)] {
            for unicode in [true, false] {
                let chart = BrailleChart(series: [identity, square], smoothing: 0.5, cursorX: 5, unicode: unicode)
                #expect(render(chart, width: w, height: h).readouts.count == 2)
            }
        }
        #expect(render(BrailleChart(series: [identity]), width: 2, height: 2).text == " ⡜\n⡜⠁")
    }

    @Test func drawingIsAPureFunctionOfInputsAndSize() {
        let chart = BrailleChart(series: [identity, square], smoothing: 0.3, cursorX: 3)
        let screen = Screen(width: 40, height: 12)
        Painter(screen).fill(Style(bg: red), "x")
        chart.draw(Painter(screen))
        #expect(screen.cells == render(chart, width: 40, height: 12).screen.cells)
    }

    @Test func hundredThousandPointsAreBinnedPerDotColumn() {
        let wave = ChartSeries(label: "wave", points: (0..<100_000).map { i -> (x: Double, y: Double) in
            let x = Double(i)
            return (x, sin(x / 5000) + (i % 2 == 0 ? 0.2 : -0.2))
        }, color: red)
        let out = render(BrailleChart(series: [wave], smoothing: 0.99, cursorX: 50_000), width: 80, height: 20)
        let plotted = out.screen.cells.filter { $0.scalar.value > 0x2800 && $0.scalar.value <= 0x28FF }.count
        #expect(plotted > 300)
        #expect(out.readouts.first?.x == 50_000)
    }

    @Test func spikesDoNotSquashTheCurve() {
        let spiky = ChartSeries(label: "s", points: (0..<100).map { i -> (x: Double, y: Double) in
            (Double(i), i == 50 ? 1e6 : 1 + Double(i % 7) / 100)
        }, color: red)
        let text = render(BrailleChart(series: [spiky]), width: 40, height: 10).text
        #expect(text.hasPrefix("1.06┤"))
    }

    @Test func compactNumbers() {
        #expect(compactNumber(2.31) == "2.31")
        #expect(compactNumber(0.012) == "0.012")
        #expect(compactNumber(1.2e-5) == "1.2e-5")
        #expect(compactNumber(12_000) == "12k")
        #expect(compactNumber(-1_500_000) == "-1.5M")
        #expect(compactNumber(999.96) == "1k")
        #expect(compactNumber(0) == "0")
        #expect(tickLabel(12.35, step: 0.05) == "12.35")
        #expect(tickLabel(1e-17, step: 0.5) == "0")
    }
}

// Goldens: checked by eye (a braille line where the data is, ticks on round values).
private let GOLDEN_ASCII = """
   * y  * sq
10+                                  ***
  |                               ****
  |                           ******
  |                    ***********
 5+                ****    ***
  |         *******    ****
  |      ***    *******
  |  ***********
 0+******
  ++-----------------+-----------------+
   0                 5                10
"""

private let GOLDEN_CURSOR = """
   ● y  ● sq
10┤                      │            ⣀⡤
  │                      │       ⣀⠤⠔⢒⠝⠊
  │                      │  ⣀⡠⠔⠊⠉⢀⠤⠒⠁
  │                     ⣀⠤⠒⠉  ⢀⠤⠊⠁
 5┤                ⢀⣀⠤⠒⠉ │ ⢀⡠⠒⠁
  │            ⣀⠤⠒⠊⠁   ⢀⡠⠔⠊⠁
  │       ⣀⡠⠔⠊⠉   ⢀⡠⠤⠒⠊⠁ │
  │  ⣀⠤⠔⠊⠉  ⢀⣀⣀⠤⠒⠉⠁      │
 0┤⠒⠛⠒⠒⠒⠊⠉⠉⠉⠁            │
  └┬─────────────────┬─────────────────┬
   0                 5                10
"""

private let GOLDEN_EMPTY = """
│
│
│           no data
│
│
│
└─────────────────────────────

"""

private let GOLDEN_GAP = """
10┤                                   ⣀⠤
  │                              ⢀⡠⠔⠒⠉
  │                          ⢀⡠⠔⠊⠁
  │                      ⢀⡠⠔⠊⠁
  │                      ⠁
 5┤              ⢀
  │          ⢀⡠⠔⠊⠁
  │      ⣀⠤⠔⠊⠁
  │  ⣀⠤⠒⠉
 0┤⠒⠉
  └┬─────────────────┬─────────────────┬
   0                 5                10
"""

private let GOLDEN_LINE = """
10┤                                   ⣀⠤
  │                              ⢀⡠⠔⠒⠉
  │                          ⢀⡠⠔⠊⠁
  │                      ⢀⡠⠔⠊⠁
  │                   ⣀⠤⠒⠁
 5┤              ⢀⡠⠔⠒⠉
  │          ⢀⡠⠔⠊⠁
  │      ⣀⠤⠔⠊⠁
  │  ⣀⠤⠒⠉
 0┤⠒⠉
  └┬─────────────────┬─────────────────┬
   0                 5                10
"""

private let GOLDEN_LOG = """
     │⠢⣀⡀
     │  ⠈⠒⠢⣀
  0.1┤      ⠉⠒⢄⣀
     │          ⠑⠤⢄
     │             ⠉⠒⠤⣀⡀
0.001┤                 ⠈⠢⠤⡀
     │                    ⠈⠑⠢⢄
     │                        ⠉⠑⢄⣀
     │                            ⠑⠢⢄⡀
 1e-5┤                               ⠈⠑⠢
  log└┬────────────┬─────────────┬──────
      0           20            40
"""

private let GOLDEN_SMOOTH = """
3┤                       ⡄ ⡇ ⣇⢸⢣⢸⢸⠇⢸⠃⠘⡠⠒
 │                   ⡀ ⡇⢀⢧⢸⢸⢸⢸⡜⠘⡎⠘⡠⠤⠊⠉
 │                 ⢰ ⣇⢰⢹⢸⢸⢸⠘⡜ ⠇⣀⡡⠊
2┤             ⢠ ⢸ ⡜⡆⣿⢸⠸⡸ ⡇⣀⡣⠒⠊
 │         ⢀ ⢰ ⡸⡄⡎⡇⡇⣿⠈⡎⢀⡧⠒⠊
 │       ⢠ ⢸⡀⡜⡆⡇⡇⡇⢣⠃⣸⠔⠋⠁
1┤    ⡄ ⡇⡸⡄⡇⡇⡇⢇⢇⣱⠕⠚⠉
 │⡀ ⡆⢠⢣⢸⢇⡇⡇⣇⣣⠗⠺⠁⠈
 │⢷⢀⣧⢸⣸⢸⢼⠏⢺⠁⠘
0┤⢸⣾⢹⡏⠈⡇⠸
 └┬──────────────────┬──────────────────
  0                 20
"""

private let GOLDEN_TWO = """
   ● y  ● sq
10┤                                   ⣀⡤
  │                              ⣀⠤⠔⢒⠝⠊
  │                         ⣀⡠⠔⠊⠉⢀⠤⠒⠁
  │                     ⣀⠤⠒⠉  ⢀⠤⠊⠁
 5┤                ⢀⣀⠤⠒⠉   ⢀⡠⠒⠁
  │            ⣀⠤⠒⠊⠁   ⢀⡠⠔⠊⠁
  │       ⣀⡠⠔⠊⠉   ⢀⡠⠤⠒⠊⠁
  │  ⣀⠤⠔⠊⠉  ⢀⣀⣀⠤⠒⠉⠁
 0┤⠒⠛⠒⠒⠒⠊⠉⠉⠉⠁
  └┬─────────────────┬─────────────────┬
   0                 5                10
"""

private let GOLDEN_ZOOM = """
  4┤                                  ⣀⠤
   │                              ⣀⠤⠒⠉
3.5┤                          ⣀⠤⠒⠉
   │                      ⣀⠤⠒⠉
  3┤                 ⢀⣀⠤⠒⠉
   │             ⢀⡠⠔⠊⠁
   │         ⢀⡠⠔⠊⠁
2.5┤     ⢀⡠⠔⠊⠁
   │ ⢀⡠⠔⠊⠁
  2┤⠊⠁
   └┬─────────────────┬────────────────┬
   2s                3s               4s
"""
