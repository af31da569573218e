import Durability
import Datasets
import Engine
import Foundation
import Store
import Tensor
import Tokenizer

/// What every kind of run does before its first step: resolve the source into a record and a config, load (or
/// reuse) the base model, create the adapter, restore a checkpoint, and record provenance.
enum RunSetup {
    struct Resolved {
        var record: RunRecord
        var config: RunConfig
        var parentCheckpoint: CheckpointRecord?
    }

    static func resolve(_ source: RunSource, _ ws: Workspace) throws -> Resolved {
        func newRecord(_ config: RunConfig, _ text: String) throws -> RunRecord {
            RunRecord(id: try ws.newRunID(kind: config.kind.rawValue), config: config, configText: text)
        }
        switch source {
        case .config(let url):
            let config = try wrap { try RunConfig.load(url) }
            return Resolved(record: try newRecord(config, (try? String(contentsOf: url, encoding: .utf8)) ?? config.toTOML()),
                            config: config)
        case .configText(let text, let sourceName):
            let config = try wrap { try RunConfig.parse(text, source: sourceName) }
            return Resolved(record: try newRecord(config, text), config: config)
        case .resume(let id):
            guard let found = try ws.run(id) else { throw LatheError("run \(id): not in \(ws.directory.path)") }
            return Resolved(record: found, config: try wrap { try RunConfig.parse(found.configTOML, source: "runs/\(found.id)/config.toml") })
        case .fork(let parentID, let name, let text):
            guard let parent = try ws.run(parentID) else { throw LatheError("run \(parentID): not in \(ws.directory.path)") }
            guard let ckpt = try ws.checkpoint(run: parentID, name: name) else {
                throw LatheError("run \(parentID): no checkpoint named \(name)")
            }
            let configText = text ?? parent.configTOML
            let config = try wrap { try RunConfig.parse(configText, source: "fork of \(parentID)") }
            var record = try newRecord(config, configText)
            record.parentRunID = parentID
            record.parentCheckpoint = name
            return Resolved(record: record, config: config, parentCheckpoint: ckpt)
        }
    }

    static func session(_ config: RunConfig, _ ws: Workspace, existing: Session?, pool: ThreadPool?,
                        log: (String) -> Void) throws -> (Session, Tokenizer, ChatTemplate) {
        let baseDir = ws.resolve(config.model.base!)
        let session: Session
        if let existing {
            guard existing.baseDirectory?.standardizedFileURL.path == baseDir.standardizedFileURL.path else {
                throw LatheError("model.base: \(config.model.base!) differs from the loaded base \(existing.baseDirectory?.path ?? "?"); one base per process")
            }
            session = existing
        } else {
            BLAS.setThreads(config.resolvedThreads)
            log("loading \(baseDir.path)")
            session = try Session(baseDirectory: baseDir, precision: config.model.weights == .bf16 ? .bf16 : .f32,
                                  pool: pool ?? ThreadPool(threads: config.resolvedThreads), seed: UInt64(config.seed))
        }
        guard let tokenizer = session.tokenizer else { throw LatheError("\(baseDir.path): no tokenizer.json") }
        let template = try wrap { try ChatTemplate(tokenizer: tokenizer, source: "\(baseDir.lastPathComponent)/tokenizer.json") }
        return (session, tokenizer, template)
    }

    static func adapter(_ config: RunConfig, _ record: RunRecord, _ session: Session) throws -> TrainableAdapter {
        let lora = config.lora ?? RunConfig.LoRA()
        let loraConfig = LoRAConfig(rank: lora.rank, alpha: lora.alpha,
                                    targets: lora.targets.map { LoRATarget(rawValue: $0.rawValue)! },
                                    useRSLoRA: lora.rslora, dropout: lora.dropout, rankPattern: lora.rankPattern,
                                    alphaPattern: lora.alphaPattern)
        session.removeAdapter(record.id)
        return try session.createAdapter(record.id, loraConfig, seed: UInt64(config.seed))
    }

    /// Creates the run's record with provenance (Lathe's commit, data hash, threads, this machine's figures) and
    /// writes its config.toml.
    static func create(_ record: inout RunRecord, _ config: RunConfig, _ ws: Workspace, session: Session, dataHash: String?,
                       startStep: Int, log: (String) -> Void) throws {
        log("measuring the machine (sgemm peak, read bandwidth)")
        record.gitCommit = BuildInfo.commit
        record.dataHash = dataHash
        record.sgemmGflops = MachineProbe.sgemmPeak(size: 768, reps: 3)
        record.memReadGBs = MachineProbe.memoryReadBandwidth(megabytes: 256, reps: 2, pool: session.pool)
        record.threads = config.resolvedThreads
        record.lastStep = startStep
        record.status = .running
        try ws.createRun(record)
        try AtomicFile.write(Data(record.configTOML.utf8), to: ws.runDirectory(record.id).appendingPathComponent("config.toml"))
    }

    static func adam(_ config: RunConfig) -> AdamParams {
        let o = config.optimizer
        return AdamParams(learningRate: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay,
                          gradClipNorm: o.gradClip)
    }

    static func schedule(_ config: RunConfig) -> LRSchedule {
        let o = config.optimizer, total = config.training.steps
        switch o.schedule {
        case .constant: return .constant
        case .warmupLinear: return .warmupLinear(warmup: o.warmupSteps, total: total)
        case .warmupCosine: return .warmupCosine(warmup: o.warmupSteps, total: total, minRatio: o.minLRRatio)
        }
    }
}

/// A run the engine can step: SFT or RL.
public protocol LiveRun: AnyObject, Sendable {
    var record: RunRecord { get }
    var adapter: TrainableAdapter { get }
    var currentStep: Int { get }
    var startStep: Int { get }
    var totalSteps: Int { get }
    var isFinished: Bool { get }
    var ws: Workspace { get }
    /// Called by long steps between their parts (the adapter unchanged), so other engine work can run there.
    var safePoint: (() -> Void)? { get set }
    @discardableResult func step() throws -> StepReport
    func stop(_ status: RunStatus) throws
    func fail(_ message: String)
}

public enum Runs {
    /// Prepares the loop the config's kind needs.
    public static func prepare(workspace ws: Workspace, source: RunSource, session: Session? = nil, pool: ThreadPool? = nil,
                               log: (String) -> Void) throws -> LiveRun {
        let resolved = try RunSetup.resolve(source, ws)
        switch resolved.config.kind {
        case .sft: return try SFTRun.prepare(workspace: ws, source: source, resolved: resolved, session: session, pool: pool, log: log)
        case .rl: return try RLRun.prepare(workspace: ws, source: source, resolved: resolved, session: session, pool: pool, log: log)
        case .pretrain:
            throw LatheError("\(resolved.record.id): kind pretrain runs with `lathe pretrain`")
        }
    }
}
