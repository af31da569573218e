import GRDB

extension Workspace {
    /// Records an evaluation figure and returns it with its id.
    @discardableResult
    public func addEvalResult(_ result: EvalResult) throws -> EvalResult {
        guard !result.value.isNaN else {
            throw StoreError(.invalidValue, databaseURL.path,
                             "eval result \"\(result.name)\" at step \(result.step) is NaN")
        }
        return try write { db in
            try requireRuns([result.runID], db)
            var stored = result
            try stored.insert(db)
            return stored
        }
    }

    /// A run's eval results ordered by step, then insertion.
    public func evalResults(run: String, name: String? = nil) throws -> [EvalResult] {
        try read { db in
            var request = EvalResult.filter(EvalResult.CodingKeys.runID == run)
            if let name { request = request.filter(EvalResult.CodingKeys.name == name) }
            return try request.order(EvalResult.CodingKeys.step, EvalResult.CodingKeys.id).fetchAll(db)
        }
    }
}
