import Foundation
import Testing
@testable import Store

@Suite struct RunConfigParsingTests {
    @Test func parsesTheFullSFTExample() throws {
        let config = try RunConfig.parse(exampleSFT, source: "config.toml")
        #expect(config.name == "sft-example")
        #expect(config.kind == .sft)
        #expect(config.seed == 7)
        #expect(config.threads == 2)
        #expect(config.model == RunConfig.Model(base: "models/lathe-base", weights: .f32))
        #expect(config.data.eval == "datasets/example-eval.jsonl")
        #expect(config.data.maxLength == 256)
        let lora = try #require(config.lora)
        #expect(lora.targets == [.q, .k, .v, .o, .mlp])
        #expect(lora.rankPattern == ["q_proj": 8, "model.layers.0.self_attn.k_proj": 4])
        #expect(lora.alphaPattern == ["q_proj": 16])
        #expect(config.optimizer.lr == 1e-4)
        #expect(config.optimizer.eps == 1e-8)
        #expect(config.optimizer.schedule == .warmupCosine)
        #expect(config.optimizer.minLRRatio == 0.1)
        #expect(config.training == RunConfig.Training(steps: 200, batchSize: 8, gradAccum: 1))
        #expect(config.eval.prompts == ["What is 12+30?", "Say \"hi\"\n"])
        #expect(config.checkpoint == RunConfig.Checkpoint(every: 50, keep: 3))
        #expect(config.pretrain == nil)
    }

    @Test func appliesDefaults() throws {
        let config = try RunConfig.parse(minimalSFT())
        #expect(config.kind == .sft)
        #expect(config.seed == 0)
        #expect(config.threads == nil)
        #expect(config.resolvedThreads == ProcessInfo.processInfo.activeProcessorCount)
        #expect(config.model.weights == .f32)
        #expect(config.data == RunConfig.DataSection(train: "d.jsonl"))
        #expect(config.data.maxLength == 512 && config.data.shuffle && !config.data.packing)
        #expect(config.lora == RunConfig.LoRA())
        #expect(config.lora?.rank == 16 && config.lora?.alpha == 32)
        #expect(config.optimizer == RunConfig.Optimizer())
        #expect(config.optimizer.beta1 == 0.9 && config.optimizer.beta2 == 0.999 && config.optimizer.weightDecay == 0)
        #expect(config.optimizer.gradClip == 1)
        #expect(config.training.batchSize == 8 && config.training.gradAccum == 1)
        #expect(config.eval == RunConfig.Eval())
        #expect(config.checkpoint == RunConfig.Checkpoint())
    }

    @Test func integersAreAcceptedWhereFloatsAreExpected() throws {
        let config = try RunConfig.parse(minimalSFT("[lora]\nalpha = 32\n[optimizer]\nlr = 1\n"))
        #expect(config.lora?.alpha == 32)
        #expect(config.optimizer.lr == 1)
    }

    @Test func parsesThePretrainExample() throws {
        let config = try RunConfig.parse(examplePretrain)
        #expect(config.kind == .pretrain)
        #expect(config.lora == nil)
        #expect(config.model.base == nil)
        let p = try #require(config.pretrain)
        #expect(p.vocabSize == 4096 && p.numExperts == 8 && p.mlpOnlyLayers == [0] && p.normTopkProb)
        #expect(p.tokenizer == "tokenizers/lathe-bpe-4096/tokenizer.json")
    }

    static let exampleRL = """
        name = "rl-rm"
        kind = "rl"
        [model]
        base = "models/lathe-base"
        [training]
        steps = 10
        [rl]
        env = "qa"
        dataset = "datasets/qa.jsonl"
        kl_coef = 0.05
        kl_in = "loss"
        eval_k = 8
        [rl.reward_model]
        rank = 4
        pairs = "datasets/prefs.jsonl"
        initial_steps = 20
        weight = 0.5
        """

    @Test func rlSectionsParseWithTheRewardModel() throws {
        let c = try RunConfig.parse(Self.exampleRL)
        let rl = try #require(c.rl)
        #expect(rl.env == "qa" && rl.dataset == "datasets/qa.jsonl" && rl.klIn == .loss && rl.evalK == 8)
        let rm = try #require(rl.rewardModel)
        #expect(rm.rank == 4 && rm.pairs == "datasets/prefs.jsonl" && rm.initialSteps == 20 && rm.weight == 0.5 && rm.fromFeedback)
    }

