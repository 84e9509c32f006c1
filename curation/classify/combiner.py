"""A learned combination of the quality signals a run computes: logistic regression, cross-validated on labels.

No single cheap signal captures what people call good text: length alone goes a long way on web data, the
rule filters catch the obviously broken, a small LM's perplexity tells fluent prose from boilerplate and
spam. A logistic regression over a few such signals (``signals``: word count, rules, perplexity, P("yes"),
any classifier's score) learns how much each is worth from human or LLM labels, with one coefficient per
signal: few enough parameters for a few hundred labels, and readable (the card lists them).

Training is honest by construction: the figures in the card are *cross-validated* (repeated stratified
k-fold, each document scored by models that never saw it, its out-of-fold probabilities averaged over the
repeats), with bootstrap intervals, beside the word count's own AUC and with the length-controlled AUC that
shows whether the combination learned more than length. The model that is saved is then fitted on all the
labels.

The fitted model is a handful of numbers, so it is stored as JSON (``combiner.json``: the signal specs, the
fill value, mean and scale of each feature, the coefficients and the intercept), never as a pickle; the
folder's ``card.yaml`` says what it is and how good it was found. ``quality_score`` reads such a folder like
any other model folder (``CombinerModel``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from datatrove.data import Document

from curation.classify.card import CARD_FILE, ClassifierCard, load_card, save_card
from curation.classify.metrics import (
    BOOTSTRAP_ROUNDS,
    accuracy_with_interval,
    auc_with_interval,
    length_buckets,
    length_controlled_auc_with_interval,
    paired_auc_difference,
    roc_auc,
)
from curation.classify.models import ClassifierModel
from curation.classify.signals import Signal, as_documents, build_signal, signal_matrix

logger = logging.getLogger(__name__)
COMBINER_FILE = "combiner.json"
STREAM_WINDOW = 512
"""Documents whose signals are computed together (the LM signals batch them through the engine)."""


class CombinerError(ValueError):
    """A combiner folder or training setting that cannot be used, with what to change."""


class QualityCombiner:
    """Standardised features -> L2-regularised logistic regression (scikit-learn's ``LogisticRegression``).

    Args:
        C: inverse regularisation strength (scikit-learn's); features are standardised first, so one value
            suits every signal.
        max_iter: solver iterations at most.

    Fitted state: ``fills_`` (each feature's training mean, used for missing values), ``means_``,
    ``scales_``, ``coef_``, ``intercept_``.
    """

    def __init__(self, C: float = 1.0, max_iter: int = 1000):
        self.C = C
        self.max_iter = max_iter

    def _prepared(self, features: np.ndarray) -> np.ndarray:
        features = np.asarray(features, dtype=np.float64)
        filled = np.where(np.isfinite(features), features, self.fills_)
        return (filled - self.means_) / self.scales_

    def fit(self, features: np.ndarray, truth: np.ndarray) -> QualityCombiner:
        """Fit on (n, k) features (NaN allowed) and (n,) 0/1 labels."""
        from sklearn.linear_model import LogisticRegression

        features = np.asarray(features, dtype=np.float64)
        truth = np.asarray(truth, dtype=int)
        if len(np.unique(truth)) < 2:
            raise CombinerError("the labels hold one class only; a combiner needs good and bad examples")
        finite = np.where(np.isfinite(features), features, np.nan)
        fills = np.nanmean(finite, axis=0)
        self.fills_ = np.where(np.isfinite(fills), fills, 0.0)
        filled = np.where(np.isfinite(features), features, self.fills_)
        self.means_ = filled.mean(axis=0)
        scales = filled.std(axis=0)
        self.scales_ = np.where(scales > 0, scales, 1.0)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter)
        model.fit((filled - self.means_) / self.scales_, truth)
        self.coef_ = model.coef_[0].astype(np.float64)
        self.intercept_ = float(model.intercept_[0])
        return self

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        """(n,) log-odds of "good"."""
        return self._prepared(features) @ self.coef_ + self.intercept_

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """(n,) probability of "good"."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(features)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "C": self.C,
            "fills": self.fills_.tolist(),
            "means": self.means_.tolist(),
            "scales": self.scales_.tolist(),
            "coefficients": self.coef_.tolist(),
            "intercept": self.intercept_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QualityCombiner:
        combiner = cls(C=float(data.get("C", 1.0)))
        combiner.fills_ = np.asarray(data["fills"], dtype=np.float64)
        combiner.means_ = np.asarray(data["means"], dtype=np.float64)
        combiner.scales_ = np.asarray(data["scales"], dtype=np.float64)
        combiner.coef_ = np.asarray(data["coefficients"], dtype=np.float64)
        combiner.intercept_ = float(data["intercept"])
        sizes = {len(combiner.fills_), len(combiner.means_), len(combiner.scales_), len(combiner.coef_)}
        if len(sizes) != 1:
            raise CombinerError(f"{COMBINER_FILE}: fills, means, scales and coefficients differ in length")
        return combiner


def out_of_fold(
    features: np.ndarray, truth: np.ndarray, folds: int = 5, repeats: int = 5, seed: int = 0, C: float = 1.0
) -> tuple[np.ndarray, list[float]]:
    """Each document's probability from combiners that never saw it (repeated stratified k-fold), averaged
    over the repeats; and the AUC of each repeat (how much the figure moves with the fold assignment)."""
    from sklearn.model_selection import StratifiedKFold

    truth = np.asarray(truth, dtype=int)
    smallest = int(min(truth.sum(), len(truth) - truth.sum()))
    if smallest < folds:
        raise CombinerError(f"{folds}-fold cross-validation needs {folds} examples of each class; found {smallest}")
    total = np.zeros(len(truth), dtype=np.float64)
    repeat_aucs = []
    for repeat in range(repeats):
        predicted = np.zeros(len(truth), dtype=np.float64)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + repeat)
        for train, test in splitter.split(features, truth):
            predicted[test] = QualityCombiner(C=C).fit(features[train], truth[train]).predict_proba(features[test])
        total += predicted
        repeat_aucs.append(round(float(roc_auc(truth, predicted) or float("nan")), 4))
    return total / repeats, repeat_aucs


def cross_validated_report(
    features: np.ndarray,
    truth: np.ndarray,
    word_counts: np.ndarray,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
    C: float = 1.0,
    rounds: int = BOOTSTRAP_ROUNDS,
) -> tuple[dict[str, Any], np.ndarray]:
    """Cross-validated AUC, length-controlled AUC and accuracy (at 0.5) with bootstrap intervals, the gap to
    the word count's AUC (paired bootstrap), and the out-of-fold probabilities they were measured on."""
    probabilities, repeat_aucs = out_of_fold(features, truth, folds, repeats, seed, C)
    buckets = length_buckets(word_counts)
    word_auc = roc_auc(truth, word_counts)
    report = {
        "n": len(truth),
        "positives": int(np.sum(truth)),
        "folds": folds,
        "repeats": repeats,
        **auc_with_interval(truth, probabilities, rounds, seed),
        "roc_auc_per_repeat": repeat_aucs,
        **length_controlled_auc_with_interval(truth, probabilities, buckets, rounds, seed),
        **accuracy_with_interval(truth, (probabilities >= 0.5).astype(int), rounds, seed),
        "word_count_auc": None if word_auc is None else round(word_auc, 4),
        "minus_word_count_auc": paired_auc_difference(truth, probabilities, word_counts, rounds, seed),
    }
    low = report["length_controlled_auc_ci95"][0]
    if not low > 0.5:
        report["warning"] = (
            f"the length-controlled AUC's interval reaches {low:.3f}: among documents of similar length the "
            "combiner is not shown to rank better than chance, so it may have learned length alone"
        )
        logger.warning(report["warning"])
    return report, probabilities


def binary_truth(labels: Sequence[str], positive_label: str) -> np.ndarray:
    return np.asarray([label == positive_label for label in labels], dtype=int)


def train_combiner(
    texts: Sequence[str],
    labels: Sequence[str],
    signals: Sequence[Signal],
    positive_label: str,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
    C: float = 1.0,
    metadata: Sequence[dict[str, Any]] | None = None,
    features: np.ndarray | None = None,
) -> tuple[QualityCombiner, dict[str, Any]]:
    """Compute the signals for labelled texts, measure a combiner by cross-validation, fit it on everything.

    ``features`` (n, signals), when given, are the signals' features already computed for these texts (a
    benchmark that scores the signals one by one first). Returns the fitted combiner and a report:
    cross-validated metrics (``cross_validated_report``), each signal's own AUC and length-controlled AUC on
    the same documents, and the coefficients.
    """
    truth = binary_truth(labels, positive_label)
    if features is None:
        _, features = signal_matrix(signals, as_documents(texts, metadata))
    if features.shape != (len(texts), len(signals)):
        raise CombinerError(f"features of shape {features.shape} for {len(texts)} texts and {len(signals)} signals")
    words = np.asarray([len(t.split()) for t in texts], dtype=np.float64)
    report, _ = cross_validated_report(features, truth, words, folds, repeats, seed, C)
    combiner = QualityCombiner(C=C).fit(features, truth)
    buckets = length_buckets(words)
    from curation.classify.metrics import length_controlled_auc

    per_signal = {}
    for index, signal in enumerate(signals):
        column = np.where(np.isfinite(features[:, index]), features[:, index], combiner.fills_[index])
        auc = roc_auc(truth, column)
        controlled = length_controlled_auc(truth, column, buckets)
        per_signal[signal.name] = {
            "roc_auc": None if auc is None else round(auc, 4),
            "length_controlled_auc": None if controlled is None else round(controlled, 4),
            "coefficient": round(float(combiner.coef_[index]), 4),
            "missing": int(np.sum(~np.isfinite(features[:, index]))),
        }
    report = {"cross_validated": report, "signals": per_signal, "intercept": round(combiner.intercept_, 4)}
    return combiner, report


def format_combiner_report(report: dict[str, Any]) -> str:
    """The cross-validated figures, then one line per signal (own AUCs and coefficient)."""
    cv = report["cross_validated"]
    gap = cv["minus_word_count_auc"]
    lines = [
        f"cross-validated ({cv['folds']}-fold x {cv['repeats']}, n {cv['n']}): ROC-AUC {cv['roc_auc']} "
        f"{cv['roc_auc_ci95']}, length-controlled AUC {cv['length_controlled_auc']} "
        f"{cv['length_controlled_auc_ci95']}, accuracy {cv['accuracy']} {cv['accuracy_ci95']}",
        f"  word count alone: ROC-AUC {cv['word_count_auc']}; combiner - word count {gap['difference']:+.3f} "
        f"{gap['ci95']}",
    ]
    for name, figures in report["signals"].items():
        lines.append(
            f"  {name:14} coefficient {figures['coefficient']:+.3f}  own ROC-AUC {figures['roc_auc']}  "
            f"length-controlled {figures['length_controlled_auc']}  missing {figures['missing']}"
        )
    if cv.get("warning"):
        lines.append(f"WARNING: {cv['warning']}")
    return "\n".join(lines)


def save_combiner(folder: str | Path, card: ClassifierCard, signals: Sequence[Signal], combiner: QualityCombiner):
    """Write ``combiner.json`` and ``card.yaml`` (backend ``combiner``) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = {"signals": [s.spec() for s in signals], **combiner.to_dict()}
    (folder / COMBINER_FILE).write_text(json.dumps(data, indent=2), encoding="utf-8")
    save_card(card.model_copy(update={"backend": "combiner"}), folder)
    return folder


def load_combiner(folder: str | Path) -> tuple[list[Signal], QualityCombiner]:
    path = Path(folder) / COMBINER_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CombinerError(f"{path}: cannot read the combiner: {error}") from None
    signals = [build_signal(spec) for spec in data.get("signals", [])]
    combiner = QualityCombiner.from_dict(data)
    if len(signals) != len(combiner.coef_):
        raise CombinerError(f"{path}: {len(signals)} signals but {len(combiner.coef_)} coefficients")
    return signals, combiner


class CombinerModel(ClassifierModel):
    """A combiner folder behind the classifier interface: documents in, (n, 2) probabilities out.

    It reads whole documents (``reads_documents``): a signal an upstream stage already wrote into metadata
    (``perplexity``, ``lm_quality_score``) is taken from there; the others are computed here.
    """

    backend = "combiner"
    reads_documents = True

    def __init__(self, card: ClassifierCard, folder: str, engine_options: dict[str, Any] | None = None):
        self.signals, self.combiner = load_combiner(folder)
        for signal in self.signals:
            for key, value in (engine_options or {}).items():
                if signal.kind in ("perplexity", "lm_yes") and key in ("device", "precision"):
                    signal.params.setdefault(key, value)
        labels = list(card.labels) or ["0", "1"]
        if len(labels) != 2:
            raise CombinerError(f"{folder}: a combiner has two labels (bad, good), the card says {labels}")
        super().__init__(card, labels)
        self._positive = labels.index(card.positive_label) if card.positive_label in labels else 1

    def stream(self, items: Iterable[str | Document]) -> Iterator[np.ndarray]:
        items = iter(items)
        while True:
            window = [item for _, item in zip(range(STREAM_WINDOW), items, strict=False)]
            if not window:
                return
            documents = [
                item if isinstance(item, Document) else Document(text=item, id=str(i)) for i, item in enumerate(window)
            ]
            _, features = signal_matrix(self.signals, documents)
            good = self.combiner.predict_proba(features).astype(np.float32)
            out = np.empty((len(good), 2), dtype=np.float32)
            out[:, self._positive] = good
            out[:, 1 - self._positive] = 1.0 - good
            yield out

    def close(self) -> None:
        for signal in self.signals:
            signal.close()

    def describe(self) -> str:
        return f"{self.card.name} (combiner of {', '.join(s.name for s in self.signals)})"


def open_combiner(folder: str, engine_options: dict[str, Any] | None = None) -> CombinerModel:
    folder_path = Path(folder).expanduser()
    if not (folder_path / CARD_FILE).is_file():
        raise CombinerError(f"{folder}: no {CARD_FILE}")
    return CombinerModel(load_card(folder_path), str(folder_path), engine_options)
