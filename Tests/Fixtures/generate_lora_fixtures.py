#!/usr/bin/env python3
"""Generate LoRA parity fixtures (forward logprobs, gradients, AdamW trajectory, MoE aux loss) for Lathe.

Everything written to expected.json comes from the REAL Hugging Face stack: `transformers` (Qwen3MoeForCausalLM)
with `peft` (PeftModel.from_pretrained) on the moe-a fixture model.  An independent plain-torch "per-expert" LoRA
implementation (the semantics Lathe implements: a separate LoRA on every expert's gate_proj, up_proj and down_proj)
is run as a cross-check; it only feeds expected.json where a key says so (`lora-rslora`'s `sequences`, where PEFT
itself does NOT compute the per-expert math -- see below).

Regenerate (from the repository root, /work/main):

    /tmp/hf-live/venv/bin/python Tests/Fixtures/generate_lora_fixtures.py

Options: `--out DIR` writes somewhere else (e.g. a temp dir, to diff against the committed fixtures);
`--allow-version-mismatch` runs with other library versions.  The script re-executes itself with
PYTHONHASHSEED=0, because PEFT keeps `target_modules`/`target_parameters` as Python sets and writes them into
adapter_config.json in set-iteration order (which depends on the string hash seed).

Pinned versions (the venv that produced the committed fixtures):

    python        3.11.7
    torch         2.15.0+cu132   (CPU only; torch.set_num_threads(1), deterministic algorithms)
    transformers  5.23.0
    peft          0.21.2
    safetensors   0.8.0
    numpy         2.4.6

Base model: Tests/Fixtures/models/moe-a (written by generate_model_fixtures.py), loaded with
`from_pretrained(dir, dtype=torch.float64, attn_implementation="eager", experts_implementation="eager")`
(the default grouped_mm experts path has no float64 kernel).

Outputs under Tests/Fixtures/lora/ (lora/README.md documents every file and field):

    lora-a/         per-expert (Hub) layout adapter, r=4, alpha=8, every A and B ~ N(0, 0.2^2); expected.json with
                    sequences (logprobs, final logits), the weighted-sum loss batch with loss and gradients for
                    every LoRA tensor (per-expert keys), logits with the adapter disabled, and PEFT's load report
    lora-a-fused/   the same adapter as PEFT 0.21.2 saves it after loading lora-a (fused target_parameters layout)
    lora-rslora/    like lora-a with use_rslora=true (other seed): per-expert math vs what PEFT computes
    adamw/          attention-only LoRA, 6 torch.optim.AdamW steps on lora-a's loss batch (+ a clipped run)
    aux-loss/       transformers' MoE load-balancing loss, router logits and gradients (no adapter)

Key facts found (asserted below; details in lora/README.md):
  * PEFT 0.21.2 + transformers 5.23 convert a per-expert adapter on load (peft/utils/transformers_weight_conversion.py):
    target_modules gate_proj/up_proj/down_proj become target_parameters {gate_up_proj, down_proj} with
    rank_pattern {".*\\.gate_up_proj": 2r} and alpha_pattern {".*\\.gate_up_proj": 2*alpha}; expert A's are stacked
    expert-major, B's block-diagonalised and laid out rank-major.
  * That config conversion also removes gate_proj/up_proj/down_proj from target_modules for the DENSE MLP (layer 1
    of moe-a): its LoRA keys become "unexpected" and are silently dropped.  Listing the dense weights under
    `target_parameters` ("mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight") makes PEFT load
    everything with no missing and no unexpected keys; that is what lora-a/adapter_config.json does.
  * With rsLoRA, the doubled r and alpha change the gate/up scale from alpha/sqrt(r) to 2alpha/sqrt(2r) =
    sqrt(2)*alpha/sqrt(r).  An rsLoRA adapter written as use_rslora=false with lora_alpha = alpha*sqrt(r) loads
    with the intended scale everywhere.
"""

from __future__ import annotations

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":  # set iteration order inside PEFT's saved adapter_config.json
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import argparse
import hashlib
import json
import math
import shutil
import tempfile
import warnings

import numpy as np
import peft
import safetensors
import safetensors.torch
import torch
import torch.nn as nn
import torch.nn.functional as F
import transformers
from peft import PeftModel
from peft.utils import load_peft_weights, set_peft_model_state_dict
from transformers import Qwen3MoeForCausalLM
from transformers.models.qwen3_moe.modeling_qwen3_moe import Qwen3MoeExperts, Qwen3MoeSparseMoeBlock
from fixture_common import check_versions, sparse_layers

PINNED = {"torch": "2.15.0+cu132", "transformers": "5.23.0", "peft": "0.21.2", "safetensors": "0.8.0",
          "numpy": "2.4.6"}

HERE = os.path.dirname(os.path.abspath(__file__))
BASE_DIR = os.path.join(HERE, "models", "moe-a")
BASE_NAME_IN_CONFIG = "Tests/Fixtures/models/moe-a"  # adapter_config.json base_model_name_or_path (repo-relative)

R = 4
ALPHA = 8
INIT_STD = 0.2
LORA_A_SEED = 21  # torch.Generator seed for lora-a's tensors
RSLORA_SEED = 22  # lora-rslora
ADAMW_SEED = 11  # adamw (attention only)
IDS_SEED = 201  # numpy default_rng: token ids of the 3 sequences (shared by lora-a, lora-rslora, adamw)
WEIGHTS_SEED = 202  # numpy default_rng: per-token loss weights
AUX_IDS_SEED = 203  # numpy default_rng: aux-loss sequences
SEQ_LENGTHS = [9, 17, 33]
AUX_SINGLE_LENGTH = 17
AUX_BATCH = (2, 9)
ZERO_WEIGHT_FRACTION = 0.25
MIN_ROUTER_GAP = 1e-2  # same rule as generate_model_fixtures.py: no near-tie top-k decision anywhere
# Along the AdamW trajectories (12 later parameter states) 1e-2 is rarely achievable; 1e-3 still dwarfs the
# ~1e-5 logit error a float32 engine accumulates over 6 steps.
MIN_ROUTER_GAP_TRAJECTORY = 1e-3

ADAMW = dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
ADAMW_STEPS = 6
CLIP_NORM = 0.5

