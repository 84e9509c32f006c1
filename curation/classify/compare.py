"""Several quality scorers against one set of human labels: ROC-AUC and accuracy with bootstrap intervals,
and each scorer's AUC gap to the best one with a paired bootstrap interval.

The evaluation file is only ever read here, to measure: nothing is trained on it and no threshold is chosen
with it (accuracy is taken at each scorer's own, fixed threshold).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from curation.classify.metrics import accuracy_with_interval, auc_with_interval, paired_auc_difference


def load_human_labels(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Texts and 0/1 labels of a ``{"text", "label"}`` JSONL file."""
    texts, labels = [], []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                texts.append(record["text"])
                labels.append(int(record["label"]))
    return texts, np.asarray(labels, dtype=int)


def compare_scorers(
    labels: np.ndarray,
    scores: dict[str, np.ndarray],
    thresholds: dict[str, float],
    rounds: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Per scorer: AUC and accuracy (at its threshold) with 95% intervals; the best by AUC and the gaps to it."""
    per_scorer: dict[str, dict[str, Any]] = {}
    for name, values in scores.items():
        predicted = (np.asarray(values) >= thresholds[name]).astype(int)
        per_scorer[name] = {
            **auc_with_interval(labels, values, rounds, seed),
            **accuracy_with_interval(labels, predicted, rounds, seed),
            "threshold": thresholds[name],
            "predicted_positive_share": round(float(predicted.mean()), 4),
        }
    best = max(per_scorer, key=lambda n: per_scorer[n]["roc_auc"] or 0.0)
    gaps = {
        name: paired_auc_difference(labels, scores[best], scores[name], rounds, seed) for name in scores if name != best
    }
    return {
        "documents": len(labels),
        "positives": int(labels.sum()),
        "scorers": per_scorer,
        "best": best,
        "best_minus_other_auc": gaps,
    }


def render_comparison(report: dict[str, Any]) -> str:
    lines = [
        f"{report['documents']} documents, {report['positives']} labeled good",
        f"{'scorer':28} {'ROC-AUC':>8} {'95% CI':>17} {'accuracy':>9} {'95% CI':>17} {'threshold':>9}",
    ]
    for name, figures in report["scorers"].items():
        auc_low, auc_high = figures["roc_auc_ci95"]
        acc_low, acc_high = figures["accuracy_ci95"]
        lines.append(
            f"{name:28} {figures['roc_auc']:>8.3f} {f'[{auc_low:.3f}, {auc_high:.3f}]':>17} "
            f"{figures['accuracy']:>9.3f} {f'[{acc_low:.3f}, {acc_high:.3f}]':>17} {figures['threshold']:>9}"
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
