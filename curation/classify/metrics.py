"""Classifier metrics: ROC-AUC, length-controlled ROC-AUC, accuracy, F1, regression errors, per source, with
bootstrap intervals.

ROC-AUC is the headline for a quality scorer because it does not depend on a threshold: it is the
probability that a random good document scores above a random bad one. Accuracy needs a threshold and is
reported at the card's threshold, never at one tuned to the evaluation data.

Length is the confound to watch: on web text, good documents are longer on average, so a scorer can reach a
respectable AUC by measuring length alone (the word count is itself a scorer, and a strong one). The
*length-controlled* AUC asks the same question only of documents of similar length: documents are put in
``LENGTH_BUCKETS`` buckets by word-count quantile, ROC-AUC is taken within each bucket, and the buckets are
averaged, each weighted by its number of (good, bad) pairs. It is the probability that a good document
scores above a bad one *of about the same length*; 0.5 means the scorer knows nothing beyond length (the
stratified AUC of the epidemiology literature; the same idea as DCLM's length-matched comparisons).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import f1_score

BOOTSTRAP_ROUNDS = 1000
LENGTH_BUCKETS = 4
"""Word-count quantile buckets of the length-controlled AUC: quartiles. More buckets control length more
tightly but leave fewer (good, bad) pairs per bucket; with a few hundred documents, four keep every bucket
holding both classes."""


def roc_auc(truth: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float | None:
    """ROC-AUC of a binary ``truth`` (the larger of its two values is the positive class), or None when only
    one class is present.

    Computed as the Mann-Whitney U statistic over ranks (ties count one half), which equals scikit-learn's
    ``roc_auc_score`` but skips its input checks: bootstrap intervals call this thousands of times.
    """
    truth = np.asarray(truth)
    classes = np.unique(truth)
    if len(classes) < 2:
        return None
    if len(classes) > 2:
        raise ValueError(f"ROC-AUC needs two classes, got {len(classes)}")
    scores = np.asarray(scores, dtype=float)
    if np.isnan(scores).any():
        raise ValueError("ROC-AUC of scores holding NaN")
    positive = truth == classes[1]
    positives = int(positive.sum())
    negatives = len(truth) - positives
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def word_counts(texts: Sequence[str]) -> np.ndarray:
    """Whitespace-separated words per text: the length every quality scorer is compared with."""
    return np.fromiter((len(t.split()) for t in texts), dtype=np.int64, count=len(texts))


def length_buckets(lengths: Sequence[int] | np.ndarray, buckets: int = LENGTH_BUCKETS) -> np.ndarray:
    """Each document's length bucket (0 .. ``buckets`` - 1): word-count quantiles of these documents.

    Ties at an edge stay in one bucket, so a set with few distinct lengths may fill fewer buckets.
    """
    lengths = np.asarray(lengths, dtype=float)
    if len(lengths) == 0:
        return np.zeros(0, dtype=np.int64)
    edges = np.quantile(lengths, np.linspace(0, 1, buckets + 1)[1:-1])
    return np.searchsorted(edges, lengths, side="right").astype(np.int64)


def length_controlled_auc(
    truth: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, buckets: Sequence[int] | np.ndarray
) -> float | None:
    """ROC-AUC within each length bucket, averaged with weights = (good x bad) pairs in the bucket.

    Returns None when no bucket holds both classes. ``buckets`` comes from ``length_buckets``.
    """
    truth, scores, buckets = np.asarray(truth), np.asarray(scores, dtype=float), np.asarray(buckets)
    total = weight = 0.0
    for bucket in np.unique(buckets):
        inside = buckets == bucket
        positives = int(truth[inside].sum())
        pairs = positives * (int(inside.sum()) - positives)
        if pairs:
            total += pairs * float(roc_auc(truth[inside], scores[inside]))
            weight += pairs
    return total / weight if weight else None


def accuracy(truth: Sequence[int] | np.ndarray, predicted: Sequence[int] | np.ndarray) -> float:
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    return float((truth == predicted).mean()) if len(truth) else float("nan")


def binary_metrics(truth: Sequence[int], scores: Sequence[float], threshold: float) -> dict[str, Any]:
    """AUC, accuracy, precision/recall/F1 of the positive class at ``threshold``, and the mean score."""
    truth = np.asarray(truth, dtype=int)
    scores = np.asarray(scores, dtype=float)
    predicted = (scores >= threshold).astype(int)
    true_positive = int(((predicted == 1) & (truth == 1)).sum())
    precision = true_positive / max(1, int(predicted.sum()))
    recall = true_positive / max(1, int(truth.sum()))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return _rounded(
        {
            "n": len(truth),
            "positives": int(truth.sum()),
            "roc_auc": roc_auc(truth, scores),
            "accuracy": accuracy(truth, predicted),
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "mean_score": float(scores.mean()) if len(scores) else None,
        }
    )


def multiclass_metrics(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro F1 and F1 per class."""
    per_class = f1_score(truth, predicted, labels=list(labels), average=None, zero_division=0)
    return _rounded(
        {
            "n": len(truth),
            "accuracy": accuracy(np.asarray(truth, dtype=object), np.asarray(predicted, dtype=object)),
            "macro_f1": float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0)),
            "f1_per_class": {label: float(value) for label, value in zip(labels, per_class, strict=True)},
        }
    )


