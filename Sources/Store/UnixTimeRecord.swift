import Foundation
import GRDB

/// Records whose dates are stored as REAL seconds since 1970, like metric wall times: one convention in the whole
/// database, readable in the sqlite3 shell with `datetime(created_at, 'unixepoch')`.
public protocol UnixTimeRecord: FetchableRecord, EncodableRecord {}

extension UnixTimeRecord {
    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy {
        .timeIntervalSince1970
    }

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy {
        .timeIntervalSince1970
    }
}
