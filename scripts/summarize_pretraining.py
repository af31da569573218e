#!/usr/bin/env python3
"""Summarise a `lathe pretrain` output folder (metrics.jsonl, model/config.json) as one JSON object.

    python3 scripts/summarize_pretraining.py build/pretrain-base > docs/results/base-model.json
"""
import hashlib, json, os, statistics, sys

out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "metrics.jsonl"))]
evals = [r for r in rows if r.get("eval_nll") is not None]
cfg = json.load(open(os.path.join(out, "model", "config.json")))
weights = os.path.join(out, "model", "model.safetensors")
last = rows[-1]
summary = {
    "command": "make reproduce-base-model",
    "seed": 0,
    "cpu": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(" :\t"),
    "threads": 2,
    "steps": last["step"],
    "tokens": last["tokens"],
    "elapsed_minutes": round(last["elapsed_s"] / 60, 1),
    "median_tokens_per_s": round(statistics.median(r["tokens_per_s"] for r in rows)),
    "final_train_loss_mean_last_50": round(statistics.mean(r["loss"] for r in rows[-50:]), 4),
    "eval": [{"step": r["step"], "nll": round(r["eval_nll"], 4), "ppl": round(2.718281828459045 ** r["eval_nll"], 2),
              "nll_ci95": [round(x, 4) for x in r["eval_nll_ci95"]]} for r in evals],
    "eval_note": "mean next-token NLL over 64 held-out windows of 256 tokens (valid.jsonl); the 95% interval is a "
                 "normal interval over windows (one seed: the interval is over data, not over training seeds)",
    "expert_load_final": evals[-1].get("expert_load") if evals else None,
    "config": {k: cfg[k] for k in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                                   "num_key_value_heads", "head_dim", "num_experts", "num_experts_per_tok",
                                   "moe_intermediate_size", "router_aux_loss_coef", "torch_dtype")},
    "model_bytes": os.path.getsize(weights),
    "model_sha256": hashlib.sha256(open(weights, "rb").read()).hexdigest(),
    "loss_curve_every_100_steps": [[r["step"], round(r["loss"], 4)] for r in rows if r["step"] % 100 == 0],
}
print(json.dumps(summary, indent=1))
