import Foundation

/// A run config (TOML, human-edited): one schema with a section per concern, loaded by `RunConfig.load` /
/// `RunConfig.parse`, which reject unknown keys, wrong types and bad values before any compute. Defaults are the
/// ones documented beside each field. Codable uses the TOML key names, so JSON outputs read the same.
public struct RunConfig: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case sft, pretrain, rl
    }

    /// Run kinds whose sections exist but which arrive with their own issues.
    public static let reservedKinds = ["vision", "memory"]

    public var name: String
    public var kind: Kind = .sft
    public var seed: Int = 0
    /// nil: as many threads as the machine has cores (`resolvedThreads`); kept nil so the config and its hash do
    /// not depend on the machine.
    public var threads: Int?
    public var model = Model()
    public var data: DataSection
    /// Present for sft (defaults when the file has no `[lora]`), absent for pretrain.
    public var lora: LoRA?
    public var optimizer = Optimizer()
    public var training: Training
    public var eval = Eval()
    public var checkpoint = Checkpoint()
    /// Present exactly for kind = "pretrain".
    public var pretrain: Pretrain?
    /// Present exactly for kind = "rl" (defaults when the file has no `[rl]`).
    public var rl: RL?

    public init(name: String, kind: Kind = .sft, seed: Int = 0, threads: Int? = nil, model: Model = Model(),
                data: DataSection, lora: LoRA? = nil, optimizer: Optimizer = Optimizer(), training: Training,
                eval: Eval = Eval(), checkpoint: Checkpoint = Checkpoint(), pretrain: Pretrain? = nil) {
        self.name = name
        self.kind = kind
        self.seed = seed
        self.threads = threads
        self.model = model
        self.data = data
        self.lora = lora ?? (kind == .sft || kind == .rl ? LoRA() : nil)
        self.rl = kind == .rl ? RL() : nil
        self.optimizer = optimizer
        self.training = training
        self.eval = eval
        self.checkpoint = checkpoint
        self.pretrain = pretrain
    }

    public var resolvedThreads: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// On-policy LoRA RL: groups of samples per prompt from an environment with a verifiable reward, group-relative
    /// advantages, a policy-gradient loss, optional KL to the base (the same model with LoRA off).
    public struct RL: Codable, Equatable, Sendable {
        /// The environment (prompts and their reward): "arithmetic", "format", "qa" or "prompts" (reward from the
        /// reward model only).
        public var env = "arithmetic"
        /// Arithmetic operands have 1…digits digits.
        public var digits = 2
        /// qa: JSONL of {"question", "answer"[, "aliases"]}; prompts: chat JSONL or {"prompt"} lines; format:
        /// optional chat JSONL whose user turns replace the built-in questions.
        public var dataset: String?
        public var groupSize = 8
        public var promptsPerStep = 8
        /// "importance_sampling", "ppo" or "cispo".
        public var loss = "ppo"
        public var clipLow: Double = 0.8
        public var clipHigh: Double = 1.2
        /// GRPO: divide advantages by the group's standard deviation.
        public var normalizeAdvantages = false
        /// KL(policy ‖ base) per token, the base being the same model with LoRA off (0 = off).
        public var klCoef: Double = 0
        public var klEstimator: KLEstimatorName = .k3
        /// Where the KL penalty goes: subtracted from each token's advantage ("reward") or added to the loss ("loss").
        public var klIn: KLPlacement = .reward
        public var maxTokens = 48
        public var temperature: Double = 1
        /// Held-out prompts for the accuracy eval (at eval.every and at the end; 0 = none).
        public var evalPrompts = 200
        /// Samples per held-out prompt at temperature 1 for the unbiased pass@1 and pass@k (1 = greedy accuracy only).
        public var evalK = 1
        /// Present: a reward model (base + LoRA + scalar head) trained Bradley–Terry, adding weight × its score to
        /// every reward, fed by thumbs in the workspace while the run goes.
        public var rewardModel: RewardModelSection?

        public enum KLEstimatorName: String, Codable, CaseIterable, Sendable { case k1, k3 }
        public enum KLPlacement: String, Codable, CaseIterable, Sendable { case reward, loss }

        enum CodingKeys: String, CodingKey {
            case env, digits, dataset, loss, temperature
            case groupSize = "group_size"
            case promptsPerStep = "prompts_per_step"
            case clipLow = "clip_low"
            case clipHigh = "clip_high"
            case normalizeAdvantages = "normalize_advantages"
            case klCoef = "kl_coef"
            case klEstimator = "kl_estimator"
            case klIn = "kl_in"
            case maxTokens = "max_tokens"
            case evalPrompts = "eval_prompts"
            case evalK = "eval_k"
            case rewardModel = "reward_model"
        }

        public init() {}
        public static let environments = ["arithmetic", "format", "qa", "prompts"]
        public static let losses = ["importance_sampling", "ppo", "cispo"]
    }

    /// `[rl.reward_model]`: the reward model and how it learns.
    public struct RewardModelSection: Codable, Equatable, Sendable {
        public var rank = 8
        public var alpha: Double = 16
        public var lr: Double = 5e-4
        /// Reward = environment reward + weight × reward-model score (env "prompts": weight × score).
        public var weight: Double = 1
        /// Optional JSONL of {"prompt", "chosen", "rejected"} trained on before the first policy step.
        public var pairs: String?
        public var initialSteps = 0
        /// Thumbs up/down on the workspace's samples become preference pairs while the run goes.
        public var fromFeedback = true
        /// Bradley–Terry steps after new labels arrive, between two policy steps.
        public var stepsPerUpdate = 4
        public var batchPairs = 8
        /// Every n-th pair is held out for the pair-accuracy curve.
        public var holdOutEvery = 5

        enum CodingKeys: String, CodingKey {
            case rank, alpha, lr, weight, pairs
            case initialSteps = "initial_steps"
            case fromFeedback = "from_feedback"
            case stepsPerUpdate = "steps_per_update"
            case batchPairs = "batch_pairs"
            case holdOutEvery = "hold_out_every"
        }

        public init() {}
    }

    public enum WeightFormat: String, Codable, CaseIterable, Sendable {
        case f32, bf16
    }

    public struct Model: Codable, Equatable, Sendable {
        /// Base model folder, relative to the workspace or absolute; required for sft.
        public var base: String?
        public var weights: WeightFormat = .f32

        public init(base: String? = nil, weights: WeightFormat = .f32) {
            self.base = base
            self.weights = weights
        }
    }

    public struct DataSection: Codable, Equatable, Sendable {
        /// Chat JSONL, relative to the workspace or absolute.
        public var train: String
        public var eval: String?
        /// Tokens per example; longer examples are truncated.
        public var maxLength: Int = 512
        public var packing = false
        public var shuffle = true
        /// Hold out this fraction of `train` when `eval` is absent.
        public var evalFraction: Double = 0

        enum CodingKeys: String, CodingKey {
            case train, eval, packing, shuffle
            case maxLength = "max_length"
            case evalFraction = "eval_fraction"
        }

        public init(train: String, eval: String? = nil, maxLength: Int = 512, packing: Bool = false,
                    shuffle: Bool = true, evalFraction: Double = 0) {
            self.train = train
            self.eval = eval
            self.maxLength = maxLength
            self.packing = packing
            self.shuffle = shuffle
            self.evalFraction = evalFraction
        }
    }

    public enum LoRATarget: String, Codable, CaseIterable, Sendable {
        case q, k, v, o, mlp
        case lmHead = "lm_head"
    }

    public struct LoRA: Codable, Equatable, Sendable {
        public var rank = 16
        public var alpha: Double = 32
        public var targets: [LoRATarget] = [.q, .k, .v, .o, .mlp]
        public var rslora = false
        /// Only 0 is supported so far.
        public var dropout: Double = 0
        /// Per module type or module path (PEFT `rank_pattern`).
        public var rankPattern: [String: Int] = [:]
        /// Per module type or module path (PEFT `alpha_pattern`).
        public var alphaPattern: [String: Double] = [:]

        enum CodingKeys: String, CodingKey {
            case rank, alpha, targets, rslora, dropout
            case rankPattern = "rank_pattern"
            case alphaPattern = "alpha_pattern"
        }

        public init(rank: Int = 16, alpha: Double = 32, targets: [LoRATarget] = [.q, .k, .v, .o, .mlp],
                    rslora: Bool = false, dropout: Double = 0, rankPattern: [String: Int] = [:],
                    alphaPattern: [String: Double] = [:]) {
            self.rank = rank
            self.alpha = alpha
            self.targets = targets
            self.rslora = rslora
            self.dropout = dropout
            self.rankPattern = rankPattern
            self.alphaPattern = alphaPattern
        }
    }

    public enum Schedule: String, Codable, CaseIterable, Sendable {
        case constant
        case warmupLinear = "warmup_linear"
        case warmupCosine = "warmup_cosine"
    }

    /// AdamW; defaults are PyTorch's (design contract 5).
    public struct Optimizer: Codable, Equatable, Sendable {
        public var lr: Double = 1e-4
        public var beta1: Double = 0.9
        public var beta2: Double = 0.999
        public var eps: Double = 1e-8
        public var weightDecay: Double = 0
        /// Global gradient-norm clip; 0 turns it off.
        public var gradClip: Double = 1
        public var schedule: Schedule = .warmupCosine
        public var warmupSteps = 0
        /// Cosine decays to lr × this.
        public var minLRRatio: Double = 0

        enum CodingKeys: String, CodingKey {
            case lr, beta1, beta2, eps, schedule
            case weightDecay = "weight_decay"
            case gradClip = "grad_clip"
            case warmupSteps = "warmup_steps"
            case minLRRatio = "min_lr_ratio"
        }

        public init(lr: Double = 1e-4, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8,
                    weightDecay: Double = 0, gradClip: Double = 1, schedule: Schedule = .warmupCosine,
                    warmupSteps: Int = 0, minLRRatio: Double = 0) {
            self.lr = lr
            self.beta1 = beta1
            self.beta2 = beta2
            self.eps = eps
            self.weightDecay = weightDecay
            self.gradClip = gradClip
            self.schedule = schedule
            self.warmupSteps = warmupSteps
            self.minLRRatio = minLRRatio
        }
    }

    public struct Training: Codable, Equatable, Sendable {
        /// Optimizer steps; required.
        public var steps: Int
        /// Examples per micro-batch.
        public var batchSize = 8
        /// Micro-batches per optimizer step.
        public var gradAccum = 1

        enum CodingKeys: String, CodingKey {
            case steps
            case batchSize = "batch_size"
            case gradAccum = "grad_accum"
        }

        public init(steps: Int, batchSize: Int = 8, gradAccum: Int = 1) {
            self.steps = steps
            self.batchSize = batchSize
            self.gradAccum = gradAccum
        }
    }

    public struct Eval: Codable, Equatable, Sendable {
        /// Steps between evals; 0 = only at the end.
        public var every = 0
        /// Sampled at every eval.
        public var prompts: [String] = []
        public var maxTokens = 64
        public var temperature: Double = 0

        enum CodingKeys: String, CodingKey {
            case every, prompts, temperature
            case maxTokens = "max_tokens"
        }

        public init(every: Int = 0, prompts: [String] = [], maxTokens: Int = 64, temperature: Double = 0) {
            self.every = every
            self.prompts = prompts
            self.maxTokens = maxTokens
            self.temperature = temperature
        }
    }

    public struct Checkpoint: Codable, Equatable, Sendable {
        /// Steps between scheduled checkpoints; 0 = only at the end.
        public var every = 0
        /// Scheduled checkpoints kept; 0 = keep all.
        public var keep = 0

        public init(every: Int = 0, keep: Int = 0) {
            self.every = every
            self.keep = keep
        }
    }

    /// The architecture a pretraining run builds: Qwen3-MoE `config.json` fields, plus the tokenizer and init.
    public struct Pretrain: Codable, Equatable, Sendable {
        public var vocabSize = 4096
        public var hiddenSize = 256
        public var numHiddenLayers = 6
        public var numAttentionHeads = 8
        public var numKeyValueHeads = 4
        public var headDim = 32
        public var numExperts = 8
        public var numExpertsPerTok = 2
        public var moeIntermediateSize = 256
        /// Width of the dense MLP in `mlpOnlyLayers`.
        public var intermediateSize = 512
        public var mlpOnlyLayers: [Int] = []
        public var normTopkProb = true
        public var ropeTheta: Double = 10000
        public var maxPositionEmbeddings = 1024
        public var tieWordEmbeddings = false
        public var routerAuxLossCoef: Double = 0.01
        /// tokenizer.json, relative to the workspace or absolute; required.
        public var tokenizer: String
        public var initStd: Double = 0.02

        enum CodingKeys: String, CodingKey {
            case tokenizer
            case vocabSize = "vocab_size"
            case hiddenSize = "hidden_size"
            case numHiddenLayers = "num_hidden_layers"
            case numAttentionHeads = "num_attention_heads"
            case numKeyValueHeads = "num_key_value_heads"
            case headDim = "head_dim"
            case numExperts = "num_experts"
            case numExpertsPerTok = "num_experts_per_tok"
            case moeIntermediateSize = "moe_intermediate_size"
            case intermediateSize = "intermediate_size"
            case mlpOnlyLayers = "mlp_only_layers"
            case normTopkProb = "norm_topk_prob"
            case ropeTheta = "rope_theta"
            case maxPositionEmbeddings = "max_position_embeddings"
            case tieWordEmbeddings = "tie_word_embeddings"
            case routerAuxLossCoef = "router_aux_loss_coef"
            case initStd = "init_std"
        }

        public init(tokenizer: String) {
            self.tokenizer = tokenizer
        }
    }
}
