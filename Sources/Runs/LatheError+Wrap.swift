import Engine

/// Runs `body`, turning the data and store modules' errors into one-line LatheErrors.
public func wrap<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as LatheError { throw e } catch { throw LatheError("\(error)") }
}