    @Test func pretrainArchitectureDefaultsToTheDocumentedExample() throws {
        let config = try RunConfig.parse("""
            name = "p"
            kind = "pretrain"
            [data]
            train = "c.jsonl"
            [training]
            steps = 1
            [pretrain]
            tokenizer = "t.json"
            """)
        var expected = RunConfig.Pretrain(tokenizer: "t.json")
        expected.routerAuxLossCoef = 0.01
        #expect(config.pretrain == expected)
        #expect(config.pretrain?.hiddenSize == 256 && config.pretrain?.headDim == 32)
    }

    @Test(arguments: [
        ConfigText("full sft example", exampleSFT), ConfigText("pretrain example", examplePretrain),
        ConfigText("minimal sft", minimalSFT()), ConfigText("rl with a reward model", exampleRL),
    ])
    func toTOMLRoundTrips(_ example: ConfigText) throws {
        let config = try RunConfig.parse(example.text)
        let canonical = config.toTOML()
        let again = try RunConfig.parse(canonical, source: "canonical.toml")
        #expect(again == config)
        #expect(again.toTOML() == canonical)
    }

    @Test func roundTripsAwkwardStringsAndFloats() throws {
        var config = try RunConfig.parse(minimalSFT())
        config.name = "quotes \" backslash \\ tab \t bell \u{07} é ✓"
        config.eval.prompts = ["line1\nline2", ""]
        config.optimizer.lr = 3.0000000000000004e-05
        config.optimizer.eps = 1e-300
        config.lora?.rankPattern = ["model.layers.3.mlp.experts.0.gate_proj": 4, "weird key": 2]
        config.lora?.alphaPattern = ["o_proj": 0.5]
        let again = try RunConfig.parse(config.toTOML())
        #expect(again == config)
    }

    @Test func hashIgnoresCommentsAndLayoutButNotValues() throws {
        let config = try RunConfig.parse(exampleSFT)
        let canonical = try RunConfig.parse(config.toTOML())
        #expect(config.hash == canonical.hash)
        #expect(config.hash == SHA256.hexDigest(config.toTOML()))
        #expect(config.hash.count == 64)
        var changed = config
        changed.optimizer.lr = 2e-4
        #expect(changed.hash != config.hash)
    }

    @Test func jsonUsesTheTOMLKeyNames() throws {
        let config = try RunConfig.parse(exampleSFT)
        let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(json.contains("\"max_length\":256"))
        #expect(json.contains("\"warmup_cosine\""))
        let decoded = try JSONDecoder().decode(RunConfig.self, from: Data(json.utf8))
        #expect(decoded == config)
    }

    @Test func loadNamesTheFileInErrors() throws {
        let folder = TemporaryFolder("config")
        defer { folder.remove() }
        let url = folder.url.appendingPathComponent("bad.toml")
        try minimalSFT("[lora]\nrank = 0\n").write(to: url, atomically: true, encoding: .utf8)
        #expect(throws: StoreError.self) { try RunConfig.load(url) }
        do {
            _ = try RunConfig.load(url)
        } catch {
            #expect("\(error)" == "\(url.path): lora.rank: must be >= 1 (got 0)")
        }
        let good = folder.url.appendingPathComponent("good.toml")
        try exampleSFT.write(to: good, atomically: true, encoding: .utf8)
        #expect(try RunConfig.load(good).name == "sft-example")

        let missing = folder.url.appendingPathComponent("missing.toml")
        let error = #expect(throws: StoreError.self) { try RunConfig.load(missing) }
        #expect(error?.kind == .notFound)
        #expect(error?.description.hasPrefix(missing.path + ": ") == true)

        let binary = folder.url.appendingPathComponent("binary.toml")
        try Data([0x6e, 0x3d, 0xff, 0xfe]).write(to: binary)
        #expect(throws: StoreError.self) { try RunConfig.load(binary) }
    }

    @Test func validateReportsEveryProblemOfAConfigBuiltInCode() throws {
        var config = try RunConfig.parse(minimalSFT())
        config.lora?.rank = 0
        config.optimizer.lr = -1
        config.training.steps = 0
        let problems = config.problems(source: "built")
        #expect(problems.map(\.description) == [
            "built: lora.rank: must be >= 1 (got 0)",
            "built: optimizer.lr: must be > 0 (got -1.0)",
            "built: training.steps: must be >= 1 (got 0)",
        ])
        #expect(throws: StoreError.self) { try config.validate() }
    }
}