ATTN = ["q_proj", "k_proj", "v_proj", "o_proj"]
MLP = ["gate_proj", "up_proj", "down_proj"]
ALL_TARGET_MODULES = ATTN + MLP + ["lm_head"]
# Needed so that PEFT 0.21.2 keeps the DENSE MLP LoRAs (see module docstring).
DENSE_TARGET_PARAMETERS = ["mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"]
PREFIX = "base_model.model."

# ----------------------------------------------------------------------------------------------------------
# model structure and key naming




def lora_shapes(cfg, parts: set[str]) -> dict[str, tuple[int, int]]:
    """Per-expert (Hub) PEFT key -> shape, in a fixed canonical order.  parts ⊆ {attn, dense, experts, lm_head}."""
    H, nh, nkv, hd = cfg.hidden_size, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
    I, DI, V = cfg.moe_intermediate_size, cfg.intermediate_size, cfg.vocab_size
    out: dict[str, tuple[int, int]] = {}

    def add(key, n_out, n_in):
        out[f"{key}.lora_A.weight"] = (R, n_in)
        out[f"{key}.lora_B.weight"] = (n_out, R)

    sparse = sparse_layers(cfg)
    for L in range(cfg.num_hidden_layers):
        p = f"{PREFIX}model.layers.{L}"
        if "attn" in parts:
            dims = {"q_proj": (nh * hd, H), "k_proj": (nkv * hd, H), "v_proj": (nkv * hd, H), "o_proj": (H, nh * hd)}
            for n in ATTN:
                add(f"{p}.self_attn.{n}", *dims[n])
        if L in sparse:
            if "experts" in parts:
                for e in range(cfg.num_experts):
                    for n, d in (("gate_proj", (I, H)), ("up_proj", (I, H)), ("down_proj", (H, I))):
                        add(f"{p}.mlp.experts.{e}.{n}", *d)
        elif "dense" in parts:
            for n, d in (("gate_proj", (DI, H)), ("up_proj", (DI, H)), ("down_proj", (H, DI))):
                add(f"{p}.mlp.{n}", *d)
    if "lm_head" in parts:
        add(f"{PREFIX}lm_head", V, H)
    return out


def make_adapter_tensors(shapes: dict, seed: int) -> dict[str, torch.Tensor]:
    """Every A and B ~ N(0, INIT_STD^2), drawn in canonical key order from torch.Generator(seed), stored float32."""
    g = torch.Generator().manual_seed(seed)
    return {k: (INIT_STD * torch.randn(s, generator=g, dtype=torch.float64)).to(torch.float32).contiguous()
            for k, s in shapes.items()}


def adapter_config(target_modules, target_parameters=None, use_rslora=False, lora_alpha=ALPHA) -> dict:
    cfg = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "base_model_name_or_path": BASE_NAME_IN_CONFIG,
        "r": R,
        "lora_alpha": lora_alpha,
        "target_modules": list(target_modules),
        "use_rslora": use_rslora,
        "lora_dropout": 0.0,
        "bias": "none",
    }
    if target_parameters:
        cfg["target_parameters"] = list(target_parameters)
    return cfg


