import Durability
import Engine
import Foundation

/// What a pretrained tower folder records beside its weights: `config.json` = this, `vision.safetensors` = tensors.
public struct VisionPretrainingRecord: Codable, Equatable, Sendable {
    public var kind: String                    // "vlm" (caption alignment) or "ssl" (SimCLR)
    public var tower: VisionTowerConfig
    public var parameters: Int
    public var seed: UInt64
    public var steps: Int
    public var batch: Int
    public var images: Int                     // pretraining images (train 0..<images)
    public var flops: Double                   // pretraining compute
    public var wallSeconds: Double
    public var threads: Int
    public var finalLoss: Double
    public var classNames: [String]
    public var heldOutClasses: [Int]           // never named in a caption ("unseen"); empty for ssl
    public var languageModel: String?          // the frozen LM a vlm tower was aligned to

    public init(kind: String, tower: VisionTowerConfig, parameters: Int, seed: UInt64, steps: Int, batch: Int, images: Int,
                flops: Double, wallSeconds: Double, threads: Int, finalLoss: Double, classNames: [String],
                heldOutClasses: [Int], languageModel: String?) {
        self.kind = kind; self.tower = tower; self.parameters = parameters; self.seed = seed; self.steps = steps
        self.batch = batch; self.images = images; self.flops = flops; self.wallSeconds = wallSeconds; self.threads = threads
        self.finalLoss = finalLoss; self.classNames = classNames; self.heldOutClasses = heldOutClasses
        self.languageModel = languageModel
    }

    enum CodingKeys: String, CodingKey {
        case kind, tower, parameters, seed, steps, batch, images, flops, threads
        case wallSeconds = "wall_seconds", finalLoss = "final_loss", classNames = "class_names"
        case heldOutClasses = "held_out_classes", languageModel = "language_model"
    }
}

public enum VisionCheckpoint {
    public static func save(_ tower: VisionTower, record: VisionPretrainingRecord, to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try SafeTensorsWriter.write(tower.params.tensors(), to: dir.appendingPathComponent("vision.safetensors"))
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(record), to: dir.appendingPathComponent("config.json"))
    }

    /// The tower and its record from `dir`; every error names the file.
    public static func load(_ dir: URL) throws -> (VisionTower, VisionPretrainingRecord) {
        let configURL = dir.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path) else {
            throw LatheError("\(configURL.path): missing (a pretrained vision tower folder holds config.json and vision.safetensors; `make reproduce-vision-pretrain` writes them)")
        }
        let record: VisionPretrainingRecord
        do { record = try JSONDecoder().decode(VisionPretrainingRecord.self, from: data) } catch let e as DecodingError {
            throw LatheError("\(configURL.path): \(e)")
        }
        let tower = try VisionTower(config: record.tower, seed: 0)
        let weights = dir.appendingPathComponent("vision.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else { throw LatheError("\(weights.path): missing") }
        try tower.params.load(from: try SafeTensorsFile(weights))
        return (tower, record)
    }
}
