import Foundation
import GRDB

/// A thumbs up (+1) or down (−1) on one sample: the raw material of the reward model.
public struct Feedback: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord, UnixTimeRecord {
    public static let databaseTableName = "feedback"

    public var sampleID: Int64
    public var runID: String
    public var rating: Int
    public var createdAt: Date

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case rating
        case sampleID = "sample_id"
        case runID = "run_id"
        case createdAt = "created_at"
    }

    public init(sampleID: Int64, runID: String, rating: Int, createdAt: Date = Date()) {
        self.sampleID = sampleID; self.runID = runID; self.rating = rating; self.createdAt = createdAt
    }
}

extension Workspace {
    /// Sets (+1 / −1) or clears (nil) the feedback on a sample; the newest rating replaces an older one.
    public func setFeedback(sampleID: Int64, rating: Int?) throws {
        try requireWritable()
        if let rating, rating != 1 && rating != -1 {
            throw StoreError(.invalidValue, databaseURL.path, "feedback rating \(rating): must be 1 or -1")
        }
        try write { db in
            guard let sample = try SampleRecord.fetchOne(db, key: sampleID) else {
                throw StoreError(.notFound, databaseURL.path, "no sample with id \(sampleID)")
            }
            if let rating {
                try Feedback(sampleID: sampleID, runID: sample.runID, rating: rating).insert(db, onConflict: .replace)
            } else {
                _ = try Feedback.deleteOne(db, key: sampleID)
            }
        }
    }

    /// Ratings of a run's samples by sample id.
    public func feedback(run: String) throws -> [Int64: Int] {
        try read { db in
            let rows = try Feedback.filter(Feedback.CodingKeys.runID == run).fetchAll(db)
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.sampleID, $0.rating) })
        }
    }
}

/// A rated sample: the sample and its current thumbs (+1 / −1).
public struct RatedSample: Sendable, Equatable {
    public var sample: SampleRecord
    public var rating: Int
    public var ratedAt: Date

    public init(sample: SampleRecord, rating: Int, ratedAt: Date) { self.sample = sample; self.rating = rating; self.ratedAt = ratedAt }
}

extension Workspace {
    /// Every rated sample of the workspace (all runs), oldest rating first.
    public func ratedSamples() throws -> [RatedSample] {
        try read { db in
            let rows = try Feedback.order(Feedback.CodingKeys.createdAt, Feedback.CodingKeys.sampleID).fetchAll(db)
            return try rows.compactMap { f in
                guard let s = try SampleRecord.fetchOne(db, key: f.sampleID) else { return nil }
                return RatedSample(sample: s, rating: f.rating, ratedAt: f.createdAt)
            }
        }
    }

    /// How many samples of the workspace carry a rating.
    public func feedbackCount() throws -> Int { try read { db in try Feedback.fetchCount(db) } }
}
