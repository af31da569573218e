#!/usr/bin/env python3
"""Generate tiny random-weight Qwen3-MoE checkpoints + reference outputs for Lathe's parity tests.

The Swift engine is tested against these files in CI without torch.  Everything here is produced by the
REAL Hugging Face `transformers` implementation (Qwen3MoeForCausalLM); nothing is re-implemented for the
reference values.  (A small independent float64 re-implementation is run as a *cross-check* only; it never
feeds expected.json.)

Regenerate (from the repository root, /work/main):

    /tmp/hf-live/venv/bin/python Tests/Fixtures/generate_model_fixtures.py

Options: `--out DIR` writes somewhere else (e.g. a temp dir, to diff against the committed fixtures);
`--allow-version-mismatch` runs with other library versions (the output records the versions used).

Pinned versions (printed from the venv that produced the committed fixtures):

    python        3.11.7
    torch         2.15.0+cu132   (CPU only; torch.set_num_threads(1))
    transformers  5.23.0
    safetensors   0.8.0
    numpy         2.4.6

Outputs, one directory per model under Tests/Fixtures/models/<name>/ (see models/README.md):

    moe-a        float32, written by save_pretrained (Hub per-expert key layout)
    moe-b        float32, tied embeddings, decoder_sparse_step=2, norm_topk_prob=false
    moe-a-bf16   moe-a architecture, other seed, bfloat16 on disk
    moe-a-fused  moe-a's exact weights in transformers' fused in-memory expert layout, sharded in 2 files
    moe-a-f16    moe-a's weights rounded to float16 on disk

Each directory has config.json, safetensors weights and expected.json:

    {"model", "dtype_on_disk", "compute": "float64", "transformers", "torch",
     "sequences": [{"ids", "logprobs", "final_logits"}, ...],          # lengths 1, 2, 5, 17, 41, 64
     "internals": {"sequence": 3, "hidden_states", "router_logits", "attention_probs_layer0"}}

    logprobs[i]     = log_softmax(logits[i])[ids[i+1]]  (T-1 values; [] for T = 1)
    final_logits    = raw logits at the last position (vocab_size values)
    hidden_states   = output_hidden_states: num_hidden_layers + 1 entries, each flat row-major [T*H];
                      [0] = embedding lookup (input of layer 0), [i] = output of layer i-1 (residual stream),
                      [-1] = output of the last layer AFTER the final RMSNorm (transformers replaces the raw
                      last-layer output by last_hidden_state)
    router_logits   = output_router_logits: one entry per SPARSE layer, in layer order, flat [T*E],
                      PRE-softmax (F.linear(h, gate.weight) after post_attention_layernorm)
    attention_probs_layer0 = output_attentions[0]: post-softmax probabilities, flat [heads*T*T]

Weights: Qwen3MoeForCausalLM(config) after torch.manual_seed(seed), then every parameter redrawn in
named_modules order from the global torch RNG: matrices N(0, 0.1^2), router N(0, 0.5^2), every RMSNorm
weight 1 + N(0, 0.1^2).  Token ids: numpy default_rng(ids_seed), uniform in [0, vocab); a candidate sequence
is redrawn while any token's top-k expert choice is a near tie (router-logit gap between the k-th and
(k+1)-th expert < MIN_ROUTER_GAP) so float32 engines cannot legitimately route differently.

Reference values come from `Qwen3MoeForCausalLM.from_pretrained(dir, dtype=float64,
attn_implementation="eager", experts_implementation="eager")`, i.e. the weights exactly as stored on disk,
widened losslessly to float64.  NOTE: transformers' "float64" forward is not float64 everywhere: RMSNorm
normalises in float32, the router softmax and the eager attention softmax run in float32, and RoPE cos/sin
are computed in float32.  A run prints the gap to a pure float64 forward (about 1e-6 on logits).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import shutil
import sys

import numpy as np
import safetensors
import safetensors.torch
import torch
import transformers
from transformers import Qwen3MoeConfig, Qwen3MoeForCausalLM
from transformers.models.qwen3_moe.modeling_qwen3_moe import Qwen3MoeRMSNorm, Qwen3MoeTopKRouter
from fixture_common import check_versions, sparse_layers

PINNED = {"torch": "2.15.0+cu132", "transformers": "5.23.0", "safetensors": "0.8.0", "numpy": "2.4.6"}

SEQ_LENGTHS = [1, 2, 5, 17, 41, 64]
INTERNALS_SEQUENCE = 3  # the length-17 sequence

ARCH_A = dict(
    vocab_size=256,
    hidden_size=64,
    num_hidden_layers=3,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=24,  # deliberately != hidden_size / num_attention_heads (= 16)
    num_experts=8,
    num_experts_per_tok=2,
    moe_intermediate_size=32,
    intermediate_size=96,
    mlp_only_layers=[1],  # layer 1 is a dense SiLU-gated MLP
    decoder_sparse_step=1,
    norm_topk_prob=True,
    tie_word_embeddings=False,
    rope_theta=10000.0,
    rms_norm_eps=1e-6,
    max_position_embeddings=512,
    attention_bias=False,
)

ARCH_B = dict(
    vocab_size=300,
    hidden_size=48,
    num_hidden_layers=4,
    num_attention_heads=6,
    num_key_value_heads=2,
    head_dim=8,
    num_experts=6,
    num_experts_per_tok=3,
    moe_intermediate_size=24,
    intermediate_size=64,
    mlp_only_layers=[],
    decoder_sparse_step=2,  # sparse iff (layer_idx + 1) % 2 == 0  -> layers 1 and 3
    norm_topk_prob=False,
    tie_word_embeddings=True,
    rope_theta=1000000.0,
    rms_norm_eps=1e-6,
    max_position_embeddings=512,
    attention_bias=False,
)

# weight_seed: torch.manual_seed for the weights; ids_seed: numpy default_rng seed for the token ids.
MODEL_A = dict(name="moe-a", arch=ARCH_A, weight_seed=1, ids_seed=101)
MODEL_B = dict(name="moe-b", arch=ARCH_B, weight_seed=2, ids_seed=102)
MODEL_A_BF16 = dict(name="moe-a-bf16", arch=ARCH_A, weight_seed=3, ids_seed=103)
MODEL_A_FUSED = "moe-a-fused"
MODEL_A_F16 = "moe-a-f16"  # moe-a's weights and moe-a's ids

DTYPE_NAMES = {torch.float32: "float32", torch.bfloat16: "bfloat16", torch.float16: "float16"}

STD_MATRIX = 0.1
STD_ROUTER = 0.5
STD_NORM = 0.1

# Sequences whose top-k routing is a near tie (logit gap below this, in any model using them) are redrawn.
MIN_ROUTER_GAP = 1e-2


# ----------------------------------------------------------------------------------------------------------
# construction


def make_config(arch: dict) -> Qwen3MoeConfig:
    cfg = Qwen3MoeConfig(**arch, dtype="float32")
    # transformers 5.x stores the theta inside rope_parameters and the expert count as num_local_experts;
    # make sure the kwargs landed where we think they did.
    assert cfg.rope_parameters["rope_theta"] == arch["rope_theta"], cfg.rope_parameters
    assert cfg.rope_parameters["rope_type"] == "default", cfg.rope_parameters
    assert cfg.num_experts == arch["num_experts"]
    assert cfg.head_dim == arch["head_dim"]
    assert list(cfg.mlp_only_layers) == arch["mlp_only_layers"]
    return cfg


def build_model(arch: dict, seed: int) -> Qwen3MoeForCausalLM:
    """Qwen3MoeForCausalLM(config) with random init, then every weight re-drawn (deterministically)."""
    torch.manual_seed(seed)
    model = Qwen3MoeForCausalLM(make_config(arch))
    model.eval()
    seen = set()
    counts = {"matrix": 0, "router": 0, "norm": 0}
    with torch.no_grad():
        for mod_name, module in model.named_modules():
            for p_name, p in module.named_parameters(recurse=False):
                if id(p) in seen:  # tied lm_head <-> embed_tokens: draw once
                    continue
                seen.add(id(p))
                full = f"{mod_name}.{p_name}"
                if isinstance(module, Qwen3MoeRMSNorm):
                    # input/post_attention layernorms, q_norm, k_norm and the final norm
                    p.copy_(1.0 + STD_NORM * torch.randn(p.shape, dtype=torch.float32))
                    counts["norm"] += 1
                elif isinstance(module, Qwen3MoeTopKRouter):
                    p.copy_(STD_ROUTER * torch.randn(p.shape, dtype=torch.float32))
                    counts["router"] += 1
                else:
                    assert p.dim() >= 2, f"unexpected non-matrix parameter {full} {tuple(p.shape)}"
                    p.copy_(STD_MATRIX * torch.randn(p.shape, dtype=torch.float32))
                    counts["matrix"] += 1
    if model.config.tie_word_embeddings:
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr(), "lm_head not tied"
    else:
        assert model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr()
    return model




def check_structure(model) -> None:
    from transformers.models.qwen3_moe.modeling_qwen3_moe import Qwen3MoeSparseMoeBlock

    actual = [i for i, layer in enumerate(model.model.layers) if isinstance(layer.mlp, Qwen3MoeSparseMoeBlock)]
    assert actual == sparse_layers(model.config), (actual, sparse_layers(model.config))


@torch.no_grad()
def min_router_gap(model, ids: list[int]) -> float:
    """Smallest gap, over tokens and sparse layers, between the k-th and (k+1)-th largest router logit."""
    k, E = model.config.num_experts_per_tok, model.config.num_experts
    if k >= E:
        return math.inf
    res = model(input_ids=torch.tensor([ids], dtype=torch.long), use_cache=False, output_router_logits=True)
    gaps = [torch.sort(r, -1, descending=True).values for r in res.router_logits]
    return min(float((g[:, k - 1] - g[:, k]).min()) for g in gaps)


def make_ids(seed: int, vocab: int, models) -> tuple[list[list[int]], list[int]]:
    """Token ids, uniform in [0, vocab), drawn from numpy default_rng(seed), one sequence per SEQ_LENGTHS.

    A candidate sequence is rejected (and the next one drawn from the same stream) if, in any of `models`,
    some token's top-k expert choice is a near tie (router-logit gap between k-th and (k+1)-th expert below
    MIN_ROUTER_GAP): a float32 engine could legitimately pick the other expert there and diverge.
    """
    rng = np.random.default_rng(seed)
    seqs, draws = [], []
    for n in SEQ_LENGTHS:
        for attempt in range(1, 1000):
            ids = [int(t) for t in rng.integers(0, vocab, size=n)]
            if all(min_router_gap(m, ids) >= MIN_ROUTER_GAP for m in models):
                break
        else:
            raise RuntimeError(f"no sequence of length {n} with a clear routing margin")
        seqs.append(ids)
        draws.append(attempt)
    return seqs, draws


# ----------------------------------------------------------------------------------------------------------
# writing


def save_with_transformers(model, out_dir: str, dtype: torch.dtype) -> None:
    m = model if dtype == torch.float32 else _cast_copy(model, dtype)
    m.save_pretrained(out_dir, safe_serialization=True)
    written = json.load(open(os.path.join(out_dir, "config.json")))
    assert written["dtype"] == DTYPE_NAMES[dtype], written.get("dtype")


def _cast_copy(model, dtype):
    return copy.deepcopy(model).to(dtype)


def write_fused_sharded(src_dir: str, out_dir: str, model_in_memory) -> dict:
    """Re-write src_dir's per-expert checkpoint in transformers' fused in-memory expert layout, 2 shards."""
    cfg = model_in_memory.config
    src = safetensors.torch.load_file(os.path.join(src_dir, "model.safetensors"))
    E, I = cfg.num_experts, cfg.moe_intermediate_size
    fused: dict[str, torch.Tensor] = {}
    consumed = set()
    for layer in sparse_layers(cfg):
        p = f"model.layers.{layer}.mlp.experts"
        gate = [src[f"{p}.{e}.gate_proj.weight"] for e in range(E)]  # (I, H) each
        up = [src[f"{p}.{e}.up_proj.weight"] for e in range(E)]  # (I, H)
        down = [src[f"{p}.{e}.down_proj.weight"] for e in range(E)]  # (H, I)
        gate_up = torch.stack([torch.cat([g, u], dim=0) for g, u in zip(gate, up)])  # (E, 2I, H)
        assert gate_up.shape == (E, 2 * I, cfg.hidden_size)
        fused[f"{p}.gate_up_proj"] = gate_up.contiguous()
        fused[f"{p}.down_proj"] = torch.stack(down).contiguous()  # (E, H, I)
        for e in range(E):
            consumed |= {f"{p}.{e}.gate_proj.weight", f"{p}.{e}.up_proj.weight", f"{p}.{e}.down_proj.weight"}
    for k, v in src.items():
        if k not in consumed:
            fused[k] = v.contiguous()

    # Must be exactly the names/shapes/values transformers holds in memory.
    sd = model_in_memory.state_dict()
    if cfg.tie_word_embeddings:
        sd.pop("lm_head.weight")
    assert set(sd) == set(fused), (sorted(set(sd) ^ set(fused)))
    for k in sd:
        assert sd[k].shape == fused[k].shape and torch.equal(sd[k], fused[k]), k

    # Shard: sorted keys, greedily fill shard 1 up to half of the total bytes (layers straddle shards).
    keys = sorted(fused)
    total = sum(fused[k].numel() * fused[k].element_size() for k in keys)
    shard1, acc = [], 0
    for k in keys:
        if acc >= total // 2:
            break
        shard1.append(k)
        acc += fused[k].numel() * fused[k].element_size()
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    weight_map = {k: names[0] if k in shard1 else names[1] for k in keys}
    os.makedirs(out_dir, exist_ok=True)
    for fname in names:
        part = {k: fused[k] for k in keys if weight_map[k] == fname}
        safetensors.torch.save_file(part, os.path.join(out_dir, fname), metadata={"format": "pt"})
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
        f.write("\n")
    shutil.copyfile(os.path.join(src_dir, "config.json"), os.path.join(out_dir, "config.json"))
    return weight_map


# ----------------------------------------------------------------------------------------------------------
# reference outputs (real transformers)


def load_reference(model_dir: str):
    model, info = Qwen3MoeForCausalLM.from_pretrained(
        model_dir,
        dtype=torch.float64,
        attn_implementation="eager",
        # transformers 5.x defaults MoE experts to "grouped_mm" (torch._grouped_mm: no float64 support);
        # "eager" is the per-expert loop in Qwen3MoeExperts.forward.
        experts_implementation="eager",
        output_loading_info=True,
    )
    for k in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        assert not info.get(k), f"{model_dir}: {k} = {info.get(k)}"
    model.eval()
    assert model.dtype == torch.float64
    assert model.config._attn_implementation == "eager"
    assert model.config._experts_implementation == "eager"
    return model


def check_weights_match(loaded, model_f32, disk_dtype) -> None:
    """Loaded float64 weights == in-memory float32 weights rounded to disk dtype, widened (bit-exact)."""
    a, b = loaded.state_dict(), model_f32.state_dict()
    assert set(a) == set(b)
    for k in b:
        want = b[k].to(disk_dtype).to(torch.float64)
        assert torch.equal(a[k], want), k


def flat(t: torch.Tensor) -> list[float]:
    assert t.dtype == torch.float64
    return [float(x) for x in t.reshape(-1).tolist()]


@torch.no_grad()
def reference_outputs(model, name: str, disk_dtype: torch.dtype, id_seqs: list[list[int]]):
    cfg = model.config
    out = {
        "model": name,
        "dtype_on_disk": DTYPE_NAMES[disk_dtype],
        "compute": "float64",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "sequences": [],
    }
    raw = []
    for si, ids in enumerate(id_seqs):
        x = torch.tensor([ids], dtype=torch.long)
        want_internals = si == INTERNALS_SEQUENCE
        res = model(
            input_ids=x,
            use_cache=False,
            output_hidden_states=want_internals,
            output_router_logits=want_internals,
            output_attentions=want_internals,
            return_dict=True,
        )
        logits = res.logits[0]  # (T, V)
        assert logits.dtype == torch.float64 and logits.shape == (len(ids), cfg.vocab_size)
        lsm = torch.log_softmax(logits, dim=-1)
        lp = [float(lsm[i, ids[i + 1]]) for i in range(len(ids) - 1)]
        out["sequences"].append({"ids": ids, "logprobs": lp, "final_logits": flat(logits[-1])})
        raw.append({"logits": logits.clone()})
        if want_internals:
            T = len(ids)
            hs = res.hidden_states
            assert len(hs) == cfg.num_hidden_layers + 1, len(hs)
            assert all(h.shape == (1, T, cfg.hidden_size) for h in hs)
            rl = res.router_logits
            assert len(rl) == len(sparse_layers(cfg)), (len(rl), sparse_layers(cfg))
            assert all(r.shape == (T, cfg.num_experts) for r in rl), [tuple(r.shape) for r in rl]
            at = res.attentions
            assert len(at) == cfg.num_hidden_layers
            assert at[0].shape == (1, cfg.num_attention_heads, T, T)
            out["internals"] = {
                "sequence": INTERNALS_SEQUENCE,
                "hidden_states": [flat(h[0]) for h in hs],
                "router_logits": [flat(r) for r in rl],
                "attention_probs_layer0": flat(at[0][0]),
            }
            raw[-1].update(hidden_states=[h[0].clone() for h in hs], router_logits=[r.clone() for r in rl],
                           attn0=at[0][0].clone())
    return out, raw


def write_json(obj, path: str) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), allow_nan=False)  # floats via float.__repr__ (round-trip)
        f.write("\n")


# ----------------------------------------------------------------------------------------------------------
# independent pure-float64 cross-check (never written to expected.json)


def load_disk_weights_f64(model_dir: str) -> dict[str, torch.Tensor]:
    files = sorted(f for f in os.listdir(model_dir) if f.endswith(".safetensors"))
    w = {}
    for f in files:
        w.update({k: v.to(torch.float64) for k, v in safetensors.torch.load_file(os.path.join(model_dir, f)).items()})
    return w


def pure_f64_forward(w: dict, cfg, ids: list[int]) -> dict:
    """Straight float64 Qwen3-MoE forward from the on-disk tensors (per-expert or fused layout)."""
    H, nh, nkv, hd = cfg.hidden_size, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
    E, K, I = cfg.num_experts, cfg.num_experts_per_tok, cfg.moe_intermediate_size
    eps, theta = cfg.rms_norm_eps, cfg.rope_parameters["rope_theta"]
    T = len(ids)

    def rms(x, g):
        return g * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))

    def silu(x):
        return x / (1.0 + torch.exp(-x))

    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos(), ang.cos()], -1), torch.cat([ang.sin(), ang.sin()], -1)  # (T, hd)

    def rope(q):  # (heads, T, hd): rotate_half pairs dim j with dim j + hd/2
        q1, q2 = q[..., : hd // 2], q[..., hd // 2 :]
        return q * cos + torch.cat([-q2, q1], -1) * sin

    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    states, routers, chosen = [x], [], []
    attn0 = None
    causal = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    for L in range(cfg.num_hidden_layers):
        p = f"model.layers.{L}."
        h = rms(x, w[p + "input_layernorm.weight"])
        q = rms((h @ w[p + "self_attn.q_proj.weight"].T).view(T, nh, hd), w[p + "self_attn.q_norm.weight"])
        k = rms((h @ w[p + "self_attn.k_proj.weight"].T).view(T, nkv, hd), w[p + "self_attn.k_norm.weight"])
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(T, nkv, hd)
        q, k, v = rope(q.transpose(0, 1)), rope(k.transpose(0, 1)), v.transpose(0, 1)
        rep = nh // nkv  # query head j uses kv head j // rep
        k, v = k.repeat_interleave(rep, 0), v.repeat_interleave(rep, 0)
        s = (q @ k.transpose(1, 2)) * hd**-0.5
        s = s.masked_fill(causal, float("-inf"))
        a = torch.softmax(s, -1)
        if L == 0:
            attn0 = a
        o = (a @ v).transpose(0, 1).reshape(T, nh * hd) @ w[p + "self_attn.o_proj.weight"].T
        x = x + o
        h = rms(x, w[p + "post_attention_layernorm.weight"])
        if L in sparse_layers(cfg):
            r = h @ w[p + "mlp.gate.weight"].T  # (T, E) pre-softmax
            routers.append(r)
            probs = torch.softmax(r, -1)
            top_v, top_i = torch.topk(probs, K, -1)
            chosen.append(top_i)
            if cfg.norm_topk_prob:
                top_v = top_v / top_v.sum(-1, keepdim=True)
            mlp = torch.zeros_like(h)
            for e in range(E):
                if f"{p}mlp.experts.gate_up_proj" in w:
                    gu = w[f"{p}mlp.experts.gate_up_proj"][e]
                    g_w, u_w, d_w = gu[:I], gu[I:], w[f"{p}mlp.experts.down_proj"][e]
                else:
                    g_w = w[f"{p}mlp.experts.{e}.gate_proj.weight"]
                    u_w = w[f"{p}mlp.experts.{e}.up_proj.weight"]
                    d_w = w[f"{p}mlp.experts.{e}.down_proj.weight"]
                y = (silu(h @ g_w.T) * (h @ u_w.T)) @ d_w.T
                wt = (top_v * (top_i == e)).sum(-1, keepdim=True)  # 0 where e not selected
                mlp = mlp + wt * y
        else:
            g_w, u_w, d_w = (w[p + f"mlp.{n}_proj.weight"] for n in ("gate", "up", "down"))
            mlp = (silu(h @ g_w.T) * (h @ u_w.T)) @ d_w.T
        x = x + mlp
        states.append(x)
    pre_norm_last = x
    xn = rms(x, w["model.norm.weight"])
    lm = w["lm_head.weight"] if "lm_head.weight" in w else w["model.embed_tokens.weight"]
    return dict(logits=xn @ lm.T, states=states[:-1] + [xn], pre_norm_last=pre_norm_last, routers=routers,
                attn0=attn0, chosen=chosen)


@torch.no_grad()
def cross_check(model_dir: str, model, id_seqs, raw) -> dict:
    """Compare transformers' float64 outputs with the pure float64 forward; returns diagnostics."""
    cfg = model.config
    w = load_disk_weights_f64(model_dir)
    worst = {"logits": 0.0, "logprobs": 0.0, "hidden_states": 0.0, "router_logits": 0.0, "attn0": 0.0}
    for ids, r in zip(id_seqs, raw):
        ref = pure_f64_forward(w, cfg, ids)
        worst["logits"] = max(worst["logits"], float((ref["logits"] - r["logits"]).abs().max()))
        lp_ref = torch.log_softmax(ref["logits"], -1)
        lp_hf = torch.log_softmax(r["logits"], -1)
        worst["logprobs"] = max(worst["logprobs"], float((lp_ref - lp_hf).abs().max()))
        # transformers routes with a float32 softmax; require the same expert choice everywhere
        for L_i, (rl, ch) in enumerate(zip(ref["routers"], ref["chosen"])):
            hf_choice = torch.topk(torch.softmax(rl.float(), -1), cfg.num_experts_per_tok, -1).indices
            assert torch.equal(hf_choice.sort(-1).values, ch.sort(-1).values), "routing tie / near-tie"
        if "hidden_states" in r:
            for a, b in zip(ref["states"], r["hidden_states"]):
                worst["hidden_states"] = max(worst["hidden_states"], float((a - b).abs().max()))
            for a, b in zip(ref["routers"], r["router_logits"]):
                worst["router_logits"] = max(worst["router_logits"], float((a - b).abs().max()))
            worst["attn0"] = float((ref["attn0"] - r["attn0"]).abs().max())
            # hidden_states[0] is the embedding lookup; hidden_states[-1] is AFTER the final RMSNorm.
            assert torch.equal(r["hidden_states"][0], w["model.embed_tokens.weight"][torch.tensor(ids)])
            assert (r["hidden_states"][-1] - ref["states"][-1]).abs().max() < 1e-5
            assert (r["hidden_states"][-1] - ref["pre_norm_last"]).abs().max() > 1e-2
    worst["min_topk_logit_gap"] = min(min_router_gap(model, ids) for ids in id_seqs)
    return worst


