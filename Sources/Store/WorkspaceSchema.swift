import GRDB

/// The database schema, one GRDB migration per version. Migrations are append-only: a released one never changes.
enum WorkspaceSchema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try createVersion1(db) }
        migrator.registerMigration("v2") { db in try createVersion2(db) }
        migrator.registerMigration("vision-trials-v1") { db in try createVisionTrials(db) }
        return migrator
    }()

    /// Dates are REAL seconds since 1970 (see `UnixTimeRecord`).
    private static func createVersion1(_ db: Database) throws {
        let statuses = RunStatus.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        try db.execute(sql: """
            CREATE TABLE runs (
                id TEXT PRIMARY KEY NOT NULL,
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN (\(statuses))),
                config_toml TEXT NOT NULL,
                config_hash TEXT NOT NULL,
                data_hash TEXT,
                base_model TEXT,
                seed INTEGER NOT NULL DEFAULT 0,
                threads INTEGER,
                git_commit TEXT,
                sgemm_gflops REAL,
                mem_read_gbs REAL,
                parent_run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
                parent_checkpoint TEXT,
                last_step INTEGER NOT NULL DEFAULT 0,
                created_at REAL NOT NULL,
                updated_at REAL NOT NULL,
                error_message TEXT
            );
            CREATE INDEX runs_created_at ON runs(created_at);

            -- value NULL stands for NaN, which SQLite cannot store.
            CREATE TABLE metric_points (
                run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                step INTEGER NOT NULL,
                value REAL,
                wall_time REAL NOT NULL,
                PRIMARY KEY (run_id, name, step)
            ) WITHOUT ROWID;

            CREATE TABLE samples (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                step INTEGER NOT NULL,
                kind TEXT NOT NULL,
                prompt TEXT NOT NULL,
                completion TEXT NOT NULL,
                settings_json TEXT NOT NULL DEFAULT '{}',
                created_at REAL NOT NULL
            );
            CREATE INDEX samples_run_step ON samples(run_id, step);

            CREATE TABLE checkpoints (
                run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                kind TEXT NOT NULL CHECK (kind IN ('state', 'sampler')),
                name TEXT NOT NULL,
                step INTEGER NOT NULL,
                path TEXT NOT NULL,
                created_at REAL NOT NULL,
                PRIMARY KEY (run_id, kind, name)
            ) WITHOUT ROWID;
            CREATE INDEX checkpoints_run_step ON checkpoints(run_id, kind, step);

            CREATE TABLE eval_results (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                step INTEGER NOT NULL,
                name TEXT NOT NULL,
                value REAL NOT NULL,
                ci_low REAL,
                ci_high REAL,
                n INTEGER,
                json TEXT,
                created_at REAL NOT NULL
            );
            CREATE INDEX eval_results_run_step ON eval_results(run_id, step);
            """)
    }

    /// The workbench: per-token detail of samples, thumbs feedback on samples, and UI state (open pane, chart settings).
    private static func createVersion2(_ db: Database) throws {
        try db.execute(sql: """
            -- JSON [{"text":…,"logprob":…},…]: the sampled tokens with their logprobs, for shading.
            ALTER TABLE samples ADD COLUMN tokens_json TEXT;

            CREATE TABLE feedback (
                sample_id INTEGER PRIMARY KEY NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
                run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
                created_at REAL NOT NULL
            );
            CREATE INDEX feedback_run ON feedback(run_id);

            CREATE TABLE ui_state (
                key TEXT PRIMARY KEY NOT NULL,
                value TEXT NOT NULL
            ) WITHOUT ROWID;
            """)
    }

    /// Few-shot vision trial grids (issue 7) and each method's answers on the test subset per (shots, seed).
    private static func createVisionTrials(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE trial_grids (
                id TEXT PRIMARY KEY NOT NULL,
                data TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
                settings_json TEXT NOT NULL,
                class_names_json TEXT NOT NULL,
                held_out_json TEXT NOT NULL,
                test_indices_json TEXT NOT NULL,
                summary_json TEXT,
                wall_s REAL NOT NULL DEFAULT 0,
                created_at REAL NOT NULL
            );
            CREATE INDEX trial_grids_created_at ON trial_grids(created_at);

            CREATE TABLE trials (
                grid_id TEXT NOT NULL REFERENCES trial_grids(id) ON DELETE CASCADE,
                method TEXT NOT NULL,
                shots INTEGER NOT NULL,
                seed INTEGER NOT NULL,
                accuracy REAL NOT NULL,
                predictions_json TEXT NOT NULL,
                support_json TEXT NOT NULL,
                seconds REAL NOT NULL,
                created_at REAL NOT NULL,
                PRIMARY KEY (grid_id, method, shots, seed)
            ) WITHOUT ROWID;
            """)
    }
}
