"""A real synthetic run with SmolLM2-135M-Instruct on CPU: the filters' yield, and local generation speed.

    python benchmarks/synth_smollm2.py [--per-topic 2] [--words 150] [--max-tokens 200] [--templates ...] 2>/dev/null

Sources: BBC News articles (``../shared/data/topics/bbc_news.jsonl.gz``, 5 classes used as topics), the
headline and first paragraphs up to ``--words`` words, ``--per-topic`` per class. The recipe is
``pipelines/synth.yaml``'s chain with the local transformers backend (``bundled:smollm2``, batch 8, on CPU,
``--threads`` torch threads), ``--templates`` (default: every built-in template), one rollout, the demo's
fastText quality model (trained here in seconds, or ``--quality FOLDER``) and the human-labelled quality
file as the evaluation set for decontamination. Printed: the yield table, the request ledger, the
completion tokens of every answer over the generation stage's time (model load included), and a kept
rewrite or two.

Then local generation speed on the same kind of prompts (``--speed-prompts``, ``--speed-tokens`` new tokens
each, one model load): ``model.generate`` with transformers' own sampling (one call per batch of 8, the
peer) against our backend at batch 1 and batch 8 (per-row seeded sampling), in completion tokens per second.
On a machine shared with other jobs, ``--threads 1`` avoids torch's threads waiting on each other.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
DATA = REPO_ROOT.parent / "shared" / "data"

RECIPE = """
name: synth-smollm2
stages:
  - stage: synth_requests
    params: {{templates: {templates}, per_topic: {per_topic}, rollouts: 1, seed: 0}}
  - stage: synth_generate
    params:
      backend: {{kind: transformers, model: "bundled:smollm2", device: cpu, batch_size: 8, threads: {threads}}}
      temperature: 0.7
      top_p: 0.95
      max_tokens: {max_tokens}
  - synth_format
  - synth_length
  - synth_refusal
  - synth_language
  - stage: quality_score
    params: {{model: "{quality}", threshold: 0.5, drop_below_threshold: true}}
  - synth_faithfulness
  - synth_near_dedup
  - stage: decontaminate
    params: {{paths: ["{evaluation}"]}}