# ----------------------------------------------------------------------------------------------------------


def file_sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()[:16]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "models"))
    ap.add_argument("--allow-version-mismatch", action="store_true")
    args = ap.parse_args()

    versions = {"torch": torch.__version__, "transformers": transformers.__version__,
                "safetensors": safetensors.__version__, "numpy": np.__version__}
    if not check_versions(versions, PINNED, args.allow_version_mismatch):
        return 2

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    out_root = os.path.abspath(args.out)
    os.makedirs(out_root, exist_ok=True)
    names = [MODEL_A["name"], MODEL_B["name"], MODEL_A_BF16["name"], MODEL_A_FUSED, MODEL_A_F16]
    for n in names:  # only ever remove our own model directories
        shutil.rmtree(os.path.join(out_root, n), ignore_errors=True)

    diagnostics, draws = {}, {}

    def write_and_load(name, model_f32, disk_dtype, writer):
        d = os.path.join(out_root, name)
        writer(d)
        loaded = load_reference(d)
        check_structure(loaded)
        check_weights_match(loaded, model_f32, disk_dtype)
        return loaded

    def finish(name, loaded, disk_dtype, id_seqs):
        d = os.path.join(out_root, name)
        exp, raw = reference_outputs(loaded, name, disk_dtype, id_seqs)
        write_json(exp, os.path.join(d, "expected.json"))
        diagnostics[name] = cross_check(d, loaded, id_seqs, raw)
        return raw

    # moe-a (float32) and moe-a-f16 (the same weights rounded to float16) share their ids.
    model_a = build_model(MODEL_A["arch"], MODEL_A["weight_seed"])
    ref_a = write_and_load("moe-a", model_a, torch.float32, lambda d: save_with_transformers(model_a, d, torch.float32))
    ref_a16 = write_and_load(MODEL_A_F16, model_a, torch.float16,
                             lambda d: save_with_transformers(model_a, d, torch.float16))
    ids_a, draws["moe-a"] = make_ids(MODEL_A["ids_seed"], ARCH_A["vocab_size"], [ref_a, ref_a16])
    raw_a = finish("moe-a", ref_a, torch.float32, ids_a)
    finish(MODEL_A_F16, ref_a16, torch.float16, ids_a)

    model_b = build_model(MODEL_B["arch"], MODEL_B["weight_seed"])
    ref_b = write_and_load("moe-b", model_b, torch.float32, lambda d: save_with_transformers(model_b, d, torch.float32))
    ids_b, draws["moe-b"] = make_ids(MODEL_B["ids_seed"], ARCH_B["vocab_size"], [ref_b])
    finish("moe-b", ref_b, torch.float32, ids_b)

    model_bf = build_model(MODEL_A_BF16["arch"], MODEL_A_BF16["weight_seed"])
    ref_bf = write_and_load("moe-a-bf16", model_bf, torch.bfloat16,
                            lambda d: save_with_transformers(model_bf, d, torch.bfloat16))
    ids_bf, draws["moe-a-bf16"] = make_ids(MODEL_A_BF16["ids_seed"], ARCH_A["vocab_size"], [ref_bf])
    finish("moe-a-bf16", ref_bf, torch.bfloat16, ids_bf)

    # moe-a-fused: moe-a's exact weights, fused expert layout, 2 shards; expected.json copied from moe-a
    d_fused = os.path.join(out_root, MODEL_A_FUSED)
    weight_map = write_fused_sharded(os.path.join(out_root, "moe-a"), d_fused, model_a)
    ref_fused = load_reference(d_fused)
    check_structure(ref_fused)
    check_weights_match(ref_fused, model_a, torch.float32)
    _, raw_fused = reference_outputs(ref_fused, MODEL_A_FUSED, torch.float32, ids_a)
    for x, y in zip(raw_a, raw_fused):
        assert torch.equal(x["logits"], y["logits"]), "fused checkpoint does not reproduce moe-a bit-exactly"
    shutil.copyfile(os.path.join(out_root, "moe-a", "expected.json"), os.path.join(d_fused, "expected.json"))
    diagnostics[MODEL_A_FUSED] = cross_check(d_fused, ref_fused, ids_a, raw_fused)

    print("\ncandidate draws per sequence (1 = first draw accepted):", draws)
    print("\nshard assignment for moe-a-fused:")
    for fname in sorted(set(weight_map.values())):
        ks = [k for k, v in weight_map.items() if v == fname]
        print(f"  {fname}: {len(ks)} tensors, {ks[0]} .. {ks[-1]}")
    print("\ncross-check vs pure float64 forward (max abs diff) and min router-logit gap k-th vs (k+1)-th expert:")
    for n, dgn in diagnostics.items():
        print(f"  {n}: " + ", ".join(f"{k}={v:.3g}" for k, v in dgn.items()))
    print("\nfiles:")
    total = 0
    for n in names:
        for f in sorted(os.listdir(os.path.join(out_root, n))):
            pth = os.path.join(out_root, n, f)
            total += os.path.getsize(pth)
            print(f"  {n}/{f}: {os.path.getsize(pth)} bytes sha256:{file_sha(pth)}")
    print(f"  total: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
