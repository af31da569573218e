import Foundation
import Runs
import Store

/// The models a server offers: the base (adapter off), every run of the workspace fine-tuning that base — `RUN` is
/// its live adapter when this process trains it, else its latest checkpoint — each checkpoint as `RUN/NAME`, and
/// adapter folders named on the command line. Read from the store on every request, so new checkpoints appear as
/// they land.
struct ModelCatalog: Sendable {
    let baseName: String
    let baseDirectory: URL
    let workspace: Workspace?
    let runFilter: String?
    let adapters: [String: URL]

    struct Entry { var id: String; var created: Int; var target: GenerationTarget }

    func entries(liveRunID: String?) -> [Entry] {
        var out = [Entry(id: baseName, created: Self.created(baseDirectory), target: .base)]
        for (name, url) in adapters.sorted(by: { $0.key < $1.key }) {
            out.append(Entry(id: name, created: Self.created(url), target: .adapterDirectory(url)))
        }
        guard let workspace else { return out }
        for run in (try? workspace.runs()) ?? [] where runFilter == nil || run.id == runFilter {
            guard servesThisBase(run, workspace) else { continue }
            let created = Int(run.createdAt.timeIntervalSince1970)
            let checkpoints = (try? workspace.checkpoints(run: run.id, kind: .state)) ?? []
            if run.id == liveRunID || !checkpoints.isEmpty { out.append(Entry(id: run.id, created: created, target: .run(run.id))) }
            for c in checkpoints {
                out.append(Entry(id: "\(run.id)/\(c.name)", created: Int(c.createdAt.timeIntervalSince1970),
                                 target: .checkpoint(run: run.id, name: c.name)))
            }
        }
        return out
    }

    func resolve(_ model: String, liveRunID: String?) -> GenerationTarget? {
        entries(liveRunID: liveRunID).first { $0.id == model }?.target
    }

    private func servesThisBase(_ run: RunRecord, _ workspace: Workspace) -> Bool {
        guard let config = try? RunConfig.parse(run.configTOML, source: run.id), let base = config.model.base else { return false }
        return workspace.resolve(base).standardizedFileURL.path == baseDirectory.standardizedFileURL.path
    }

    private static func created(_ url: URL) -> Int {
        let date = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate]) as? Date
        return Int((date ?? Date(timeIntervalSince1970: 0)).timeIntervalSince1970)
    }
}
