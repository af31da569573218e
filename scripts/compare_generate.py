#!/usr/bin/env python3
"""Generation speed of Lathe vs llama.cpp and transformers, measured back to back on this machine.

    python3 scripts/compare_generate.py [--presets tiny,small,medium] [--threads 1,2] [--rounds 2] > out.json

For every preset and thread count, runs in turn: `lathe bench generate` (f32 and bf16 weights),
`../shared/peers/llamacpp-live` and `../shared/peers/hf-live generate`, `--rounds` times (interleaved, so drift in
machine load hits all sides alike), and reports medians over rounds of each tool's own median, with every sample.
Progress goes to stderr; one JSON object to stdout.
"""
import argparse, json, os, platform, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "..", "shared", "peers")
LATHE = os.path.join(ROOT, ".build", "release", "lathe")


def run_json(cmd):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="tiny,small,medium")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--no-hf", action="store_true")
    a = ap.parse_args()
    rows = []
    for preset in a.presets.split(","):
        for t in [int(x) for x in a.threads.split(",")]:
            raw = {"lathe_f32": [], "lathe_bf16": [], "llamacpp": [], "hf": []}
            for _ in range(a.rounds):
                for w in ("f32", "bf16"):
                    raw[f"lathe_{w}"].append(run_json([LATHE, "bench", "generate", "--preset", preset, "--threads",
                                                       str(t), "--weights", w, "--json"]))
                raw["llamacpp"].append(run_json([os.path.join(PEERS, "llamacpp-live"), "--preset", preset,
                                                 "--threads", str(t)]))
                if not a.no_hf:
                    raw["hf"].append(run_json([os.path.join(PEERS, "hf-live"), "generate", "--preset", preset,
                                               "--threads", str(t)]))
            med = lambda xs: statistics.median(xs) if xs else None
            row = {"preset": preset, "threads": t, "rounds": a.rounds}
            for w in ("f32", "bf16"):
                g = [r["generate"] for r in raw[f"lathe_{w}"]]
                row[f"lathe_{w}"] = {k: med([x[k] for x in g]) for k in
                                     ("tokens_per_s", "decode_tokens_per_s", "prefill256_tokens_per_s", "weights_gbs")}
            row["machine"] = {k: med([r["machine"][k] for r in raw["lathe_f32"] + raw["lathe_bf16"]])
                              for k in ("sgemm_gflops", "mem_read_gbs")}
            row["llamacpp"] = {k: med([r[k] for r in raw["llamacpp"]]) for k in
                               ("gen_32p128_tokens_per_s", "tg128_tokens_per_s", "prefill256_tokens_per_s")}
            if raw["hf"]:
                row["hf"] = {"tokens_per_s": med([r["tokens_per_s"] for r in raw["hf"]])}
            L, P = row["lathe_f32"], row["llamacpp"]
            row["ratios"] = {
                "gen_f32_vs_llamacpp": L["tokens_per_s"] / P["gen_32p128_tokens_per_s"],
                "gen_bf16_vs_llamacpp": row["lathe_bf16"]["tokens_per_s"] / P["gen_32p128_tokens_per_s"],
                "prefill_vs_llamacpp": L["prefill256_tokens_per_s"] / P["prefill256_tokens_per_s"],
            }
            row["raw"] = raw
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "raw"}), file=sys.stderr, flush=True)
    print(json.dumps({"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": platform.processor()
                      or platform.machine(), "cpu": open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0]
                      .strip(" :\t"), "nproc": os.cpu_count(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
