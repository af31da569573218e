import ArgumentParser
import Datasets
import Engine
import Foundation
import Tensor
import Tokenizer
import Vision

struct VisionPretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vision-pretrain",
        abstract: "Pretrain a vision tower: caption alignment into the frozen base model (vlm) or SimCLR (ssl).",
        discussion: """
        Uses train images 0–49 999 (5/6 of another folder's). vlm: captions name only the seen classes (Fashion-MNIST
        holds out Pullover, Sneaker, Bag; another folder every third class from the third); the language model stays frozen. ssl: no labels; with --match-flops it
        trains until its compute equals that of the given vlm folder's record. Writes OUT/config.json and
        OUT/vision.safetensors; Ctrl-C saves what was trained and stops.
        """)

    @Option(help: "vlm or ssl.") var kind: String
    @Option(help: "Output folder.") var out: String
    @Option(help: "IDX data folder (default: Debian's Fashion-MNIST).") var data = VisionData.fashionMNISTDirectory.path
    @Option(help: "Language model (vlm).") var model = "workspaces/default/models/lathe-base"
    @Option var steps = 2000
    @Option(help: "Images per step.") var batch = 32
    @Option var lr: Double = 1e-3
    @Option var warmup = 100
    @Option(name: .customLong("weight-decay")) var weightDecay: Double = 0.05
    @Option(name: .customLong("match-flops"), help: "ssl: train until the compute of this vlm folder's record.") var matchFlops: String?
    @Option var temperature: Double = 0.2
    @Option var threads = Runtime.defaultThreads
    @Option var seed: UInt64 = 0
    @Option(name: .customLong("time-limit"), help: "Stop (saving) after this many minutes.") var timeLimit: Double = 0

    func validate() throws {
        guard ["vlm", "ssl"].contains(kind) else { throw ValidationError("--kind: expected vlm or ssl, got \(kind)") }
        guard steps > 0, batch > 1 else { throw ValidationError("--steps must be > 0 and --batch > 1") }
    }

    func run() throws {
        _ = Runtime.pool(threads: threads)
        defer { Runtime.shutdown() }
        let interrupted = InterruptFlag.install()
        let vision = try VisionData(directory: URL(fileURLWithPath: data))
        let splits = try VisionSplits(data: vision)
        let tower = try VisionTower(config: VisionTowerConfig(), seed: seed)
        let pool = Array(splits.pretraining)
        stderrLine("[vision-pretrain] \(kind): tower of \(tower.params.parameterCount) parameters, \(pool.count) images from \(vision.directory.path)")
        var targetFLOPs: Double?
        var steps = self.steps
        if let m = matchFlops {
            guard kind == "ssl" else { throw LatheError("--match-flops: only for --kind ssl") }
            let target = try VisionCheckpoint.load(URL(fileURLWithPath: m)).1.flops
            targetFLOPs = target
            // SimCLR: two views per image, forward + backward ≈ 3 forwards; the schedule spans exactly these steps.
            steps = Int((target / (3 * 2 * Double(batch) * tower.forwardFLOPs)).rounded(.up))
            stderrLine("[vision-pretrain] matching \(String(format: "%.2f", target / 1e12)) TFLOP of \(m): \(steps) steps of \(batch) images")
        }
        let schedule = LRSchedule.warmupCosine(warmup: warmup, total: steps, minRatio: 0.1)
        var order: [Int] = []
        var orderRNG = SplitMix64.stream(seed: seed, 0x0DE)
        func nextBatch() -> [Int] {
            if order.count < batch { var fresh = pool; fresh.shuffle(using: &orderRNG); order += fresh }
            defer { order.removeFirst(batch) }
            return Array(order[0..<batch])
        }
        let start = Date()
        var lastLoss = Double.nan, ema = Double.nan, done = 0
        var flops: () -> Double
        var stepOnce: (Int) throws -> Double
        var heldOut: [Int] = []
        var lmName: String?
        if kind == "vlm" {
            let lmDir = URL(fileURLWithPath: model)
            let lm = try Qwen3MoEModel.load(directory: lmDir)
            let tok = try Tokenizer(contentsOf: lmDir.appendingPathComponent("tokenizer.json"))
            let prompt = try ImagePrompt(tokenizer: tok, imageTokens: tower.tokensPerImage)
            let held = vision.classNames == VisionData.fashionMNISTClasses ? Captioner.fashionHeldOut
                : Set(stride(from: 2, to: vision.classNames.count, by: 3))
            heldOut = held.sorted()
            lmName = lmDir.lastPathComponent
            let trainer = try CaptionAlignment(tower: tower, lm: lm, prompt: prompt,
                                               captioner: Captioner(classNames: vision.classNames, heldOut: held))
            stderrLine("[vision-pretrain] held-out (never named): \(heldOut.map { vision.classNames[$0] }.joined(separator: ", "))")
            var captionRNG = SplitMix64.stream(seed: seed, 0xCA9)
            flops = { trainer.flops }
            stepOnce = { s in
                let p = AdamParams(learningRate: lr * schedule.multiplier(step: s), weightDecay: weightDecay, gradClipNorm: 1)
                return try trainer.step(vision.train, nextBatch(), rng: &captionRNG, adam: p)
            }
        } else {
            let trainer = ContrastivePretraining(tower: tower, temperature: Float(temperature))
            var augRNG = PhiloxRNG(seed: seed, stream: 0xA06)
            flops = { trainer.flops }
            stepOnce = { s in
                let p = AdamParams(learningRate: lr * schedule.multiplier(step: s), weightDecay: weightDecay, gradClipNorm: 1)
                return try trainer.step(vision.train, nextBatch(), rng: &augRNG, adam: p)
            }
        }
        while done < steps {
            if interrupted.isSet { stderrLine("[vision-pretrain] interrupted: saving after \(done) steps"); break }
            if let t = targetFLOPs, flops() >= t { break }
            if timeLimit > 0, Date().timeIntervalSince(start) > timeLimit * 60 { stderrLine("[vision-pretrain] time limit reached"); break }
            lastLoss = try stepOnce(done)
            done += 1
            ema = ema.isNaN ? lastLoss : 0.95 * ema + 0.05 * lastLoss
            if done % 20 == 0 || done == steps {
                let el = Date().timeIntervalSince(start)
                var remaining = Double(steps - done) * el / Double(done)
                if let t = targetFLOPs { remaining = (t - flops()) / flops() * el }
                stderrLine(String(format: "[vision-pretrain] step %d/%d  loss %.4f (ema %.4f)  %.1f steps/s  %.2f TFLOP  ETA %.0f s",
                                  done, steps, lastLoss, ema, Double(done) / el, flops() / 1e12, max(0, remaining)))
            }
        }
        let record = VisionPretrainingRecord(kind: kind, tower: tower.config, parameters: tower.params.parameterCount, seed: seed,
                                             steps: done, batch: batch, images: pool.count, flops: flops(),
                                             wallSeconds: Date().timeIntervalSince(start), threads: threads, finalLoss: ema,
                                             classNames: vision.classNames, heldOutClasses: heldOut, languageModel: lmName)
        try VisionCheckpoint.save(tower, record: record, to: URL(fileURLWithPath: out))
        stderrLine("[vision-pretrain] wrote \(out) (\(done) steps, \(String(format: "%.2f", record.flops / 1e12)) TFLOP, \(Int(record.wallSeconds)) s)")
    }
}
