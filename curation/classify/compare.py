"""Several quality scorers against one set of human labels, each beside the word-count baseline.

For every scorer: ROC-AUC, length-controlled AUC (``metrics.length_controlled_auc``: AUC among documents of
similar length, so a scorer's value beyond length shows), accuracy at the scorer's own fixed threshold, all
with 95% bootstrap intervals; its AUC gap to the word count with a paired bootstrap interval; and the best
scorer's AUC gap to each other one.

The word count is always one of the scorers: on web text good documents are longer, and a scorer that does
not beat the word count has learned nothing a ``len(text.split())`` would not give.

The evaluation file is only ever read here, to measure: nothing is trained on it and no threshold is chosen
with it (accuracy is taken at each scorer's own, fixed threshold).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from curation.classify.metrics import (
    BOOTSTRAP_ROUNDS,
    LENGTH_BUCKETS,
    accuracy_with_interval,
    auc_with_interval,
    length_buckets,
    length_controlled_auc_with_interval,
    paired_auc_difference,
)

WORD_COUNT = "word count"
WORD_COUNT_THRESHOLD = 100.0
"""The word count's fixed decision point for its accuracy: twice the 50 words below which Gopher's rules drop
a document. Only the accuracy column depends on it; the AUCs need no threshold."""


def load_human_labels(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Texts and 0/1 labels of a ``{"text", "label"}`` JSONL file."""
    texts, labels = [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                texts.append(record["text"])
                labels.append(int(record["label"]))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{number}: expected {{'text': str, 'label': 0 or 1}}: {error}") from None
    return texts, np.asarray(labels, dtype=int)


def compare_scorers(
    labels: np.ndarray,
    scores: dict[str, np.ndarray],
    thresholds: dict[str, float],
    word_counts: np.ndarray,
    rounds: int = BOOTSTRAP_ROUNDS,
    seed: int = 0,
    buckets: int = LENGTH_BUCKETS,
) -> dict[str, Any]:
    """Per scorer (the word count first): AUC, length-controlled AUC and accuracy with 95% intervals, and the
    AUC gap to the word count; then the best by AUC and its gaps to the others.

    Args:
        labels: (n,) 0/1 human labels.
        scores: name -> (n,) scores, higher = better; NaN is not allowed.
        thresholds: name -> the scorer's fixed decision point (for accuracy).
        word_counts: (n,) words per document (``metrics.word_counts``): the baseline and the length buckets.
    """
    labels = np.asarray(labels, dtype=int)
    word_counts = np.asarray(word_counts, dtype=float)
    for name, values in scores.items():
        if len(values) != len(labels) or np.isnan(np.asarray(values, dtype=float)).any():
            raise ValueError(f"scorer {name!r}: expected {len(labels)} scores without NaN")
    every = {WORD_COUNT: word_counts, **{n: np.asarray(v, dtype=float) for n, v in scores.items() if n != WORD_COUNT}}
    limits = {WORD_COUNT: WORD_COUNT_THRESHOLD, **thresholds}
    bucket_of = length_buckets(word_counts, buckets)
    per_scorer: dict[str, dict[str, Any]] = {}
    for name, values in every.items():
        predicted = (values >= limits[name]).astype(int)
        per_scorer[name] = {
            **auc_with_interval(labels, values, rounds, seed),
            **length_controlled_auc_with_interval(labels, values, bucket_of, rounds, seed),
            **accuracy_with_interval(labels, predicted, rounds, seed),
            "threshold": limits[name],
            "predicted_positive_share": round(float(predicted.mean()), 4),
        }
        if name != WORD_COUNT:
            per_scorer[name]["minus_word_count_auc"] = paired_auc_difference(labels, values, word_counts, rounds, seed)
    best = max(per_scorer, key=lambda n: per_scorer[n]["roc_auc"] or 0.0)
    gaps = {
        name: paired_auc_difference(labels, every[best], every[name], rounds, seed) for name in every if name != best
    }
    return {
        "documents": len(labels),
        "positives": int(labels.sum()),
        "length_buckets": {
            "buckets": len(np.unique(bucket_of)),
            "word_count_edges": [round(float(e), 1) for e in np.quantile(word_counts, np.linspace(0, 1, buckets + 1))],
        },
        "scorers": per_scorer,
        "best": best,
        "best_minus_other_auc": gaps,
    }


def _interval(values: list[float]) -> str:
    low, high = values
    return f"[{low:.3f}, {high:.3f}]"


def render_comparison(report: dict[str, Any]) -> str:
    """The comparison as a table: one line per scorer, then the AUC gaps."""
    edges = report["length_buckets"]["word_count_edges"]
    lines = [
        f"{report['documents']} documents, {report['positives']} labeled good; length-controlled AUC within "
        f"{report['length_buckets']['buckets']} word-count buckets (edges {', '.join(f'{e:g}' for e in edges)})",
        f"{'scorer':30} {'ROC-AUC':>7} {'95% CI':>16} {'len-ctrl AUC':>12} {'95% CI':>16} "
        f"{'accuracy':>8} {'95% CI':>16} {'AUC - words':>11} {'95% CI':>18}",
    ]
    for name, figures in report["scorers"].items():
        gap = figures.get("minus_word_count_auc")
        if gap:
            low, high = gap["ci95"]
            gap_text = f"{gap['difference']:>+11.3f} {f'[{low:+.3f}, {high:+.3f}]':>18}"
        else:
            gap_text = f"{'-':>11} {'':>18}"
        controlled = figures["length_controlled_auc"]
        lines.append(
            f"{name[:30]:30} {figures['roc_auc']:>7.3f} {_interval(figures['roc_auc_ci95']):>16} "
            f"{controlled if controlled is None else f'{controlled:.3f}':>12} "
            f"{_interval(figures['length_controlled_auc_ci95']):>16} "
            f"{figures['accuracy']:>8.3f} {_interval(figures['accuracy_ci95']):>16} {gap_text}"
        )
    best = report["best"]
    lines.append(f"best by ROC-AUC: {best}")
    for name, gap in report["best_minus_other_auc"].items():
        low, high = gap["ci95"]
        lines.append(
            f"  {best} - {name}: AUC {gap['difference']:+.3f} [{low:+.3f}, {high:+.3f}], "
            f"{best} ahead in {gap['first_better_share']:.0%} of bootstrap resamples"
        )
    return "\n".join(lines)
