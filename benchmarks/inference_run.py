"""A whole ``curate run`` with ``model_outputs`` against the engine alone, on the same documents, in one run.

    python benchmarks/inference_run.py [--docs 100000] [--shards 16] [--workers N] [--model roberta-base]
    python benchmarks/inference_run.py --device cpu --model minilm --docs 2000 --shards 16 --workers 2   # CPU

Documents: the benchmark texts of ``inference_gpu.py`` (real web plus sample corpus; ``--texts`` reads them
saved), repeated up to ``--docs`` and written as ``--shards`` JSONL.gz shards. Rows:

- ``engine alone``: ``InferenceEngine.predict`` over all texts already in memory (no reading, no writing);
- ``curate run, model process``: ``run_recipe`` with one ``model_outputs`` stage, ``--workers`` CPU worker
  processes reading, parsing and tokenising, and one model process per GPU (``model_process: true``),
  writing Parquet;
- ``curate run, in-process`` (with ``--in-process``): each worker loads and runs its own model copy (the CPU
  default).

Printed: wall time (the run's start-up and model loading included), tokens/s (tokens the model reads) and
the share of the engine-alone rate. Target on one GPU: the run at 85% or more of the engine alone.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from inference_cpu import build_minilm_classifier, build_roberta_base  # noqa: E402

MAX_LENGTHS = {"minilm": 256, "roberta-base": 512}

RECIPE = """
version: 1
name: scores
stages:
  - stage: model_outputs
    params:
      model: {model}
      model_name: quality
      device: {device}
      max_length: {max_length}
      decimals: 4
      engine_options: {{model_process: {model_process}}}
output:
  format: parquet
"""


def write_shards(folder: Path, texts: list[str], shards: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    per_shard = -(-len(texts) // shards)
    for index in range(shards):
        part = texts[index * per_shard : (index + 1) * per_shard]
        with gzip.open(folder / f"part-{index:03d}.jsonl.gz", "wt", encoding="utf-8") as handle:
            for number, text in enumerate(part):
                handle.write(json.dumps({"id": f"{index}-{number}", "text": text}) + "\n")


def load_corpus(args: argparse.Namespace) -> list[str]:
    if args.texts:
        from inference_gpu import read_texts

        return read_texts(args.texts)
    from inference_cpu import load_texts

    return load_texts()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--workers", type=int, default=None, help="CPU worker processes (default: the cores)")
    parser.add_argument("--model", choices=sorted(MAX_LENGTHS), default="roberta-base")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--texts", help="read the documents from this JSONL.gz (inference_gpu.py --save-texts)")
    parser.add_argument("--tokenizer", help="tokenizer folder for roberta-base (inference_gpu.py --save-tokenizer)")
    parser.add_argument("--in-process", action="store_true", help="also run with a model copy in every worker")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("no CUDA device here (use --device cpu for the CPU figures)")

    from curation import parse_recipe, run_recipe
    from curation.executors.local import default_workers
    from curation.inference import InferenceEngine

    corpus = load_corpus(args)
    texts = [corpus[i % len(corpus)] for i in range(args.docs)]
    workers = args.workers or default_workers()
    max_length = MAX_LENGTHS[args.model]
    with tempfile.TemporaryDirectory() as workdir:
        root = Path(workdir)
        if args.model == "minilm":
            folder = build_minilm_classifier(root / "model")
        else:
            folder = build_roberta_base(root / "model", Path(args.tokenizer) if args.tokenizer else None)
        write_shards(root / "in", texts, args.shards)

        engine = InferenceEngine(str(folder), device=args.device, max_length=max_length)
        engine.predict(texts[:256])
        engine.counters.clear()
        started = time.perf_counter()
        engine.predict(texts)
        if args.device == "cuda":
            torch.cuda.synchronize()
        alone = time.perf_counter() - started
        tokens = engine.counters["tokens"]
        print(f"engine: {engine.describe()}")
        del engine
        rows = [("engine alone (texts in memory)", alone, "")]

        modes = [("curate run, model process", "true")]
        if args.in_process:
            modes.append(("curate run, in-process", "false"))
        for label, model_process in modes:
            recipe = parse_recipe(
                RECIPE.format(model=folder, device=args.device, max_length=max_length, model_process=model_process),
                "bench.yaml",
            )
            started = time.perf_counter()
            report = run_recipe(
                recipe, input_path=str(root / "in"), output_path=str(root / f"out-{model_process}"), workers=workers
            )
            seconds = time.perf_counter() - started
            kept = report.summary["totals"]["kept"]
            if kept != len(texts):
                sys.exit(f"{label}: {kept} documents written, {len(texts)} expected")
            rows.append((label, seconds, f"{workers} workers, {args.shards} shards"))

    print(f"\n{args.model}, {len(texts)} documents, {tokens} tokens the model reads, device {args.device}")
    print(f"  {'method':<34} {'seconds':>8} {'tokens/s':>11} {'of engine':>9}  notes")
    for label, seconds, note in rows:
        print(f"  {label:<34} {seconds:>8.1f} {tokens / seconds:>11.0f} {alone / seconds:>9.0%}  {note}")


if __name__ == "__main__":
    main()
