#!/usr/bin/env python3
"""The example RL run and its effect, over several training seeds: for each seed, `lathe train` on the example RL
config, then `lathe eval --baseline` on the same held-out arithmetic prompts for the adapter and for the base model
(greedy accuracy with Wilson intervals, the paired per-prompt difference with a bootstrap interval, pass@1/pass@k).
Across seeds: the mean accuracy and difference with Student-t 95 % intervals (seed-to-seed variation).

    python3 scripts/example_rl_effect.py --lathe .build/release/lathe --workspace WS --config WS/configs/example-rl.toml \\
        --seeds 1,2,3 > docs/results/example-rl.json
"""
import argparse, json, math, os, re, sqlite3, subprocess, sys, time

# Student-t 0.975 quantiles by degrees of freedom (scipy.stats.t.ppf(0.975, df)).
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}


def t_interval(xs):
    n = len(xs)
    m = sum(xs) / n
    if n < 2:
        return m, [m, m]
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    h = T975.get(n - 1, 1.96) * sd / math.sqrt(n)
    return m, [m - h, m + h]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lathe", required=True)
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--k", type=int, default=8)
    a = ap.parse_args()
    text = open(a.config).read()
    per_seed = []
    for seed in [int(s) for s in a.seeds.split(",")]:
        cfg = os.path.join(a.workspace, f"rl-seed-{seed}.toml")
        open(cfg, "w").write(re.sub(r"(?m)^seed = \d+", f"seed = {seed}", text))
        t0 = time.time()
        p = subprocess.run([a.lathe, "train", "--workspace", a.workspace, "--config", cfg], capture_output=True, text=True)
        train_s = time.time() - t0
        if p.returncode != 0:
            sys.exit(f"train seed {seed} failed: {p.stderr.strip().splitlines()[-1]}")
        run = re.findall(r"\[train\] (rl-\S+) completed", p.stderr)[-1]
        t0 = time.time()
        ev = json.loads(subprocess.run([a.lathe, "eval", "--workspace", a.workspace, "--run", run, "--n", str(a.n), "--k",
                                        str(a.k), "--baseline", "--seed", str(seed), "--json"],
                                       check=True, capture_output=True, text=True).stdout)
        per_seed.append({"seed": seed, "run": run, "train_seconds": round(train_s, 1), "eval_seconds": round(time.time() - t0, 1),
                         "eval": ev})
        print(f"seed {seed}: accuracy {ev['accuracy']:.3f} (base {ev['baseline']['accuracy']:.3f}), "
              f"difference {ev['baseline']['difference']:+.3f} {ev['baseline']['difference_ci95']}, {train_s:.0f} s", file=sys.stderr)
    db = sqlite3.connect(os.path.join(a.workspace, "workspace.sqlite"))
    runs = {r[0]: r[1:] for r in db.execute("select id, sgemm_gflops, mem_read_gbs, threads, git_commit from runs")}
    first = runs[per_seed[0]["run"]]
    curves = {}
    for s in per_seed:
        rows = db.execute("select step, value from metric_points where run_id = ? and name = 'reward/mean' order by step",
                          (s["run"],)).fetchall()
        curves[s["seed"]] = [[st, round(v, 4)] for st, v in rows]
    acc = [s["eval"]["accuracy"] for s in per_seed]
    diff = [s["eval"]["baseline"]["difference"] for s in per_seed]
    acc_m, acc_ci = t_interval(acc)
    diff_m, diff_ci = t_interval(diff)
    out = {
        "config": os.path.relpath(a.config, a.workspace), "config_text": text, "seeds": [s["seed"] for s in per_seed],
        "held_out_prompts": a.n, "k": a.k,
        "base_accuracy": per_seed[0]["eval"]["baseline"]["accuracy"], "base_accuracy_ci95": per_seed[0]["eval"]["baseline"]["ci95"],
        "rl_accuracy_mean": acc_m, "rl_accuracy_t95": acc_ci, "difference_mean": diff_m, "difference_t95": diff_ci,
        "note": "greedy exact answer (last integer) on the same fixed held-out prompts for base and adapter; per-seed "
                "intervals: Wilson (accuracy) and paired bootstrap over prompts (difference); across seeds: Student-t",
        "machine": {"sgemm_gflops": first[0], "mem_read_gbs": first[1], "threads": first[2]}, "commit": first[3],
        "per_seed": per_seed, "reward_mean_curves": curves,
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
