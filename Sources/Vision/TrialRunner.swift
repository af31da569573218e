import Engine
import Foundation
import Tensor
import Tokenizer

/// Where a grid stands: trials done of the total, the one just finished, and the estimated seconds left.
public struct TrialProgress: Sendable {
    public var done: Int
    public var total: Int
    public var elapsed: Double
    public var eta: Double
    public var last: TrialOutcome?

    public init(done: Int, total: Int, elapsed: Double, eta: Double, last: TrialOutcome?) {
        self.done = done; self.total = total; self.elapsed = elapsed; self.eta = eta; self.last = last
    }
}

/// The models a trial grid compares.
public struct TrialModels: @unchecked Sendable {
    public var vlmTower: VisionTower?
    public var vlmRecord: VisionPretrainingRecord?
    public var sslTower: VisionTower?
    public var lm: Qwen3MoEModel?
    public var tokenizer: Tokenizer?

    public init(vlmTower: VisionTower? = nil, vlmRecord: VisionPretrainingRecord? = nil, sslTower: VisionTower? = nil,
                lm: Qwen3MoEModel? = nil, tokenizer: Tokenizer? = nil) {
        self.vlmTower = vlmTower; self.vlmRecord = vlmRecord; self.sslTower = sslTower; self.lm = lm; self.tokenizer = tokenizer
    }

    /// The shipped models: `models/vision/vlm`, `models/vision/ssl` and the base LM of `workspace`, as far as `methods` need.
    public static func load(workspace: URL, methods: [TrialMethod]) throws -> TrialModels {
        var m = TrialModels()
        let models = workspace.appendingPathComponent("models")
        if methods.contains(.vlm) {
            let (tower, record) = try VisionCheckpoint.load(models.appendingPathComponent("vision/vlm"))
            m.vlmTower = tower; m.vlmRecord = record
            let lmDir = models.appendingPathComponent(record.languageModel ?? "lathe-base")
            m.lm = try Qwen3MoEModel.load(directory: lmDir)
            m.tokenizer = try Tokenizer(contentsOf: lmDir.appendingPathComponent("tokenizer.json"))
        }
        if methods.contains(.encoder) { m.sslTower = try VisionCheckpoint.load(models.appendingPathComponent("vision/ssl")).0 }
        // The VLM's record defines which class names are "seen", for every method's split.
        let record = models.appendingPathComponent("vision/vlm/config.json")
        if m.vlmRecord == nil, let data = FileManager.default.contents(atPath: record.path) {
            m.vlmRecord = try? JSONDecoder().decode(VisionPretrainingRecord.self, from: data)
        }
        return m
    }
}

/// Runs a grid of few-shot trials: for every shot count and seed one support set (the same for every method), each
/// method's predictions on the fixed test subset.
public final class TrialRunner: @unchecked Sendable {
    public let data: VisionData
    public let settings: TrialSettings
    public let splits: VisionSplits
    public let testIndices: [Int]              // t10k indices of the test subset
    public let testLabels: [Int]
    public let heldOut: Set<Int>               // classes never named in caption pretraining ("unseen")
    let models: TrialModels
    let vlm: VLMFewShot?
    var vlmTestTokens: [Float] = []
    var sslTestFeatures: [Float] = []
    var testPixels: [Float] = []

    public init(data: VisionData, settings: TrialSettings, models: TrialModels) throws {
        try settings.validate()
        self.data = data; self.settings = settings; self.models = models
        splits = try VisionSplits(data: data, testSize: settings.testSize)
        testIndices = splits.test
        testLabels = testIndices.map { data.test.labels[$0] }
        // Seen / unseen only means something on the classes the VLM tower was pretrained with.
        heldOut = models.vlmRecord.map { $0.classNames == data.classNames ? Set($0.heldOutClasses) : [] } ?? []
        if settings.methods.contains(.vlm) {
            guard let tower = models.vlmTower, let lm = models.lm, let tok = models.tokenizer else {
                throw LatheError("method vlm needs the pretrained VLM tower and its language model")
            }
            try TrialRunner.checkImages(data, tower, "vlm")
            if let names = models.vlmRecord?.classNames, names != data.classNames {
                throw LatheError("\(data.directory.path): classes \(data.classNames) differ from those the VLM tower was pretrained on (\(names))")
            }
            vlm = VLMFewShot(lm: lm, prompt: try ImagePrompt(tokenizer: tok, imageTokens: tower.tokensPerImage), classNames: data.classNames)
        } else { vlm = nil }
        if settings.methods.contains(.encoder) {
            guard let t = models.sslTower else { throw LatheError("method encoder needs the pretrained self-supervised tower") }
            try TrialRunner.checkImages(data, t, "encoder")
        }
        let test = data.test.subset(testIndices)
        let images = (0..<test.count).flatMap { test.image($0) }
        testPixels = images
        if let t = models.vlmTower, vlm != nil { vlmTestTokens = t.tokens(images) }
        if let t = models.sslTower, settings.methods.contains(.encoder) { sslTestFeatures = t.pooledFeatures(images) }
    }