def regression_metrics(truth: Sequence[float], predicted: Sequence[float], threshold: float) -> dict[str, Any]:
    """MSE, MAE, Spearman correlation, and the binary metrics of "score >= threshold"."""
    from scipy.stats import spearmanr

    truth = np.asarray(truth, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    result: dict[str, Any] = {
        "n": len(truth),
        "mse": float(((truth - predicted) ** 2).mean()),
        "mae": float(np.abs(truth - predicted).mean()),
        "spearman": float(spearmanr(truth, predicted).statistic) if len(set(truth.tolist())) > 1 else None,
    }
    binary = binary_metrics((truth >= threshold).astype(int), predicted, threshold)
    result.update({f"binary_{k}": v for k, v in binary.items() if k in ("roc_auc", "accuracy", "f1")})
    return _rounded(result)


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float | None],
    n: int,
    rounds: int = BOOTSTRAP_ROUNDS,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(indices)`` over resamples of ``range(n)``."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        value = statistic(rng.integers(0, n, size=n))
        if value is not None and value == value:
            values.append(value)
    if not values:
        return (float("nan"), float("nan"))
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return (round(float(low), 4), round(float(high), 4))


def auc_with_interval(truth: np.ndarray, scores: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0) -> dict:
    truth, scores = np.asarray(truth), np.asarray(scores, dtype=float)
    point = roc_auc(truth, scores)
    interval = bootstrap_interval(lambda i: roc_auc(truth[i], scores[i]), len(truth), rounds, seed=seed)
    return {"roc_auc": None if point is None else round(point, 4), "roc_auc_ci95": list(interval)}


def length_controlled_auc_with_interval(
    truth: np.ndarray, scores: np.ndarray, buckets: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0
) -> dict:
    """``length_controlled_auc`` and its 95% bootstrap interval (documents resampled, buckets kept)."""
    truth, scores, buckets = np.asarray(truth), np.asarray(scores, dtype=float), np.asarray(buckets)
    point = length_controlled_auc(truth, scores, buckets)
    interval = bootstrap_interval(
        lambda i: length_controlled_auc(truth[i], scores[i], buckets[i]), len(truth), rounds, seed=seed
    )
    return {
        "length_controlled_auc": None if point is None else round(point, 4),
        "length_controlled_auc_ci95": list(interval),
    }


def accuracy_with_interval(truth: np.ndarray, predicted: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0):
    truth, predicted = np.asarray(truth), np.asarray(predicted)
    interval = bootstrap_interval(lambda i: accuracy(truth[i], predicted[i]), len(truth), rounds, seed=seed)
    return {"accuracy": round(accuracy(truth, predicted), 4), "accuracy_ci95": list(interval)}


def paired_auc_difference(
    truth: np.ndarray, first: np.ndarray, second: np.ndarray, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0
) -> dict:
    """AUC(first) - AUC(second) on the same documents, with a paired bootstrap interval and the share of
    resamples in which ``first`` wins."""
    truth, first, second = np.asarray(truth), np.asarray(first, dtype=float), np.asarray(second, dtype=float)

    def difference(indices: np.ndarray) -> float | None:
        a, b = roc_auc(truth[indices], first[indices]), roc_auc(truth[indices], second[indices])
        return None if a is None or b is None else a - b

    rng = np.random.default_rng(seed)
    samples = [difference(rng.integers(0, len(truth), size=len(truth))) for _ in range(rounds)]
    samples = [s for s in samples if s is not None]
    point = difference(np.arange(len(truth)))
    low, high = np.percentile(samples, [2.5, 97.5]) if samples else (float("nan"), float("nan"))
    return {
        "difference": None if point is None else round(point, 4),
        "ci95": [round(float(low), 4), round(float(high), 4)],
        "first_better_share": round(float(np.mean([s > 0 for s in samples])), 4) if samples else None,
    }


def per_source(sources: Sequence[str], compute: Callable[[np.ndarray], dict[str, Any]]) -> dict[str, dict]:
    """``compute(indices)`` for each source's documents, sources in name order."""
    groups: dict[str, list[int]] = defaultdict(list)
    for index, source in enumerate(sources):
        groups[source].append(index)
    return {source: compute(np.asarray(indices)) for source, indices in sorted(groups.items())}


def _rounded(values: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, float):
            result[key] = round(value, 4) if value == value else None
        elif isinstance(value, dict):
            result[key] = _rounded(value)
        else:
            result[key] = value
    return result