"""


def sources(per_topic: int, words: int, seed: int = 0) -> list[dict]:
    with gzip.open(DATA / "topics" / "bbc_news.jsonl.gz", "rt") as handle:
        rows = [json.loads(line) for line in handle]
    labels = sorted({row["label"] for row in rows})
    rng = random.Random(seed)
    chosen = []
    for topic, label in enumerate(labels):
        members = [row for row in rows if row["label"] == label]
        for row in rng.sample(members, per_topic * 3):
            text = " ".join(row["text"].split(" ")[:words])
            chosen.append({"id": row["id"], "text": text, "topic_id": topic, "topic_name": label, "language": "en"})
    return chosen


def speed(prompts: int, new_tokens: int, threads: int | None) -> list[tuple[str, float]]:
    import torch

    from curation.synth.backends.base import ChatRequest, SamplingParams
    from curation.synth.backends.transformers_local import TransformersBackend

    backend = TransformersBackend("bundled:smollm2", device="cpu", batch_size=8, threads=threads).ready()
    texts = [row["text"] for row in sources(2, 60)][:prompts]
    requests = [
        ChatRequest(({"role": "user", "content": f"Summarise: {t}"},), SamplingParams(0.7, 0.95, new_tokens, i))
        for i, t in enumerate(texts)
    ]
    results = []
    tokenizer, model = backend.tokenizer, backend.lm
    started, produced = time.perf_counter(), 0
    for start in range(0, len(requests), 8):
        batch = [backend.prompt_text(r) for r in requests[start : start + 8]]
        encoded = tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.inference_mode():
            output = model.generate(
                **encoded, do_sample=True, temperature=0.7, top_p=0.95, max_new_tokens=new_tokens,
                pad_token_id=tokenizer.pad_token_id,
            )  # fmt: skip
        generated = output[:, encoded["input_ids"].shape[1] :]
        produced += int((generated != tokenizer.pad_token_id).sum())
    results.append(("transformers generate(do_sample), batch 8", produced / (time.perf_counter() - started)))
    for batch_size in (1, 8):
        backend.batch_size = batch_size
        started, produced = time.perf_counter(), 0
        for start in range(0, len(requests), batch_size):
            produced += sum(a.completion_tokens for a in backend.generate(requests[start : start + batch_size]))
        results.append((f"our transformers backend, batch {batch_size}", produced / (time.perf_counter() - started)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-topic", type=int, default=2)
    parser.add_argument("--words", type=int, default=150)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--speed-prompts", type=int, default=16)
    parser.add_argument("--speed-tokens", type=int, default=64)
    parser.add_argument("--show", type=int, default=2)
    parser.add_argument("--templates", nargs="+", help="template ids (default: every built-in template)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: the cores per worker)")
    parser.add_argument("--quality", help="a trained quality model folder (default: train the demo's here)")
    parser.add_argument("--speed-only", action="store_true", help="only the generation speed part")
    args = parser.parse_args()
    if args.speed_only:
        print_speed(args.speed_prompts, args.speed_tokens, args.threads)
        return 0
    if not (DATA / "topics").is_dir():
        print(f"needs {DATA / 'topics'} (../shared/data)")
        return 1
    from curation import parse_recipe, run_recipe
    from curation.classify.demo import build_demo_models
    from curation.report.ground_truth import load_output_rows
    from curation.synth.report import render_markdown, request_ledger, yield_table
    from curation.synth.templates import builtin_templates
    from tests.helpers import write_jsonl

    templates = args.templates or list(builtin_templates())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        quality = Path(args.quality) if args.quality else folder / "models" / "quality"
        if not args.quality:
            build_demo_models(folder / "models", sample_docs=400)
        rows = sources(args.per_topic, args.words)
        write_jsonl(folder / "in" / "part-0.jsonl", rows[::2])
        write_jsonl(folder / "in" / "part-1.jsonl", rows[1::2])
        recipe = parse_recipe(
            RECIPE.format(
                per_topic=args.per_topic,
                max_tokens=args.max_tokens,
                templates=json.dumps(templates),
                threads=json.dumps(args.threads),
                quality=quality,
                evaluation=DATA / "quality" / "human-labels-dev.jsonl",
            )
        )
        started = time.perf_counter()
        report = run_recipe(recipe, input_path=str(folder / "in"), output_path=str(folder / "out"), workers=1,
                            progress="none")  # fmt: skip
        wall = time.perf_counter() - started
        assert report.ok, report.summary["shards"]["failures"]
        table = yield_table(report.summary)
        print(render_markdown(table))
        cache = folder / "out" / "synth_cache.sqlite"
        print(f"\nrequest ledger: {request_ledger(cache)}")
        generate = next(s for s in report.summary["totals"]["stages"] if s["name"] == "synth_generate")
        answered = answered_tokens(cache)
        kept = load_output_rows(folder / "out", ("id", "text", "synth_completion_tokens", "synth_template_id"))
        tokens = sum(r["synth_completion_tokens"] for r in kept)
        print(
            f"whole run {wall:.0f}s; generation stage {generate['seconds']:.0f}s (model load included) for "
            f"{generate['in']} requests, {answered:,} completion tokens: "
            f"{answered / generate['seconds']:.1f} completion tokens/s"
        )
        for row in kept[: args.show]:
            print(f"\n--- {row['id']} ({row['synth_template_id']}, {row['synth_completion_tokens']} tokens)")
            print(row["text"])
        print(f"\nkept {len(kept)} rows, {tokens} tokens")
    print_speed(args.speed_prompts, args.speed_tokens, args.threads)
    return 0


def answered_tokens(cache: Path) -> int:
    """Completion tokens of every answer in a request cache."""
    import sqlite3

    with sqlite3.connect(cache) as connection:
        responses = connection.execute("SELECT response FROM requests WHERE state = 'answered'").fetchall()
    return sum(json.loads(response)["completion_tokens"] or 0 for (response,) in responses)


def print_speed(prompts: int, tokens: int, threads: int | None) -> None:
    print(f"\nlocal generation speed ({prompts} prompts, {tokens} new tokens each; completion tokens/s, CPU):")
    for name, rate in speed(prompts, tokens, threads):
        print(f"  {name:45} {rate:8.1f}")


if __name__ == "__main__":
    raise SystemExit(main())
