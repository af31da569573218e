import ArgumentParser
import Engine
import Foundation
import Tokenizer

/// --model DIR, --threads N, --weights f32|bf16: shared by the verbs that load a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "Hugging Face model directory (config.json, safetensors, optional tokenizer.json).")
    var model: String

    @Option(name: .long, help: "PEFT adapter directory applied on top of the model (per-expert or fused layout).")
    var adapter: String?

    @Option(name: .long, help: "Compute threads (OpenBLAS and the engine's pool).")
    var threads: Int = Runtime.defaultThreads

    @Option(name: .long, help: "Weights in memory: f32, or bf16 (half-precision checkpoints kept as stored).")
    var weights: String = "f32"

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard WeightPrecision(rawValue: weights) != nil else { throw ValidationError("--weights must be f32 or bf16") }
    }

    func load() throws -> Qwen3MoEModel {
        try Qwen3MoEModel.load(directory: URL(fileURLWithPath: model), precision: WeightPrecision(rawValue: weights)!)
    }

    func loadAdapter(for model: Qwen3MoEModel) throws -> LoRAAdapter? {
        try adapter.map { try PEFTAdapter.load(directory: URL(fileURLWithPath: $0), model: model.config) }
    }

    /// The model directory's tokenizer.json, if it has one.
    func tokenizer() throws -> Tokenizer? {
        let url = URL(fileURLWithPath: model).appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do { return try Tokenizer(contentsOf: url) } catch { throw LatheError("\(error)") }
    }
}
