/// A confidence interval [low, high].
public struct Interval: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var low: Double
    public var high: Double

    public init(low: Double, high: Double) {
        self.low = low
        self.high = high
    }

    public var width: Double { high - low }
    public func contains(_ x: Double) -> Bool { low <= x && x <= high }
    public var description: String { "[\(low), \(high)]" }
}
