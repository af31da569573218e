import Durability
import ArgumentParser
import Datasets
import Engine
import Foundation
import Stats
import Tensor
import Tokenizer

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pretrain",
        abstract: "Full-parameter pretraining of a Qwen3-MoE model from scratch (with the load-balancing loss).",
        discussion: """
        Reads CORPUS/train.jsonl and CORPUS/valid.jsonl ({"text": …} per line). Writes OUT/model (a Hugging Face
        directory, bf16 by default), OUT/metrics.jsonl, OUT/state (resume with --resume). Ctrl-C saves and stops.
        """)

    @Option(help: "Folder with train.jsonl and valid.jsonl.") var corpus: String
    @Option(help: "tokenizer.json (trained with `lathe tokenizer train`).") var tokenizer: String
    @Option(help: "Output folder.") var out: String
    @Option var steps = 3000
    @Option(help: "Sequences per step.") var batch = 16
    @Option(name: .customLong("seq-len")) var seqLen = 256
    @Option var lr: Double = 3e-3
    @Option var warmup = 100
    @Option(name: .customLong("min-lr-ratio")) var minLRRatio: Double = 0.1
    @Option(name: .customLong("weight-decay")) var weightDecay: Double = 0.1
    @Option(name: .customLong("grad-clip")) var gradClip: Double = 1.0
    @Option(name: .customLong("aux-coef"), help: "router_aux_loss_coef") var auxCoef: Double = 0.01
    @Option var threads = Runtime.defaultThreads
    @Option var seed: UInt64 = 0
    @Option(name: .customLong("eval-every")) var evalEvery = 250
    @Option(name: .customLong("eval-windows")) var evalWindows = 64
    @Option(name: .customLong("checkpoint-every")) var checkpointEvery = 250
    @Option(name: .customLong("time-limit"), help: "Stop (saving) after this many minutes.") var timeLimit: Double = 0
    @Option var hidden = 256
    @Option var layers = 6
    @Option var heads = 8
    @Option(name: .customLong("kv-heads")) var kvHeads = 4
    @Option(name: .customLong("head-dim")) var headDim = 32
    @Option var experts = 8
    @Option(name: .customLong("top-k")) var topK = 2
    @Option(name: .customLong("moe-inter")) var moeInter = 384
    @Option(name: .customLong("max-pos")) var maxPos = 1024
    @Option(name: .customLong("save-dtype")) var saveDtype = "bf16"
    @Flag(help: "Continue from OUT/state.") var resume = false

    struct Metric: Codable {
        var step: Int; var loss: Double; var aux_loss: Double; var lr: Double; var grad_norm: Double
        var tokens: Int; var tokens_per_s: Double; var elapsed_s: Double
        var eval_nll: Double?; var eval_nll_ci95: [Double]?; var expert_load: [[Double]]?
    }

    struct State: Codable { var step: Int; var tokens: Int; var elapsed: Double }

    func run() throws {
        _ = Runtime.pool(threads: threads)   // sets OpenBLAS threads; the pool is joined at exit
        let outDir = URL(fileURLWithPath: out)
        let tok: Tokenizer
        do { tok = try Tokenizer(contentsOf: URL(fileURLWithPath: tokenizer)) } catch { throw LatheError("\(error)") }
        guard let eos = tok.specialTokens["<|endoftext|>"], let imEnd = tok.specialTokens["<|im_end|>"] else {
            throw LatheError("\(tokenizer): needs the special tokens <|endoftext|> and <|im_end|>")
        }
        var config = Qwen3MoEConfig(vocabSize: tok.vocabSize, hiddenSize: hidden, intermediateSize: moeInter * 2,
                                    moeIntermediateSize: moeInter, numHiddenLayers: layers, numAttentionHeads: heads,
                                    numKeyValueHeads: kvHeads, headDim: headDim, numExperts: experts, numExpertsPerTok: topK,
                                    normTopkProb: true, maxPositionEmbeddings: maxPos, tieWordEmbeddings: false,
                                    routerAuxLossCoef: auxCoef, bosTokenId: eos, eosTokenId: [imEnd, eos])
        config.eosTokenId = [imEnd, eos]
        let trainer = try Pretrainer(config: config, seed: seed, auxLossCoef: Float(auxCoef))
        stderrLine("[pretrain] \(config.numHiddenLayers) layers, hidden \(hidden), \(experts) experts top-\(topK): " +
                   "\(try trainer.model.parameters().reduce(0) { $0 + $1.2 }) parameters, \(config.activeParameters) active per token")
        let corpusDir = URL(fileURLWithPath: corpus)
        stderrLine("[pretrain] tokenizing \(corpusDir.path)/train.jsonl")
        let train = try TokenCorpus.load(jsonl: corpusDir.appendingPathComponent("train.jsonl"), tokenizer: tok, separator: eos)
        let valid = try TokenCorpus.load(jsonl: corpusDir.appendingPathComponent("valid.jsonl"), tokenizer: tok, separator: eos)
        stderrLine("[pretrain] train \(train.tokens.count) tokens (\(train.documents) documents), valid \(valid.tokens.count)")
        let evalSet = valid.windows(length: seqLen + 1, limit: evalWindows)

        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let stateDir = outDir.appendingPathComponent("state")
        var state = State(step: 0, tokens: 0, elapsed: 0)
        if resume {
            state = try JSONDecoder().decode(State.self, from: try trainer.loadState(from: stateDir))
            stderrLine("[pretrain] resumed at step \(state.step)")
        }
        let metricsURL = outDir.appendingPathComponent("metrics.jsonl")
        if !FileManager.default.fileExists(atPath: metricsURL.path) { _ = FileManager.default.createFile(atPath: metricsURL.path, contents: nil) }
        if resume {
            // Points logged after the saved state are recomputed: keep the file's lines up to the resumed step.
            let kept = (try? String(contentsOf: metricsURL, encoding: .utf8))?.split(separator: "\n").filter { line in
                guard let m = try? JSONDecoder().decode(Metric.self, from: Data(line.utf8)) else { return false }
                return m.step <= state.step
            } ?? []
            try AtomicFile.write(Data((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8), to: metricsURL)
        }
        let metrics = try FileHandle(forWritingTo: metricsURL)
        metrics.seekToEndOfFile()
        let interrupted = InterruptFlag.install()
        let schedule = LRSchedule.warmupCosine(warmup: warmup, total: steps, minRatio: minLRRatio)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let t0 = Date().timeIntervalSince1970 - state.elapsed
        func save() throws {
            try trainer.saveState(to: stateDir, callerState: try JSONEncoder().encode(state))
        }
        let processStart = Date().timeIntervalSince1970, firstStep = state.step
        while state.step < steps {
            let lrNow = lr * schedule.multiplier(step: state.step)
            let seqs = train.batch(count: batch, length: seqLen + 1, seed: seed, step: state.step)
            let stepStart = Date().timeIntervalSince1970
            let r = try trainer.step(seqs, adam: AdamParams(learningRate: lrNow, beta1: 0.9, beta2: 0.95, eps: 1e-8,
                                                             weightDecay: weightDecay, gradClipNorm: gradClip))
            state.step += 1
            state.tokens += batch * seqLen
            let now = Date().timeIntervalSince1970
            state.elapsed = now - t0
            var m = Metric(step: state.step, loss: r.loss, aux_loss: r.auxLoss, lr: lrNow, grad_norm: r.gradNorm,
                           tokens: state.tokens, tokens_per_s: Double(batch * seqLen) / (now - stepStart), elapsed_s: state.elapsed)
            let last = state.step == steps || interrupted.isSet
                || (timeLimit > 0 && state.elapsed > timeLimit * 60)
            if state.step % evalEvery == 0 || last {
                let (nll, per) = try trainer.evaluate(evalSet)
                let ci = (try? tInterval(per)) ?? Interval(low: nll, high: nll)
                let half = (ci.high - ci.low) / 2
                m.eval_nll = nll
                m.eval_nll_ci95 = [ci.low, ci.high]
                m.expert_load = r.expertLoad
                stderrLine(String(format: "[pretrain] step %d: eval NLL %.4f (ppl %.2f, 95%% CI ±%.4f over %d windows)",
                                  state.step, nll, exp(nll), half, per.count))
            }
            metrics.write(try enc.encode(m) + Data("\n".utf8))
            if state.step % 10 == 0 || last {
                let sinceStart = Date().timeIntervalSince1970 - processStart
                let eta = sinceStart / Double(max(1, state.step - firstStep)) * Double(steps - state.step)
                stderrLine(String(format: "[pretrain] step %d/%d  loss %.4f  aux %.4f  lr %.2e  |g| %.3f  %.0f tok/s  elapsed %.1f min  ETA %.1f min",
                                  state.step, steps, r.loss, r.auxLoss, lrNow, r.gradNorm, m.tokens_per_s,
                                  state.elapsed / 60, eta / 60))
            }
            if state.step % checkpointEvery == 0 || last { try save() }
            if last && state.step < steps {
                stderrLine("[pretrain] stopped at step \(state.step) (\(interrupted.isSet ? "interrupted" : "time limit")); resume with --resume")
                break
            }
        }
        try metrics.close()
        let modelDir = outDir.appendingPathComponent("model")
        let tokData = try Data(contentsOf: URL(fileURLWithPath: tokenizer))
        try ModelWriter.save(trainer.model, to: modelDir, dtype: saveDtype == "bf16" ? .bf16 : .f32,
                             extraFiles: ["tokenizer.json": tokData,
                                          "tokenizer_config.json": Data(TokenizerConfig.json(modelMaxLength: maxPos).utf8)])
        stderrLine("[pretrain] wrote \(modelDir.path)")
    }
}

/// SIGINT/SIGTERM set a flag the training loop checks between steps (it then saves and stops cleanly).
final class InterruptFlag: @unchecked Sendable {
    nonisolated(unsafe) static var raised: sig_atomic_t = 0
    var isSet: Bool { InterruptFlag.raised != 0 }

    static func install() -> InterruptFlag {
        signal(SIGINT) { _ in InterruptFlag.raised = 1 }
        signal(SIGTERM) { _ in InterruptFlag.raised = 1 }
        unblock([SIGINT, SIGTERM])
        return InterruptFlag()
    }

    /// A parent may start us with signals blocked (Foundation's Process does, and tmux passes it on): unblock the
    /// ones we handle, or they would stay pending forever.
    static func unblock(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }
}