/// Each bad input gives one line naming the file and the field or line.
@Suite struct RunConfigErrorTests {
    static let cases: [BadConfig] = table.map { BadConfig(text: $0.0, expected: $0.1) }

    private static let table: [(String, String)] = [
        // The examples of the brief, verbatim.
        (minimalSFT("[lora]\nrank = 0\n"), "config.toml: lora.rank: must be >= 1 (got 0)"),
        (minimalSFT("[optimizer]\nlr = -0.001\n"), "config.toml: optimizer.lr: must be > 0 (got -0.001)"),
        (minimalSFT("[lora]\ntargets = [\"q\", \"k\", \"qq\"]\n"),
         "config.toml: lora.targets[2]: unknown target \"qq\" (expected q, k, v, o, mlp, lm_head)"),
        (minimalSFT("[optimizer]\nlearnig_rate = 0.1\n"), "config.toml: optimizer.learnig_rate: unknown key"),
        (minimalSFT(training: "[training]\nsteps = \"200\"\n"),
         "config.toml: training.steps: expected an integer, got a string"),
        // Unknown keys, with a hint when one is close.
        (minimalSFT(training: "[training]\nsteps = 1\nbatchsize = 4\n"),
         "config.toml: training.batchsize: unknown key (did you mean \"batch_size\"?)"),
        (minimalSFT("[optimiser]\nlr = 0.1\n"), "config.toml: optimiser: unknown key (did you mean \"optimizer\"?)"),
        ("lr = 0.1\n" + minimalSFT(), "config.toml: lr: unknown key"),
        (minimalSFT("[vision]\nshots = 8\n"),
         "config.toml: vision.shots: the [vision] section is reserved for its issue; leave it empty"),
        (minimalSFT("[rl]\ngroup_size = 8\n"), "config.toml: rl: only for kind \"rl\" (this config is kind \"sft\")"),
        // Wrong types.
        (minimalSFT("[lora]\nrank = 16.0\n"), "config.toml: lora.rank: expected an integer, got a float"),
        (minimalSFT("[lora]\nalpha = \"32\"\n"), "config.toml: lora.alpha: expected a number, got a string"),
        (minimalSFT("[lora]\nrslora = 1\n"), "config.toml: lora.rslora: expected a boolean, got an integer"),
        (minimalSFT("[lora]\ntargets = \"q\"\n"), "config.toml: lora.targets: expected an array, got a string"),
        (minimalSFT("[lora]\ntargets = [\"q\", 2]\n"), "config.toml: lora.targets[1]: expected a string, got an integer"),
        (minimalSFT("[eval]\nprompts = [1979-05-27]\n"), "config.toml: eval.prompts[0]: expected a string, got a date"),
        (minimalSFT("[lora]\nrank_pattern = { q_proj = \"8\" }\n"),
         "config.toml: lora.rank_pattern.q_proj: expected an integer, got a string"),
        (minimalSFT("[lora]\nrank_pattern = { model.layers.0.q_proj = 8 }\n"),
         "config.toml: lora.rank_pattern.model: expected an integer, got a table (quote module paths: \"a.b.c\" = …)"),
        (minimalSFT("[lora]\nrank_pattern = 8\n"), "config.toml: lora.rank_pattern: expected an inline table, got an integer"),
        ("name = 1979-05-27T07:32:00Z\n[model]\nbase = \"b\"\n[data]\ntrain = \"d\"\n[training]\nsteps = 1\n",
         "config.toml: name: expected a string, got a date-time"),
        ("model = \"x\"\n" + minimalSFT().replacingOccurrences(of: "[model]\nbase = \"models/base\"\n", with: ""),
         "config.toml: model: expected a table, got a string"),
        // Missing required keys and sections.
        ("[model]\nbase = \"b\"\n[data]\ntrain = \"d\"\n[training]\nsteps = 1\n", "config.toml: name: missing required key"),
        ("name = \"t\"\n[model]\nbase = \"b\"\n[training]\nsteps = 1\n", "config.toml: data.train: missing required key"),
        ("name = \"t\"\n[model]\nbase = \"b\"\n[data]\neval = \"e\"\n[training]\nsteps = 1\n",
         "config.toml: data.train: missing required key"),
        ("name = \"t\"\n[model]\nbase = \"b\"\n[data]\ntrain = \"d\"\n", "config.toml: training.steps: missing required key"),
        ("name = \"t\"\n[data]\ntrain = \"d\"\n[training]\nsteps = 1\n",
         "config.toml: model.base: missing required key (kind \"sft\" fine-tunes a base model)"),
        // Kinds and the sections they allow.
        ("kind = \"pretrain\"\nname = \"p\"\n[data]\ntrain = \"d\"\n[training]\nsteps = 1\n",
         "config.toml: pretrain: missing required section for kind \"pretrain\""),
        (examplePretrain + "\n[lora]\nrank = 8\n", "config.toml: lora: not used by kind \"pretrain\" (LoRA is for kind \"sft\")"),
        (examplePretrain + "\n[model]\nbase = \"models/x\"\n",
         "config.toml: model.base: not used by kind \"pretrain\" (the [pretrain] section describes the model to build)"),
        (minimalSFT("[pretrain]\ntokenizer = \"t.json\"\n"),
         "config.toml: pretrain: only for kind \"pretrain\" (this config is kind \"sft\")"),
        (examplePretrain.replacingOccurrences(of: "tokenizer = \"tokenizers/lathe-bpe-4096/tokenizer.json\"\n", with: ""),
         "config.toml: pretrain.tokenizer: missing required key"),
        ("kind = \"vision\"\n" + minimalSFT(), "config.toml: kind: kind \"vision\" arrives with its issue"),
        ("kind = \"rl\"\n" + minimalSFT("[rl]\nloss = \"dpo\"\n"), "config.toml: rl.loss: unknown loss \"dpo\" (expected importance_sampling, ppo, cispo)"),
        ("kind = \"rl\"\n" + minimalSFT("[rl]\ngroup_size = 1\n"), "config.toml: rl.group_size: must be >= 2 (got 1)"),
        ("kind = \"dpo\"\n" + minimalSFT(), "config.toml: kind: unknown kind \"dpo\" (expected sft, rl or pretrain)"),
        ("kind = \"rl\"\n" + minimalSFT("[rl]\nenv = \"qa\"\n"),
         "config.toml: rl.dataset: missing required key (env \"qa\" reads its prompts from a dataset)"),
        ("kind = \"rl\"\n" + minimalSFT("[rl]\nenv = \"prompts\"\ndataset = \"p.jsonl\"\n"),
         "config.toml: rl.reward_model: missing required section (env \"prompts\" has no reward but the reward model's)"),
        ("kind = \"rl\"\n" + minimalSFT("[rl]\nkl_in = \"advantage\"\n"),
         "config.toml: rl.kl_in: unknown value \"advantage\" (expected reward, loss)"),
        ("kind = \"rl\"\n" + minimalSFT("[rl]\neval_k = 0\n"), "config.toml: rl.eval_k: must be >= 1 (got 0)"),
        ("kind = \"rl\"\n" + minimalSFT("[rl.reward_model]\nranks = 8\n"),
         "config.toml: rl.reward_model.ranks: unknown key (did you mean \"rank\"?)"),
        ("kind = \"rl\"\n" + minimalSFT("[rl.reward_model]\ninitial_steps = 5\n"),
         "config.toml: rl.reward_model.initial_steps: needs rl.reward_model.pairs (what to train on before the first step)"),
        ("kind = \"rl\"\n" + minimalSFT("[rl.reward_model]\nhold_out_every = 1\n"),
         "config.toml: rl.reward_model.hold_out_every: must be >= 2 (got 1)"),
        // Values out of range.
        (minimalSFT("[lora]\ndropout = 0.1\n"), "config.toml: lora.dropout: only 0 is supported so far (got 0.1)"),
        (minimalSFT("[lora]\nalpha = 0\n"), "config.toml: lora.alpha: must be > 0 (got 0.0)"),
        (minimalSFT("[lora]\ntargets = []\n"), "config.toml: lora.targets: must name at least one target"),
        (minimalSFT("[lora]\ntargets = [\"q\", \"v\", \"q\"]\n"), "config.toml: lora.targets[2]: duplicate target \"q\""),
        (minimalSFT("[lora]\nrank_pattern = { q_proj = 0 }\n"), "config.toml: lora.rank_pattern.q_proj: must be >= 1 (got 0)"),
        (minimalSFT("[lora]\nalpha_pattern = { \"model.layers.0.q_proj\" = -1 }\n"),
         "config.toml: lora.alpha_pattern.\"model.layers.0.q_proj\": must be > 0 (got -1.0)"),
        ("name = \"t\"\n[model]\nbase = \"b\"\nweights = \"fp16\"\n[data]\ntrain = \"d\"\n[training]\nsteps = 1\n",
         "config.toml: model.weights: unknown value \"fp16\" (expected f32, bf16)"),
        (minimalSFT("[optimizer]\nschedule = \"cosine\"\n"),
         "config.toml: optimizer.schedule: unknown value \"cosine\" (expected constant, warmup_linear, warmup_cosine)"),
        (minimalSFT("[optimizer]\nbeta1 = 1.0\n"), "config.toml: optimizer.beta1: must be < 1 (got 1.0)"),
        (minimalSFT("[optimizer]\nbeta2 = -0.5\n"), "config.toml: optimizer.beta2: must be >= 0 (got -0.5)"),
        (minimalSFT("[optimizer]\neps = 0\n"), "config.toml: optimizer.eps: must be > 0 (got 0.0)"),
        (minimalSFT("[optimizer]\nlr = nan\n"), "config.toml: optimizer.lr: must be a finite number (got nan)"),
        (minimalSFT("[optimizer]\nweight_decay = -0.1\n"), "config.toml: optimizer.weight_decay: must be >= 0 (got -0.1)"),
        (minimalSFT("[optimizer]\ngrad_clip = inf\n"), "config.toml: optimizer.grad_clip: must be a finite number (got inf)"),
        (minimalSFT("[optimizer]\nmin_lr_ratio = 1.5\n"), "config.toml: optimizer.min_lr_ratio: must be <= 1 (got 1.5)"),
        (minimalSFT("[optimizer]\nwarmup_steps = 11\n"), "config.toml: optimizer.warmup_steps: must be <= training.steps (10) (got 11)"),
        (minimalSFT(training: "[training]\nsteps = 0\n"), "config.toml: training.steps: must be >= 1 (got 0)"),
        (minimalSFT(training: "[training]\nsteps = 5\nbatch_size = 0\n"), "config.toml: training.batch_size: must be >= 1 (got 0)"),
        (minimalSFT(training: "[training]\nsteps = 5\ngrad_accum = -2\n"), "config.toml: training.grad_accum: must be >= 1 (got -2)"),
        (minimalSFT("[eval]\nmax_tokens = 0\n"), "config.toml: eval.max_tokens: must be >= 1 (got 0)"),
        (minimalSFT("[eval]\ntemperature = -1\n"), "config.toml: eval.temperature: must be >= 0 (got -1.0)"),
        (minimalSFT("[eval]\nevery = -1\n"), "config.toml: eval.every: must be >= 0 (got -1)"),
        (minimalSFT("[checkpoint]\nkeep = -1\n"), "config.toml: checkpoint.keep: must be >= 0 (got -1)"),
        (minimalSFT("[checkpoint]\nevery = -5\n"), "config.toml: checkpoint.every: must be >= 0 (got -5)"),
        ("threads = 0\n" + minimalSFT(), "config.toml: threads: must be >= 1 (got 0)"),
        ("seed = -1\n" + minimalSFT(), "config.toml: seed: must be >= 0 (got -1)"),
        (minimalSFT().replacingOccurrences(of: "name = \"t\"", with: "name = \"  \""), "config.toml: name: must not be empty"),
        (minimalSFT().replacingOccurrences(of: "train = \"d.jsonl\"", with: "train = \"d.jsonl\"\nmax_length = 0"),
         "config.toml: data.max_length: must be >= 1 (got 0)"),
        (minimalSFT().replacingOccurrences(of: "train = \"d.jsonl\"", with: "train = \"d.jsonl\"\neval_fraction = 1.0"),
         "config.toml: data.eval_fraction: must be < 1 (got 1.0)"),
        (minimalSFT().replacingOccurrences(of: "train = \"d.jsonl\"", with: "train = \"d\"\neval = \"e\"\neval_fraction = 0.1"),
         "config.toml: data.eval_fraction: must be 0 when data.eval is set (got 0.1)"),
        (examplePretrain.replacingOccurrences(of: "num_key_value_heads = 4", with: "num_key_value_heads = 3"),
         "config.toml: pretrain.num_key_value_heads: must divide num_attention_heads (8) (got 3)"),
        (examplePretrain.replacingOccurrences(of: "num_experts_per_tok = 2", with: "num_experts_per_tok = 9"),
         "config.toml: pretrain.num_experts_per_tok: must be <= num_experts (8) (got 9)"),
        (examplePretrain.replacingOccurrences(of: "mlp_only_layers = [0]", with: "mlp_only_layers = [0, 6]"),
         "config.toml: pretrain.mlp_only_layers[1]: must be a layer index in 0..<6 (got 6)"),
        (examplePretrain.replacingOccurrences(of: "max_position_embeddings = 1024", with: "max_position_embeddings = 128"),
         "config.toml: data.max_length: must be <= pretrain.max_position_embeddings (128) (got 256)"),
        (examplePretrain.replacingOccurrences(of: "head_dim = 32", with: "head_dim = 33"),
         "config.toml: pretrain.head_dim: must be even for RoPE (got 33)"),
        (examplePretrain.replacingOccurrences(of: "init_std = 0.02", with: "init_std = 0"),
         "config.toml: pretrain.init_std: must be > 0 (got 0.0)"),
        (examplePretrain.replacingOccurrences(of: "vocab_size = 4096", with: "vocab_size = 0"),
         "config.toml: pretrain.vocab_size: must be >= 1 (got 0)"),
        (examplePretrain.replacingOccurrences(of: "init_std = 0.02", with: "init_std = 0.02\nrope_scaling = 2"),
         "config.toml: pretrain.rope_scaling: unknown key"),
    ]

