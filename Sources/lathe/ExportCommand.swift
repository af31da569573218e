import Durability
import ArgumentParser
import Engine
import Foundation
import Store

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export",
        abstract: "Write a run's adapter (latest checkpoint, or --step) as a PEFT directory transformers + PEFT load.")

    @Option var workspace = "workspaces/default"
    @Option(name: .customLong("run")) var runID: String
    @Option(help: "Checkpoint step (default: the latest).") var step: Int?
    @Option(help: "Output directory.") var out: String

    func run() throws {
        let ws = try Workspace.open(URL(fileURLWithPath: workspace), mode: .readOnly)
        defer { try? ws.close() }
        guard try ws.run(runID) != nil else { throw LatheError("run \(runID): not in \(ws.directory.path)") }
        let all = try ws.checkpoints(run: runID, kind: .state).sorted { $0.step < $1.step }
        guard let ckpt = step.map({ s in all.first { $0.step == s } }) ?? all.last else {
            throw LatheError("run \(runID): no checkpoint\(step.map { " at step \($0) (have \(all.map(\.step)))" } ?? "")")
        }
        let src = ws.resolve(ckpt.path)
        let dst = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: dst, withIntermediateDirectories: true)
        for f in ["adapter_config.json", "adapter_model.safetensors"] {
            try AtomicFile.write(try Data(contentsOf: src.appendingPathComponent(f)), to: dst.appendingPathComponent(f))
        }
        stderrLine("[export] \(runID) \(ckpt.name) → \(dst.path) (PEFT, per-expert layout)")
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge",
        abstract: "Merge a PEFT adapter into its base model and write a full Hugging Face checkpoint.")

    @Option(help: "Base model directory.") var model: String
    @Option(help: "PEFT adapter directory (per-expert or fused layout).") var adapter: String
    @Option(help: "Output directory.") var out: String
    @Option(help: "f32 or bf16.") var dtype = "f32"

    func run() throws {
        guard dtype == "f32" || dtype == "bf16" else { throw LatheError("--dtype: expected f32 or bf16 (got \(dtype))") }
        let base = URL(fileURLWithPath: model)
        let m = try Qwen3MoEModel.load(directory: base, precision: .f32)
        let lora = try PEFTAdapter.load(directory: URL(fileURLWithPath: adapter), model: m.config)
        try lora.merge(into: m)
        var extra: [String: Data] = [:]
        for f in ["tokenizer.json", "tokenizer_config.json"] {
            if let d = FileManager.default.contents(atPath: base.appendingPathComponent(f).path) { extra[f] = d }
        }
        try ModelWriter.save(m, to: URL(fileURLWithPath: out), dtype: dtype == "bf16" ? .bf16 : .f32, extraFiles: extra)
        stderrLine("[merge] \(lora.modules.count) LoRA modules merged → \(out)")
    }
}