def write_adapter(out_dir: str, tensors: dict, config: dict) -> None:
    os.makedirs(out_dir, exist_ok=True)
    safetensors.torch.save_file(tensors, os.path.join(out_dir, "adapter_model.safetensors"), metadata={"format": "pt"})
    with open(os.path.join(out_dir, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")


# ----------------------------------------------------------------------------------------------------------
# fused (PEFT target_parameters) <-> per-expert layout


def expert_prefixes(cfg) -> list[str]:
    return [f"{PREFIX}model.layers.{L}.mlp.experts" for L in sparse_layers(cfg)]


def per_expert_to_fused(sd: dict, cfg) -> dict:
    """Our own implementation of the layout PEFT converts to (used to verify PEFT's in-memory tensors exactly).

    gate_up (keys `<experts>.base_layer.lora_{A,B}.weight`, rank 2r):
        A_f (E*2r, H):  A_f[e*2r + j]        = A_gate[e][j]      (j < r),   A_up[e][j-r]  (r <= j < 2r)
        B_f (2I, 2r*E): B_f[:I,  j*E + e]    = B_gate[e][:, j]   (j < r),   0 otherwise
                        B_f[I:,  j*E + e]    = B_up[e][:, j-r]   (j >= r),  0 otherwise
    down (keys `<experts>.lora_{A,B}.weight`, rank r):
        A_f (E*r, I):   A_f[e*r + k]         = A_down[e][k]
        B_f (H, r*E):   B_f[:, k*E + e]      = B_down[e][:, k]
    """
    E, I, H = cfg.num_experts, cfg.moe_intermediate_size, cfg.hidden_size
    out = {k: v for k, v in sd.items() if ".mlp.experts." not in k}
    for p in expert_prefixes(cfg):
        t = lambda e, n, ab: sd[f"{p}.{e}.{n}.lora_{ab}.weight"]  # noqa: E731
        dt = t(0, "gate_proj", "A").dtype
        Af = torch.zeros(E * 2 * R, H, dtype=dt)
        Bf = torch.zeros(2 * I, 2 * R * E, dtype=dt)
        Ad = torch.zeros(E * R, I, dtype=dt)
        Bd = torch.zeros(H, R * E, dtype=dt)
        for e in range(E):
            for j in range(R):
                Af[e * 2 * R + j] = t(e, "gate_proj", "A")[j]
                Af[e * 2 * R + R + j] = t(e, "up_proj", "A")[j]
                Bf[:I, j * E + e] = t(e, "gate_proj", "B")[:, j]
                Bf[I:, (R + j) * E + e] = t(e, "up_proj", "B")[:, j]
                Ad[e * R + j] = t(e, "down_proj", "A")[j]
                Bd[:, j * E + e] = t(e, "down_proj", "B")[:, j]
        out[f"{p}.base_layer.lora_A.weight"] = Af
        out[f"{p}.base_layer.lora_B.weight"] = Bf
        out[f"{p}.lora_A.weight"] = Ad
        out[f"{p}.lora_B.weight"] = Bd
    return out


def fused_to_per_expert(sd: dict, cfg) -> tuple[dict, float]:
    """Inverse of per_expert_to_fused (gate/up A = row blocks of A_f, B = the diagonal blocks of B_f).

    Also returns max |off-diagonal block| of every gate_up B_f (0 for weights loaded from a per-expert adapter;
    non-zero for gradients, which is why training the fused form is not the same as training separate LoRAs).
    """
    E, I = cfg.num_experts, cfg.moe_intermediate_size
    out = {k: v for k, v in sd.items() if ".mlp.experts." not in k}
    off = 0.0
    for p in expert_prefixes(cfg):
        Af, Bf = sd[f"{p}.base_layer.lora_A.weight"], sd[f"{p}.base_layer.lora_B.weight"]
        Ad, Bd = sd[f"{p}.lora_A.weight"], sd[f"{p}.lora_B.weight"]
        assert Af.shape == (E * 2 * R, Af.shape[1]) and Bf.shape == (2 * I, 2 * R * E), (Af.shape, Bf.shape)
        assert Ad.shape == (E * R, I) and Bd.shape[1] == R * E, (Ad.shape, Bd.shape)
        gate_cols = lambda e: [j * E + e for j in range(R)]  # noqa: E731
        up_cols = lambda e: [(R + j) * E + e for j in range(R)]  # noqa: E731
        for e in range(E):
            out[f"{p}.{e}.gate_proj.lora_A.weight"] = Af[e * 2 * R: e * 2 * R + R]
            out[f"{p}.{e}.up_proj.lora_A.weight"] = Af[e * 2 * R + R: (e + 1) * 2 * R]
            out[f"{p}.{e}.gate_proj.lora_B.weight"] = Bf[:I, gate_cols(e)]
            out[f"{p}.{e}.up_proj.lora_B.weight"] = Bf[I:, up_cols(e)]
            out[f"{p}.{e}.down_proj.lora_A.weight"] = Ad[e * R: (e + 1) * R]
            out[f"{p}.{e}.down_proj.lora_B.weight"] = Bd[:, gate_cols(e)]
            off = max(off, float(Bf[:I, up_cols(e)].abs().max()), float(Bf[I:, gate_cols(e)].abs().max()))
    return {k: v.contiguous() for k, v in out.items()}, off


# ----------------------------------------------------------------------------------------------------------
# loading (real transformers + PEFT)


def load_base(dtype=torch.float64) -> Qwen3MoeForCausalLM:
    model, info = Qwen3MoeForCausalLM.from_pretrained(
        BASE_DIR, dtype=dtype, attn_implementation="eager", experts_implementation="eager", output_loading_info=True)
    for k in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        assert not info.get(k), f"{k} = {info.get(k)}"
    model.eval()
    assert model.config._experts_implementation == "eager"
    return model


def serial_name(param_name: str) -> str:
    """PEFT in-memory parameter name -> the key PEFT saves (adapter name removed)."""
    assert ".default." in param_name, param_name
    return param_name.replace(".default.", ".")


def load_peft(adapter_dir: str, trainable=False, dtype=torch.float64, require_clean=True):
    """PeftModel.from_pretrained + a report of what happened.

    PeftModel.from_pretrained only WARNS about missing adapter keys and says nothing about unexpected ones, so the
    same weights are loaded a second time through the same code path (set_peft_model_state_dict, which is what
    PeftModel.load_adapter calls) to get the load_result.
    """
    base = load_base(dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = PeftModel.from_pretrained(base, adapter_dir, is_trainable=trainable)
        res = set_peft_model_state_dict(model, load_peft_weights(adapter_dir), adapter_name="default")
    missing = sorted(k for k in res.missing_keys if ".lora_" in k)  # base weights are always "missing" here
    unexpected = sorted(res.unexpected_keys)
    pc = model.peft_config["default"]
    report = {
        "missing_adapter_keys": missing,
        "unexpected_keys": unexpected,
        "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught
                            if not issubclass(w.category, (FutureWarning, DeprecationWarning))}),
        "config_after_load": {
            "r": pc.r,
            "lora_alpha": pc.lora_alpha,
            "use_rslora": pc.use_rslora,
            "target_modules": sorted(pc.target_modules or []),
            "target_parameters": sorted(pc.target_parameters or []),
            "rank_pattern": dict(pc.rank_pattern),
            "alpha_pattern": dict(pc.alpha_pattern),
        },
        "layers": {},
    }
    for name, mod in model.named_modules():
        sc = getattr(mod, "scaling", None)
        if isinstance(sc, dict) and "default" in sc:
            report["layers"][name.removeprefix(PREFIX)] = {
                "type": type(mod).__name__, "r": mod.r["default"], "lora_alpha": mod.lora_alpha["default"],
                "scaling": sc["default"], "parameter_name": getattr(mod, "parameter_name", None)}
    if require_clean:
        assert not missing and not unexpected, (missing, unexpected)
    for n, p in model.named_parameters():
        if ".lora_" in n:
            assert p.dtype == dtype, (n, p.dtype)
            assert p.requires_grad == trainable, n
    model.eval()
    return model, report


def peft_adapter_state(model) -> dict[str, torch.Tensor]:
    return {serial_name(n): p.detach().clone() for n, p in model.named_parameters() if ".lora_" in n}


def peft_adapter_grads(model) -> dict[str, torch.Tensor]:
    out = {}
    for n, p in model.named_parameters():
        if ".lora_" in n:
            assert p.grad is not None, n
            out[serial_name(n)] = p.grad.detach().clone()
    return out


# ----------------------------------------------------------------------------------------------------------
# plain-torch per-expert LoRA (cross-check; the semantics Lathe implements)


class PlainLoRALinear(nn.Module):
    def __init__(self, base: nn.Linear, A: torch.Tensor, B: torch.Tensor, scale: float):
        super().__init__()
        self.base, self.A, self.B, self.scale = base, A, B, scale

    def forward(self, x):
        return self.base(x) + self.scale * F.linear(F.linear(x, self.A), self.B)


class PlainLoRAExperts(nn.Module):
    """Qwen3MoeExperts.forward (eager loop) with a separate LoRA on every expert's gate, up and down projection."""

    def __init__(self, experts: Qwen3MoeExperts, lora: dict, scales: dict):
        super().__init__()
        self.base = experts
        self.lora = lora  # (name, e) -> (A, B)
        self.scales = scales  # name -> scale

    def forward(self, hidden_states, top_k_index, top_k_weights):
        b = self.base
        E, I = b.num_experts, b.intermediate_dim
        out = torch.zeros_like(hidden_states)

        def proj(x, W, name, e):
            A, B = self.lora[(name, e)]
            return F.linear(x, W) + self.scales[name] * F.linear(F.linear(x, A), B)

        for e in range(E):
            top_k_pos, token_idx = torch.where((top_k_index == e).T)  # same order as transformers' loop
            if token_idx.numel() == 0:
                continue
            x = hidden_states[token_idx]
            gate = proj(x, b.gate_up_proj[e, :I], "gate_proj", e)
            up = proj(x, b.gate_up_proj[e, I:], "up_proj", e)
            y = proj(b.act_fn(gate) * up, b.down_proj[e], "down_proj", e)
            y = y * top_k_weights[token_idx, top_k_pos, None]
            out.index_add_(0, token_idx, y.to(out.dtype))
        return out


def build_plain_model(tensors: dict[str, torch.Tensor], scale_of):
    """Base moe-a (float64, frozen) + per-expert LoRA modules; returns (model, {per-expert key: leaf tensor})."""
    model = load_base(torch.float64)
    for p in model.parameters():
        p.requires_grad_(False)
    cfg = model.config
    params = {k: v.to(torch.float64).clone().requires_grad_(True) for k, v in tensors.items()}

    def ab(key):
        return params[f"{key}.lora_A.weight"], params[f"{key}.lora_B.weight"]

    used = set()
    for L, layer in enumerate(model.model.layers):
        p = f"{PREFIX}model.layers.{L}"
        for n in ATTN:
            key = f"{p}.self_attn.{n}"
            if f"{key}.lora_A.weight" in params:
                setattr(layer.self_attn, n, PlainLoRALinear(getattr(layer.self_attn, n), *ab(key), scale_of(key)))
                used |= {f"{key}.lora_A.weight", f"{key}.lora_B.weight"}
        if isinstance(layer.mlp, Qwen3MoeSparseMoeBlock):
            key0 = f"{p}.mlp.experts.0.gate_proj.lora_A.weight"
            if key0 in params:
                lora, scales = {}, {}
                for e in range(cfg.num_experts):
                    for n in MLP:
                        key = f"{p}.mlp.experts.{e}.{n}"
                        lora[(n, e)] = ab(key)
                        scales[n] = scale_of(key)
                        used |= {f"{key}.lora_A.weight", f"{key}.lora_B.weight"}
                layer.mlp.experts = PlainLoRAExperts(layer.mlp.experts, lora, scales)
        else:
            for n in MLP:
                key = f"{p}.mlp.{n}"
                if f"{key}.lora_A.weight" in params:
                    setattr(layer.mlp, n, PlainLoRALinear(getattr(layer.mlp, n), *ab(key), scale_of(key)))
                    used |= {f"{key}.lora_A.weight", f"{key}.lora_B.weight"}
    key = f"{PREFIX}lm_head"
    if f"{key}.lora_A.weight" in params:
        model.lm_head = PlainLoRALinear(model.lm_head, *ab(key), scale_of(key))
        used |= {f"{key}.lora_A.weight", f"{key}.lora_B.weight"}
    assert used == set(params), sorted(set(params) - used)
    return model, params


# ----------------------------------------------------------------------------------------------------------
# evaluation helpers


def flat(t: torch.Tensor) -> list[float]:
    assert t.dtype == torch.float64, t.dtype
    return [float(x) for x in t.reshape(-1).tolist()]


def run(model, ids: list[int], **kw):
    return model(input_ids=torch.tensor([ids], dtype=torch.long), use_cache=False, return_dict=True, **kw)


@torch.no_grad()
def sequences_out(model, id_seqs) -> tuple[list[dict], list[torch.Tensor]]:
    out, raw = [], []
    for ids in id_seqs:
        logits = run(model, ids).logits[0]
        assert logits.dtype == torch.float64
        lsm = torch.log_softmax(logits, -1)
        out.append({"ids": ids, "logprobs": [float(lsm[i, ids[i + 1]]) for i in range(len(ids) - 1)],
                    "final_logits": flat(logits[-1])})
        raw.append(logits.clone())
    return out, raw


@torch.no_grad()
def min_router_gap(model, ids) -> float:
    """Smallest gap, over tokens and sparse layers, between the k-th and (k+1)-th largest router logit."""
    k = model.config.num_experts_per_tok
    res = run(model, ids, output_router_logits=True)
    srt = [torch.sort(r, -1, descending=True).values for r in res.router_logits]
    return min(float((g[:, k - 1] - g[:, k]).min()) for g in srt)


@torch.no_grad()
def experts_without_loss_tokens(model, batch) -> list[tuple[int, int]]:
    """(layer, expert) pairs that process no token at a position t with weights[t] > 0.

    Such an expert's LoRA gradient can be exactly zero (always in the last layer, whose output at t only reaches
    logits[t]; the last position's logits are never in the loss)."""
    cfg = model.config
    used = {L: set() for L in sparse_layers(cfg)}
    for seq in batch:
        res = run(model, seq["ids"], output_router_logits=True)
        live = torch.tensor(seq["weights"]) > 0  # positions 0..T-2
        for L, r in zip(sparse_layers(cfg), res.router_logits):
            sel = torch.topk(torch.softmax(r.float(), -1), cfg.num_experts_per_tok, -1).indices[:-1][live]
            used[L] |= set(sel.reshape(-1).tolist())
    return [(L, e) for L in used for e in range(cfg.num_experts) if e not in used[L]]


def weighted_loss(model, batch) -> torch.Tensor:
    """L = -sum_seq sum_i weights[i] * log p(target_ids[i] | ids[..i])  (plain sum, no mean)."""
    total = None
    for seq in batch:
        logits = run(model, seq["ids"]).logits[0, :-1]
        lsm = torch.log_softmax(logits, -1)
        tgt = torch.tensor(seq["target_ids"], dtype=torch.long)
        w = torch.tensor(seq["weights"], dtype=torch.float64)
        term = -(w * lsm[torch.arange(len(tgt)), tgt]).sum()
        total = term if total is None else total + term
    return total


def max_abs_diff_dicts(a: dict, b: dict) -> float:
    assert set(a) == set(b), sorted(set(a) ^ set(b))
    return max(float((a[k].to(torch.float64) - b[k].to(torch.float64)).abs().max()) for k in a)


def max_rel_diff_dicts(a: dict, b: dict) -> float:
    return max(float((a[k] - b[k]).abs().max() / b[k].abs().max()) for k in a)


def write_json(obj, path: str) -> None:
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), allow_nan=False)  # floats via float.__repr__ (round-trip)
        f.write("\n")


