/// Why a statistic could not be computed. Each message is one line naming the function and the argument at fault.
public enum StatsError: Error, CustomStringConvertible, Equatable {
    /// `function` needs at least `needed` values and was given `got`.
    case tooFewValues(function: String, needed: Int, got: Int)
    /// Two samples that must be paired have different lengths.
    case lengthMismatch(function: String, a: Int, b: Int)
    /// An argument outside its domain, e.g. a confidence of 1.2 or k greater than n.
    case invalidArgument(function: String, argument: String, value: String, expected: String)

    public var description: String {
        switch self {
        case .tooFewValues(let function, let needed, let got):
            return "\(function): needs at least \(needed) value\(needed == 1 ? "" : "s"), got \(got)"
        case .lengthMismatch(let function, let a, let b):
            return "\(function): paired samples must have the same length, got \(a) and \(b)"
        case .invalidArgument(let function, let argument, let value, let expected):
            return "\(function): \(argument) is \(value), expected \(expected)"
        }
    }
}

/// Throws unless `confidence` is strictly between 0 and 1.
func checkConfidence(_ confidence: Double, in function: String) throws {
    guard confidence > 0, confidence < 1 else {
        throw StatsError.invalidArgument(
            function: function, argument: "confidence", value: "\(confidence)", expected: "a number in (0, 1)")
    }
}