    static func checkImages(_ data: VisionData, _ tower: VisionTower, _ method: String) throws {
        let s = tower.config.encoder.imageSize
        guard data.train.rows == s, data.train.cols == s else {
            throw LatheError("\(data.directory.path): images are \(data.train.rows)×\(data.train.cols); the \(method) tower takes \(s)×\(s)")
        }
    }

    /// The VLM with no LoRA at all (after caption alignment only): accuracy overall, on seen and on unseen classes.
    public func vlmZeroShot() throws -> (all: Double, seen: Double, unseen: Double)? {
        guard let vlm else { return nil }
        let p = try vlm.predict(imageTokens: vlmTestTokens, startCandidates: testLabels, adapter: nil)
        let o = TrialOutcome(method: .vlm, shots: 0, seed: 0, predictions: p, support: [], seconds: 0)
        return (o.accuracy(labels: testLabels), o.accuracy(labels: testLabels) { !self.heldOut.contains($0) },
                o.accuracy(labels: testLabels) { self.heldOut.contains($0) })
    }

    public var totalTrials: Int { settings.shots.count * settings.seeds * settings.methods.count }

    /// One method on one support set.
    public func trial(_ method: TrialMethod, shots: Int, seed: Int, support: [Int], shouldStop: () -> Bool = { false }) throws -> TrialOutcome {
        let started = Date()
        let supportSet = data.train.subset(support)
        let images = (0..<supportSet.count).flatMap { supportSet.image($0) }
        let classes = data.classNames.count
        let predictions: [Int]
        switch method {
        case .pixels:
            let p = NearestPrototype(vectors: images, labels: supportSet.labels, classes: classes, dim: data.train.pixelCount, metric: .euclidean)
            predictions = p.classify(testPixels)
        case .encoder:
            let tower = models.sslTower!
            let p = NearestPrototype(vectors: tower.pooledFeatures(images), labels: supportSet.labels, classes: classes,
                                     dim: tower.config.encoder.dim, metric: .cosine)
            predictions = p.classify(sslTestFeatures)
        case .vlm:
            let tokens = models.vlmTower!.tokens(images)
            let lora = try vlm!.fineTune(imageTokens: tokens, labels: supportSet.labels, steps: settings.vlmSteps, batch: settings.vlmBatch,
                                         rank: settings.loraRank, alpha: settings.loraAlpha, learningRate: settings.vlmLearningRate,
                                         seed: UInt64(seed), shouldStop: shouldStop)
            predictions = try vlm!.predict(imageTokens: vlmTestTokens, startCandidates: testLabels, adapter: lora, shouldStop: shouldStop)
        }
        return TrialOutcome(method: method, shots: shots, seed: seed, predictions: predictions, support: support,
                            seconds: Date().timeIntervalSince(started))
    }

    /// The whole grid, shot count by shot count, seed by seed. `onProgress` follows every trial; `shouldStop` is
    /// polled between (and inside) trials, and a stop throws `TrialCancelled` after keeping what finished in `done`.
    public func run(skipping finished: Set<String> = [], onProgress: (TrialProgress) -> Void = { _ in },
                    shouldStop: () -> Bool = { false }, done: inout [TrialOutcome]) throws {
        let started = Date()
        var seconds: [TrialMethod: [Double]] = [:]
        var count = done.count
        let total = totalTrials
        for shots in settings.shots {
            for seed in 0..<settings.seeds {
                let support = try VisionSplits.support(data, pool: splits.supportPool, shots: shots, seed: UInt64(seed))
                for method in settings.methods where !finished.contains(TrialRunner.key(method, shots, seed)) {
                    if shouldStop() { throw TrialCancelled() }
                    let outcome = try trial(method, shots: shots, seed: seed, support: support, shouldStop: shouldStop)
                    done.append(outcome)
                    count += 1
                    seconds[method, default: []].append(outcome.seconds)
                    onProgress(TrialProgress(done: count, total: total, elapsed: Date().timeIntervalSince(started),
                                             eta: eta(after: shots, seed: seed, method: method, seconds: seconds), last: outcome))
                }
            }
        }
    }

    public static func key(_ m: TrialMethod, _ shots: Int, _ seed: Int) -> String { "\(m.rawValue)/\(shots)/\(seed)" }

    /// Seconds left: the trials not yet run, each at its method's mean time so far (scaled by shots for the support
    /// work, which is small next to the fixed test pass).
    func eta(after shots: Int, seed: Int, method: TrialMethod, seconds: [TrialMethod: [Double]]) -> Double {
        var left = 0.0
        var passed = false
        for s in settings.shots {
            for sd in 0..<settings.seeds {
                for m in settings.methods {
                    if passed { left += seconds[m].map { $0.reduce(0, +) / Double($0.count) } ?? (seconds.values.flatMap { $0 }.max() ?? 0) }
                    if s == shots && sd == seed && m == method { passed = true }
                }
            }
        }
        return left
    }
}
