import GRDB

extension Workspace {
    /// Records a sample and returns it with its id.
    @discardableResult
    public func addSample(_ sample: SampleRecord) throws -> SampleRecord {
        try addSamples([sample])[0]
    }

    /// Records several samples in one transaction (all the eval prompts of one eval).
    @discardableResult
    public func addSamples(_ samples: [SampleRecord]) throws -> [SampleRecord] {
        guard !samples.isEmpty else { return [] }
        return try write { db in
            try requireRuns(Set(samples.map(\.runID)), db)
            return try samples.map { sample in
                var stored = sample
                try stored.insert(db)
                return stored
            }
        }
    }

    /// A run's samples ordered by step, then insertion.
    public func samples(run: String, kind: String? = nil) throws -> [SampleRecord] {
        try read { db in
            var request = SampleRecord.filter(SampleRecord.CodingKeys.runID == run)
            if let kind { request = request.filter(SampleRecord.CodingKeys.kind == kind) }
            return try request.order(SampleRecord.CodingKeys.step, SampleRecord.CodingKeys.id).fetchAll(db)
        }
    }
}