def logits_diff(xs, ys) -> float:
    return max(float((x - y).abs().max()) for x, y in zip(xs, ys))


def logprob_diff(xs, ys) -> float:
    return max(float((torch.log_softmax(x, -1) - torch.log_softmax(y, -1)).abs().max()) for x, y in zip(xs, ys))


# ----------------------------------------------------------------------------------------------------------
# AdamW trajectory


def adamw_run(adapter_dir: str, batch, clip: float | None):
    model, _ = load_peft(adapter_dir, trainable=True)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert named and all(".lora_" in n for n, _ in named)
    params = [p for _, p in named]
    opt = torch.optim.AdamW(params, foreach=False, fused=False, **ADAMW)
    losses, norms, gaps = [], [], []
    for _ in range(ADAMW_STEPS):
        gaps.append(min(min_router_gap(model, s["ids"]) for s in batch))
        opt.zero_grad(set_to_none=True)
        loss = weighted_loss(model, batch)
        loss.backward()
        losses.append(float(loss.detach()))
        if clip is not None:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, clip)))
        opt.step()
    gaps.append(min(min_router_gap(model, s["ids"]) for s in batch))
    final = {serial_name(n): p.detach().clone() for n, p in named}
    return losses, norms, final, min(gaps)


# ----------------------------------------------------------------------------------------------------------
# aux loss


