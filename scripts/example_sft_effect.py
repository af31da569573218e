#!/usr/bin/env python3
"""The example SFT run and its visible effect: greedy answers to the eval prompts from the base model, then from the
adapter after training, and the fraction of held-out prompts answered in the taught format.

    python3 scripts/example_sft_effect.py --lathe .build/release/lathe --workspace WS --config WS/configs/example-sft.toml
"""
import argparse, json, os, subprocess, sys, time


def sample(lathe, model, prompt, adapter=None):
    cmd = [lathe, "sample", "--model", model, "--chat", "--prompt", prompt, "--temperature", "0", "--max-tokens", "48",
           "--json"]
    if adapter:
        cmd += ["--adapter", adapter]
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return out["samples"][0]["text"].strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lathe", required=True)
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--held-out", type=int, default=30)
    a = ap.parse_args()
    model = os.path.join(a.workspace, "models", "lathe-base")
    evals = [json.loads(l)["messages"] for l in open(os.path.join(a.workspace, "datasets", "example-sft-eval.jsonl"))]
    prompts = [m[0]["content"] for m in evals[: a.held_out]]
    before = [sample(a.lathe, model, p) for p in prompts]
    t0 = time.time()
    subprocess.run([a.lathe, "train", "--workspace", a.workspace, "--config", a.config], check=True)
    train_s = time.time() - t0
    run = sorted(os.listdir(os.path.join(a.workspace, "runs")))[-1]
    adapter = os.path.join(a.workspace, "adapter")
    subprocess.run([a.lathe, "export", "--workspace", a.workspace, "--run", run, "--out", adapter], check=True)
    after = [sample(a.lathe, model, p, adapter) for p in prompts]
    fmt = lambda s: s.startswith("Ahoy!") and s.endswith("— Lathe")
    n = len(prompts)
    res = {
        "run": run, "train_seconds": round(train_s, 1), "held_out_prompts": n,
        "format_before": sum(map(fmt, before)), "format_after": sum(map(fmt, after)),
        "starts_ahoy_before": sum(s.startswith("Ahoy!") for s in before),
        "starts_ahoy_after": sum(s.startswith("Ahoy!") for s in after),
        "note": "greedy decoding, one training seed (7); counts over held-out prompts of example-sft-eval.jsonl",
        "examples": [{"prompt": p, "before": b, "after": x} for p, b, x in list(zip(prompts, before, after))[:8]],
    }
    print(json.dumps(res, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
