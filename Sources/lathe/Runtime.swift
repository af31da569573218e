import Engine
import Foundation
import Tensor

/// Process-wide compute settings: one thread count for OpenBLAS and the engine's pool, joined before exit.
enum Runtime {
    nonisolated(unsafe) private static var pools: [ThreadPool] = []

    static func pool(threads: Int) -> ThreadPool {
        BLAS.setThreads(threads)
        let p = ThreadPool(threads: threads)
        pools.append(p)
        return p
    }

    static func shutdown() {
        for p in pools { p.shutdown() }
        pools.removeAll()
    }

    static var defaultThreads: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Writes one JSON value to stdout (non-finite floats as strings, as Python's json prints them).
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// Parses "1,2,3" into ids; names the flag and the bad entry on failure.
func parseIDs(_ text: String, flag: String) throws -> [Int] {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    var ids: [Int] = []
    for (i, p) in parts.enumerated() {
        guard let v = Int(p), v >= 0 else { throw LatheError("\(flag): entry \(i + 1) \"\(p)\" is not a non-negative integer") }
        ids.append(v)
    }
    return ids
}

func stderrLine(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
