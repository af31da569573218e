#!/usr/bin/env python3
"""LoRA training-step speed and peak memory of Lathe vs transformers + PEFT, measured back to back on this machine.

    python3 scripts/compare_train.py [--presets tiny,small] [--threads 1,2] [--rounds 2] > out.json

For every preset and thread count, runs `lathe bench train --json` and `../shared/peers/hf-live train` in turn,
`--rounds` times interleaved, each under GNU time when available (peak RSS of the whole process, %M, as the peer is
measured), and reports medians with every sample. One JSON object on stdout.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "..", "shared", "peers")
LATHE = os.path.join(ROOT, ".build", "release", "lathe")
GNU_TIME = shutil.which("time") if os.path.exists("/usr/bin/time") else None


def run_json(cmd):
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    rss = None
    if os.path.exists("/usr/bin/time"):
        with tempfile.NamedTemporaryFile("r") as f:
            out = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name] + cmd, check=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
            rss = int(open(f.name).read().strip().splitlines()[-1]) / 1024
    else:
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return json.loads(out.strip().splitlines()[-1]), rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="tiny,small")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    rows = []
    for preset in a.presets.split(","):
        for t in [int(x) for x in a.threads.split(",")]:
            lathe, hf = [], []
            for _ in range(a.rounds):
                lathe.append(run_json([LATHE, "bench", "train", "--preset", preset, "--threads", str(t), "--json"]))
                hf.append(run_json([os.path.join(PEERS, "hf-live"), "train", "--preset", preset, "--threads", str(t)]))
            med = statistics.median
            row = {
                "preset": preset, "threads": t, "rounds": a.rounds,
                "lathe": {"tokens_per_s": med([r["train"]["tokens_per_s"] for r, _ in lathe]),
                          "gflops": med([r["train"]["gflops"] for r, _ in lathe]),
                          "peak_rss_mb_getrusage": med([r["train"]["peak_rss_mb"] for r, _ in lathe]),
                          "peak_rss_mb_gnu_time": med([m for _, m in lathe]) if lathe[0][1] else None},
                "machine": {"sgemm_gflops": med([r["machine"]["sgemm_gflops"] for r, _ in lathe]),
                            "mem_read_gbs": med([r["machine"]["mem_read_gbs"] for r, _ in lathe])},
                "hf_peft": {"tokens_per_s": med([r["tokens_per_s"] for r, _ in hf]),
                            "peak_rss_mb_gnu_time": med([m for _, m in hf]) if hf[0][1] else None},
            }
            row["ratio_tokens_per_s"] = row["lathe"]["tokens_per_s"] / row["hf_peft"]["tokens_per_s"]
            if row["lathe"]["peak_rss_mb_gnu_time"] and row["hf_peft"]["peak_rss_mb_gnu_time"]:
                row["ratio_peak_rss"] = row["lathe"]["peak_rss_mb_gnu_time"] / row["hf_peft"]["peak_rss_mb_gnu_time"]
            row["raw"] = {"lathe": lathe, "hf": hf}
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "raw"}), file=sys.stderr, flush=True)
    cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(" :\t")
    print(json.dumps({"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpu": cpu,
                      "nproc": os.cpu_count(), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
