# Lathe: the two commands of the README are `make run` and `make test`; both install what is missing first.
SHELL := /bin/bash
# tmux drives the workbench's end-to-end tests; dataset-fashion-mnist is the vision trials' data.
SYSTEM_PACKAGES := libncursesw5-dev libopenblas-dev libsqlite3-dev zlib1g-dev pkg-config tmux dataset-fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN := .build/release/lathe

.PHONY: run test deps build bench peers help

help:
	@echo "make run    install missing system packages, build (release), open Lathe"
	@echo "make test   install missing system packages, run the test suite"
	@echo "make bench  generation benchmark JSON for every preset and thread count (docs/results/)"

# Installs only the packages `dpkg -s` does not report as installed.
deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build -c release --product lathe

run: build
	$(RELEASE_BIN)

# The real `openai` client for the server tests, in a venv of its own (PyPI).
OPENAI_VENV := build/venv-openai
$(OPENAI_VENV)/bin/python:
	python3 -m venv $(OPENAI_VENV)
	$(OPENAI_VENV)/bin/pip install -q openai==3.57.0 httpx

test: deps $(OPENAI_VENV)/bin/python
	swift build --build-tests
	swift test --skip-build 2>&1 | tee .build/test-output.txt; status=$${PIPESTATUS[0]}; \
	failed=$$(grep -E "^✘ Test .* failed" .build/test-output.txt | grep -vc "^✘ Test run with"); \
	total=$$(grep -oE "Test run with [0-9]+ tests" .build/test-output.txt | grep -oE "[0-9]+" | tail -n 1); \
	echo; echo "$$(( $${total:-0} - failed )) passed, $$failed failed"; exit $$status

# Generation benchmark on every preset, 1 and 2 threads, f32 and bf16 weights: one JSON object per line.
bench: build
	@mkdir -p docs/results
	@for p in tiny small medium; do for t in 1 2; do for w in f32 bf16; do \
		$(RELEASE_BIN) bench generate --preset $$p --threads $$t --weights $$w --json; \
	done; done; done | tee docs/results/bench-generate.jsonl

# ---- make reproduce: hour-scale results, JSON committed under docs/results/ ----------------------------------------
HF_PY := /tmp/hf-live/venv/bin/python
PEERS := ../shared/peers
BASE_DIR := workspaces/default/models/lathe-base

.PHONY: reproduce reproduce-vision-pretrain reproduce-vision-trials reproduce-serve-load reproduce-example-rl reproduce-example-sft reproduce-fixtures reproduce-base-model reproduce-peft-roundtrip reproduce-bench-generate reproduce-bench-train reproduce-bench-tui reproduce-bench-workspace

reproduce: reproduce-base-model reproduce-vision-pretrain reproduce-vision-trials reproduce-example-sft reproduce-example-rl reproduce-peft-roundtrip reproduce-bench-generate reproduce-bench-train reproduce-bench-tui reproduce-bench-workspace reproduce-serve-load

# transformers/PEFT/tokenizers fixtures (needs the peers' venv: ../shared/peers/hf-live setup).
reproduce-fixtures:
	$(PEERS)/hf-live setup >/dev/null
	$(HF_PY) Tests/Fixtures/generate_model_fixtures.py
	$(HF_PY) Tests/Fixtures/generate_lora_fixtures.py

# The shipped base model: corpus (seed 0) -> BPE tokenizer (vocab 4096) -> 2 500 pretraining steps on 2 cores.
reproduce-base-model: build
	python3 scripts/build_corpus.py --seed 0 --out build/corpus
	$(RELEASE_BIN) tokenizer train build/corpus/train.jsonl --vocab-size 4096 --out build/tokenizer-4096
	rm -rf build/pretrain-base
	$(RELEASE_BIN) pretrain --corpus build/corpus --tokenizer build/tokenizer-4096/tokenizer.json --out build/pretrain-base \
		--steps 2500 --batch 16 --seq-len 256 --hidden 256 --layers 6 --heads 8 --kv-heads 4 --head-dim 32 \
		--experts 8 --top-k 2 --moe-inter 224 --lr 3e-3 --warmup 100 --min-lr-ratio 0.1 --weight-decay 0.1 \
		--aux-coef 0.01 --eval-every 250 --checkpoint-every 100 --time-limit 80 --threads 2 --seed 0
	rm -rf $(BASE_DIR) && mkdir -p $(BASE_DIR) && cp build/pretrain-base/model/* $(BASE_DIR)/
	python3 scripts/summarize_pretraining.py build/pretrain-base > docs/results/base-model.json

# PEFT + transformers load what Lathe exports (adapter and merged model) and agree on logprobs.
reproduce-peft-roundtrip: build
	$(PEERS)/hf-live setup >/dev/null
	rm -rf build/roundtrip && mkdir -p build/roundtrip
	cp -r workspaces/default/models workspaces/default/datasets workspaces/default/configs build/roundtrip/
	sed 's/^steps = .*/steps = 20/' workspaces/default/configs/example-sft.toml > build/roundtrip/rt.toml
	$(RELEASE_BIN) train --workspace build/roundtrip --config build/roundtrip/rt.toml
	$(RELEASE_BIN) export --workspace build/roundtrip --run $$(ls build/roundtrip/runs | head -1) --out build/roundtrip/adapter
	$(RELEASE_BIN) merge --model $(BASE_DIR) --adapter build/roundtrip/adapter --out build/roundtrip/merged
	$(HF_PY) scripts/check_peft_export.py --base $(BASE_DIR) --adapter build/roundtrip/adapter \
		--merged build/roundtrip/merged --lathe $(RELEASE_BIN) > docs/results/peft-roundtrip.json

reproduce-bench-generate: build
	python3 scripts/compare_generate.py --rounds 3 > docs/results/bench-generate.json

reproduce-bench-train: build
	python3 scripts/compare_train.py --rounds 3 > docs/results/bench-train.json

# Workbench key -> redrawn-frame latency while the example run trains on both cores (3 seeds), and workspace reload.
reproduce-bench-tui: build
	for s in 1 2 3; do $(RELEASE_BIN) bench tui --keys 400 --seed $$s --json; done > docs/results/bench-tui.jsonl

reproduce-bench-workspace: build
	$(RELEASE_BIN) bench workspace --json > docs/results/bench-workspace.json

# 64 concurrent streaming chat requests (32 tokens each) to `lathe serve` on the shipped base model, with /health
# probed during the load, through the real openai client.
reproduce-serve-load: build $(OPENAI_VENV)/bin/python
	@rm -f build/serve.err; $(RELEASE_BIN) serve --workspace workspaces/default --port 0 2> build/serve.err & pid=$$!; \
	for i in $$(seq 100); do grep -q "http://" build/serve.err 2>/dev/null && break; sleep 0.1; done; \
	url=$$(grep -o "http://[^ ]*" build/serve.err | head -1); \
	$(OPENAI_VENV)/bin/python Tests/ServerTests/openai_client_check.py --base-url $$url --base-model lathe-base --run - \
		--lathe $(RELEASE_BIN) --workspace workspaces/default --load 64 --load-only > docs/results/serve-load.json; \
	status=$$?; kill $$pid; exit $$status

# The example SFT run of the default workspace, on a scratch copy: samples of the eval prompts before and after.
reproduce-example-sft: build
	rm -rf build/sft-demo && mkdir -p build/sft-demo
	cp -r workspaces/default/models workspaces/default/datasets workspaces/default/configs build/sft-demo/
	python3 scripts/example_sft_effect.py --lathe $(RELEASE_BIN) --workspace build/sft-demo \
		--config build/sft-demo/configs/example-sft.toml > docs/results/example-sft.json

# The example RL run of the default workspace (arithmetic, GRPO groups, PPO loss) for 3 seeds on a scratch copy:
# held-out accuracy of each adapter and of the base model on the same 200 prompts, paired differences, pass@8.
reproduce-example-rl: build
	rm -rf build/rl-demo && mkdir -p build/rl-demo
	cp -r workspaces/default/models workspaces/default/datasets workspaces/default/configs build/rl-demo/
	python3 scripts/example_rl_effect.py --lathe $(RELEASE_BIN) --workspace build/rl-demo \
		--config build/rl-demo/configs/example-rl.toml --seeds 1,2,3 > docs/results/example-rl.json

# The shipped vision towers (docs/VISION.md): the VLM's, aligned to captions through the frozen base model (2 400
# steps of 32 images, 1 thread, ~25 min), then the self-supervised one (SimCLR) trained to the same compute.
VISION_DIR := workspaces/default/models/vision
reproduce-vision-pretrain: build
	rm -rf build/vision && mkdir -p build/vision
	$(RELEASE_BIN) vision-pretrain --kind vlm --out build/vision/vlm --steps 2400 --batch 32 --lr 1e-3 --warmup 100 \
		--threads 1 --seed 0 --time-limit 40
	$(RELEASE_BIN) vision-pretrain --kind ssl --out build/vision/ssl --match-flops build/vision/vlm --batch 128 --lr 1e-3 \
		--warmup 100 --threads 1 --seed 0 --time-limit 40
	rm -rf $(VISION_DIR) && mkdir -p $(VISION_DIR) && cp -r build/vision/vlm build/vision/ssl $(VISION_DIR)/
	python3 -c 'import json; r={k: json.load(open("$(VISION_DIR)/"+k+"/config.json")) for k in ("vlm","ssl")}; print(json.dumps(r, indent=1, sort_keys=True))' \
		> docs/results/vision-pretrain.json

# The full trial grid (5 shot counts x 20 seeds x 3 methods) with the machine's figures.
reproduce-vision-trials: build
	$(RELEASE_BIN) vision-trial --preset full --threads 2 --machine --json > docs/results/vision-trials.json
