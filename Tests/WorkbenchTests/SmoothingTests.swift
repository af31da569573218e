import Testing
@testable import Workbench

@Suite struct SmoothingTests {
    private func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-4) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.isNaN ? $1.isNaN : abs($0 - $1) < tolerance }
    }

    @Test func debiasedEMAMatchesHandComputedValues() {
        // s = 0.5, 1.25, 2.125 over 1 − 0.5ᵗ = 0.5, 0.75, 0.875.
        #expect(close(debiasedEMA([1, 2, 3], weight: 0.5), [1, 1.6667, 2.4286]))
    }

    @Test func nonFiniteValuesAreSkipped() {
        // The 3 is the second accepted value: (0.25 + 1.5) / 0.75.
        #expect(close(debiasedEMA([1, .nan, 3, .infinity], weight: 0.5), [1, .nan, 2.3333, .nan]))
    }

    @Test func weightZeroReturnsTheInputAndConstantsStayConstant() {
        #expect(debiasedEMA([3, 1, 2], weight: 0) == [3, 1, 2])
        #expect(close(debiasedEMA(Array(repeating: 7, count: 50), weight: 0.99), Array(repeating: 7, count: 50), 1e-9))
        #expect(debiasedEMA([], weight: 0.5).isEmpty)
    }

    @Test func robustRangeIgnoresASpike() {
        var values = (0..<100).map { 1 + Double($0 % 10) / 1000 }
        values[37] = 1e6
        let range = try! #require(robustRange(values))
        #expect(range.lowerBound > 0.99 && range.upperBound < 1.02)
    }

    @Test func robustRangeUsesMinAndMaxForFewPointsAndPads() {
        let range = try! #require(robustRange([1, 5, .nan, 3]))
        #expect(abs(range.lowerBound - 0.8) < 1e-12 && abs(range.upperBound - 5.2) < 1e-12)
    }

    @Test func robustRangeOfEqualOrNoValues() {
        #expect(robustRange([2, 2, 2]) == 1.8...2.2)
        #expect(robustRange([0]) == -1...1)
        #expect(robustRange([]) == nil)
        #expect(robustRange([.nan, .infinity]) == nil)
    }
}
