"""Metrics of a trained classifier on labeled examples, overall and per source.

Per-source figures are the point: a classifier trained on a few sources can score well overall by
recognising the sources rather than the quality. So each source is reported on its own, and a source held
out of training is reported separately. A source holding one class only (all reference documents, say)
has no AUC of its own; it gets ``roc_auc_vs_other_class``: its documents against the other class's
documents of the validation split, which asks "does the classifier rank this unseen source above the bad
documents it knows?".

Beside each binary report: the word count's own AUC on the same documents (the baseline a quality scorer
must beat) and the scorer's length-controlled AUC (``metrics.length_controlled_auc``). And when a held-out
source's accuracy falls far below the validation accuracy, the report carries a warning: the classifier
recognises its training sources rather than quality.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from curation.classify.labels import LabeledExample
from curation.classify.metrics import (
    binary_metrics,
    length_buckets,
    length_controlled_auc,
    multiclass_metrics,
    per_source,
    regression_metrics,
    roc_auc,
    word_counts,
)
from curation.classify.models import ClassifierModel, quality_scores, top_labels

logger = logging.getLogger(__name__)
SOURCE_GAP_WARNING = 0.2
"""A held-out source whose accuracy is this far (or more) below the validation accuracy draws a warning."""


def _binary_truth(model: ClassifierModel, examples: Sequence[LabeledExample]) -> np.ndarray | None:
    """1 for examples of the positive class (or score >= threshold), when the task is binary."""
    card = model.card
    if model.is_regression or card.head == "regression":
        return np.asarray([(e.score or 0.0) >= card.threshold for e in examples], dtype=int)
    if card.positive_label is not None:
        return np.asarray([e.label == card.positive_label for e in examples], dtype=int)
    return None


def length_baseline(truth: np.ndarray, scores: np.ndarray, lengths: np.ndarray) -> dict[str, float | None]:
    """The word count's AUC and the scorer's length-controlled AUC on the same documents."""
    word_auc = roc_auc(truth, lengths)
    controlled = length_controlled_auc(truth, scores, length_buckets(lengths))
    return {
        "word_count_auc": None if word_auc is None else round(word_auc, 4),
        "length_controlled_auc": None if controlled is None else round(controlled, 4),
    }


def _binary_report(
    truth: np.ndarray,
    scores: np.ndarray,
    sources: list[str],
    threshold: float,
    pool: tuple[np.ndarray, np.ndarray],
    lengths: np.ndarray,
) -> dict[str, Any]:
    pool_truth, pool_scores = pool

    def one_source(indices: np.ndarray) -> dict[str, Any]:
        result = binary_metrics(truth[indices], scores[indices], threshold)
        classes = set(truth[indices].tolist())
        if len(classes) == 1:
            (only,) = classes
            others = pool_scores[pool_truth != only]
            if len(others):
                combined_truth = np.r_[np.full(len(indices), only), np.full(len(others), 1 - only)]
                auc = roc_auc(combined_truth, np.r_[scores[indices], others])
                result["roc_auc_vs_other_class"] = None if auc is None else round(auc, 4)
        return result

    return {
        "overall": {**binary_metrics(truth, scores, threshold), **length_baseline(truth, scores, lengths)},
        "per_source": per_source(sources, one_source),
    }


def source_warnings(report: dict[str, Any], gap: float = SOURCE_GAP_WARNING) -> list[str]:
    """Warnings for held-out sources whose accuracy is ``gap`` or more below the validation accuracy."""
    validation = report.get("validation", {}).get("overall", {}).get("accuracy")
    held_out = report.get("held_out", {}).get("per_source", {})
    if validation is None:
        return []
    warnings = []
    for source, figures in held_out.items():
        accuracy = figures.get("accuracy")
        if accuracy is not None and accuracy <= validation - gap:
            warnings.append(
                f"held-out source {source!r}: accuracy {accuracy:.2f} against {validation:.2f} on the validation "
                "split: the classifier recognises its training sources more than quality (more sources, or "
                "labels made per document, e.g. LLM annotations, help)"
            )
    return warnings


def evaluate_examples(
    model: ClassifierModel,
    validation: Sequence[LabeledExample],
    held_out: Sequence[LabeledExample] = (),
) -> dict[str, Any]:
    """``{"validation": {...}, "held_out": {...}}``: overall and per-source metrics of ``model``."""
    report: dict[str, Any] = {}
    parts = [("validation", list(validation)), ("held_out", list(held_out))]
    outputs = {name: model.predict([e.text for e in part]) for name, part in parts if part}
    validation_pool: tuple[np.ndarray, np.ndarray] | None = None
    for name, part in parts:
        if not part:
            continue
        values = outputs[name]
        sources = [e.source for e in part]
        lengths = word_counts([e.text for e in part])
        truth = _binary_truth(model, part)
        if truth is not None:
            scores = quality_scores(model, values)
            if validation_pool is None:
                validation_pool = (truth, scores)
            report[name] = _binary_report(truth, scores, sources, model.card.threshold, validation_pool, lengths)
            if model.card.head == "regression":
                actual = np.asarray([e.score for e in part], dtype=float)
                report[name]["regression"] = regression_metrics(actual, scores, model.card.threshold)
        else:
            predicted, _ = top_labels(model, values)
            actual = [e.label or "" for e in part]
            predicted_array = np.asarray(predicted, dtype=object)
            actual_array = np.asarray(actual, dtype=object)
            report[name] = {
                "overall": multiclass_metrics(actual, predicted, model.label_names),
                "per_source": per_source(
                    sources,
                    lambda i, p=predicted_array, a=actual_array: {
                        "n": len(i),
                        "accuracy": round(float((p[i] == a[i]).mean()), 4),
                    },
                ),
            }
    warnings = source_warnings(report)
    for warning in warnings:
        logger.warning(warning)
    if warnings:
        report["warnings"] = warnings
    return report
