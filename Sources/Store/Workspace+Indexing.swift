import Foundation
import GRDB

extension Workspace {
    /// Records run folders that have a `config.toml` but no database row (copied in from elsewhere, or left by a
    /// rebuilt database), with their checkpoint folders. Such a run is `completed` when a checkpoint reaches the
    /// config's `training.steps`, else `interrupted` (resumable from its latest checkpoint). Returns their ids.
    @discardableResult
    public func indexRunFolders() throws -> [String] {
        try requireWritable()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: runsDirectory.path)) ?? []
        var indexed: [String] = []
        for id in entries.sorted() where !id.hasPrefix(".") {
            let configURL = runDirectory(id).appendingPathComponent(Self.configFileName)
            guard let data = FileManager.default.contents(atPath: configURL.path),
                  let text = String(data: data, encoding: .utf8),
                  try run(id) == nil
            else { continue }
            let config = try? RunConfig.parse(text, source: configURL.path)
            let checkpoints = checkpointFolders(run: id)
            let lastStep = checkpoints.map(\.step).max() ?? 0
            let created = (try? FileManager.default.attributesOfItem(atPath: configURL.path)[.creationDate] as? Date)
                ?? (try? FileManager.default.attributesOfItem(atPath: configURL.path)[.modificationDate] as? Date)
                ?? Date()
            var record = RunRecord(
                id: id, name: config?.name ?? id, kind: config?.kind.rawValue ?? kindFromID(id),
                status: .interrupted, configTOML: text,
                configHash: config?.hash ?? SHA256.hexDigest(text), baseModel: config?.model.base,
                seed: config?.seed ?? 0, threads: config?.threads, lastStep: lastStep, createdAt: created)
            if let steps = config?.training.steps, lastStep >= steps { record.status = .completed }
            if config == nil { record.errorMessage = "indexed from its folder; config.toml does not parse" }
            try write { db in
                try record.insert(db)
                for checkpoint in checkpoints { try checkpoint.insert(db, onConflict: .replace) }
            }
            indexed.append(id)
        }
        return indexed
    }

    /// Complete checkpoint folders of a run on disk (temporary names skipped); the step comes from `step-N` names.
    private func checkpointFolders(run: String) -> [CheckpointRecord] {
        CheckpointKind.allCases.flatMap { kind -> [CheckpointRecord] in
            let folder = runDirectory(run).appendingPathComponent(kind.folderName)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.sorted().filter { !$0.hasPrefix(".") }.compactMap { name in
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path,
                                                     isDirectory: &isFolder), isFolder.boolValue
                else { return nil }
                return CheckpointRecord(runID: run, name: name, step: CheckpointRecord.step(fromName: name) ?? 0,
                                        kind: kind)
            }
        }
    }

    private func kindFromID(_ id: String) -> String {
        id.split(separator: "-").first.map(String.init) ?? "unknown"
    }
}
