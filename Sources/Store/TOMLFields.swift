import TOMLKit

/// Reads the keys of one TOML table by name and type, remembering which it read, so that whatever is left over
/// is an unknown key. Every error names the file and the dotted key (`config.toml: optimizer.lr: …`).
final class TOMLFields {
    let table: TOMLTable
    /// Dotted path of this table ("" for the document root).
    let path: String
    let source: String
    private var read: Set<String> = []

    init(_ table: TOMLTable, path: String, source: String) {
        self.table = table
        self.path = path
        self.source = source
    }

    var keys: [String] { table.keys }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(quoteIfNeeded(key))" }

    func error(_ kind: StoreError.Kind, _ key: String?, _ message: String) -> StoreError {
        let location = key.map(field) ?? (path.isEmpty ? "" : path)
        return StoreError(kind, location.isEmpty ? source : "\(source): \(location)", message)
    }

    func has(_ key: String) -> Bool { table[key] != nil }

    private func value(_ key: String) -> TOMLValueConvertible? {
        read.insert(key)
        return table[key]
    }

    func string(_ key: String) throws -> String? {
        guard let value = value(key) else { return nil }
        guard let text = value.string else { throw wrongType(key, "a string", value) }
        return text
    }

    func int(_ key: String) throws -> Int? {
        guard let value = value(key) else { return nil }
        guard let number = value.int else { throw wrongType(key, "an integer", value) }
        return number
    }

    /// A float; an integer is accepted too (`alpha = 32`).
    func double(_ key: String) throws -> Double? {
        guard let value = value(key) else { return nil }
        if let number = value.double { return number }
        if let number = value.int { return Double(number) }
        throw wrongType(key, "a number", value)
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.bool else { throw wrongType(key, "a boolean", value) }
        return flag
    }

    func stringArray(_ key: String) throws -> [String]? {
        try array(key, elementType: "a string") { $0.string }
    }

    func intArray(_ key: String) throws -> [Int]? {
        try array(key, elementType: "an integer") { $0.int }
    }

    /// A sub-table, read through its own `TOMLFields`.
    func table(_ key: String) throws -> TOMLFields? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else { throw wrongType(key, "a table", value) }
        return TOMLFields(table, path: field(key), source: source)
    }

    /// An inline table of integers, e.g. `rank_pattern = { q_proj = 8 }`.
    func intMap(_ key: String) throws -> [String: Int]? {
        try map(key, valueType: "an integer") { $0.int }
    }

    /// An inline table of numbers (integers accepted).
    func doubleMap(_ key: String) throws -> [String: Double]? {
        try map(key, valueType: "a number") { $0.double ?? $0.int.map(Double.init) }
    }

    func required<T>(_ value: T?, _ key: String, _ why: String = "") throws -> T {
        guard let value else {
            throw error(.missingKey, key, "missing required key" + (why.isEmpty ? "" : " (\(why))"))
        }
        return value
    }

    /// Fails on the first key (in key order) that no accessor read.
    func rejectUnknownKeys(known: [String] = []) throws {
        let allowed = read.union(known)
        guard let unknown = keys.sorted().first(where: { !allowed.contains($0) }) else { return }
        var message = "unknown key"
        // Suggest only near misses: at most 2 edits, and fewer for short keys ("lr" is not a typo of "rl").
        let tolerance = max(1, min(2, unknown.count / 3))
        if let guess = allowed.sorted().min(by: { editDistance($0, unknown) < editDistance($1, unknown) }),
           editDistance(guess, unknown) <= tolerance {
            message += " (did you mean \"\(guess)\"?)"
        }
        throw error(.unknownKey, unknown, message)
    }

    // MARK: - Helpers

    private func array<T>(_ key: String, elementType: String, _ convert: (TOMLValueConvertible) -> T?) throws -> [T]? {
        guard let value = value(key) else { return nil }
        guard let array = value.array else { throw wrongType(key, "an array", value) }
        var out: [T] = []
        for (index, element) in array.enumerated() {
            guard let converted = convert(element) else {
                throw StoreError(.wrongType, "\(source): \(field(key))[\(index)]",
                                 "expected \(elementType), got \(Self.describe(element))")
            }
            out.append(converted)
        }
        return out
    }

    private func map<T>(_ key: String, valueType: String,
                        _ convert: (TOMLValueConvertible) -> T?) throws -> [String: T]? {
        guard let value = value(key) else { return nil }
        guard let table = value.table else { throw wrongType(key, "an inline table", value) }
        var out: [String: T] = [:]
        for (entryKey, entry) in table {
            guard let converted = convert(entry) else {
                var message = "expected \(valueType), got \(Self.describe(entry))"
                if entry.table != nil { message += " (quote module paths: \"a.b.c\" = …)" }
                throw StoreError(.wrongType, "\(source): \(field(key)).\(quoteIfNeeded(entryKey))", message)
            }
            out[entryKey] = converted
        }
        return out
    }

    func wrongType(_ key: String, _ expected: String, _ value: TOMLValueConvertible) -> StoreError {
        error(.wrongType, key, "expected \(expected), got \(Self.describe(value))")
    }

    static func describe(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a float"
        case .bool: return "a boolean"
        case .array: return "an array"
        case .table: return "a table"
        case .date: return "a date"
        case .time: return "a time"
        case .dateTime: return "a date-time"
        }
    }
}

/// Keys that are not bare TOML keys are shown quoted, as they would be written.
func quoteIfNeeded(_ key: String) -> String {
    let bare = !key.isEmpty && key.unicodeScalars.allSatisfy { scalar in
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == "_" || scalar == "-"
    }
    return bare ? key : quotedString(key)
}

/// Levenshtein distance, for "did you mean" hints on unknown keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