    @Test(arguments: cases)
    func rejectsWithOneLineNamingTheField(_ bad: BadConfig) {
        let message = parseError(bad.text)
        #expect(message == bad.expected)
        #expect(message?.contains("\n") == false)
    }

    @Test func syntaxErrorsNameTheLine() {
        let text = "name = \"t\"\nkind = \"sft\"\n\n[lora]\nrank = \n"
        let message = parseError(text)
        #expect(message?.hasPrefix("config.toml: line 5: ") == true)
        #expect(message?.contains("column") == true)
        #expect(message?.contains("\n") == false)

        #expect(parseError("name = \"t\"\nname = \"u\"\n")?.hasPrefix("config.toml: line 2: ") == true)
        #expect(parseError("name = \"unterminated\n")?.hasPrefix("config.toml: line 1: ") == true)
        #expect(parseError("[a]\nx = 1\n[a]\n")?.hasPrefix("config.toml: line 3: ") == true)
        #expect(parseError("a = 1\n\n\n   oops here\n")?.hasPrefix("config.toml: line 4: ") == true)
        #expect(parseError("n = 99999999999999999999\n")?.hasPrefix("config.toml: line 1: ") == true)
        #expect(parseError("name = \"a\u{0}b\"\n") == "config.toml: contains a NUL byte")
    }

    @Test func errorKindsAreMachineReadable() throws {
        func kind(_ text: String) -> StoreError.Kind? {
            do { _ = try RunConfig.parse(text); return nil } catch { return (error as? StoreError)?.kind }
        }
        #expect(kind("a = ") == .syntax)
        #expect(kind(minimalSFT("[optimizer]\nlearnig_rate = 1\n")) == .unknownKey)
        #expect(kind(minimalSFT(training: "[training]\nsteps = \"1\"\n")) == .wrongType)
        #expect(kind(minimalSFT(training: "[training]\n")) == .missingKey)
        #expect(kind(minimalSFT("[lora]\nrank = 0\n")) == .invalidValue)
    }
}

/// A config text shown in test output by its label rather than its whole text.
struct ConfigText: Sendable, CustomTestStringConvertible {
    let label: String
    let text: String
    init(_ label: String, _ text: String) {
        self.label = label
        self.text = text
    }
    var testDescription: String { label }
}

/// A bad config and the one-line error it must give; shown in test output by that error.
struct BadConfig: Sendable, CustomTestStringConvertible {
    let text: String
    let expected: String
    var testDescription: String { expected }
}
