import Durability
import Foundation

public enum MetricExportFormat: String, CaseIterable, Sendable {
    /// `name,step,value,wall_time` with a header line; NaN as `nan`.
    case csv
    /// One `{"name":…,"step":…,"value":…,"wall_time":…}` object per line; NaN and infinities as `null`.
    case jsonl
}

extension Workspace {
    /// Writes a run's curves (all of them when `names` is nil) to `url` atomically, ordered by name then step.
    public func exportMetrics(run: String, names: [String]? = nil, format: MetricExportFormat, to url: URL) throws {
        guard try self.run(run) != nil else { throw runNotFound(run) }
        let points: [MetricPoint]
        if let names {
            points = try names.sorted().flatMap { try metrics(run: run, name: $0) }
        } else {
            points = try allMetrics(run: run)
        }
        var text = format == .csv ? "name,step,value,wall_time\n" : ""
        for point in points {
            switch format {
            case .csv:
                text += "\(csvField(point.name)),\(point.step),\(csvNumber(point.value)),\(point.wallTime)\n"
            case .jsonl:
                text += "{\"name\":\(quotedString(point.name)),\"step\":\(point.step),"
                    + "\"value\":\(jsonNumber(point.value)),\"wall_time\":\(jsonNumber(point.wallTime))}\n"
            }
        }
        try AtomicFile.write(Data(text.utf8), to: url)
    }
}

private func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

private func csvNumber(_ value: Double) -> String {
    value.isNaN ? "nan" : value.isInfinite ? (value > 0 ? "inf" : "-inf") : "\(value)"
}

private func jsonNumber(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }
