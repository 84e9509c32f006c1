#!/usr/bin/env bash
# The inference engine's GPU check in one go: the engine benchmark and the end-to-end `curate run`
# benchmark on one GPU host that has torch, transformers, tokenizers, numpy and pyarrow but not the rest
# of this project's dependencies, and no ../shared.
#
#   bash benchmarks/gpu_check.sh prepare   # here, in the repository root: fills .gpu/ (ignored by git):
#                                          # cp312 wheels of the missing packages, the benchmark texts and
#                                          # the tokenizer (about 30 MB together)
#   bash benchmarks/gpu_check.sh run       # there, in the repository root, with .gpu carried along;
#                                          # about 7 minutes on one H200; logs go to $OUT (or ./gpu-results)
#
# The run: the GPU tests (tests/test_inference_gpu.py), then inference_gpu.py --variants on 40,000
# documents (HF pipeline on 4,000), then inference_run.py on 100,000 documents in 16 shards with one model
# process on the GPU and 15 CPU workers. Each step's output is kept even when a later one fails.
set -u
mode="${1:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root" || exit 1
GPU_DIR=.gpu
WHEELS=(
  datatrove==0.10.1 pydantic==2.14.4 pydantic_core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5
  orjson==3.13.0 zstandard==0.25.0 isal==1.9.1 loguru==0.7.3 dill==0.4.1 multiprocess==0.70.19
  brotli==1.2.1 ijson==3.6.0
)

prepare() {
  local exclude
  exclude="$(git rev-parse --git-path info/exclude)"
  grep -qx "/$GPU_DIR/" "$exclude" 2>/dev/null || echo "/$GPU_DIR/" >>"$exclude"
  mkdir -p "$GPU_DIR/whl"
  local platforms=()
  for n in 2_28 2_27 2_24 2_17 2014 1; do
    case "$n" in
      2014) platforms+=(--platform manylinux2014_x86_64) ;;
      1) platforms+=(--platform manylinux1_x86_64) ;;
      *) platforms+=(--platform "manylinux_${n}_x86_64") ;;
    esac
  done
  python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${platforms[@]}" --platform any -d "$GPU_DIR/whl" "${WHEELS[@]}" || exit 1
  PYTHONPATH="$root" "${PYTHON:-/work/main/.venv/bin/python}" benchmarks/inference_gpu.py \
    --save-texts "$GPU_DIR/texts.jsonl.gz" --save-tokenizer "$GPU_DIR/tokenizer" || exit 1
  du -sh "$GPU_DIR"
}

run() {
  local out="${OUT:-$root/gpu-results}"
  mkdir -p "$out"
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
    "$GPU_DIR"/whl/*.whl || exit 1
  export PYTHONPATH="/tmp/site:$root" PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$out/gpu.txt" 2>&1
  python3 -c "import torch, transformers; print(torch.__version__, transformers.__version__)" >>"$out/gpu.txt"
  timeout 80 python3 -m pytest -q -p no:cacheprovider tests/test_inference_gpu.py 2>&1 | tee "$out/gpu_tests.log"
  timeout 300 python3 benchmarks/inference_gpu.py --texts "$GPU_DIR/texts.jsonl.gz" --tokenizer "$GPU_DIR/tokenizer" \
    --docs 40000 --pipeline-docs 4000 --variants 2>&1 | tee "$out/inference_gpu.log"
  timeout 180 python3 benchmarks/inference_run.py --texts "$GPU_DIR/texts.jsonl.gz" --tokenizer "$GPU_DIR/tokenizer" \
    --docs 100000 --shards 16 --workers 15 2>&1 | tee "$out/inference_run.log"
}

case "$mode" in
  prepare) prepare ;;
  run) run ;;
  *)
    echo "usage: bash benchmarks/gpu_check.sh prepare|run" >&2
    exit 2
    ;;
esac
