import Foundation
@testable import Store

/// A fresh folder under the system temp dir, removed by `remove()`.
struct TemporaryFolder {
    let url: URL

    init(_ label: String = "store") {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("lathe-\(label)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Names in the folder, hidden ones included (temporary leftovers would show here).
    func entries(_ sub: String = "") -> [String] {
        let folder = sub.isEmpty ? url : url.appendingPathComponent(sub)
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }
}

/// A run record for tests, with whole-second dates so they survive the REAL round trip exactly.
func makeRun(_ id: String, kind: String = "sft", status: RunStatus = .created, at seconds: Double = 1_700_000_000)
    -> RunRecord
{
    RunRecord(id: id, name: "test \(id)", kind: kind, status: status, configTOML: "name = \"\(id)\"\n",
              configHash: SHA256.hexDigest("name = \"\(id)\"\n"), seed: 7, threads: 2,
              createdAt: Date(timeIntervalSince1970: seconds))
}

/// Debian's python3 (with sqlite3 and fcntl) drives the child processes of the lock and crash tests.
enum Python {
    static let path: String? = ["/usr/bin/python3", "/usr/local/bin/python3"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { path != nil }

    static func start(_ script: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = ["-c", script] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// Polls (10 ms) until `condition` holds or `seconds` pass; returns whether it held.
func waitUntil(seconds: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

/// A complete sft config as a user would write it (with comments).
let exampleSFT = """
    # a comment
    name = "sft-example"
    kind = "sft"
    seed = 7
    threads = 2

    [model]
    base = "models/lathe-base"      # a comment after a value
    weights = "f32"

    [data]
    train = "datasets/example.jsonl"
    eval = "datasets/example-eval.jsonl"
    max_length = 256
    packing = false
    shuffle = true

    [lora]
    rank = 16
    alpha = 32.0
    targets = ["q", "k", "v", "o", "mlp"]
    rslora = false
    dropout = 0.0
    rank_pattern = { q_proj = 8, "model.layers.0.self_attn.k_proj" = 4 }
    alpha_pattern = { q_proj = 16 }

    [optimizer]
    lr = 1e-4
    beta1 = 0.9
    beta2 = 0.999
    eps = 1e-8
    weight_decay = 0.0
    grad_clip = 1.0
    schedule = "warmup_cosine"
    warmup_steps = 10
    min_lr_ratio = 0.1

    [training]
    steps = 200
    batch_size = 8
    grad_accum = 1

    [eval]
    every = 25
    prompts = ["What is 12+30?", "Say \\"hi\\"\\n"]
    max_tokens = 64
    temperature = 0.0

    [checkpoint]
    every = 50
    keep = 3

    [vision]
    [memory]
    """

let examplePretrain = """
    name = "pretrain-example"
    kind = "pretrain"
    seed = 1

    [data]
    train = "datasets/corpus.jsonl"
    max_length = 256

    [training]
    steps = 1000

    [pretrain]
    vocab_size = 4096
    hidden_size = 256
    num_hidden_layers = 6
    num_attention_heads = 8
    num_key_value_heads = 4
    head_dim = 32
    num_experts = 8
    num_experts_per_tok = 2
    moe_intermediate_size = 256
    intermediate_size = 512
    mlp_only_layers = [0]
    norm_topk_prob = true
    rope_theta = 10000.0
    max_position_embeddings = 1024
    tie_word_embeddings = false
    router_aux_loss_coef = 0.01
    tokenizer = "tokenizers/lathe-bpe-4096/tokenizer.json"
    init_std = 0.02
    """

/// The smallest valid sft config, with `extra` appended (sections may follow).
func minimalSFT(_ extra: String = "", training: String = "[training]\nsteps = 10\n") -> String {
    """
    name = "t"
    [model]
    base = "models/base"
    [data]
    train = "d.jsonl"
    \(training)
    \(extra)
    """
}

/// The error message `parse` throws for `text`, or nil when it parses.
func parseError(_ text: String) -> String? {
    do {
        _ = try RunConfig.parse(text, source: "config.toml")
        return nil
    } catch {
        return "\(error)"
    }
}
