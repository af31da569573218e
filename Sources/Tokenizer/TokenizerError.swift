/// Why a `tokenizer.json` could not be loaded. Every description is one line that names the file and, where there is
/// one, the JSON field, e.g. `tokenizer.json: model.merges[12]: expected "a b" or ["a","b"]`.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file (or a directory's `tokenizer.json`) does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read.
    case unreadable(path: String, reason: String)
    /// The bytes are not JSON, or the top level is not an object.
    case notJSON(source: String, reason: String)
    /// A field is missing or has the wrong shape.
    case invalidField(source: String, field: String, problem: String)
    /// A field is well formed but names something this tokenizer does not implement.
    case unsupported(source: String, field: String, problem: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): file not found"
        case .unreadable(let path, let reason):
            return "\(path): cannot read file: \(reason)"
        case .notJSON(let source, let reason):
            return "\(source): not valid JSON: \(reason)"
        case .invalidField(let source, let field, let problem):
            return "\(source): \(field): \(problem)"
        case .unsupported(let source, let field, let problem):
            return "\(source): \(field): \(problem)"
        }
    }
}