def aux_loss_f64(router_logits, E: int, k: int):
    """Float64 re-implementation of load_balancing_loss_func (no attention_mask)."""
    counts = torch.zeros(E, dtype=torch.float64)
    prob_sum = torch.zeros(E, dtype=torch.float64)
    rows = 0
    for lg in router_logits:
        p = torch.softmax(lg.to(torch.float64), -1)
        sel = torch.topk(p, k, -1).indices
        counts = counts + F.one_hot(sel.reshape(-1), E).to(torch.float64).sum(0)
        prob_sum = prob_sum + p.sum(0)
        rows += p.shape[0]
    f, P = counts / rows, prob_sum / rows
    return E * (f * P).sum(), f, P


def aux_case(model, ids_2d: list[list[int]]) -> dict:
    cfg = model.config
    sp = sparse_layers(cfg)
    routers = [model.model.layers[L].mlp.gate.weight for L in sp]
    norm_w = model.model.norm.weight
    x = torch.tensor(ids_2d, dtype=torch.long)
    out = model(input_ids=x, labels=x, output_router_logits=True, use_cache=False, return_dict=True)
    aux, loss = out.aux_loss, out.loss
    g_aux = torch.autograd.grad(aux, routers, retain_graph=True)
    g_loss = torch.autograd.grad(loss, routers + [norm_w], retain_graph=True)
    # float64 recomputation (transformers runs the CE on logits.float() and the aux sums in float32)
    aux64, f, P = aux_loss_f64(out.router_logits, cfg.num_experts, cfg.num_experts_per_tok)
    logits = out.logits
    ce64 = F.cross_entropy(logits[:, :-1].reshape(-1, cfg.vocab_size), x[:, 1:].reshape(-1))
    loss64 = ce64 + cfg.router_aux_loss_coef * aux64
    g_aux64 = torch.autograd.grad(aux64, routers, retain_graph=True)
    g_loss64 = torch.autograd.grad(loss64, routers + [norm_w])
    diag = {
        "aux_vs_f64": abs(float(aux.detach()) - float(aux64.detach())),
        "loss_vs_f64": abs(float(loss.detach()) - float(loss64.detach())),
        "grad_aux_vs_f64_rel": max(float((a - b).abs().max() / b.abs().max()) for a, b in zip(g_aux, g_aux64)),
        "grad_loss_vs_f64_rel": max(float((a - b).abs().max() / b.abs().max()) for a, b in zip(g_loss, g_loss64)),
    }
    assert diag["aux_vs_f64"] < 1e-6 and diag["loss_vs_f64"] < 1e-5, diag
    d = lambda t: t.detach().to(torch.float64)  # noqa: E731
    res = {
        "ids": ids_2d,
        "aux_loss": float(aux.detach()),
        "aux_loss_dtype": str(aux.dtype).removeprefix("torch."),
        "loss": float(loss.detach()),
        "loss_dtype": str(loss.dtype).removeprefix("torch."),
        "ce_f64": float(ce64.detach()),
        "aux_loss_f64": float(aux64.detach()),
        "loss_f64": float(loss64.detach()),
        "tokens_per_expert_f64": flat(f.detach()),
        "router_prob_per_expert_f64": flat(P.detach()),
        "router_logits": {str(L): flat(d(r)) for L, r in zip(sp, out.router_logits)},
        "selected_experts": {str(L): torch.topk(torch.softmax(r.float(), -1), cfg.num_experts_per_tok, -1)
                             .indices.reshape(-1).tolist() for L, r in zip(sp, out.router_logits)},
        "grad_aux": {f"model.layers.{L}.mlp.gate.weight": flat(d(g)) for L, g in zip(sp, g_aux)},
        "grad_loss": {**{f"model.layers.{L}.mlp.gate.weight": flat(d(g)) for L, g in zip(sp, g_loss[:-1])},
                      "model.norm.weight": flat(d(g_loss[-1]))},
        "grad_aux_f64": {f"model.layers.{L}.mlp.gate.weight": flat(d(g)) for L, g in zip(sp, g_aux64)},
        "grad_loss_f64": {**{f"model.layers.{L}.mlp.gate.weight": flat(d(g)) for L, g in zip(sp, g_loss64[:-1])},
                          "model.norm.weight": flat(d(g_loss64[-1]))},
    }
    return res, diag


# ----------------------------------------------------------------------------------------------------------


