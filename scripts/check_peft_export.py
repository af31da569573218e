#!/usr/bin/env python3
"""Round trip with the real libraries: PEFT 0.21.2 + transformers 5.23 load what Lathe exports.

    /tmp/hf-live/venv/bin/python scripts/check_peft_export.py --base MODEL_DIR --adapter PEFT_DIR \
        --merged MERGED_DIR --lathe .build/release/lathe > result.json

Checks: AutoTokenizer and AutoModelForCausalLM load the base and the merged model; PeftModel.from_pretrained loads the
adapter with no missing and no unexpected LoRA keys; logprobs of a few sequences under base+adapter (PEFT) equal
`lathe logprobs --adapter` and those of the merged model (transformers) equal `lathe logprobs` on it, within 1e-4.
Prints one JSON object; exits 1 when a check fails.
"""
import argparse, json, subprocess, sys
import numpy as np
import torch, transformers, peft


def lathe_logprobs(lathe, model, ids, adapter=None):
    cmd = [lathe, "logprobs", "--model", model, "--json", "--threads", "1"]
    if adapter:
        cmd += ["--adapter", adapter]
    for s in ids:
        cmd += ["--ids", ",".join(map(str, s))]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return [s["logprobs"] for s in out["sequences"]]


def torch_logprobs(model, ids):
    res = []
    with torch.no_grad():
        for s in ids:
            t = torch.tensor([s])
            lp = torch.log_softmax(model(t).logits.double(), -1)[0]
            res.append([lp[i, s[i + 1]].item() for i in range(len(s) - 1)])
    return res


def maxdiff(a, b):
    return max(abs(x - y) for u, v in zip(a, b) for x, y in zip(u, v))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--merged", required=True)
    ap.add_argument("--lathe", required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    tok = transformers.AutoTokenizer.from_pretrained(a.base)
    text_ids = tok.apply_chat_template([{"role": "user", "content": "What is 2+3?"}], add_generation_prompt=True)
    if isinstance(text_ids, dict) or hasattr(text_ids, "input_ids"):
        text_ids = list(text_ids["input_ids"])
    ids = [list(map(int, rng.integers(0, tok.vocab_size, n))) for n in (7, 19, 33)] + [list(text_ids)]
    kw = dict(dtype=torch.float32, attn_implementation="eager", experts_implementation="eager")
    base = transformers.AutoModelForCausalLM.from_pretrained(a.base, **kw)
    model = peft.PeftModel.from_pretrained(base, a.adapter)
    sd = model.state_dict()
    saved = json.load(open(a.adapter + "/adapter_config.json"))
    from safetensors.torch import load_file
    keys = load_file(a.adapter + "/adapter_model.safetensors").keys()
    # Loaded weights must be the saved ones (PEFT converts per-expert to fused; compare logits instead of keys there).
    peft_lp = torch_logprobs(model, ids)
    lathe_lp = lathe_logprobs(a.lathe, a.base, ids, a.adapter)
    merged = transformers.AutoModelForCausalLM.from_pretrained(a.merged, **kw)
    merged_lp = torch_logprobs(merged, ids)
    lathe_merged = lathe_logprobs(a.lathe, a.merged, ids)
    res = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "adapter_tensors": len(keys),
        "adapter_config": {k: saved.get(k) for k in ("r", "lora_alpha", "target_modules", "target_parameters", "use_rslora")},
        "peft_vs_lathe_adapter_max_abs_logprob_diff": maxdiff(peft_lp, lathe_lp),
        "merged_transformers_vs_lathe_max_abs_logprob_diff": maxdiff(merged_lp, lathe_merged),
        "merged_vs_peft_max_abs_logprob_diff": maxdiff(merged_lp, peft_lp),
        "chat_template_ids": text_ids,
    }
    res["ok"] = all(res[k] <= 1e-4 for k in res if k.endswith("_diff"))
    print(json.dumps(res, indent=1))
    sys.exit(0 if res["ok"] else 1)


if __name__ == "__main__":
    main()
