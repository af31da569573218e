"""Checks `lathe serve` / `lathe train --serve` with the real `openai` Python client.

Run by Tests/CLITests/ServeCLITests.swift (CI) with the venv `make test` creates (build/venv-openai). Prints one JSON
object of measurements; exits 1 with a message on the first failed check.

  python openai_client_check.py --base-url URL --base-model NAME --run RUN --lathe BIN --workspace DIR [--load N]
"""
import argparse
import asyncio
import json
import math
import subprocess
import sys
import threading
import time

import httpx
import openai

def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)

def check(cond, msg):
    if not cond:
        fail(msg)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--base-model", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--lathe", required=True)
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--load", type=int, default=64)
    ap.add_argument("--load-only", action="store_true", help="only the load test (make reproduce-serve-load)")
    ap.add_argument("--max-tokens", type=int, default=32, help="per request in the load test")
    a = ap.parse_args()
    out = {"openai_version": openai.__version__}
    if a.load_only:
        out["load"] = asyncio.run(load(a.base_url, a.base_model, a.load, a.max_tokens))
        print(json.dumps(out))
        return
    client = openai.OpenAI(base_url=a.base_url, api_key="unused", max_retries=0, timeout=120)
    msgs = [{"role": "user", "content": "What is 2+2?"}]

    # Models: the base and the live run.
    ids = [m.id for m in client.models.list().data]
    check(a.base_model in ids and a.run in ids, f"/v1/models lists the base and the live run: {ids}")
    check(client.models.retrieve(a.base_model).id == a.base_model, "GET /v1/models/{id}")

    # Chat completion, usage, seeded determinism, streaming equals non-streaming.
    r1 = client.chat.completions.create(model=a.base_model, messages=msgs, max_tokens=24, seed=5, temperature=1.0)
    r2 = client.chat.completions.create(model=a.base_model, messages=msgs, max_tokens=24, seed=5, temperature=1.0)
    r3 = client.chat.completions.create(model=a.base_model, messages=msgs, max_tokens=24, seed=6, temperature=1.0)
    c1 = r1.choices[0].message.content
    check(isinstance(c1, str) and r1.choices[0].message.role == "assistant", "chat completion has an assistant message")
    check(r1.usage.completion_tokens >= 1 and r1.usage.total_tokens == r1.usage.prompt_tokens + r1.usage.completion_tokens, f"usage: {r1.usage}")
    check(c1 == r2.choices[0].message.content, "same seed gives the same output")
    out["different_seed_differs"] = c1 != r3.choices[0].message.content
    chunks = list(client.chat.completions.create(model=a.base_model, messages=msgs, max_tokens=24, seed=5, temperature=1.0,
                                                  stream=True, stream_options={"include_usage": True}))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    check(streamed == c1, f"stream joins to the same text: {streamed!r} vs {c1!r}")
    check(chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == r1.usage.completion_tokens, "stream usage chunk")
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    check(finishes == [r1.choices[0].finish_reason], f"one finish_reason in the stream: {finishes}")

    # n, stop, logprobs / top_logprobs.
    rn = client.chat.completions.create(model=a.base_model, messages=msgs, max_tokens=12, seed=1, n=3)
    check(sorted(c.index for c in rn.choices) == [0, 1, 2], "n = 3 gives three choices")
    rl = client.chat.completions.create(model=a.base_model, messages=msgs, max_tokens=12, seed=1, logprobs=True, top_logprobs=3)
    content = rl.choices[0].logprobs.content
    check(len(content) == rl.usage.completion_tokens, "one logprob entry per token")
    for e in content:
        check(e.logprob <= 1e-6 and len(e.top_logprobs) == 3, f"logprob entry: {e}")
        tops = [t.logprob for t in e.top_logprobs]
        check(tops == sorted(tops, reverse=True) and e.logprob <= tops[0] + 1e-6, "top_logprobs sorted, sampled ≤ best")
    rs = client.completions.create(model=a.base_model, prompt="Once upon a time", max_tokens=40, seed=2, stop=[" the"])
    check(" the" not in rs.choices[0].text, "stop string cuts the text")

    # The live adapter changes as training proceeds.
    def live_logprobs():
        r = client.completions.create(model=a.run, prompt="What is 2+2?", max_tokens=8, temperature=0, logprobs=1)
        return r.choices[0].logprobs.token_logprobs
    first = live_logprobs()
    time.sleep(2.0)
    second = live_logprobs()
    out["live_logprob_change"] = max(abs(x - y) for x, y in zip(first, second)) if first != second else 0.0
    check(first != second, "the live adapter's logprobs change as training proceeds")

    # A checkpoint's sampled logprobs equal `lathe logprobs` on the same ids to <= 1e-5.
    deadline = time.time() + 60
    while True:
        ckpts = sorted(m.id for m in client.models.list().data if m.id.startswith(a.run + "/"))
        if ckpts or time.time() > deadline:
            break
        time.sleep(0.5)
    check(ckpts, "a checkpoint of the live run is listed")
    ckpt = ckpts[0]
    prompt = "What is 7+5?"
    rc = client.completions.create(model=ckpt, prompt=prompt, max_tokens=16, temperature=0.8, seed=3, logprobs=2)
    lp = rc.choices[0].logprobs
    token_ids = lp.model_extra["token_ids"] if hasattr(lp, "model_extra") and lp.model_extra else lp.token_ids
    base_dir = f"{a.workspace}/models/{a.base_model}"
    tok = json.loads(subprocess.run([a.lathe, "tokenize", "--tokenizer", base_dir, "--text", prompt, "--json"], check=True,
                                    capture_output=True, text=True).stdout)
    seq = tok["ids"] + token_ids
    ref = json.loads(subprocess.run([a.lathe, "logprobs", "--model", base_dir, "--adapter",
                                     f"{a.workspace}/runs/{a.run}/checkpoints/{ckpt.split('/')[1]}",
                                     "--ids", ",".join(map(str, seq)), "--json"], check=True, capture_output=True, text=True).stdout)
    ref_lp = ref["sequences"][0]["logprobs"][len(tok["ids"]) - 1:]
    diff = max(abs(x - y) for x, y in zip(lp.token_logprobs, ref_lp))
    out["checkpoint_logprob_max_abs_diff"] = diff
    check(len(ref_lp) == len(lp.token_logprobs) and diff <= 1e-5, f"served vs lathe logprobs differ by {diff}")

    # Errors in OpenAI's shape with the right status.
    raw = httpx.post(a.base_url + "/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    check(raw.status_code == 400 and "error" in raw.json() and set(raw.json()["error"]) == {"message", "type", "param", "code"},
          f"malformed JSON: {raw.status_code} {raw.text}")
    try:
        client.chat.completions.create(model=a.base_model, messages=msgs, max_tokens=4, extra_body={"bogus_field": 1})
        fail("unknown field accepted")
    except openai.BadRequestError as e:
        check(e.body.get("param") == "bogus_field", f"unknown field names the param: {e.body}")
    try:
        client.chat.completions.create(model="no-such-model", messages=msgs, max_tokens=4)
        fail("unknown model accepted")
    except openai.NotFoundError as e:
        check(e.body.get("code") == "model_not_found", f"404 body: {e.body}")
    try:
        client.chat.completions.create(model=a.base_model, messages=msgs, max_tokens=10 ** 6)
        fail("huge max_tokens accepted")
    except openai.BadRequestError as e:
        check(e.body.get("param") == "max_tokens", f"max_tokens bound: {e.body}")
    big = httpx.post(a.base_url + "/chat/completions", content=b"x" * (2 << 20), headers={"content-type": "application/json"})
    check(big.status_code == 413, f"body over 1 MB: {big.status_code}")

    # A keyed server (read-only on the same workspace): 401 without or with a wrong key, 429 when the queue is full.
    proc = subprocess.Popen([a.lathe, "serve", "--workspace", a.workspace, "--port", "0", "--api-key", "tml-secret",
                             "--max-queue", "1", "--threads", "1"], stderr=subprocess.PIPE, text=True)
    try:
        url = None
        for line in proc.stderr:
            if "http://" in line:
                url = line.split("http://")[1].split(" ")[0]
                break
        check(url, "the keyed server printed its address")
        keyed = f"http://{url}"
        for key in [None, "tml-wrong"]:
            headers = {"authorization": f"Bearer {key}"} if key else {}
            r = httpx.get(keyed + "/models", headers=headers)
            check(r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key", f"401 for key {key}: {r.status_code}")
        good = openai.OpenAI(base_url=keyed, api_key="tml-secret", max_retries=0, timeout=120)
        check(a.base_model in [m.id for m in good.models.list().data], "the right key works")
        statuses = []
        def slow():
            try:
                good.completions.create(model=a.base_model, prompt="Count:", max_tokens=200, temperature=1, seed=1)
                statuses.append(200)
            except openai.APIStatusError as e:
                statuses.append(e.status_code)
        threads = [threading.Thread(target=slow) for _ in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        check(429 in statuses and 200 in statuses, f"queue bound gives 429: {statuses}")
        # A client that disconnects mid-stream cancels its generation: the server stays healthy and serves the next.
        with httpx.stream("POST", keyed + "/completions", headers={"authorization": "Bearer tml-secret"},
                          json={"model": a.base_model, "prompt": "Count:", "max_tokens": 1000, "n": 16, "stream": True}) as s:
            for _ in s.iter_lines():
                break
        t0 = time.time()
        health = {}
        while time.time() - t0 < 30:
            health = httpx.get(keyed.rsplit("/v1", 1)[0] + "/health", headers={"authorization": "Bearer tml-secret"}).json()
            if health["queue"] == 0:
                break
            time.sleep(0.02)
        check(health.get("cancelled", 0) >= 1 and health["queue"] == 0, f"the disconnected stream was cancelled: {health}")
        out["after_disconnect_queue_free_s"] = time.time() - t0
        check(good.completions.create(model=a.base_model, prompt="Hi", max_tokens=2).choices, "served after a disconnect")
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    # Load: N concurrent streaming requests all complete; /health stays responsive meanwhile.
    out["load"] = asyncio.run(load(a.base_url, a.base_model, a.load, a.max_tokens))
    print(json.dumps(out))

async def load(base_url, model, n, max_tokens):
    client = openai.AsyncOpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=600)
    health_ms = []
    done = asyncio.Event()

    async def probe():
        async with httpx.AsyncClient() as h:
            while not done.is_set():
                t = time.perf_counter()
                r = await h.get(base_url.rsplit("/v1", 1)[0] + "/health")
                health_ms.append((time.perf_counter() - t) * 1000)
                check(r.status_code == 200, "health during load")
                await asyncio.sleep(0.1)

    async def one(i):
        t = time.perf_counter()
        first = None
        tokens = 0
        finished = False
        stream = await client.chat.completions.create(model=model, messages=[{"role": "user", "content": f"Say {i}."}],
                                                      max_tokens=max_tokens, seed=i, stream=True, stream_options={"include_usage": True})
        async for chunk in stream:
            if chunk.choices and first is None:
                first = time.perf_counter() - t
            if chunk.choices and chunk.choices[0].finish_reason:
                finished = True
            if chunk.usage:
                tokens = chunk.usage.completion_tokens
        check(finished and tokens > 0, f"stream {i} ended with a finish_reason and usage")
        return time.perf_counter() - t, first or 0.0, tokens

    prober = asyncio.create_task(probe())
    t0 = time.perf_counter()
    results = await asyncio.gather(*[one(i) for i in range(n)])
    wall = time.perf_counter() - t0
    done.set()
    await prober
    lat = sorted(r[0] * 1000 for r in results)
    pct = lambda v, q: v[min(len(v) - 1, math.ceil(q * len(v)) - 1)]
    tokens = sum(r[2] for r in results)
    check(len(results) == n, "every streaming request completed")
    hs = sorted(health_ms)
    return {"requests": n, "completed": len(results), "max_tokens": max_tokens, "wall_s": wall, "tokens": tokens, "tokens_per_s": tokens / wall,
            "latency_p50_ms": pct(lat, 0.5), "latency_p99_ms": pct(lat, 0.99),
            "first_token_p50_ms": pct(sorted(r[1] * 1000 for r in results), 0.5),
            "health_probes": len(hs), "health_p50_ms": pct(hs, 0.5) if hs else None, "health_max_ms": hs[-1] if hs else None}

if __name__ == "__main__":
    main()