def file_sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()[:16]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(HERE, "lora"))
    ap.add_argument("--allow-version-mismatch", action="store_true")
    args = ap.parse_args()

    versions = {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__,
                "safetensors": safetensors.__version__, "numpy": np.__version__}
    if not check_versions(versions, PINNED, args.allow_version_mismatch):
        return 2

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    out_root = os.path.abspath(args.out)
    os.makedirs(out_root, exist_ok=True)
    names = ["lora-a", "lora-a-fused", "lora-rslora", "adamw", "aux-loss"]
    for n in names:  # only ever remove our own directories
        shutil.rmtree(os.path.join(out_root, n), ignore_errors=True)
    dirs = {n: os.path.join(out_root, n) for n in names}
    meta = {"generator": "Tests/Fixtures/generate_lora_fixtures.py", "base_model": BASE_NAME_IN_CONFIG,
            "compute": "float64", **versions}
    diag: dict[str, object] = {}

    base = load_base()
    cfg = base.config
    E, I = cfg.num_experts, cfg.moe_intermediate_size
    assert sparse_layers(cfg) == [0, 2] and cfg.num_experts_per_tok == 2

    # ---- adapters ---------------------------------------------------------------------------------------
    shapes_all = lora_shapes(cfg, {"attn", "dense", "experts", "lm_head"})
    t_a = make_adapter_tensors(shapes_all, LORA_A_SEED)
    write_adapter(dirs["lora-a"], t_a, adapter_config(ALL_TARGET_MODULES, DENSE_TARGET_PARAMETERS))
    t_rs = make_adapter_tensors(shapes_all, RSLORA_SEED)
    write_adapter(dirs["lora-rslora"], t_rs,
                  adapter_config(ALL_TARGET_MODULES, DENSE_TARGET_PARAMETERS, use_rslora=True))
    shapes_attn = lora_shapes(cfg, {"attn"})
    t_adam = make_adapter_tensors(shapes_attn, ADAMW_SEED)
    write_adapter(dirs["adamw"], t_adam, adapter_config(ATTN))

    # ---- PEFT loads ---------------------------------------------------------------------------------
    peft_a, report_a = load_peft(dirs["lora-a"])
    # probe: the same per-expert adapter WITHOUT target_parameters for the dense MLP (what a plain Hub export has)
    with tempfile.TemporaryDirectory() as tmp:
        write_adapter(tmp, t_a, adapter_config(ALL_TARGET_MODULES))
        probe_model, report_probe = load_peft(tmp, require_clean=False)
    dense_keys = sorted(k for k in t_a if ".mlp." in k and ".experts." not in k)
    assert report_probe["unexpected_keys"] == dense_keys and not report_probe["missing_adapter_keys"], report_probe
    assert not any(".layers.1.mlp" in n for n in report_probe["layers"])

    # PEFT's conversion == our index formulas, exactly; and back
    st_a = peft_adapter_state(peft_a)
    mine_fused = per_expert_to_fused({k: v.to(torch.float64) for k, v in t_a.items()}, cfg)
    assert set(st_a) == set(mine_fused), sorted(set(st_a) ^ set(mine_fused))
    for k in st_a:
        assert torch.equal(st_a[k], mine_fused[k]), k
    back, off = fused_to_per_expert(st_a, cfg)
    assert off == 0.0 and set(back) == set(t_a)
    for k in back:
        assert torch.equal(back[k], t_a[k].to(torch.float64)), k
    rep_layers = report_a["layers"]
    gu = rep_layers["model.layers.0.mlp.experts.base_layer"]
    dn = rep_layers["model.layers.0.mlp.experts"]
    assert (gu["parameter_name"], gu["r"], gu["lora_alpha"], gu["scaling"]) == ("gate_up_proj", 2 * R, 2 * ALPHA, 2.0)
    assert (dn["parameter_name"], dn["r"], dn["lora_alpha"], dn["scaling"]) == ("down_proj", R, ALPHA, 2.0)
    assert rep_layers["model.layers.1.mlp.gate_proj"]["type"] == "ParamWrapper"

    peft_rs, report_rs = load_peft(dirs["lora-rslora"])
    peft_adam0, report_adam = load_peft(dirs["adamw"])

    # plain-torch per-expert models
    plain_a, _ = build_plain_model(t_a, lambda key: ALPHA / R)
    plain_rs, _ = build_plain_model(t_rs, lambda key: ALPHA / math.sqrt(R))
    sqrt2 = math.sqrt(2.0)
    plain_rs_peftlike, _ = build_plain_model(  # what PEFT does: gate/up of experts scaled by 2a/sqrt(2r)
        t_rs, lambda key: (2 * ALPHA / math.sqrt(2 * R)) if (".experts." in key and "down_proj" not in key)
        else ALPHA / math.sqrt(R))

    # ---- token ids (rejecting near-tie routing in every model that sees them, incl. the AdamW trajectory) ----
    rng = np.random.default_rng(IDS_SEED)
    static_models = [base, peft_a, plain_rs, peft_rs, peft_adam0]
    wrng = np.random.default_rng(WEIGHTS_SEED)
    for batch_attempt in range(1, 50):
        id_seqs, draws = [], []
        for n in SEQ_LENGTHS:
            for attempt in range(1, 1000):
                ids = [int(t) for t in rng.integers(0, cfg.vocab_size, size=n)]
                if all(min_router_gap(m, ids) >= MIN_ROUTER_GAP for m in static_models):
                    break
            else:
                raise RuntimeError("no sequence with a clear routing margin")
            id_seqs.append(ids)
            draws.append(attempt)
        batch = []
        for ids in id_seqs:
            w = wrng.random(len(ids) - 1)
            w[wrng.random(len(ids) - 1) < ZERO_WEIGHT_FRACTION] = 0.0
            w = w.astype(np.float32).astype(np.float64)  # exactly representable in float32
            batch.append({"ids": ids, "target_ids": ids[1:], "weights": [float(v) for v in w]})
        unused = experts_without_loss_tokens(peft_a, batch)
        if unused:
            print(f"batch attempt {batch_attempt}: experts {unused} get no loss token under lora-a, redrawing")
            continue
        adam_plain = adamw_run(dirs["adamw"], batch, None)
        adam_clip = adamw_run(dirs["adamw"], batch, CLIP_NORM)
        if min(adam_plain[3], adam_clip[3]) >= MIN_ROUTER_GAP_TRAJECTORY:
            break
        print(f"batch attempt {batch_attempt}: AdamW trajectory has a near-tie routing "
              f"({adam_plain[3]:.2e}, {adam_clip[3]:.2e}), redrawing")
    else:
        raise RuntimeError("no batch with a clear routing margin along the AdamW trajectory")
    diag["ids_draws"] = {"batch_attempts": batch_attempt, "per_sequence": draws}
    diag["min_router_gap"] = min(min_router_gap(m, ids) for m in static_models for ids in id_seqs)
    diag["min_router_gap_adamw"] = min(adam_plain[3], adam_clip[3])

    # ---- lora-a ----------------------------------------------------------------------------------------
    seq_a, raw_a = sequences_out(peft_a, id_seqs)
    _, raw_plain_a = sequences_out(plain_a, id_seqs)
    diag["lora-a peft vs per-expert: logits"] = logits_diff(raw_a, raw_plain_a)
    diag["lora-a peft vs per-expert: logprobs"] = logprob_diff(raw_a, raw_plain_a)
    assert diag["lora-a peft vs per-expert: logprobs"] < 1e-10
    _, raw_base = sequences_out(base, id_seqs)
    diag["per-expert (plain) vs base: logprobs (adapter effect)"] = logprob_diff(raw_plain_a, raw_base)
    assert diag["per-expert (plain) vs base: logprobs (adapter effect)"] > 0.1
    diag["lora-a vs base: logprobs (adapter effect)"] = logprob_diff(raw_a, raw_base)
    assert diag["lora-a vs base: logprobs (adapter effect)"] > 0.1
    _, raw_probe = sequences_out(probe_model, id_seqs)
    diag["lora-a vs probe without dense target_parameters: logprobs"] = logprob_diff(raw_a, raw_probe)
    assert diag["lora-a vs probe without dense target_parameters: logprobs"] > 1e-3
    del probe_model

    with peft_a.disable_adapter():
        dis, raw_dis = sequences_out(peft_a, id_seqs[:1])
    assert torch.equal(raw_dis[0], raw_base[0]), "disable_adapter() != base model"

    # gradients: PEFT (fused in memory) mapped back to per-expert keys, vs plain per-expert autograd
    peft_a_tr, _ = load_peft(dirs["lora-a"], trainable=True)
    loss_peft = weighted_loss(peft_a_tr, batch)
    loss_peft.backward()
    g_fused = peft_adapter_grads(peft_a_tr)
    g_peft, g_off = fused_to_per_expert(g_fused, cfg)
    plain_a_tr, params_a = build_plain_model(t_a, lambda key: ALPHA / R)
    loss_plain = weighted_loss(plain_a_tr, batch)
    loss_plain.backward()
    g_plain = {k: v.grad.detach().clone() for k, v in params_a.items()}  # (every expert is used: see above)
    assert set(g_peft) == set(t_a)
    loss_peft, loss_plain = float(loss_peft.detach()), float(loss_plain.detach())
    diag["lora-a loss peft vs per-expert"] = abs(loss_peft - loss_plain)
    diag["lora-a grads peft(mapped) vs per-expert: max abs"] = max_abs_diff_dicts(g_peft, g_plain)
    diag["lora-a grads peft(mapped) vs per-expert: max rel (per tensor)"] = max_rel_diff_dicts(g_peft, g_plain)
    diag["lora-a grads: max |off-diagonal gate_up B grad| (fused only)"] = g_off
    diag["lora-a grads: min per-tensor max|grad|"] = min(float(v.abs().max()) for v in g_peft.values())
    assert diag["lora-a grads peft(mapped) vs per-expert: max rel (per tensor)"] < 1e-9
    assert diag["lora-a grads: min per-tensor max|grad|"] > 0
    del peft_a_tr, plain_a_tr

    exp_a = {
        **meta,
        "adapter": {"r": R, "lora_alpha": ALPHA, "use_rslora": False, "scale": ALPHA / R, "init_std": INIT_STD,
                    "seed": LORA_A_SEED},
        "sequences": seq_a,
        "loss_batch": {
            "loss_definition": "-sum_seq sum_i weights[i] * log_softmax(logits[i])[target_ids[i]]",
            "sequences": batch,
            "loss": loss_peft,
            "grads": {k: flat(g_peft[k]) for k in t_a},
        },
        "logits_disabled": {"sequence": 0, "logprobs": dis[0]["logprobs"], "final_logits": dis[0]["final_logits"]},
        "peft_load": {k: v for k, v in report_a.items() if k != "layers"},
        "peft_load_without_dense_target_parameters": {k: v for k, v in report_probe.items() if k != "layers"},
    }
    write_json(exp_a, os.path.join(dirs["lora-a"], "expected.json"))

    # ---- lora-a-fused: what PEFT saves after loading lora-a (float32 base so the file is float32) ----------
    peft_a32, _ = load_peft(dirs["lora-a"], dtype=torch.float32)
    with tempfile.TemporaryDirectory() as tmp:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            peft_a32.save_pretrained(tmp)
        save_warnings = sorted({str(w.message) for w in caught if not issubclass(w.category, FutureWarning)})
        saved_files = sorted(os.listdir(tmp))
        os.makedirs(dirs["lora-a-fused"], exist_ok=True)
        for f in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copyfile(os.path.join(tmp, f), os.path.join(dirs["lora-a-fused"], f))
    del peft_a32
    fused_sd = safetensors.torch.load_file(os.path.join(dirs["lora-a-fused"], "adapter_model.safetensors"))
    fused_cfg = json.load(open(os.path.join(dirs["lora-a-fused"], "adapter_config.json")))
    base_lm = load_base(torch.float32).lm_head.weight
    extra = {k: v for k, v in fused_sd.items() if ".lora_" not in k}
    # save_embedding_layers="auto" + lm_head in target_modules: PEFT also saves the BASE lm_head weight
    assert list(extra) == [f"{PREFIX}lm_head.base_layer.weight"]
    assert torch.equal(extra[f"{PREFIX}lm_head.base_layer.weight"], base_lm)
    lora_part = {k: v.to(torch.float64) for k, v in fused_sd.items() if ".lora_" in k}
    assert set(lora_part) == set(mine_fused)
    for k in lora_part:
        assert torch.equal(lora_part[k], mine_fused[k]), k
    peft_fused, report_fused = load_peft(dirs["lora-a-fused"])
    _, raw_fused = sequences_out(peft_fused, id_seqs)
    for x, y in zip(raw_fused, raw_a):
        assert torch.equal(x, y), "lora-a-fused does not reproduce lora-a bit-exactly"
    write_json({**meta, "source": "PeftModel.from_pretrained(moe-a, lora-a).save_pretrained(dir) (float32 base)",
                "sequences": seq_a, "peft_load": {k: v for k, v in report_fused.items() if k != "layers"}},
               os.path.join(dirs["lora-a-fused"], "expected.json"))
    diag["lora-a-fused files written by save_pretrained"] = saved_files
    diag["lora-a-fused save warnings"] = save_warnings
    diag["lora-a-fused keys (layers 0, 1 and lm_head)"] = {
        k: list(v.shape) for k, v in sorted(fused_sd.items())
        if ".layers.0." in k or "lm_head" in k or ".layers.1.mlp" in k}
    diag["lora-a-fused adapter_config"] = {k: fused_cfg[k] for k in (
        "r", "lora_alpha", "use_rslora", "target_modules", "target_parameters", "rank_pattern", "alpha_pattern")}
    del peft_fused

    # ---- lora-rslora ---------------------------------------------------------------------------------
    seq_rs_plain, raw_rs_plain = sequences_out(plain_rs, id_seqs)
    seq_rs_peft, raw_rs_peft = sequences_out(peft_rs, id_seqs)
    _, raw_rs_peftlike = sequences_out(plain_rs_peftlike, id_seqs)
    diag["rslora peft vs per-expert(a/sqrt r): logprobs"] = logprob_diff(raw_rs_peft, raw_rs_plain)
    diag["rslora peft vs per-expert with gate/up scale 2a/sqrt(2r): logprobs"] = logprob_diff(
        raw_rs_peft, raw_rs_peftlike)
    assert diag["rslora peft vs per-expert with gate/up scale 2a/sqrt(2r): logprobs"] < 1e-10
    assert diag["rslora peft vs per-expert(a/sqrt r): logprobs"] > 1e-4
    # compensated export: use_rslora=false, lora_alpha = alpha*sqrt(r): scale alpha/sqrt(r) everywhere, also fused
    with tempfile.TemporaryDirectory() as tmp:
        write_adapter(tmp, t_rs, adapter_config(ALL_TARGET_MODULES, DENSE_TARGET_PARAMETERS, use_rslora=False,
                                                lora_alpha=ALPHA * math.sqrt(R)))
        peft_comp, report_comp = load_peft(tmp)
        assert {v["scaling"] for v in report_comp["layers"].values()} == {ALPHA / math.sqrt(R)}
        _, raw_comp = sequences_out(peft_comp, id_seqs)
        del peft_comp
    diag["rslora compensated export (no rslora, alpha*sqrt(r)) vs per-expert: logprobs"] = logprob_diff(
        raw_comp, raw_rs_plain)
    assert diag["rslora compensated export (no rslora, alpha*sqrt(r)) vs per-expert: logprobs"] < 1e-10
    rl = report_rs["layers"]
    scal = {"q_proj": rl["model.layers.0.self_attn.q_proj"]["scaling"],
            "experts gate_up_proj": rl["model.layers.0.mlp.experts.base_layer"]["scaling"],
            "experts down_proj": rl["model.layers.0.mlp.experts"]["scaling"],
            "dense gate_proj": rl["model.layers.1.mlp.gate_proj"]["scaling"],
            "lm_head": rl["lm_head"]["scaling"]}
    assert scal["experts gate_up_proj"] == 2 * ALPHA / math.sqrt(2 * R) and scal["q_proj"] == ALPHA / math.sqrt(R)
    write_json({
        **meta,
        "adapter": {"r": R, "lora_alpha": ALPHA, "use_rslora": True, "scale": ALPHA / math.sqrt(R),
                    "init_std": INIT_STD, "seed": RSLORA_SEED},
        "sequences": seq_rs_plain,
        "peft_sequences": seq_rs_peft,
        "peft_scaling": scal,
        "peft_load": {k: v for k, v in report_rs.items() if k != "layers"},
    }, os.path.join(dirs["lora-rslora"], "expected.json"))

    # ---- adamw -----------------------------------------------------------------------------------------
    losses, _, final, _ = adam_plain
    losses_c, norms_c, final_c, _ = adam_clip
    assert set(final) == set(t_adam)
    assert all(b < a for a, b in zip(losses, losses[1:])), losses
    write_json({
        **meta,
        "adapter": {"r": R, "lora_alpha": ALPHA, "use_rslora": False, "scale": ALPHA / R, "init_std": INIT_STD,
                    "seed": ADAMW_SEED, "targets": ATTN},
        "optimizer": {"name": "torch.optim.AdamW", **{k: (list(v) if isinstance(v, tuple) else v)
                                                      for k, v in ADAMW.items()},
                      "amsgrad": False, "maximize": False, "steps": ADAMW_STEPS},
        "loss_batch": {"loss_definition": exp_a["loss_batch"]["loss_definition"], "sequences": batch},
        "losses": losses,
        "final": {k: flat(final[k]) for k in t_adam},
        "clip_max_norm": CLIP_NORM,
        "losses_clipped": losses_c,
        "grad_norms_clipped": norms_c,
        "final_clipped": {k: flat(final_c[k]) for k in t_adam},
        "peft_load": {k: v for k, v in report_adam.items() if k != "layers"},
    }, os.path.join(dirs["adamw"], "expected.json"))

    # ---- aux-loss --------------------------------------------------------------------------------------
    arng = np.random.default_rng(AUX_IDS_SEED)
    aux_model = load_base()

    def draw(n):
        for attempt in range(1, 1000):
            ids = [int(t) for t in arng.integers(0, cfg.vocab_size, size=n)]
            if min_router_gap(aux_model, ids) >= MIN_ROUTER_GAP:
                return ids
        raise RuntimeError("no clear routing margin")

    single = [draw(AUX_SINGLE_LENGTH)]
    pair = [draw(AUX_BATCH[1]) for _ in range(AUX_BATCH[0])]
    case1, d1 = aux_case(aux_model, single)
    case2, d2 = aux_case(aux_model, pair)
    os.makedirs(dirs["aux-loss"], exist_ok=True)
    diag["aux single"] = d1
    diag["aux batch"] = d2
    write_json({
        **meta,
        "num_experts": cfg.num_experts, "top_k": cfg.num_experts_per_tok,
        "router_aux_loss_coef": cfg.router_aux_loss_coef, "sparse_layers": sparse_layers(cfg),
        "single": case1, "batch": case2,
    }, os.path.join(dirs["aux-loss"], "expected.json"))

    # ---- report ------------------------------------------------------------------------------------------
    print("\nPEFT load of lora-a (per-expert layout + dense target_parameters):")
    print(json.dumps({k: v for k, v in report_a.items() if k != "layers"}, indent=1))
    print("probe without dense target_parameters: unexpected keys =", report_probe["unexpected_keys"])
    print("\ndiagnostics:")
    for k, v in diag.items():
        print(f"  {k}: {v}")
    print("\nfiles:")
    total = 0
    for n in names:
        for f in sorted(os.listdir(dirs[n])):
            pth = os.path.join(dirs[n], f)
            total += os.path.getsize(pth)
            print(f"  {n}/{f}: {os.path.getsize(pth)} bytes sha256:{file_sha(pth)}")
    print(f"  total: {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
